"""Arm and hand recipes: paths, rhythms, twists, swings, reaches, grips and holds.

Also used by humanoids for hand paths and reaches, and by classic robots with an end effector.
Sizes follow the robot: fingertips move centimetres, arms decimetres.
"""

from __future__ import annotations

import math
from typing import Any

from tabrl.design.drafting import (
    PART_LABEL,
    RATE,
    Ctx,
    Draft,
    E,
    T,
    clamp,
    finger_index,
    index_of,
    num,
    title_case,
)
from tabrl.design.vocabulary import Intent, Recipe


def _manip_ee(ctx: Ctx) -> int:
    if ctx.category == "hand":
        i = finger_index(ctx.ee, "thumb" if "thumb" in ctx.parts else "index")
        return 0 if i is None else i
    if ctx.biped:
        i = index_of(ctx.ee, None, ctx.side("right", "using the right hand") == "left")
        return 0 if i is None else i
    return 0


def _manip_scale(ctx: Ctx) -> float:
    """Path size (m) for this kind of robot: fingertips move centimetres, arms decimetres."""
    if ctx.category == "hand":
        return 0.02
    if ctx.category == "classic":
        return 0.06
    return 0.12 if ctx.biped else 0.15


def _manip_groups(ctx: Ctx) -> tuple[str, str]:
    """(big joints, small joints) for rhythm variants."""
    if ctx.category == "hand":
        return ctx.group("index", "fingers", "all") or "all", ctx.group("knuckles", "fingers", "all") or "all"
    if ctx.biped:
        side = ctx.mods.side or "right"
        return ctx.group(f"{side}_arm", "arms", "all") or "all", ctx.group("elbows", "arms", "all") or "all"
    big = ctx.group("shoulder", "arm", "all") or "all"
    small = ctx.group("wrist", "elbow", "arm", "all") or "all"
    return big, small


def _manip_support(ctx: Ctx) -> list[dict[str, Any]]:
    if ctx.biped:
        return [
            T("upright", 1.0),
            T("base_height", 0.5, ratio=1.0, sigma=0.1),
            T("stay_in_place", 0.5, radius=0.3),
            T("alive", 0.5),
            T("action_rate", RATE),
        ]
    return [T("action_rate", RATE), T("joint_limits", -0.1)]


def _planar(ctx: Ctx) -> str | None:
    """Planar dm_control robots move in one plane only."""
    return {"reacher": "xy", "point_mass": "xy", "finger": "xz", "acrobot": "xz", "ball_in_cup": "xz"}.get(
        ctx.profile.robot
    )


def manip_path(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    shape = p.get("shape", "circle")
    if ctx.mods.axis == "vertical" and shape == "line":
        p = {**p, "vertical": True}
    if ctx.mods.axis == "lateral" and shape == "line":
        p = {**p, "plane": "yz"}
    if not ctx.ee:
        return manip_rhythm(
            ctx, intent, Recipe("rhythm", {"part": "all", "amp": 0.4, "hz": 0.8, "pattern": "wave"})
        )
    idx = _manip_ee(ctx)
    r = clamp(_manip_scale(ctx) * ctx.mods.size, 0.01, 0.6)
    hz = clamp(p.get("hz", 0.5) * ctx.mods.speed, 0.1, 3.0)
    planar = _planar(ctx)
    if planar:
        plane1 = plane2 = planar
    elif ctx.mods.axis == "horizontal" or p.get("plane") == "xy":
        plane1, plane2 = "xy", "xy"
    else:
        plane1 = p.get("plane", "yz")
        plane2 = "xz" if plane1 != "xz" else "yz"
    big, small = _manip_groups(ctx)
    name = {"circle": "Circle", "figure8": "Figure Eight", "line": "Line"}[shape]
    if p.get("wave"):
        name = "Wave"
    support = _manip_support(ctx)
    ee_name = ctx.ee[idx]
    if p.get("vertical"):
        v1 = Draft(
            "Elevation Rhythm",
            f"Move the {ee_name} up and down by swinging the {small} joints",
            [
                T(
                    "joint_sine",
                    2.0,
                    group=small,
                    amplitude=0.35 * ctx.mods.size,
                    frequency_hz=hz * 2,
                    pattern="sync",
                )
            ],
            support,
            note=f"Main term: joint_sine on {small}.",
        )
    else:
        what = (
            f"Sweep {ee_name} back and forth along a {2 * r * 100:.0f} cm line"
            if shape == "line"
            else f"Trace a {r * 100:.0f} cm {shape.replace('8', ' eight')} with {ee_name}"
        )
        v1 = Draft(
            f"{name} Tracer",
            f"{what} in the {plane1} plane at {hz:.2g} cycles/s",
            [
                T(
                    "ee_path",
                    3.0,
                    shape=shape,
                    plane=plane1,
                    radius=r,
                    frequency_hz=hz,
                    index=idx,
                    sigma=max(0.01, 0.5 * r),
                )
            ],
            support,
            note=f"Main term: ee_path ({shape}) for end effector {idx} ({ee_name}); the path starts where the "
            "end effector starts.",
        )
    v2 = Draft(
        f"{name} Joint Rhythm",
        f"Phase-shifted sines on {big} and {small} sweep the end effector around",
        [
            T(
                "joint_sine",
                2.0,
                group=big,
                amplitude=0.35 * ctx.mods.size,
                frequency_hz=hz,
                pattern="wave",
                sigma=0.3,
            ),
            T(
                "joint_sine",
                0.75,
                group=small,
                amplitude=0.25 * ctx.mods.size,
                frequency_hz=hz,
                pattern="sync",
                sigma=0.3,
            ),
        ],
        support,
        note=f"Main terms: joint_sine on {big} (spread phases) and {small}.",
    )
    shape3 = "circle" if p.get("vertical") else shape
    v3 = Draft(
        f"Smooth {name} {'Sweep' if shape3 == 'line' else 'Orbit'}",
        f"A smaller, slower {shape3} in the {plane2} plane, rewarded for moving smoothly",
        [
            T(
                "ee_path",
                2.0,
                shape=shape3,
                plane=plane2,
                radius=0.7 * r,
                frequency_hz=0.8 * hz,
                index=idx,
                sigma=max(0.015, 0.7 * r),
            ),
            E("clip(norm(qd), 0, 2)", 0.2),
        ],
        [T("energy", -0.001)] + support,
        note="Main terms: ee_path in a second plane, a small reward for joint speed, an energy penalty.",
    )
    return [v1, v2, v3]


def manip_rhythm(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    part = next(
        (q for q in ctx.parts if q in ("wrist", "fingers", "elbow", "shoulder", "thumb", "index", "all")),
        p.get("part", "wrist"),
    )
    table = {
        "wrist": ("wrist", "elbow", "arm"),
        "fingers": ("fingers", "non_thumb", "knuckles"),
        "elbow": ("elbow", "elbows"),
        "shoulder": ("shoulder", "shoulders"),
        "thumb": ("thumb",),
        "index": ("index",),
        "all": ("all",),
    }
    group = ctx.group(*table.get(part, ()), "all") or "all"
    amp = clamp(p.get("amp", 0.3) * ctx.mods.size, 0.05, 1.0)
    hz = clamp(p.get("hz", 1.0) * ctx.mods.speed, 0.2, 5.0)
    pattern = p.get("pattern", "sync")
    verb = title_case(intent.label)
    label = PART_LABEL.get(part, part.title()) if group != "all" else "Joint"
    support = _manip_support(ctx)
    v1 = Draft(
        f"{label} {verb}",
        f"{verb} the {group} joints: ±{amp:.2g} rad at {hz:.2g} Hz",
        [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern=pattern, sigma=0.25)],
        support,
        note=f"Main term: joint_sine on {group}.",
    )
    big, small = _manip_groups(ctx)
    alt = next((g for g in (small, big, "all") if g != group), "all")
    if ctx.ee:
        idx = _manip_ee(ctx)
        r = clamp(_manip_scale(ctx) * 0.6 * ctx.mods.size, 0.01, 0.5)
        main2 = [
            T(
                "ee_path",
                1.5,
                shape="line",
                plane=_planar(ctx) or "yz",
                radius=r,
                frequency_hz=min(hz, 3.0),
                index=idx,
                sigma=max(0.01, 0.6 * r),
            ),
            T("joint_sine", 0.5, group=alt, amplitude=0.6 * amp, frequency_hz=hz, pattern="alternate"),
        ]
        v2 = Draft(
            f"{verb} Sweep",
            f"Sweep {ctx.ee[idx]} back and forth in time with the {verb.lower()}",
            main2,
            support,
            note=f"Main terms: ee_path (line) for {ctx.ee[idx]} and joint_sine on {alt}.",
        )
    else:
        v2 = Draft(
            f"Alternating {verb}",
            f"Alternate the {alt} joints at {hz:.2g} Hz",
            [T("joint_sine", 2.0, group=alt, amplitude=amp, frequency_hz=hz, pattern="alternate")],
            support,
            note=f"Main term: joint_sine on {alt}, alternating.",
        )
    v3 = Draft(
        f"Whole {'Hand' if ctx.category == 'hand' else 'Arm'} {verb}",
        f"All joints {verb.lower()} in a travelling wave, rewarded for lively motion",
        [
            T(
                "joint_sine",
                1.5,
                group="all",
                amplitude=0.5 * amp,
                frequency_hz=hz,
                pattern="wave",
                sigma=0.3,
            ),
            E("clip(mean(abs(qd)), 0, 3)", 0.2),
        ],
        [T("energy", -0.0005)] + support,
        note="Main terms: joint_sine over every joint with spread phases, and a reward for joint speed.",
    )
    return [v1, v2, v3]


def manip_twist(ctx: Ctx, _intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    sign = ctx.mods.rotation or (1 if (ctx.mods.side or "left") == "left" else -1)
    amp = clamp(p.get("amp", 0.6) * ctx.mods.size, 0.1, 1.2)
    hz = clamp(0.8 * ctx.mods.speed, 0.2, 4.0)
    wrist = ctx.group("wrist", "thumb", "fingers", "all") or "all"
    base = ctx.group("base_rotation", "shoulder", "knuckles", "all") or "all"
    support = _manip_support(ctx)
    spin_group = base if base != "all" else wrist
    v1 = Draft(
        "Wrist Twist",
        f"Twist the {wrist} joints back and forth (±{amp:.2g} rad)",
        [T("joint_sine", 2.0, group=wrist, amplitude=amp, frequency_hz=hz, pattern="sync")],
        support,
        note=f"Main term: joint_sine on {wrist}.",
    )
    v2 = Draft(
        "Base Swivel",
        f"Swivel the {base} joints left and right",
        [
            T("joint_sine", 2.0, group=base, amplitude=amp, frequency_hz=hz * 0.75, pattern="sync"),
            T(
                "joint_sine",
                0.5,
                group=wrist,
                amplitude=0.5 * amp,
                frequency_hz=hz * 0.75,
                pattern="alternate",
            ),
        ],
        support,
        note=f"Main terms: joint_sine on {base} and a counter-motion of {wrist}.",
    )
    what = "Keep turning" if p.get("spin") else "Turn"
    v3 = Draft(
        "Rotation Drive",
        f"{what} the {spin_group} joints {'counter-clockwise' if sign > 0 else 'clockwise'}",
        [E(f"clip({num(sign)} * mean(qd_{spin_group}), -3, 3)", 1.0)]
        if spin_group != "all"
        else [E(f"clip({num(sign)} * mean(qd), -3, 3)", 1.0)],
        [T("energy", -0.0005)] + support,
        note="Main term: an expression over joint velocity.",
    )
    return [v1, v2, v3]


def manip_swing(ctx: Ctx, _intent: Intent, recipe: Recipe) -> list[Draft]:
    amp = clamp(recipe.params.get("amp", 0.6) * ctx.mods.size, 0.1, 1.2)
    hz = clamp(0.6 * ctx.mods.speed, 0.2, 3.0)
    base = ctx.group("base_rotation", "shoulder", "knuckles", "all") or "all"
    big, small = _manip_groups(ctx)
    support = _manip_support(ctx)
    v1 = Draft(
        "Pendulum Swing",
        f"Swing the {base} joints side to side (±{amp:.2g} rad)",
        [T("joint_sine", 2.0, group=base, amplitude=amp, frequency_hz=hz, pattern="sync")],
        support,
        note=f"Main term: joint_sine on {base}.",
    )
    if ctx.ee:
        idx = _manip_ee(ctx)
        r = clamp(_manip_scale(ctx) * 1.6 * ctx.mods.size, 0.01, 0.6)
        v2 = Draft(
            "Wide Arc",
            f"Sweep {ctx.ee[idx]} along a wide horizontal line",
            [
                T(
                    "ee_path",
                    2.0,
                    shape="line",
                    plane=_planar(ctx) or "xy",
                    radius=r,
                    frequency_hz=hz,
                    index=idx,
                    sigma=max(0.015, 0.5 * r),
                )
            ],
            support,
            note="Main term: ee_path (line), wide and slow.",
        )
    else:
        v2 = Draft(
            "Alternating Swing",
            f"Alternate the {small} joints",
            [T("joint_sine", 2.0, group=small, amplitude=amp, frequency_hz=hz, pattern="alternate")],
            support,
            note=f"Main term: joint_sine on {small}.",
        )
    v3 = Draft(
        "Whip Swing",
        f"The {big} and {small} joints swing together with a phase lag, like a whip",
        [
            T("joint_sine", 1.5, group=big, amplitude=0.7 * amp, frequency_hz=hz, pattern="wave"),
            T("joint_sine", 0.75, group=small, amplitude=0.5 * amp, frequency_hz=hz, pattern="wave"),
            E("clip(mean(abs(qd)), 0, 3)", 0.2),
        ],
        support,
        note="Main terms: joint_sine on two groups and a reward for joint speed.",
    )
    return [v1, v2, v3]


def manip_reach(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    axis, sign = p.get("axis", "x"), p.get("sign", 1)
    if ctx.mods.level == "high":
        axis, sign = "z", 1
    elif ctx.mods.level == "low":
        axis, sign = "z", -1
    elif ctx.mods.side and axis == "x":
        axis, sign = "y", (1 if ctx.mods.side == "left" else -1)
    elif ctx.mods.direction:
        axis, sign = "x", ctx.mods.direction
    support = _manip_support(ctx)
    if ctx.category == "hand" and ctx.mods.count:  # "hold up two fingers"
        return _count_gesture(ctx, intent)
    if ctx.category == "hand" and p.get("point"):
        named = [f for f in FINGERS if f in ctx.parts and ctx.group(f)]
        return hand_gesture(ctx, intent, named or ["index"], "Point")
    if not ctx.ee:
        return manip_rhythm(ctx, intent, Recipe("rhythm", {"part": "all", "amp": 0.3, "hz": 0.5}))
    idx = _manip_ee(ctx)
    ee = f"ee_pos[{idx}]"
    if axis == "far":
        coord = f"norm({ee}[0:2])"
        where = "far out from the base" if sign > 0 else "in close to the base"
    else:
        k = "xyz".index(axis)
        coord = f"ee_pos[{idx}, {k}]"
        where = {
            ("x", 1): "forward",
            ("x", -1): "backward",
            ("y", 1): "to the left",
            ("y", -1): "to the right",
            ("z", 1): "up high",
            ("z", -1): "down low",
        }[(axis, sign)]
    scale = 0.1 if ctx.category == "hand" else 1.0
    reach = E(f"clip({num(sign / scale)} * {coord}, -2, 2)", 2.0)
    # A pose prior toward the goal (solved on the compiled robot): arms with small action scales
    # cannot get far by a residual alone.
    goal = (
        {"index": idx, "axis": axis, "sign": sign, "distance": clamp(0.25 * ctx.mods.size * scale, 0.02, 0.4)}
        if axis in ("x", "y", "z")
        else None
    )
    v1 = Draft(
        f"{title_case(intent.label)} Drive",
        f"Move {ctx.ee[idx]} {where}: reward grows with the distance",
        [reach],
        support,
        note=f"Main term: an expression over {coord}.",
        reach=goal,
    )
    plane = _planar(ctx) or ("yz" if axis == "y" else "xz" if axis in ("x", "far") else "xz")
    r = clamp(_manip_scale(ctx) * ctx.mods.size, 0.01, 0.5)
    big, small = _manip_groups(ctx)
    success2 = None
    if axis == "z":
        main2 = [
            T("joint_sine", 1.0, group=big, amplitude=0.3, frequency_hz=0.4, pattern="sync"),
            E(f"clip({num(sign / scale)} * {coord}, -2, 2)", 1.0),
        ]
        note2 = f"Main terms: a slow joint_sine on {big} and the height expression."
    else:
        # The line runs from the start out to 2 r the asked way and back (centred r out), so the
        # end effector is out there on average, not swinging around where it began.
        centre = None
        if (
            ctx.spec is not None
            and axis in ("x", "y")
            and plane[0] == axis
            and idx < len(ctx.spec.default_ee_pos)
        ):
            c = [float(v) for v in ctx.spec.default_ee_pos[idx]]
            c["xyz".index(axis)] += sign * r
            centre = [round(v, 4) for v in c]
        main2 = [
            T(
                "ee_path",
                2.0,
                shape="line",
                plane=plane,
                radius=r,
                frequency_hz=0.3,
                index=idx,
                sigma=max(0.01, 0.6 * r),
                **({"center": centre} if centre else {}),
            ),
            E(f"clip({num(sign / scale)} * {coord}, -2, 2)", 0.5),
        ]
        if centre:
            success2 = (
                f"ee_extent >= {0.8 * r:.2g} and ee_d{axis} {'>=' if sign > 0 else '<='} {0.4 * sign * r:.2g}"
            )
        note2 = "Main terms: ee_path (line) out and back, and the reach expression."
    v2 = Draft(
        "Reach and Return",
        f"Reach {where} and back again in a slow rhythm",
        main2,
        support,
        note=note2,
        # up or down: held at the goal by the prior, the slow sine plays out around it (a path out and
        # back along x or y gets its prior solved from the path instead)
        reach=goal if axis == "z" else None,
        success=success2,
    )
    v3 = Draft(
        "Gentle Reach",
        f"Reach {where} smoothly, paying for energy and fast joints",
        [E(f"clip({num(sign / scale)} * {coord}, -1, 1)", 1.5), E("exp(-norm(qd))", 0.5)],
        [T("energy", -0.001)] + support,
        note="Main terms: a capped reach expression and a smoothness bonus.",
        reach=goal,
    )
    return [v1, v2, v3]


def manip_grip(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    close = bool(p.get("close", True))
    support = _manip_support(ctx)
    if p.get("cycle"):
        cycle = _grip_cycle(ctx, support)
        if cycle:
            return cycle
    if ctx.category == "hand":
        if p.get("count") or ctx.mods.count:
            return _count_gesture(ctx, intent)
        if p.get("gesture") is not None or p.get("thumb_out"):
            extended = list(p.get("gesture") or ["thumb"])
            return hand_gesture(ctx, intent, extended, title_case(intent.label))
        if close and not p.get("pinch"):  # a fist: every finger curled by its own range
            return hand_gesture(ctx, intent, [], title_case(intent.label))
        return _hand_grip(ctx, intent, p, close, support)
    gripper = ctx.group("gripper")
    if gripper:  # a parallel gripper: finger joint positions in metres
        target = 0.0 if close else 0.04
        arm = ctx.group("arm", "all") or "all"
        word = "Close" if close else "Open"
        v1 = Draft(
            f"{word} Gripper",
            f"{word} the gripper and hold the arm steady",
            [
                T("joint_pose", 2.0, group=gripper, targets=[target], sigma=0.01),
                T("joint_pose", 0.5, group=arm, offset=0.0, sigma=0.5),
            ],
            support,
            note="Main term: joint_pose on the gripper finger.",
        )
        v2 = Draft(
            f"Reach Down and {word}",
            f"Lower the gripper toward the table and {word.lower()} it",
            [
                T("joint_pose", 1.5, group=gripper, targets=[target], sigma=0.01),
                E("clip(-ee_pos[0, 2], -1, 0)", 1.0),
            ],
            support,
            note="Main terms: the gripper pose and an expression lowering the end effector.",
        )
        v3 = Draft(
            f"Gentle {word}",
            f"{word} the gripper slowly with little energy",
            [T("joint_pose", 1.5, group=gripper, targets=[target], sigma=0.02), E("exp(-norm(qd))", 0.5)],
            [T("energy", -0.001)] + support,
            note="Main terms: a wider gripper pose target and a stillness bonus.",
        )
        return [v1, v2, v3]
    ctx.note(
        f"{ctx.robot} has no gripper or fingers: '{intent.label.lower()}' becomes a reach "
        + ("down toward the table." if close else "up and out.")
    )
    return manip_reach(ctx, intent, Recipe("reach", {"axis": "z", "sign": -1 if close else 1}))


def _grip_cycle(ctx: Ctx, support: list[dict[str, Any]]) -> list[Draft]:
    """Opening and closing in a rhythm: a hand's finger flexion or a gripper's width, with a motion prior."""
    hz = clamp(0.5 * ctx.mods.speed, 0.2, 2.0)
    w = f"{2 * math.pi * hz:.4g}"
    if ctx.category == "hand":
        fingers, knuckles = ctx.group("non_thumb"), ctx.group("knuckles")
        if not fingers or not knuckles:
            return []
        flex = [1.0 if bends else 0.0 for bends in ctx.flexion(fingers)]  # spreading joints stay still
        mid, amp = 0.6, clamp(0.5 * ctx.mods.size, 0.2, 0.55)
        target = f"({mid:g} + {amp:g} * sin({w} * t))"
        prior: dict[str, Any] = {
            "parts": [
                {
                    "group": fingers,
                    "offset": mid,
                    "amplitude": amp,
                    "frequency_hz": hz,
                    "phase": 0.0,
                    "joint_scale": flex,
                }
            ],
            "residual": 0.5,
            "other_residual": 0.5,
        }
        check = f"{knuckles}_amplitude >= {0.5 * amp:.2g} and {knuckles}_frequency >= {0.5 * hz:.2g}"
        track = E(f"exp(-mean(square(q_{knuckles} - {target})) / 0.08)", 2.0)
        speed = E(f"clip(mean(abs(qd_{knuckles})), 0, 2)", 0.5)
        return [
            Draft(
                "Open-Close Rhythm",
                f"Curl and open the fingers together, {hz:.2g} times a second",
                [track],
                support,
                motion=prior,
                success=check,
                note=f"Main term: an expression tracking the knuckles through {mid:g} ± {amp:g} rad.",
            ),
            Draft(
                "Grip Pulse",
                "Pulse the fingers closed and open: reward finger speed around a half-closed hand",
                [speed, T("joint_pose", 0.5, group=knuckles, offset=mid, sigma=0.6)],
                support,
                motion=prior,
                success=check,
                note="Main terms: knuckle speed and a loose half-closed pose.",
            ),
            Draft(
                "Slow Clench",
                "Clench and release slowly, thumb relaxed",
                [
                    E(
                        f"exp(-mean(square(q_{knuckles} - ({mid:g} + {amp:g} * sin({2 * math.pi * hz * 0.6:.4g} * t))))"
                        " / 0.12)",
                        2.0,
                    )
                ],
                [T("energy", -0.0005)] + support,
                motion={**prior, "parts": [{**prior["parts"][0], "frequency_hz": round(hz * 0.6, 3)}]},
                success=f"{knuckles}_amplitude >= {0.5 * amp:.2g}",
                note="Main term: a slower tracking expression with low energy.",
            ),
        ]
    gripper = ctx.group("gripper")
    if not gripper:
        return []
    lo, hi = 0.0, 0.04  # a parallel gripper's finger travel (m), open at the default pose
    mid, amp = -(hi - lo) / 2, 0.45 * (hi - lo)
    target = f"({mid:g} + {amp:g} * sin({w} * t))"
    prior = {
        "parts": [{"group": gripper, "offset": mid, "amplitude": amp, "frequency_hz": hz}],
        "residual": 0.5,
        "other_residual": 0.5,
    }
    check = f"{gripper}_amplitude >= {0.5 * amp:.2g} and {gripper}_frequency >= {0.5 * hz:.2g}"
    arm = ctx.group("arm", "all") or "all"
    return [
        Draft(
            "Open-Close Rhythm",
            f"Open and close the gripper {hz:.2g} times a second, arm steady",
            [
                E(f"exp(-square(q_{gripper}[0] - {target}) / 0.0001)", 2.0),
                T("joint_pose", 0.5, group=arm, offset=0.0, sigma=0.5),
            ],
            support,
            motion=prior,
            success=check,
            note="Main term: an expression tracking the finger width through its travel.",
        ),
        Draft(
            "Gripper Pulse",
            "Keep the gripper fingers moving open and shut",
            [
                E(f"clip(abs(qd_{gripper}[0]) * 20, 0, 1)", 1.5),
                T("joint_pose", 0.5, group=arm, offset=0.0, sigma=0.5),
            ],
            support,
            motion=prior,
            success=check,
            note="Main term: finger speed.",
        ),
        Draft(
            "Slow Open-Close",
            "Open and close slowly with little energy",
            [
                E(
                    f"exp(-square(q_{gripper}[0] - ({mid:g} + {amp:g} * sin({2 * math.pi * hz * 0.6:.4g} * t))) / 0.0002)",
                    2.0,
                )
            ],
            [T("energy", -0.001)] + support,
            motion={**prior, "parts": [{**prior["parts"][0], "frequency_hz": round(hz * 0.6, 3)}]},
            success=f"{gripper}_amplitude >= {0.5 * amp:.2g}",
            note="Main term: a slower tracking expression.",
        ),
    ]


FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _count_gesture(ctx: Ctx, intent: Intent) -> list[Draft]:
    """One finger up per number said, in the order people count (index first, thumb last)."""
    order = [f for f in ("index", "middle", "ring", "pinky", "thumb") if ctx.group(f)]
    n = ctx.mods.count or 1
    if not ctx.mods.count:
        ctx.note("No number given: counting one finger.")
    return hand_gesture(ctx, intent, order[:n], f"Count {n}")


def _finger_pose(ctx: Ctx, group: str, curl: float) -> list[float] | None:
    """Absolute joint targets for one finger: its bending joints at ``curl`` of their range (0 straight),
    its spreading joint at the default pose. None without the compiled robot's ranges."""
    limits = ctx.joint_limits(group)
    if not limits:
        return None
    flex = ctx.flexion(group)
    out = []
    for (lo, hi, default), bends in zip(limits, flex, strict=True):
        straight = min(max(0.0, lo), hi)
        target = straight + curl * (hi - straight) if bends else min(max(default, lo), hi)
        out.append(round(target, 3))
    return out


def hand_gesture(ctx: Ctx, intent: Intent, extended: list[str], label: str) -> list[Draft]:
    """A hand shape: the named fingers straight, the others curled (point, thumbs up, peace sign, fist).

    Each finger's pose is written as joint targets, so the motion prior holds the shape from the first
    step; the check measures each finger's mean bend from the default pose.
    """
    fingers = [f for f in FINGERS if ctx.group(f)]
    support = _manip_support(ctx)
    if not fingers or ctx.spec is None:
        return _hand_grip(ctx, intent, {}, True, support)
    curled = [f for f in fingers if f not in extended]
    poses: dict[str, list[float]] = {}
    for f in fingers:
        pose = _finger_pose(ctx, f, 0.0 if f in extended else (0.45 if f == "thumb" else 0.6))
        assert pose is not None  # None only without the compiled robot (ctx.spec), handled above
        poses[f] = pose
    rel = {
        f: sum(t - d for t, (_, _, d) in zip(poses[f], ctx.joint_limits(f), strict=True)) / len(poses[f])
        for f in fingers
    }
    conditions = []
    for f in curled:
        if rel[f] > 0.1:
            conditions.append(f"{f}_offset >= {0.6 * rel[f]:.2g}")
    for f in extended:
        if f in poses:
            conditions.append(f"{f}_offset <= {rel[f] + 0.2:.2g}")  # straight: within 0.2 rad of its pose
    check = " and ".join(conditions[:6]) or None
    shown = ", ".join(extended) if extended else "none"
    terms = [
        T("joint_pose", 1.0 if f != "thumb" else 0.5, group=f, targets=poses[f], sigma=0.3) for f in fingers
    ]
    prefixes = _TIP_PREFIX.get(extended[0], ()) if extended else ()
    lead = [k for k, name in enumerate(ctx.ee) if name.lower().startswith(prefixes)] if prefixes else []
    v1 = Draft(
        f"{label} Pose",
        f"Straight: {shown}; the other fingers curled",
        terms,
        support,
        success=check,
        note="Main terms: joint_pose targets per finger (straight or curled).",
    )
    non_thumb = [f for f in fingers if f != "thumb"]
    v2_terms = [T("joint_pose", 1.5, group=f, targets=poses[f], sigma=0.2) for f in curled if f != "thumb"][
        :3
    ]
    for f in extended:
        v2_terms.append(T("joint_pose", 1.5, group=f, targets=poses[f], sigma=0.2))
    if lead:
        v2_terms.append(E(f"clip(norm(ee_pos[{lead[0]}]) * 5, 0, 1)", 0.5))
    v2 = Draft(
        f"{label} Shape",
        "Hold the shape tightly: each finger near its pose, the straight one reaching out",
        v2_terms[:5] or [T("joint_pose", 1.5, group=non_thumb[0], targets=poses[non_thumb[0]], sigma=0.2)],
        support,
        success=check,
        note="Main terms: tight joint_pose targets and the straight fingertip's reach.",
    )
    v3 = Draft(
        f"Gentle {label}",
        "Form the shape slowly and hold it still",
        [T("joint_pose", 1.5, group=f, targets=poses[f], sigma=0.4) for f in fingers][:4]
        + [E("exp(-norm(qd))", 0.3)],
        [T("energy", -0.0005)] + support,
        success=check,
        note="Main terms: loose joint_pose targets per finger and a stillness bonus.",
    )
    return [v1, v2, v3]


_TIP_PREFIX = {
    "thumb": ("th",),
    "index": ("ff", "if"),
    "middle": ("mf",),
    "ring": ("rf",),
    "pinky": ("lf", "pf"),
}


def _hand_grip(
    ctx: Ctx, intent: Intent, p: dict[str, Any], close: bool, support: list[dict[str, Any]]
) -> list[Draft]:
    fingers = ctx.group("non_thumb", "fingers", "all") or "all"
    thumb = ctx.group("thumb")
    knuckles = ctx.group("knuckles", "fingers", "all") or "all"
    index = ctx.group("index", "fingers", "all") or "all"
    th, ix = finger_index(ctx.ee, "thumb"), finger_index(ctx.ee, "index")
    offset = clamp(0.8 * ctx.mods.size, 0.3, 1.4) if close else -0.3
    word = intent.label
    if p.get("pinch") and th is not None and ix is not None:
        v1 = Draft(
            "Pinch Tips",
            "Bring the thumb tip and the index fingertip together",
            [E(f"exp(-norm(ee_pos[{th}] - ee_pos[{ix}]) / 0.02)", 2.5)],
            support,
            note="Main term: an expression over the thumb-index fingertip distance.",
        )
        v2 = Draft(
            "Pinch Pose",
            "Flex the index finger and the thumb toward each other",
            [T("joint_pose", 1.5, group=index, offset=0.7, sigma=0.35)]
            + ([T("joint_pose", 1.5, group=thumb, offset=0.7, sigma=0.35)] if thumb else []),
            support,
            note="Main terms: joint_pose on the index finger and thumb.",
        )
        v3 = Draft(
            "Gentle Pinch",
            "Close the pinch slowly, other fingers relaxed",
            [E(f"clip(1 - norm(ee_pos[{th}] - ee_pos[{ix}]) / 0.1, 0, 1)", 2.0), E("exp(-norm(qd))", 0.3)],
            [T("energy", -0.0005)] + support,
            note="Main terms: a linear closing reward on the fingertip distance and a stillness bonus.",
        )
        return [v1, v2, v3]
    if close:
        v1 = Draft(
            "Curl Fingers",
            f"{word}: flex every finger by about {offset:.2g} rad",
            [T("joint_pose", 2.0, group=fingers, offset=offset, sigma=0.4)]
            + (
                [T("joint_pose", 0.75, group=thumb, offset=0.6 * offset, sigma=0.4)]
                if thumb and not p.get("thumb_out")
                else []
            ),
            support,
            note=f"Main term: joint_pose on {fingers}.",
        )
    else:
        v1 = Draft(
            "Open Palm",
            "Extend every finger and hold it open",
            [T("joint_pose", 2.0, group=ctx.group("fingers", "all") or "all", offset=offset, sigma=0.25)],
            support,
            note="Main term: joint_pose with extended fingers.",
        )
    if th is not None and ix is not None:
        dist = f"norm(ee_pos[{th}] - ee_pos[{ix}])"
        expr = f"exp(-{dist} / 0.04)" if close else f"clip({dist} / 0.15, 0, 1)"
        v2 = Draft(
            "Fingertip Huddle" if close else "Fingertip Spread",
            "Bring the fingertips together" if close else "Spread the thumb and index fingertips apart",
            [E(expr, 2.0)],
            support,
            note="Main term: an expression over fingertip distance.",
        )
    else:
        v2 = Draft(
            "Knuckle Bend",
            "Bend the knuckles",
            [T("joint_pose", 2.0, group=knuckles, offset=offset, sigma=0.3)],
            support,
            note=f"Main term: joint_pose on {knuckles}.",
        )
    v3 = Draft(
        f"Slow {word}",
        f"{word} slowly: knuckles first, little energy",
        [T("joint_pose", 1.5, group=knuckles, offset=offset, sigma=0.3), E("exp(-norm(qd))", 0.3)],
        [T("energy", -0.0005)] + support,
        note=f"Main terms: joint_pose on {knuckles} and a stillness bonus.",
    )
    return [v1, v2, v3]


def manip_still(ctx: Ctx, _intent: Intent | None = None, _recipe: Recipe | None = None) -> list[Draft]:
    support = _manip_support(ctx)
    big, small = _manip_groups(ctx)
    v1 = Draft(
        "Hold Pose",
        "Hold the default pose steadily",
        [T("joint_pose", 2.0, group="all", offset=0.0, sigma=0.2)],
        support,
        note="Main term: joint_pose on every joint at the default pose.",
    )
    v2 = Draft(
        "Stillness",
        "Keep every joint still, paying for energy",
        [E("exp(-norm(qd))", 2.0)],
        [T("energy", -0.001)] + support,
        note="Main term: an expression rewarding low joint speed.",
    )
    v3 = Draft(
        "Soft Hold",
        f"Hold {big} and {small} near the default pose with a wide tolerance",
        [
            T("joint_pose", 1.5, group=big, offset=0.0, sigma=0.4),
            T("joint_pose", 0.5, group=small, offset=0.0, sigma=0.4),
        ],
        [T("action_rate", -0.05)],
        note=f"Main terms: joint_pose on {big} and {small}.",
    )
    return [v1, v2, v3]


def manip_default(ctx: Ctx) -> list[Draft]:
    support = _manip_support(ctx)
    big, small = _manip_groups(ctx)
    v1 = Draft(
        "Hold Pose",
        "A steady default pose",
        [T("joint_pose", 2.0, group="all", offset=0.0, sigma=0.25)],
        support,
        note="Main term: joint_pose at the default pose.",
    )
    if ctx.ee:
        idx = _manip_ee(ctx)
        r = 0.5 * _manip_scale(ctx)
        v2 = Draft(
            "Gentle Circle",
            f"A small, slow circle with {ctx.ee[idx]}",
            [
                T(
                    "ee_path",
                    1.5,
                    shape="circle",
                    plane=_planar(ctx) or "yz",
                    radius=r,
                    frequency_hz=0.25,
                    index=idx,
                    sigma=max(0.01, r),
                )
            ],
            support,
            note="Main term: a small, slow ee_path circle.",
        )
    else:
        v2 = Draft(
            "Gentle Sway",
            f"Sway the {big} joints slowly",
            [T("joint_sine", 1.5, group=big, amplitude=0.15, frequency_hz=0.4, pattern="sync")],
            support,
            note=f"Main term: a slow joint_sine on {big}.",
        )
    v3 = Draft(
        "Slow Wave",
        "All joints move in a slow, small wave",
        [T("joint_sine", 1.5, group="all", amplitude=0.15, frequency_hz=0.5, pattern="wave")],
        support,
        note="Main term: a gentle joint_sine over every joint.",
    )
    return [v1, v2, v3]
