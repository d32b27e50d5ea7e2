"""Hand and gripper recipes: open/close cycles, grips, finger gestures (point, count, thumbs up).

Fingertips move centimetres: sizes come from each finger's own joint ranges.
"""

from __future__ import annotations

import math
from typing import Any

from tabrl.design.drafting import (
    Ctx,
    Draft,
    E,
    T,
    clamp,
    finger_index,
)
from tabrl.design.recipes.manip_common import manip_support
from tabrl.design.vocabulary import Intent


def grip_cycle(ctx: Ctx, support: list[dict[str, Any]]) -> list[Draft]:
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


def count_gesture(ctx: Ctx, intent: Intent) -> list[Draft]:
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
    support = manip_support(ctx)
    if not fingers or ctx.spec is None:
        return hand_grip(ctx, intent, {}, True, support)
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


def hand_grip(
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
