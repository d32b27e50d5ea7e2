"""Success checks that follow from a program's own terms and motion prior (what the designer writes
under an approach when nobody wrote one): the amplitude, frequency or displacement the terms ask for,
and that the robot did not fall doing it."""

from __future__ import annotations

from typing import Any

import numpy as np

from tabrl.rewards.checks import Condition
from tabrl.rewards.motion import Motion
from tabrl.rewards.prior_parts import group_joints, term_params

# A speed or turn shows when the rollout reaches this share of the term's target (the bounds'
# upper side is set from the same share: outcome_checks.speed_bounds).
SPEED_SHARE = 0.5
TURN_SHARE = 0.4
FOOT_AIR = 0.05  # every foot in the air at least this share of the time: it steps


def _cond(subject: str, op: str, value: float) -> dict[str, Any]:
    return {"metric": subject, "op": op, "value": float(f"{value:.3g}")}


def success_from_terms(
    terms: list[Any], spec: Any, motion: Motion | None = None, *, mobile: bool | None = None
) -> list[Condition]:
    """A success check for the behavior the main terms describe, plus no falls / staying in place.
    ``mobile``: the base moves (a free base, or a planar walker's root joints); default: a free base."""
    mobile = spec.floating_base if mobile is None else mobile
    ranked = sorted(
        (t for t in terms if float(getattr(t, "weight", 1.0)) > 0),
        key=lambda t: -abs(float(getattr(t, "weight", 1.0))),
    )
    main: list[dict[str, Any]] = []
    kinds: set[str] = set()
    for t in ranked:
        if len(main) >= 2:
            break
        p = term_params(t)
        got = _term_conditions(t.term, p, spec, mobile)
        if got and t.term not in kinds:
            kinds.add(t.term)
            main.extend(got)
    if not main and motion is not None:  # the prior's first rhythm still says what should be seen
        part = next((q for q in motion.parts if q.amplitude > 0 and q.group), None)
        if part is not None:
            main.append(_cond(f"{part.group}_amplitude", ">=", 0.5 * part.amplitude))
    if not main:
        return []
    extra: list[dict[str, Any]] = []
    names = {getattr(t, "term", "") for t in terms}
    if mobile:
        extra.append(_cond("falls", "<", 1))
    stay = next((t for t in terms if t.term == "stay_in_place"), None)
    if stay is not None and mobile:
        extra.append(_cond("drift", "<=", max(0.5, 2.0 * float(term_params(stay).radius))))
    if "upright" in names and mobile and "base_orientation" not in kinds:
        extra.append(_cond("upright", ">=", 0.8))
    first: dict[str, dict[str, Any]] = {}  # the first condition on each metric
    for c in main + extra:
        first.setdefault(c["metric"], c)
    return [Condition.model_validate(c) for c in list(first.values())[:6]]


def _term_conditions(term: str, p: Any, spec: Any, mobile: bool) -> list[dict[str, Any]]:
    if term == "joint_sine" and p.group in spec.groups:
        return [_cond(f"{p.group}_amplitude", ">=", 0.5 * p.amplitude)]
    if term == "joint_pose" and p.group in spec.groups and p.targets is None and abs(p.offset) > 0.05:
        return [_cond(f"{p.group}_offset", ">=" if p.offset > 0 else "<=", 0.5 * p.offset)]
    if term == "joint_pose" and p.group in spec.groups and p.targets is not None:
        # explicit targets: the group's mean offset, where it is a real part of the joints' travel
        # (a parallel gripper closing moves 0.04 m of a 0.04 m range)
        joints = group_joints(spec, p.group)
        if len(p.targets) == len(joints):
            delta = float(np.mean(np.asarray(p.targets) - spec.default_joint_pos[joints]))
            width = float(np.mean(spec.joint_range[joints, 1] - spec.joint_range[joints, 0]))
            if abs(delta) > max(0.005, 0.15 * width) or abs(delta) > 0.3:
                return [_cond(f"{p.group}_offset", ">=" if delta > 0 else "<=", 0.5 * delta)]
    if term == "forward_speed" and abs(p.target) > 0.05 and mobile:
        return [_cond("forward_speed", ">=" if p.target > 0 else "<=", SPEED_SHARE * p.target)]
    if term == "track_velocity" and mobile:
        out = []
        if abs(p.vx) > 0.05:
            out.append(_cond("forward_speed", ">=" if p.vx > 0 else "<=", SPEED_SHARE * p.vx))
        if abs(p.vy) > 0.05:
            out.append(_cond("lateral_speed", ">=" if p.vy > 0 else "<=", SPEED_SHARE * p.vy))
        if abs(p.yaw_rate) > 0.1:
            out.append(_cond("yaw_rate", ">=" if p.yaw_rate > 0 else "<=", TURN_SHARE * p.yaw_rate))
        return out
    if term == "spin" and mobile and abs(p.yaw_rate) > 0.1:
        return [_cond("yaw_rate", ">=" if p.yaw_rate > 0 else "<=", TURN_SHARE * p.yaw_rate)]
    if term == "jump" and mobile and spec.feet:
        return [_cond("airborne_moments", ">=", 3)]
    if term == "air_time" and mobile and spec.feet:
        if p.all_feet:  # every foot off the ground at once: a jump, a pronk, a bounce on all fours
            return [_cond("airborne_moments", ">=", 3)]
        # feet that leave the ground one after another (stepping), not all at once
        return [_cond("least_foot_air", ">=", FOOT_AIR), _cond("feet_alternation", ">=", 0.6)]
    if term == "foot_contact_pattern" and mobile and spec.feet:
        if p.pattern == "pronk":
            return [_cond("airborne_moments", ">=", 3)]
        if p.pattern != "stand":
            return [_cond("least_foot_air", ">=", FOOT_AIR), _cond("feet_alternation", ">=", 0.6)]
    if term == "base_oscillation" and mobile:
        if p.axis == "height":
            return [_cond("base_height_std", ">=", max(0.01, 0.35 * p.amplitude))]
        if p.axis in ("roll", "pitch"):
            return [_cond(p.axis, ">=", 0.3 * p.amplitude)]
    if term == "base_height" and mobile:
        ratio = p.target / max(spec.standing_height, 1e-6) if p.target is not None else p.ratio
        if ratio < 0.95:
            return [_cond("height_ratio", "<=", min(0.95, ratio + 0.15))]
        if ratio > 1.03:
            return [_cond("height_ratio", ">=", 1.0 + 0.5 * (ratio - 1.0))]
    if term == "base_orientation" and mobile:
        out = []
        if abs(p.roll) > 0.1:  # a lean to the side the words name, not to either
            out.append(_cond("lean_right", ">=" if p.roll > 0 else "<=", 0.5 * float(p.roll)))
        if abs(p.pitch) > 0.1:
            out.append(_cond("pitch", ">=", 0.5 * abs(float(p.pitch))))
        return out
    if term == "ee_path" and spec.ee:
        out = [_cond("ee_extent", ">=", 0.8 * p.radius)]
        if p.shape == "circle":
            out.append(_cond("ee_extent2", ">=", 0.5 * p.radius))
        return out
    return []


def reach_success(axis: str, sign: int, distance: float) -> list[Condition]:
    op = ">=" if sign > 0 else "<="
    return [Condition.model_validate(_cond(f"ee_d{axis}", op, 0.5 * sign * distance))]
