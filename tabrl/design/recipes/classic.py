"""dm_control robots (runners, swimmers, balancers, reachers) and robots without a profile.

One planner per prompt (:func:`classic_drafts`): these robots have one basic task, so the first
intent chooses among a few recipes instead of combining several.
"""

from __future__ import annotations

from tabrl.design.drafting import (
    RATE,
    Ctx,
    Draft,
    E,
    T,
    clamp,
    num,
    tidy,
    title_case,
)
from tabrl.design.recipes.manipulation import manip_path, manip_reach, manip_still
from tabrl.design.vocabulary import INTENTS, Intent, Recipe

_RUNNERS = {"cheetah", "walker", "hopper"}
_SWIMMERS = {"swimmer", "fish"}
_BALANCERS = {"cartpole", "pendulum", "acrobot"}


def classic_drafts(ctx: Ctx, hits: list[tuple[Intent, Recipe]]) -> list[Draft]:
    robot = ctx.profile.robot
    families = [r.family for _, r in hits]
    first = hits[0] if hits else None
    if robot in _RUNNERS | _SWIMMERS:
        if not hits or "locomote" in families:
            return classic_run(ctx, hits)
        if "jump" in families and robot in _RUNNERS:
            return classic_hop(ctx)
        if any(f in ("posture", "still") for f in families) and robot in _RUNNERS:
            return classic_stand()
        return classic_rhythm(ctx, first)
    if robot in _BALANCERS:
        if any(i.key == "swing_up" for i, _ in hits):
            return classic_swing_up(ctx)
        if any(
            i.key in ("spin", "swing", "shake", "wiggle", "dance", "circle", "twist", "rock", "sway")
            for i, _ in hits
        ):
            return classic_swing(ctx)
        return classic_balance(ctx)
    if (
        first is not None
        and ctx.ee
        and first[1].family in ("path", "reach", "locomote", "spin", "rhythm", "limb", "swing", "twist")
    ):
        if first[1].family == "reach":
            return manip_reach(ctx, first[0], first[1])
        shape = first[1].params.get("shape", "circle") if first[1].family == "path" else "circle"
        return manip_path(ctx, first[0], Recipe("path", {"shape": shape}))
    if ctx.ee and not hits:
        return manip_path(ctx, INTENTS["circle"], Recipe("path", {"shape": "circle", "hz": 0.3}))
    if first is not None and first[1].family in ("still", "posture", "grip"):
        return manip_still(ctx)
    return classic_rhythm(ctx, first)


def classic_run(ctx: Ctx, hits: list[tuple[Intent, Recipe]]) -> list[Draft]:
    speed = max((r.params.get("speed", 0.5) for _, r in hits if r.family == "locomote"), default=0.5) or 0.5
    sign = -1 if (ctx.mods.direction == -1 or any(r.params.get("direction", 1) < 0 for _, r in hits)) else 1
    v = tidy(clamp(sign * 2.0 * speed * ctx.mods.speed, -4.0, 5.0))
    legs = ctx.group("legs", "leg", "hip", "body", "tail", "all") or "all"
    swimmer = ctx.profile.robot in _SWIMMERS
    pattern = "wave" if swimmer else "alternate"
    keep_up = [] if ctx.profile.robot == "cheetah" or swimmer else [T("upright", 0.5)]
    what = f"{abs(v):.2g} m/s {'forward' if v > 0 else 'backward'}"
    v1 = Draft(
        "Speed Runner" if not swimmer else "Speed Swimmer",
        f"Move {what}: reward rises linearly with speed",
        [T("forward_speed", 2.0, target=v)],
        keep_up + [T("action_rate", RATE)],
        note="Main term: forward_speed.",
    )
    v2 = Draft(
        "Stride Rhythm" if not swimmer else "Body Wave",
        f"Drive the {legs} joints in {'a travelling wave' if swimmer else 'an alternating rhythm'} while moving {what}",
        [
            T(
                "joint_sine",
                0.75,
                group=legs,
                amplitude=0.4,
                frequency_hz=2.5 if not swimmer else 1.0,
                pattern=pattern,
                sigma=0.4,
            ),
            E(f"clip(base_vel_world[0] / {num(v)}, -1, 1.5)", 1.5),
        ],
        keep_up + [T("action_rate", RATE)],
        note=f"Main terms: a speed expression and joint_sine on {legs}.",
    )
    v3 = Draft(
        "Momentum Drive",
        f"Expression-shaped speed ({what}) with a steady body and low energy",
        [E(f"clip(forward_speed / {num(v)}, -1, 1.2) - 0.05 * abs(base_ang_vel[1])", 2.0)],
        keep_up + [T("energy", -0.0005), T("action_rate", RATE)],
        note="Main term: a safe expression over forward_speed and pitch rate.",
    )
    return [v1, v2, v3]


def classic_hop(ctx: Ctx) -> list[Draft]:
    legs = ctx.group("leg", "legs", "hip", "all") or "all"
    v1 = Draft(
        "Hop Up",
        "Push upward fast and rise above standing height",
        [E("clip(vertical_speed, 0, 2)", 1.5), E("clip(base_height / standing_height, 0, 1.5)", 1.0)],
        [T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: expressions over vertical speed and height.",
    )
    v2 = Draft(
        "Spring Rhythm",
        f"Flex the {legs} joints together at 2 Hz while staying tall",
        [
            T("joint_sine", 1.5, group=legs, amplitude=0.4, frequency_hz=2.0, pattern="sync"),
            T("base_height", 0.75, ratio=1.0, sigma=0.2),
        ],
        [T("upright", 0.5), T("action_rate", RATE)],
        note=f"Main terms: joint_sine on {legs} and base_height.",
    )
    v3 = Draft(
        "Hop Forward",
        "Hop while moving forward slowly",
        [T("forward_speed", 1.0, target=1.0), E("clip(vertical_speed, 0, 2)", 1.0)],
        [T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: forward_speed and upward speed.",
    )
    return [v1, v2, v3]


def classic_stand() -> list[Draft]:
    v1 = Draft(
        "Stand Tall",
        "Hold the torso at standing height, upright",
        [T("base_height", 2.0, ratio=1.0, sigma=0.1), T("upright", 1.0)],
        [T("action_rate", RATE)],
        note="Main terms: base_height and upright.",
    )
    v2 = Draft(
        "Still Stance",
        "Stay tall and stop moving",
        [E("1 - clip(abs(base_height / standing_height - 1) * 4, 0, 1)", 1.5), E("exp(-norm(qd))", 0.5)],
        [T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: a height expression and a stillness bonus.",
    )
    v3 = Draft(
        "Balanced Pose",
        "Hold the default joint pose with a level torso",
        [
            T("joint_pose", 1.5, group="all", offset=0.0, sigma=0.3),
            T("base_height", 1.0, ratio=1.0, sigma=0.15),
        ],
        [T("energy", -0.0005), T("action_rate", RATE)],
        note="Main terms: joint_pose and base_height.",
    )
    return [v1, v2, v3]


def classic_balance(ctx: Ctx) -> list[Draft]:
    robot = ctx.profile.robot
    pole = ctx.group("pole", "shoulder", "all") or "all"
    cart = ctx.group("cart", "elbow")
    if robot == "acrobot":
        height = E("clip(ee_pos[0, 2] / 4, -1, 1)", 2.0)
        upright = E("cos(mean(q_shoulder)) + cos(mean(q_shoulder) + mean(q_elbow))", 0.5)
    else:
        height = E(f"cos(mean(q_{pole}))", 2.0)
        upright = T("upright", 1.0) if robot == "pendulum" else E(f"cos(mean(q_{pole}))", 0.5)
    v1 = Draft(
        "Upright Balance",
        "Keep the pole pointing up",
        [height] + ([E(f"-0.2 * abs(mean(q_{cart}))", 1.0)] if cart and robot == "cartpole" else []),
        [T("action_rate", RATE)],
        note="Main term: an expression that is 1 with the pole straight up.",
    )
    v2 = Draft(
        "Calm Balance",
        "Upright and still: pole up, small velocities",
        [upright, E("exp(-norm(qd))", 0.5)],
        [T("energy", -0.0005), T("action_rate", RATE)],
        note="Main terms: uprightness and a stillness bonus.",
    )
    v3 = Draft(
        "Pose Hold",
        "Hold the joints at their upright default pose",
        [T("joint_pose", 2.0, group=pole, offset=0.0, sigma=0.5)]
        + ([T("joint_pose", 0.5, group=cart, offset=0.0, sigma=1.0)] if cart else []),
        [T("action_rate", RATE)],
        note=f"Main term: joint_pose on {pole}.",
    )
    return [v1, v2, v3]


def classic_swing_up(ctx: Ctx) -> list[Draft]:
    """From hanging (the task's start) to balanced on top: the height of the pole (or the acrobot's chain) rewarded,
    with energy pumped in low down, or calm at the top; a pole spun round and round is not a swing-up."""
    robot = ctx.profile.robot
    pole = ctx.group("pole", "shoulder", "all") or "all"
    cart = ctx.group("cart") if robot == "cartpole" else None
    if robot == "acrobot":
        up = "(cos(mean(q_shoulder)) + cos(mean(q_shoulder) + mean(q_elbow))) / 2"
        speed = "clip(abs(mean(qd_shoulder)) + abs(mean(qd_elbow)), 0, 12)"
    else:
        up = f"cos(mean(q_{pole}))"
        speed = f"clip(abs(mean(qd_{pole})), 0, 8)"
    centred = [E(f"-0.2 * abs(mean(q_{cart}))", 1.0)] if cart else []
    v1 = Draft(
        "Swing Up and Balance",
        "Swing the pole up from hanging and keep it balanced on top",
        [E(up, 2.0), *centred],
        [T("action_rate", RATE)],
        note="Main term: the pole's height, 1 straight up and -1 hanging.",
    )
    v2 = Draft(
        "Pump and Catch",
        "Pump energy in while the pole is low, then catch it on top",
        [E(up, 2.0), E(f"0.1 * {speed} * (1 - {up}) / 2", 1.0), *centred],
        [T("action_rate", RATE)],
        note="Main terms: the height, and speed rewarded while the pole is low.",
    )
    v3 = Draft(
        "Calm on Top",
        "Reach the top and stay there still: height, with stillness rewarded once up",
        [E(up, 1.5), E(f"exp(-norm(qd)) * (1 + {up}) / 2", 1.0), *centred],
        [T("energy", -0.0005), T("action_rate", RATE)],
        note="Main terms: the height, and a stillness bonus near the top.",
    )
    return [v1, v2, v3]


def classic_swing(ctx: Ctx) -> list[Draft]:
    pole = ctx.group("pole", "shoulder", "all") or "all"
    sign = ctx.mods.rotation or 1
    v1 = Draft(
        "Spin the Pole",
        "Keep the pole rotating",
        [E(f"clip({num(sign)} * mean(qd_{pole}), -5, 5)", 1.0)],
        [T("action_rate", RATE)],
        note="Main term: an expression over the pole's angular speed.",
    )
    v2 = Draft(
        "Pole Swing",
        "Swing the pole back and forth",
        [
            T(
                "joint_sine",
                2.0,
                group=pole,
                amplitude=clamp(ctx.mods.size, 0.1, 1.5),  # joint_sine allows 1.5
                frequency_hz=0.5,
                pattern="sync",
                sigma=0.8,
            )
        ],
        [T("action_rate", RATE)],
        note=f"Main term: joint_sine on {pole}.",
    )
    v3 = Draft(
        "Energetic Swing",
        "Pump energy into the swing: reward speed at the bottom, height at the top",
        [E(f"clip(abs(mean(qd_{pole})), 0, 6) * 0.2 + 0.5 * cos(mean(q_{pole}))", 1.5)],
        [T("action_rate", RATE)],
        note="Main term: a mixed speed/height expression.",
    )
    return [v1, v2, v3]


def classic_rhythm(ctx: Ctx, hit: tuple[Intent, Recipe] | None) -> list[Draft]:
    groups = [g for g in ctx.groups if g != "all"] or ["all"]
    g1 = groups[0]
    g2 = groups[1] if len(groups) > 1 else "all"
    label = title_case(hit[0].label) if hit else "Move"
    hz = clamp((hit[1].params.get("hz", 1.0) if hit else 0.8) * ctx.mods.speed, 0.2, 4.0)
    amp = clamp((hit[1].params.get("amp", 0.3) if hit else 0.3) * ctx.mods.size, 0.05, 1.0)
    v1 = Draft(
        f"{label} Rhythm",
        f"Swing the {g1} joints at {hz:.2g} Hz",
        [T("joint_sine", 2.0, group=g1, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.3)],
        [T("action_rate", RATE)],
        note=f"Main term: joint_sine on {g1}.",
    )
    v2 = Draft(
        f"{label} Wave",
        f"A travelling wave over the {g2} joints",
        [T("joint_sine", 2.0, group=g2, amplitude=amp, frequency_hz=hz, pattern="wave", sigma=0.3)],
        [T("action_rate", RATE)],
        note=f"Main term: joint_sine on {g2}, spread phases.",
    )
    v3 = Draft(
        f"Lively {label}",
        "Keep the joints moving briskly, near their default pose",
        [E("clip(mean(abs(qd)), 0, 3)", 1.0), T("joint_pose", 0.5, group="all", offset=0.0, sigma=0.6)],
        [T("energy", -0.0005), T("action_rate", RATE)],
        note="Main terms: joint speed and a loose pose.",
    )
    return [v1, v2, v3]


# --------------------------------------------------------------------------- generic (robots without a profile)


def generic_drafts(ctx: Ctx, hits: list[tuple[Intent, Recipe]]) -> list[Draft]:
    ctx.note(
        f"{ctx.robot} has no TabRL profile (joint groups, feet, base body), so these approaches use "
        "joint-level terms only."
    )
    first = hits[0] if hits else None
    hz = clamp(
        (first[1].params.get("hz", first[1].params.get("gait_hz", 1.0)) if first else 0.8) * ctx.mods.speed,
        0.2,
        4.0,
    )
    amp = clamp(0.2 * ctx.mods.size, 0.05, 0.6)
    label = title_case(first[0].label) if first else "Gentle"
    still = first is not None and first[1].family in ("still", "posture", "grip")
    v1 = Draft(
        f"{label} Joint Rhythm",
        f"Every joint oscillates together at {hz:.2g} Hz",
        [T("joint_sine", 2.0, group="all", amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.3)],
        [T("action_rate", RATE)],
        note="Main term: joint_sine on every joint.",
    )
    v2 = Draft(
        f"{label} Joint Wave",
        "A travelling wave over every joint",
        [T("joint_sine", 2.0, group="all", amplitude=amp, frequency_hz=hz, pattern="wave", sigma=0.3)],
        [T("joint_limits", -0.1), T("action_rate", RATE)],
        note="Main term: joint_sine with spread phases.",
    )
    v3 = Draft(
        "Pose and Calm" if still else f"{label} Motion",
        "Hold the default pose, joints still" if still else "Keep the joints moving near the default pose",
        [
            T("joint_pose", 1.5, group="all", offset=0.0, sigma=0.4),
            E("exp(-norm(qd))" if still else "clip(mean(abs(qd)), 0, 3)", 0.5),
        ],
        [T("energy", -0.0005), T("action_rate", RATE)],
        note="Main terms: joint_pose and joint speed.",
    )
    return [v1, v2, v3]
