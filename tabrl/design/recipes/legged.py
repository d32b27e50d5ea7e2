"""Legged body recipes: rhythms (shake, dance), stomping, postures (sit, rear up), limbs (wave, kick).

Quadrupeds and humanoids; locomotion, turning and jumping are in
:mod:`tabrl.design.recipes.locomotion`. A humanoid's arm moves (wave, point) use its hands.
"""

from __future__ import annotations

from typing import Any

from tabrl.design.body_words import lacks_arms, substitute_part
from tabrl.design.drafting import (
    PART_LABEL,
    RATE,
    Ctx,
    Draft,
    E,
    T,
    clamp,
    gerund,
    index_of,
    num,
    place_of,
    tidy,
    title_case,
)
from tabrl.design.recipes.hand_poses import humanoid_arm
from tabrl.design.vocabulary import Intent, Recipe
from tabrl.rewards.limits import MAX_SUMMARY_CHARS


def legged_support(
    *,
    upright: float = 1.0,
    height: float | None = 1.0,
    height_w: float = 0.3,
    stay: float = 0.5,
    rate: float = RATE,
) -> list[dict[str, Any]]:
    terms = [T("upright", upright)] if upright else []
    if height is not None and height_w:
        terms.append(T("base_height", height_w, ratio=height, sigma=0.1))
    if stay:
        terms.append(T("stay_in_place", stay, radius=0.3))
    terms.append(T("action_rate", rate))
    return terms


def part_group(ctx: Ctx, part: str) -> str | None:
    quad = ctx.category == "quadruped"
    side = ctx.mods.side
    table: dict[str, tuple[str | None, ...]] = {
        "hips": ("hip_abduction",) if quad else ("hip_roll", "hip", "legs"),
        "rear": ("rear_legs", "hip") if quad else ("hip", "legs"),
        "head": ("head",) if not quad else (),
        "body": (),
        "all": ("all",),
        "leg": (f"{side}_legs" if side and quad else None, f"{side}_leg" if side else None, "hip", "legs"),
        "paw": ("front_legs",),
        "knee": ("knee",),
        "arm": (f"{side}_arm" if side else None, "arms"),
        "hand": (f"{side}_arm" if side else None, "arms"),
        "fingers": ("arms",),
        "wrist": ("arms",),
        "elbow": ("elbows", "arms"),
        "shoulder": ("shoulders", "arms"),
    }
    return ctx.group(*table.get(part, ()))


_BASE_AMP = {"height": 0.04, "roll": 0.15, "pitch": 0.12, "yaw": 0.25}


def legged_rhythm(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    part = next(
        (q for q in ctx.parts if q in ("hips", "rear", "head", "body", "all", "leg", "knee", "arm", "hand")),
        p.get("part", "hips"),
    )
    if part == "head" or lacks_arms(ctx):  # the recipe's own part ("nod" is the head's) against the body
        part = substitute_part(ctx, part)
    amp = clamp(p.get("amp", 0.3) * ctx.mods.size, 0.05, 0.8)
    hz = clamp(p.get("hz", 1.5) * ctx.mods.speed, 0.4, 5.0)
    axis = p.get("axis", "roll")
    if ctx.mods.axis == "vertical":
        axis = "height"
    elif ctx.mods.axis in ("lateral", "horizontal"):
        axis = "roll" if axis == "height" else axis
    base_amp = _BASE_AMP[axis] * ctx.mods.size
    trunk = trunk_group(ctx, axis) if part == "body" and ctx.biped else None
    if trunk:
        return trunk_rhythm(ctx, intent, trunk, axis, amp, hz)
    group = part_group(ctx, part)
    label = PART_LABEL.get(part, part.title())
    verb = title_case(intent.label)
    stay = [T("stay_in_place", 1.0, radius=0.2)]  # shaking in place tends to slide the feet
    planted = [T("foot_contact_pattern", 0.3, pattern="stand", frequency_hz=1.0)] if ctx.feet else []
    if p.get("dance"):
        hips = ctx.group(*(part_group(ctx, "hips"),)) or "all"
        # A body with arms dances with them too (G1's and T1's hips-only groove moved the arms 0.03 rad): they
        # swing in turn at the beat, beside the hips.
        arms = ctx.group("arms") if ctx.biped and not lacks_arms(ctx) else None
        swing = (
            [
                T(
                    "joint_sine",
                    1.5,
                    group=arms,
                    amplitude=0.35 * ctx.mods.size,
                    frequency_hz=hz,
                    pattern="alternate",
                )
            ]
            if arms and arms != hips
            else []
        )
        v1 = Draft(
            "Dance Groove",
            f"Hips swinging at {hz:.2g} Hz{', arms swinging in turn,' if swing else ''} while the body bobs to the beat",
            [
                T("joint_sine", 2.0, group=hips, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.2),
                *swing,
                T("base_oscillation", 0.75, axis="height", amplitude=0.03 * ctx.mods.size, frequency_hz=hz),
            ],
            [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
            note=f"Main terms: joint_sine on {hips}{f' and on {arms}' if swing else ''} plus a small height bob at "
            "the same tempo.",
        )
        v2 = Draft(
            "Dance Rhythm",
            "Rhythmic full-body movement: body rocking side to side, feet stepping in place",
            [T("base_oscillation", 1.5, axis="roll", amplitude=0.12 * ctx.mods.size, frequency_hz=hz / 2)]
            + (
                [T("foot_contact_pattern", 0.75, pattern="walk" if ctx.biped else "trot", frequency_hz=hz)]
                if ctx.feet
                else []
            ),
            [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
            note="Main terms: base_oscillation (roll) and a stepping foot-contact rhythm.",
        )
        v3 = Draft(
            "Full Body Wave",
            "Coordinate all joints in a travelling wave",
            [
                T(
                    "joint_sine",
                    1.5,
                    group="all",
                    amplitude=0.6 * amp,
                    frequency_hz=hz,
                    pattern="wave",
                    sigma=0.25,
                ),
                E("clip(mean(abs(qd)), 0, 3)", 0.2),
            ],
            [T("upright", 1.0), T("base_height", 0.3, ratio=1.0, sigma=0.1)]
            + stay
            + [T("action_rate", RATE)],
            note="Main terms: joint_sine over every joint with spread phases, and a reward for moving.",
        )
        return [v1, v2, v3]
    if group:
        main1 = [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.2)]
        note1 = f"Main term: joint_sine on {group}, ±{amp:.2g} rad at {hz:.2g} Hz."
    else:
        main1 = [T("base_oscillation", 2.0, axis=axis, amplitude=base_amp, frequency_hz=hz)]
        note1 = f"Main term: base_oscillation ({axis}), ±{base_amp:.2g} at {hz:.2g} Hz."
    focus = (
        f"Focus on {label.lower()} {'joint ' if group else ''}{gerund(verb)}"
        if label != "Full Body"
        else (f"Whole-body {gerund(verb)}")
    )
    v1 = Draft(
        f"{label} Oscillator" if label != "Full Body" else f"{verb} Oscillator",
        focus[:MAX_SUMMARY_CHARS],
        main1,
        [T("upright", 1.0), T("base_height", 0.3, ratio=1.0, sigma=0.1)] + stay + [T("action_rate", RATE)],
        note=note1,
    )
    main2 = [T("base_oscillation", 1.5, axis=axis, amplitude=base_amp, frequency_hz=hz)]
    if group:
        main2.append(
            T(
                "joint_sine",
                0.75,
                group=group,
                amplitude=0.8 * amp,
                frequency_hz=hz,
                pattern="alternate",
                sigma=0.25,
            )
        )
    v2 = Draft(
        f"{verb} Rhythm",
        f"Rhythmic body movement: the base {_AXIS_WORD[axis]} at {hz:.2g} Hz, feet planted",
        main2 + planted,
        [T("upright", 0.5)] + stay + [T("action_rate", RATE)],
        note=f"Main term: base_oscillation on {axis}, with the feet kept on the ground.",
    )
    other = ctx.group("legs", "hip", "all") if ctx.biped else "all"
    main3 = [
        T("joint_sine", 1.5, group=other, amplitude=0.6 * amp, frequency_hz=hz, pattern="wave", sigma=0.25)
    ]
    if group and group != other:
        main3.append(
            T("joint_sine", 0.75, group=group, amplitude=amp, frequency_hz=hz, pattern="wave", sigma=0.25)
        )
    motion = f"qd_{group}" if group else "qd"
    main3.append(E(f"clip(mean(abs({motion})), 0, 3)", 0.2))
    v3 = Draft(
        f"Full Body {verb}" if label != "Full Body" else f"{verb} Wave",
        f"Coordinate {'all' if other == 'all' else 'the leg'} joints in a wave while {gerund(verb)}",
        main3,
        [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
        note=f"Main terms: joint_sine with spread phases over '{other}', plus a reward for joint speed.",
    )
    return [v1, v2, v3]


def trunk_group(ctx: Ctx, axis: str) -> str | None:
    """The joints that turn a standing biped's upper body about ``axis``: its waist's (``waist_yaw``,
    ``waist_roll``, ``waist_pitch``: the profile's waist joints by the axis each turns about), else, for a
    twist, both hips turning together under a still pelvis-and-torso (``hip_yaw``)."""
    return ctx.group(f"waist_{axis}", "hip_yaw" if axis == "yaw" else None)


def trunk_rhythm(ctx: Ctx, intent: Intent, group: str, axis: str, amp: float, hz: float) -> list[Draft]:
    """Twist, rock or sway the upper body of a standing biped: a sine on the joints that turn it about
    ``axis`` (``trunk_group``), the feet planted; the arms swing with it in the third approach."""
    verb = title_case(intent.label)
    doing = {"yaw": "twisting left and right", "roll": "leaning side to side", "pitch": "bending to and fro"}[
        axis
    ]
    amp = clamp(amp, 0.1, 0.5)
    support = [
        T("upright", 1.0),
        T("base_height", 0.3, ratio=1.0, sigma=0.1),
        T("stay_in_place", 1.0, radius=0.2),
        T("action_rate", RATE),
    ]
    planted = [T("foot_contact_pattern", 0.3, pattern="stand", frequency_hz=1.0)] if ctx.feet else []
    sine = T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.2)
    arms = ctx.group("shoulders") if not lacks_arms(ctx) else None
    swing = (
        [T("joint_sine", 0.75, group=arms, amplitude=0.6 * amp, frequency_hz=hz, pattern="alternate")]
        if arms
        else []
    )
    where = "waist" if group.startswith("waist") else "hips"
    return [
        Draft(
            f"Torso {verb}",
            f"The upper body {doing} at {hz:.2g} Hz from the {where}, the legs holding the stance"[
                :MAX_SUMMARY_CHARS
            ],
            [sine],
            support,
            note=f"Main term: joint_sine on {group}, ±{amp:.2g} rad at {hz:.2g} Hz.",
        ),
        Draft(
            f"Planted {verb}",
            f"The upper body {doing} slowly and wide, both feet flat on the floor"[:MAX_SUMMARY_CHARS],
            [
                T(
                    "joint_sine",
                    2.0,
                    group=group,
                    amplitude=clamp(1.3 * amp, 0.1, 0.6),
                    frequency_hz=round(0.75 * hz, 3),
                    pattern="sync",
                    sigma=0.25,
                ),
                *planted,
            ],
            support,
            note=f"Main terms: a wider, slower joint_sine on {group}, with the feet kept on the ground.",
        ),
        Draft(
            f"{verb} with Arms" if swing else f"Steady {verb}",
            (f"The upper body {doing}, the arms swinging with it" if swing else f"The upper body {doing}")[
                :MAX_SUMMARY_CHARS
            ],
            [sine, *swing],
            support,
            note=f"Main terms: joint_sine on {group}" + (f" and on {arms}, in turn." if swing else "."),
        ),
    ]


_AXIS_WORD = {
    "height": "bobbing up and down",
    "roll": "rocking side to side",
    "pitch": "rocking nose up and down",
    "yaw": "twisting left and right",
}


def legged_stomp(ctx: Ctx, _intent: Intent, recipe: Recipe) -> list[Draft]:
    hz = clamp(recipe.params.get("hz", 1.5) * ctx.mods.speed, 0.8, 4.0)
    gait = "walk" if ctx.biped else "trot"
    stay = [T("stay_in_place", 1.0, radius=0.3)]
    v1 = Draft(
        "Stomp in Place",
        f"Lift and plant the feet in a {gait} rhythm at {hz:.2g} Hz without travelling",
        [
            T("foot_contact_pattern", 1.5, pattern=gait, frequency_hz=hz),
            E("clip(mean(feet_height) * 10, 0, 1)", 0.5),
        ],
        [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
        note="Main terms: foot-contact timing and a reward for foot height.",
    )
    knee = ctx.group("knee", "legs", "all") or "all"
    v2 = Draft(
        "Knee Pump",
        f"Pump the knees alternately at {hz:.2g} Hz",
        [
            T(
                "joint_sine",
                1.5,
                group=knee,
                amplitude=0.3 * ctx.mods.size,
                frequency_hz=hz,
                pattern="alternate",
            )
        ],
        [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
        note=f"Main term: joint_sine on {knee}, alternating.",
    )
    v3 = Draft(
        "Step Beat",
        "Step to a slower walking beat while the body bobs",
        [
            T("foot_contact_pattern", 1.0, pattern="walk", frequency_hz=hz * 0.75),
            T("base_oscillation", 0.5, axis="height", amplitude=0.02, frequency_hz=hz * 0.75),
        ],
        [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
        note="Main terms: a four-beat foot-contact pattern and a small height bob.",
    )
    return [v1, v2, v3]


def legged_posture(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = dict(recipe.params)
    pose = p.get("pose", intent.label.lower())
    ratio, roll, pitch = p.get("height", 1.0), p.get("roll", 0.0), p.get("pitch", 0.0)
    risky = bool(p.get("risky"))
    quad = ctx.category == "quadruped"
    if not quad:  # humanoids: pitch poses become bends, sitting is a deep squat
        if intent.key == "sit":
            ratio, pitch = 0.65, 0.0
        elif intent.key in ("rear_up", "handstand"):
            ratio, pitch = 1.0, (-0.15 if intent.key == "rear_up" else 0.5)
            ctx.note(
                f"A humanoid cannot {pose} like a quadruped; aiming at a {'slight lean back' if pitch < 0 else 'forward bend'}."
            )
        elif intent.key in ("bow", "stretch"):
            ratio, pitch = 0.95, 0.45
    if p.get("sided"):
        if ctx.mods.direction:
            roll, pitch = 0.0, 0.25 * ctx.mods.direction
        else:
            roll = abs(roll) * (1 if ctx.side("right", "leaning to the right") == "right" else -1)
    if ctx.mods.level == "low" and ratio <= 1.0:
        ratio *= 0.9
    elif ctx.mods.level == "high" and intent.key in ("stand_up", "stand_tall", "balance", "stay_still"):
        ratio = max(ratio, 1.05)
    floor = ctx.profile.fall_height_ratio + 0.07
    if ratio < floor:
        ctx.note(
            f"{ctx.robot} counts a base below {ctx.profile.fall_height_ratio:.0%} of its standing height as a fall, "
            f"so '{pose}' aims at {floor:.0%}."
        )
        ratio = floor
    ratio = tidy(ratio)
    tilted = abs(roll) > 0.15 or abs(pitch) > 0.15
    lowered = ratio < 0.95
    title = title_case(intent.label) if intent.key != "stay_still" else "Still"
    alive = [T("alive", 0.5)] if risky else []
    posture_w = 2.0 if tilted else 1.0
    up = [] if tilted else [T("upright", 0.5)]
    angles = ", ".join(f"{n} {v:+.2g} rad" for n, v in (("roll", roll), ("pitch", pitch)) if abs(v) > 0.05)
    v1 = Draft(
        f"{title} Hold",
        f"Hold the {pose} pose: base at {ratio:.0%} of standing height" + (f", {angles}" if angles else ""),
        [
            T("base_height", 2.0, ratio=ratio, sigma=0.08),
            T("base_orientation", posture_w, roll=roll, pitch=pitch, sigma=0.25),
        ],
        up + [T("stay_in_place", 0.5, radius=0.3)] + alive + [T("action_rate", RATE)],
        note="Main terms: base_height and base_orientation kernels around the target pose.",
    )
    main2: list[dict[str, Any]] = []
    if ratio < 0.97:
        main2.append(E(f"clip((1 - base_height / standing_height) / {num(1 - ratio)}, -1, 1)", 2.0))
    elif ratio > 1.03:
        main2.append(E(f"clip((base_height / standing_height - 1) / {num(ratio - 1)}, -1, 1)", 2.0))
    else:
        main2.append(E("1 - clip(abs(base_height / standing_height - 1) * 5, 0, 1)", 1.5))
    if abs(pitch) > 0.05:
        main2.append(E(f"clip(pitch / {num(pitch)}, -1, 1)", 1.5))
    if abs(roll) > 0.05:
        main2.append(E(f"clip(roll / {num(roll)}, -1, 1)", 1.5))
    if p.get("still"):
        main2.append(E("exp(-norm(qd))", 1.0))
    v2 = Draft(
        f"{title} Progress",
        "Linear progress toward the pose (lower, tilt) so every bit of motion counts"
        if (lowered or tilted)
        else "Reward staying at standing height with still joints",
        main2,
        up
        + [
            T("base_height", 0.5, ratio=ratio, sigma=0.15),
            T("joint_limits", -0.1),
            T("stay_in_place", 0.5, radius=0.3),
        ]
        + alive
        + [T("action_rate", RATE)],
        note="Main terms: clipped linear expressions over base_height / standing_height"
        + (" and the base angles." if tilted else "."),
    )
    main3 = [T("base_height", 1.5, ratio=ratio, sigma=0.12)]
    if ctx.feet and quad and intent.key in ("rear_up", "handstand"):
        front = intent.key == "rear_up"
        idx = [i for i, n in enumerate(ctx.feet) if place_of(n)[0] == front]
        if idx:
            lift = " + ".join(f"feet_height[{i}]" for i in idx)
            main3.append(E(f"clip(({lift}) * {num(5 / len(idx))}, 0, 1)", 1.5))
    elif ctx.feet:
        main3.append(E("mean(feet_contact)", 0.5))
    main3.append(T("base_orientation", posture_w, roll=roll, pitch=pitch, sigma=0.35))
    v3 = Draft(
        f"{title} Settle",
        f"Ease into the {pose} pose and settle: wide height target, feet "
        + ("lifted" if intent.key in ("rear_up", "handstand") and quad else "planted")
        + ", low energy",
        main3,
        [T("stay_in_place", 0.5, radius=0.3), T("energy", -0.002)] + alive + [T("action_rate", 2 * RATE)],
        note="Main terms: a wide base_height target, foot contacts and an energy penalty for stillness.",
    )
    return [v1, v2, v3]


def legged_limb(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    limb = p.get("limb", "arm_or_front")
    amp = clamp(p.get("amp", 0.4) * ctx.mods.size, 0.1, 1.0)
    hz = clamp(p.get("hz", 1.0) * ctx.mods.speed, 0.3, 4.0)
    hold = bool(p.get("hold"))
    verb = title_case(intent.label)
    if ctx.biped and lacks_arms(ctx) and limb == "arm_or_front" and "leg" not in ctx.parts:
        substitute_part(
            ctx, "arm"
        )  # an arm gesture on a body without arms: the body sways (said on the card)
        return legged_rhythm(
            ctx, intent, Recipe("rhythm", {"part": "body", "amp": amp, "hz": hz, "axis": "roll"})
        )
    if (
        ctx.biped
        and ctx.ee
        and (limb == "arm_or_front" or {"arm", "hand"} & set(ctx.parts))
        and "leg" not in ctx.parts
    ):
        both = ctx.mods.both or bool(p.get("both"))
        return humanoid_arm(ctx, intent, amp, hz, both=both, meet=bool(p.get("meet")))
    if ctx.biped:
        side = ctx.side("right", "using the right leg")
        group = ctx.group(f"{side}_leg", "legs", "hip") or "all"
        foot = index_of(ctx.feet, None, side == "left")
        noun = f"{side.title()} Leg"
    else:
        position = ctx.mods.position or ("rear" if limb in ("leg_or_rear", "rear") else "front")
        if not ctx.mods.side:
            ctx.note(f"No side given: using the {position} right leg.")
        side = ctx.mods.side or "right"
        group = ctx.group(f"{position}_{side}_leg", f"{position}_legs", "all") or "all"
        foot = index_of(ctx.feet, position == "front", side == "left")
        noun = "Paw" if position == "front" else "Hind Leg"
    lift_h = 0.1 if ctx.category == "quadruped" else 0.15
    v1 = Draft(
        f"{noun} {verb}",
        f"Swing the {noun.lower()} ({group}) at {hz:.2g} Hz while the body stays steady",
        [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.25)],
        legged_support(height=1.0, height_w=0.5),
        note=f"Main term: joint_sine on {group}.",
    )
    if foot is not None:
        lift = E(f"clip(feet_height[{foot}] / {num(lift_h)}, 0, 1)", 2.0)
        v2 = Draft(
            f"Raised {noun}",
            f"Lift the {noun.lower()} about {lift_h:.2g} m off the ground and keep balance",
            [lift],
            [
                T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.3),
                T("stay_in_place", 0.5, radius=0.3),
                T("alive", 0.3),
                T("action_rate", RATE),
            ],
            note=f"Main term: an expression over feet_height[{foot}] ({ctx.feet[foot].split('@')[0]}).",
        )
    else:
        v2 = Draft(
            f"Alternating {noun}",
            f"Alternate the {noun.lower()} joints at {hz:.2g} Hz",
            [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="alternate")],
            [
                T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.3),
                T("stay_in_place", 0.5, radius=0.3),
                T("action_rate", RATE),
            ],
            note=f"Main term: joint_sine on {group}, alternating.",
        )
    main3 = [
        T(
            "joint_sine",
            1.5,
            group=group,
            amplitude=0.8 * amp,
            frequency_hz=hz * (0.5 if hold else 1.0),
            pattern="wave",
            sigma=0.3,
        )
    ]
    if foot is not None:
        main3.append(E(f"clip(feet_height[{foot}] / {num(lift_h)}, 0, 1)", 1.0))
    v3 = Draft(
        f"{noun} Circles",
        f"Move the {noun.lower()} joints in a rolling wave so the {noun.lower()} circles",
        main3,
        [T("upright", 0.5), T("stay_in_place", 0.5, radius=0.3), T("action_rate", RATE)],
        note=f"Main term: joint_sine on {group} with spread phases.",
    )
    return [v1, v2, v3]


def legged_default(ctx: Ctx) -> list[Draft]:
    # Words not understood but a body part named ("shrug your shoulders" before 'shrug' was a word): the
    # gentle rhythm goes on that part, never on the hips.
    named = next((g for g in (part_group(ctx, q) for q in ctx.parts) if g and g != "all"), None)
    hips = named or part_group(ctx, "hips") or "all"
    v1 = Draft(
        "Stand Tall",
        "A stable, tall stance with level body",
        [
            T("base_height", 2.0, ratio=1.0, sigma=0.08),
            T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.25),
        ],
        [T("upright", 0.5), T("stay_in_place", 0.5, radius=0.3), T("action_rate", RATE)],
        note="Main terms: base_height and base_orientation at the standing pose.",
    )
    v2 = Draft(
        "Gentle Sway",
        "Stand and sway the body gently from side to side",
        [T("base_oscillation", 1.5, axis="roll", amplitude=0.08, frequency_hz=0.5)],
        [T("upright", 1.0), T("stay_in_place", 0.5, radius=0.3), T("action_rate", RATE)],
        note="Main term: a slow, small base_oscillation (roll).",
    )
    v3 = Draft(
        "Easy Rhythm",
        f"Stand and move the {hips} joints in a slow, small rhythm",
        [T("joint_sine", 1.5, group=hips, amplitude=0.1, frequency_hz=0.8, pattern="sync")],
        [
            T("upright", 1.0),
            T("base_height", 0.5, ratio=1.0, sigma=0.1),
            T("stay_in_place", 0.5, radius=0.3),
            T("action_rate", RATE),
        ],
        note=f"Main term: a gentle joint_sine on {hips}.",
    )
    return [v1, v2, v3]
