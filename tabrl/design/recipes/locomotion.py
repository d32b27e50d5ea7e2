"""Legged locomotion recipes: one merged velocity command (walk, run, strafe, turn), spinning, jumping.

Every locomotion and turning word of a prompt merges into one :class:`Command` ("walk forward and
turn left"). For robots with a measured gait rig, walking, turning and jumping get scaffold
approaches (:mod:`tabrl.design.recipes.gaits`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tabrl.design.drafting import (
    RATE,
    Ctx,
    Draft,
    E,
    T,
    clamp,
    num,
)
from tabrl.design.recipes.gaits import rig_for, rig_pronk, rig_spin, rig_walk
from tabrl.design.vocabulary import Intent, Recipe


@dataclasses.dataclass
class Command:
    """A merged locomotion command."""

    vx: float = 0.0
    vy: float = 0.0
    yaw: float = 0.0
    gait: str = "trot"
    gait_hz: float = 2.0
    height: float = 1.0
    high_steps: bool = False
    roll_sway: float = 0.0
    label: str = "Walk"


def merge_command(ctx: Ctx, hits: list[tuple[Intent, Recipe]]) -> Command:
    """One velocity command from every locomotion / turning intent of the prompt."""
    cmd = Command()
    # The vocabulary's gait frequencies are for a 2 Hz trot; a robot with a measured one steps at its pace
    # (Go1 2 Hz: unchanged; ANYmal C 4.5 Hz: its soft actuators tip it over at 2 Hz).
    rig = rig_for(ctx)
    nominal = rig.trot.hz if rig is not None else 2.0
    cmd.gait_hz = nominal
    strong = [(i, r) for i, r in hits if r.family == "locomote" and not i.weak]
    chosen = strong[0] if strong else next(((i, r) for i, r in hits if r.family == "locomote"), None)
    base = 0.0
    if chosen is not None:
        intent, recipe = chosen
        p = recipe.params
        cmd.label, cmd.gait = intent.label, p.get("gait", "trot")
        cmd.gait_hz = p.get("gait_hz", 2.0) * nominal / 2.0
        cmd.height, cmd.high_steps, cmd.roll_sway = (
            p.get("height", 1.0),
            p.get("high_steps", False),
            p.get("roll_sway", 0.0),
        )
        base = max(
            (r.params.get("speed", 0.0) for i, r in (strong or hits) if r.family == "locomote"), default=0.0
        )
    direction = ctx.mods.direction or 1
    if any(r.params.get("direction", 1) < 0 for _, r in hits if r.family == "locomote"):
        direction = -1
    lateral = max((r.params.get("lateral", 0.0) for _, r in hits if r.family == "locomote"), default=0.0)
    keys = {i.key for i, _ in hits}
    if lateral:
        sign = 1.0 if ctx.side("left", "stepping to the left") == "left" else -1.0
        cmd.vy = sign * lateral * ctx.mods.speed
        if "sideways" in keys and not (
            keys & {"walk", "run", "jog", "stroll", "trot", "forward", "backward"}
        ):
            base = 0.0
    scale = ctx.mods.speed * (0.8 if ctx.biped else 1.0)
    cmd.vx = clamp(direction * base * scale, -1.5, 2.5)
    turn = [r for _, r in hits if r.family == "spin" or "yaw" in r.params]
    if turn:
        yaw = max(r.params.get("yaw", 1.0) for r in turn)
        yaw = min(yaw, 0.8) if cmd.vx or cmd.vy else yaw
        sign = ctx.mods.rotation or (
            1 if ctx.side("left", "turning left (counter-clockwise)") == "left" else -1
        )
        cmd.yaw = sign * yaw * ctx.mods.speed
    if ctx.mods.level == "low":
        cmd.height = min(cmd.height, 0.8)
    elif ctx.mods.level == "high":
        cmd.height = max(cmd.height, 1.05)
    cmd.gait_hz = round(clamp(cmd.gait_hz * (ctx.mods.speed**0.5), 1.0, max(4.0, 1.1 * nominal)), 2)
    if ctx.biped and cmd.gait in ("trot", "pace", "bound"):
        cmd.gait = "walk"
    return cmd


def describe_command(cmd: Command) -> str:
    parts = []
    if cmd.vx:
        parts.append(f"{abs(cmd.vx):.2g} m/s {'forward' if cmd.vx > 0 else 'backward'}")
    if cmd.vy:
        parts.append(f"{abs(cmd.vy):.2g} m/s to the {'left' if cmd.vy > 0 else 'right'}")
    if cmd.yaw:
        parts.append(f"turning {'left' if cmd.yaw > 0 else 'right'} at {abs(cmd.yaw):.2g} rad/s")
    return ", ".join(parts) or "standing"


def gait_name(gait: str) -> str:
    return {
        "trot": "Trotting",
        "pace": "Pacing",
        "bound": "Bounding",
        "pronk": "Pronking",
        "walk": "Stepping",
    }.get(gait, gait.title())


def legged_locomote(ctx: Ctx, cmd: Command) -> list[Draft]:
    what = describe_command(cmd)
    top = max(abs(cmd.vx), abs(cmd.vy), 0.3 * abs(cmd.yaw))
    extras: list[dict[str, Any]] = []
    if cmd.high_steps and ctx.feet:
        extras.append(E("clip(mean(feet_height) * 10, 0, 1)", 0.5))
    if cmd.roll_sway:
        extras.append(
            T(
                "base_oscillation",
                0.5,
                axis="roll",
                amplitude=cmd.roll_sway * ctx.mods.size,
                frequency_hz=cmd.gait_hz,
            )
        )
    v1 = Draft(
        "Velocity Tracker",
        f"Track a joystick-style command: {what}",
        [T("track_velocity", 2.0, vx=cmd.vx, vy=cmd.vy, yaw_rate=cmd.yaw, sigma=max(0.5, 0.5 * top))]
        + extras,
        [T("upright", 0.5), T("base_height", 0.5, ratio=cmd.height, sigma=0.1), T("action_rate", RATE)],
        moves=True,
        note="Main term: track_velocity, a smooth bump around the commanded velocity.",
    )
    main2: list[dict[str, Any]] = []
    if cmd.vx:
        main2.append(T("forward_speed", 1.5, target=cmd.vx))
    if cmd.vy:
        main2.append(E(f"clip(lateral_speed / {num(cmd.vy)}, -1, 1)", 1.5))
    if cmd.yaw:
        main2.append(T("spin", 0.75 if (cmd.vx or cmd.vy) else 1.5, yaw_rate=cmd.yaw))
    if ctx.feet:
        main2.append(T("foot_contact_pattern", 0.5, pattern=cmd.gait, frequency_hz=cmd.gait_hz))
    v2 = Draft(
        f"{gait_name(cmd.gait)} Gait",
        f"Speed reward plus a {cmd.gait} foot-contact rhythm at {cmd.gait_hz:.2g} Hz",
        main2 + extras,
        [T("upright", 1.0), T("base_height", 0.3, ratio=cmd.height, sigma=0.1), T("action_rate", RATE)],
        moves=True,
        note="Main terms: linear speed reward and foot-contact timing of a gait.",
    )
    main3: list[dict[str, Any]] = []
    if cmd.vx:
        main3.append(E(f"clip(forward_speed / {num(cmd.vx)}, -1, 1.2)", 1.5))
    if cmd.vy:
        main3.append(E(f"clip(lateral_speed / {num(cmd.vy)}, -1, 1.2)", 1.5))
    if cmd.yaw:
        main3.append(E(f"clip(yaw_rate / {num(cmd.yaw)}, -1, 1.2)", 1.0 if (cmd.vx or cmd.vy) else 1.5))
    straight = []
    if not cmd.vy:
        straight.append("abs(lateral_speed)")
    if not cmd.yaw:
        straight.append("0.3 * abs(yaw_rate)")
    if straight:
        main3.append(E("-" + " - ".join(straight), 0.5))
    label = "Straight-Line Drive" if not cmd.yaw else "Heading Drive"
    rig = rig_for(ctx)
    if rig is not None and cmd.vx > 0 and not cmd.vy and not cmd.yaw and cmd.gait in ("trot", "walk", "pace"):
        return rig_walk(rig, cmd.vx, cmd.height, ctx.profile.groups) + [v1]
    v3 = Draft(
        label,
        f"Expression-shaped velocity ({what}) with a level, steady body",
        main3,
        [
            T("base_orientation", 0.5, roll=0.0, pitch=0.0, sigma=0.3),
            T("base_height", 0.3, ratio=cmd.height, sigma=0.1),
            T("alive", 0.5),
            T("action_rate", RATE),
        ],
        moves=True,
        note="Main terms: safe expressions over forward_speed / lateral_speed / yaw_rate; "
        "an alive bonus offsets their negative values so falling never pays.",
    )
    return [v1, v2, v3]


def legged_spin(ctx: Ctx, _intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    sign = ctx.mods.rotation or (1 if ctx.side("left", "spinning left (counter-clockwise)") == "left" else -1)
    yaw = clamp(sign * p.get("yaw", 1.5) * ctx.mods.speed * (0.7 if ctx.biped else 1.0), -4.0, 4.0)
    way = "counter-clockwise" if yaw > 0 else "clockwise"
    v1 = Draft(
        "Spin Tracker",
        f"Track a pure turning command: {abs(yaw):.2g} rad/s {way}, no travel",
        [T("track_velocity", 2.0, vx=0.0, vy=0.0, yaw_rate=yaw, sigma=1.0)],
        [T("stay_in_place", 0.5, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
        note="Main term: track_velocity with zero linear speed and a yaw-rate command.",
    )
    main2 = [T("spin", 2.0, yaw_rate=yaw)]
    if ctx.feet:
        main2.append(
            T("foot_contact_pattern", 0.3, pattern="walk" if ctx.biped else "trot", frequency_hz=2.5)
        )
    v2 = Draft(
        "Turntable",
        f"Linear reward for turning {way}, stepping in place to rotate",
        main2,
        [T("stay_in_place", 1.0, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
        note="Main term: spin (rises linearly to 1 at the target rate); stay_in_place keeps it on the spot.",
    )
    rig = rig_for(ctx)
    if rig is not None:
        return rig_spin(rig, yaw, ctx.profile.groups) + [v1]
    v3 = Draft(
        "Yaw Drive",
        f"Expression on the turning rate ({way}) with a penalty on drifting away",
        [E(f"clip(yaw_rate / {num(yaw)}, -1, 1.3)", 1.5), E("-clip(drift, 0, 2)", 1.0)],
        [
            T("base_height", 0.5, ratio=1.0, sigma=0.1),
            T("upright", 0.5),
            T("alive", 0.5),
            T("action_rate", RATE),
        ],
        note="Main terms: safe expressions over yaw_rate and drift.",
    )
    return [v1, v2, v3]


def legged_jump(ctx: Ctx, _intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    height = clamp(
        p.get("height", 0.1) * ctx.mods.size * (1.3 if ctx.mods.level == "high" else 1.0), 0.03, 0.4
    )
    hz = clamp(p.get("hz", 2.0) * ctx.mods.speed, 0.8, 4.0)
    travel: list[dict[str, Any]]
    moves = bool(ctx.mods.direction)
    if moves:
        travel = [T("forward_speed", 0.5, target=0.4 * (ctx.mods.direction or 1))]
    else:
        travel = [T("stay_in_place", 0.5, radius=0.3)]
    rate = RATE / 2  # jumping needs sharp actions
    word = "Pronk Jumper" if ctx.category == "quadruped" else "Two-Foot Jumper"
    v1 = Draft(
        word,
        f"Rise {height:.2g} m above standing height with every foot off the ground",
        [T("jump", 2.0, height=height), T("air_time", 1.0, all_feet=True)],
        [T("upright", 1.0)] + travel + [T("action_rate", rate)],
        moves=moves,
        note="Main terms: jump (height above standing + upward speed) and air_time with all feet off.",
    )
    main2 = [T("base_oscillation", 1.5, axis="height", amplitude=max(0.03, 0.6 * height), frequency_hz=hz)]
    if ctx.feet:
        main2 += [
            T("foot_contact_pattern", 1.0, pattern="pronk", frequency_hz=hz),
            T("air_time", 0.5, all_feet=False),
        ]
    v2 = Draft(
        "Bounce Rhythm",
        f"Bob the body up and down at {hz:.2g} Hz, all feet landing together",
        main2,
        [T("upright", 1.0)] + travel + [T("action_rate", rate)],
        moves=moves,
        note="Main terms: base_oscillation on height and a pronking foot-contact rhythm.",
    )
    main3 = [E("clip(vertical_speed, 0, 1.5)", 1.0)]
    if ctx.feet:
        main3.append(E("mean(feet_contact) < 0.01", 1.5))
    else:
        main3.append(E(f"clip((base_height - standing_height) / {num(height)}, 0, 1.5)", 1.5))
    v3 = Draft(
        "Launch Pad",
        "Expressions reward pushing upward fast and moments with no foot on the ground",
        main3,
        [T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.3)]
        + travel
        + [T("alive", 0.3), T("action_rate", rate)],
        moves=moves,
        note="Main terms: safe expressions over vertical_speed and feet_contact.",
    )
    rig = rig_for(ctx)
    if rig is not None:
        return [rig_pronk(rig, height, travel, moves), v1, v3]
    return [v1, v2, v3]
