"""Arm and hand recipes: paths, rhythms, twists, swings, reaches, grips and holds.

Also used by humanoids for hand paths and reaches, and by classic robots with an end effector.
Sizes follow the robot: fingertips move centimetres, arms decimetres.
"""

from __future__ import annotations

from tabrl.design.drafting import (
    PART_LABEL,
    Ctx,
    Draft,
    E,
    T,
    clamp,
    num,
    title_case,
)
from tabrl.design.recipes.hand_poses import raised_waves, waving_hands
from tabrl.design.recipes.hands import FINGERS, count_gesture, grip_cycle, hand_gesture, hand_grip
from tabrl.design.recipes.manip_common import manip_ee, manip_groups, manip_scale, manip_support, planar_axis
from tabrl.design.vocabulary import Intent, Recipe

__all__ = [
    "manip_default",
    "manip_grip",
    "manip_path",
    "manip_reach",
    "manip_rhythm",
    "manip_still",
    "manip_swing",
    "manip_twist",
]


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
    idx = manip_ee(ctx)
    r = clamp(manip_scale(ctx) * ctx.mods.size, 0.01, 0.6)
    hz = clamp(p.get("hz", 0.5) * ctx.mods.speed, 0.1, 3.0)
    planar = planar_axis(ctx)
    if planar:
        plane1 = plane2 = planar
    elif ctx.mods.axis == "horizontal" or p.get("plane") == "xy":
        plane1, plane2 = "xy", "xy"
    else:
        plane1 = p.get("plane", "yz")
        plane2 = "xz" if plane1 != "xz" else "yz"
    big, small = manip_groups(ctx)
    name = {"circle": "Circle", "figure8": "Figure Eight", "line": "Line"}[shape]
    if p.get("wave"):
        name = "Wave"
    support = manip_support(ctx)
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
    waves = raised_waves(ctx, waving_hands(ctx, idx), hz, support) if p.get("wave") and ctx.biped else None
    if waves is not None:  # a humanoid waves with the hand raised, not at its hip
        return [waves[0], v2, waves[1]]
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
    support = manip_support(ctx)
    v1 = Draft(
        f"{label} {verb}",
        f"{verb} the {group} joints: ±{amp:.2g} rad at {hz:.2g} Hz",
        [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern=pattern, sigma=0.25)],
        support,
        note=f"Main term: joint_sine on {group}.",
    )
    big, small = manip_groups(ctx)
    alt = next((g for g in (small, big, "all") if g != group), "all")
    if ctx.ee:
        idx = manip_ee(ctx)
        r = clamp(manip_scale(ctx) * 0.6 * ctx.mods.size, 0.01, 0.5)
        main2 = [
            T(
                "ee_path",
                1.5,
                shape="line",
                plane=planar_axis(ctx) or "yz",
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
    support = manip_support(ctx)
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
    big, small = manip_groups(ctx)
    support = manip_support(ctx)
    v1 = Draft(
        "Pendulum Swing",
        f"Swing the {base} joints side to side (±{amp:.2g} rad)",
        [T("joint_sine", 2.0, group=base, amplitude=amp, frequency_hz=hz, pattern="sync")],
        support,
        note=f"Main term: joint_sine on {base}.",
    )
    if ctx.ee:
        idx = manip_ee(ctx)
        r = clamp(manip_scale(ctx) * 1.6 * ctx.mods.size, 0.01, 0.6)
        v2 = Draft(
            "Wide Arc",
            f"Sweep {ctx.ee[idx]} along a wide horizontal line",
            [
                T(
                    "ee_path",
                    2.0,
                    shape="line",
                    plane=planar_axis(ctx) or "xy",
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
    support = manip_support(ctx)
    if ctx.category == "hand" and ctx.mods.count:  # "hold up two fingers"
        return count_gesture(ctx, intent)
    if ctx.category == "hand" and p.get("point"):
        named = [f for f in FINGERS if f in ctx.parts and ctx.group(f)]
        return hand_gesture(ctx, intent, named or ["index"], "Point")
    if not ctx.ee:
        return manip_rhythm(ctx, intent, Recipe("rhythm", {"part": "all", "amp": 0.3, "hz": 0.5}))
    idx = manip_ee(ctx)
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
        {
            "index": idx,
            "axis": axis,
            "sign": sign,
            "distance": clamp(0.25 * ctx.mods.size * scale, 0.02, 0.4),
            # "both arms": each end effector reaches, its own arm posed (a humanoid's two hands)
            "both": ctx.mods.both and ctx.biped and len(ctx.ee) >= 2,
        }
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
    plane = planar_axis(ctx) or ("yz" if axis == "y" else "xz" if axis in ("x", "far") else "xz")
    r = clamp(manip_scale(ctx) * ctx.mods.size, 0.01, 0.5)
    big, small = manip_groups(ctx)
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
    support = manip_support(ctx)
    if p.get("cycle"):
        cycle = grip_cycle(ctx, support)
        if cycle:
            return cycle
    if ctx.category == "hand":
        if p.get("count") or ctx.mods.count:
            return count_gesture(ctx, intent)
        if p.get("gesture") is not None or p.get("thumb_out"):
            extended = list(p.get("gesture") or ["thumb"])
            return hand_gesture(ctx, intent, extended, title_case(intent.label))
        if close and not p.get("pinch"):  # a fist: every finger curled by its own range
            return hand_gesture(ctx, intent, [], title_case(intent.label))
        return hand_grip(ctx, intent, p, close, support)
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


def manip_still(ctx: Ctx, _intent: Intent | None = None, _recipe: Recipe | None = None) -> list[Draft]:
    support = manip_support(ctx)
    big, small = manip_groups(ctx)
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
    support = manip_support(ctx)
    big, small = manip_groups(ctx)
    v1 = Draft(
        "Hold Pose",
        "A steady default pose",
        [T("joint_pose", 2.0, group="all", offset=0.0, sigma=0.25)],
        support,
        note="Main term: joint_pose at the default pose.",
    )
    if ctx.ee:
        idx = manip_ee(ctx)
        r = 0.5 * manip_scale(ctx)
        v2 = Draft(
            "Gentle Circle",
            f"A small, slow circle with {ctx.ee[idx]}",
            [
                T(
                    "ee_path",
                    1.5,
                    shape="circle",
                    plane=planar_axis(ctx) or "yz",
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
