"""What a finished run's measurements say to change in its program: metrics that missed (apply_metrics)
and, first, the conditions of its own success check that failed (apply_failed_checks). Used by refine."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from tabrl.rewards.limits import MAX_TERMS
from tabrl.rewards.motion import Motion, MotionError, compile_motion

if TYPE_CHECKING:
    from tabrl.robots.model import Robot

STABILITY = ("upright", "alive", "orientation")


def term_label(term: dict[str, Any]) -> str:
    raw = term.get("params")
    params: dict[str, Any] = raw if isinstance(raw, dict) else {}
    target = params.get("group") or term.get("expr") or ""
    return f"{term.get('term')}{f' ({target})' if target else ''}"


def scale_term(program: dict[str, Any], index: int, factor: float, why: str, notes: list[str]) -> None:
    term = program["terms"][index]
    old = float(term.get("weight", 1.0))
    new = round(old * factor, 4)
    if new == old:
        return
    term["weight"] = new
    notes.append(f"{term_label(term)} weight {old:g} -> {new:g} ({why})")


def terms_named(program: dict[str, Any], names: tuple[str, ...]) -> list[int]:
    return [i for i, t in enumerate(program.get("terms") or []) if str(t.get("term")) in names]


def apply_metrics(
    program: dict[str, Any],
    shares: list[float | None],
    metrics: dict[str, Any],
    strength: float,
    notes: list[str],
    protect: set[int] | None = None,
    floating: bool = True,
) -> None:
    """Rebalances from reward shares and behavior: dominant terms down, silent rewards up, falls -> stability.

    Terms in ``protect`` (the user's own wishes) keep their weight. ``floating``: the robot can fall
    (a fixed arm or hand reports an "upright" figure of its mounting, not a fall).
    """
    terms = program["terms"]
    protect = protect or set()
    known = [(i, s) for i, s in enumerate(shares) if s is not None and i < len(terms) and i not in protect]
    for i, share in known:
        weight = float(terms[i].get("weight", 1.0))
        if weight > 0 and share > 0.6 and len(terms) > 1:
            scale_term(
                program, i, 1 / strength, f"it was {share:.0%} of the reward and crowded out the rest", notes
            )
        elif weight > 0 and abs(share) < 0.05:
            scale_term(program, i, strength, f"only {abs(share):.0%} of the reward", notes)
    penalty_share = sum(abs(s) for i, s in known if float(terms[i].get("weight", 1.0)) < 0)
    if penalty_share > 0.5:
        for i, _ in known:
            if float(terms[i].get("weight", 1.0)) < 0:
                scale_term(
                    program, i, 1 / strength, f"penalties were {penalty_share:.0%} of the reward", notes
                )
    fell = floating and (
        (metrics.get("falls") or 0) > 0
        or (metrics.get("fallen_fraction") or 0) > 0.1
        or (metrics.get("upright_fraction") is not None and metrics["upright_fraction"] < 0.8)
    )
    if fell:
        stable = terms_named(program, STABILITY)
        for i in stable:
            scale_term(program, i, strength, "the robot fell", notes)
        if not stable and len(terms) < MAX_TERMS:
            program["terms"].append({"term": "upright", "weight": 1.0})
            notes.append("added upright (the robot fell)")
    drift = metrics.get("drift_m")
    if isinstance(drift, (int, float)) and drift > 1.0:
        for i in terms_named(program, ("stay_in_place",)):
            scale_term(program, i, strength, f"it drifted {drift:.1f} m", notes)


# A success-check metric -> the terms that move it (term names, and for group metrics the group param).
_CHECK_TERMS: dict[str, tuple[str, ...]] = {
    "forward_speed": ("forward_speed", "track_velocity"),
    "lateral_speed": ("track_velocity",),
    "yaw_rate": ("spin", "track_velocity"),
    "abs_yaw_rate": ("spin", "track_velocity"),
    "base_height": ("base_height",),
    "height_ratio": ("base_height",),
    "base_height_std": ("jump", "air_time", "base_oscillation"),
    "airborne_moments": ("jump", "air_time"),
    "airborne_fraction": ("jump", "air_time"),
    "air_time": ("air_time", "foot_contact_pattern"),
    "contact_fraction": ("foot_contact_pattern",),
    "roll": ("base_orientation", "base_oscillation"),
    "pitch": ("base_orientation", "base_oscillation"),
    "ee_extent": ("ee_path",),
    "ee_extent2": ("ee_path",),
    "ee_path_length": ("ee_path",),
    "ee_dx": ("ee_target",),
    "ee_dy": ("ee_target",),
    "ee_dz": ("ee_target",),
    "rock": ("joint_sine", "base_oscillation"),
    "least_foot_air": ("air_time", "foot_contact_pattern"),
    "feet_alternation": ("foot_contact_pattern", "air_time"),
}
# A limb's tip (``<limb>_sweep`` ...): the shape terms and the prior move it.
_LIMB_SUFFIXES = ("sweep", "rise", "reach", "shift")
_LIMB_TERMS = ("joint_sine", "joint_pose", "ee_path", "ee_target")
_GROUP_TERMS = {"amplitude": ("joint_sine",), "frequency": ("joint_sine",), "offset": ("joint_pose",)}
_SAFETY = {"falls", "fallen_fraction", "upright"}
_STAYING = {"drift", "max_drift"}


def _limb_metric(subject: str) -> bool:
    return not subject.startswith("object_") and any(subject.endswith("_" + x) for x in _LIMB_SUFFIXES)


def failed_checks(metrics: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The rows of the run's own success check that failed (metrics.json's ``verdict``), worst first."""
    verdict = (metrics or {}).get("verdict")
    if not isinstance(verdict, dict) or verdict.get("passed"):
        return []
    rows = [r for r in verdict.get("checks") or [] if isinstance(r, dict) and not r.get("passed")]

    def shortfall(r: dict[str, Any]) -> float:
        value, measured = float(r.get("value") or 0.0), r.get("measured")
        if not isinstance(measured, (int, float)):
            return float("inf")
        return abs(value - measured) / max(abs(value), 1e-6)

    return sorted(rows, key=shortfall, reverse=True)


def _check_label(row: dict[str, Any]) -> str:
    measured = row.get("measured")
    shown = f"{measured:.3g}" if isinstance(measured, (int, float)) else "?"
    return f"{row.get('subject')} was {shown}, the check needs {row.get('check', '').split(' ', 1)[-1]}"


def _driving_terms(program: dict[str, Any], subject: str) -> list[int]:
    """Indices of the positive terms that move a metric (by name; expressions that mention it)."""
    terms = program.get("terms") or []
    names: tuple[str, ...] = _CHECK_TERMS.get(subject, ())
    if not names and _limb_metric(subject):
        names = _LIMB_TERMS
    group = None
    for suffix, kinds in _GROUP_TERMS.items():
        if subject.endswith("_" + suffix) and subject not in _CHECK_TERMS:
            group, names = subject[: -len(suffix) - 1], kinds
    out = []
    for i, t in enumerate(terms):
        if float(t.get("weight", 1.0)) <= 0:
            continue
        params = t.get("params") if isinstance(t.get("params"), dict) else {}
        if str(t.get("term")) in names and (group is None or params.get("group") in (group, None)):
            out.append(i)
        elif t.get("term") == "expr" and (
            (subject.startswith("ee_d") and "ee_pos" in str(t.get("expr")))
            or (group is not None and f"q_{group}" in str(t.get("expr")))
        ):
            out.append(i)
    return out


def _scale_prior(
    program: dict[str, Any],
    subject: str,
    factor: float,
    notes: list[str],
    why: str,
    robot: Robot | None,
) -> bool:
    """Makes the motion prior's part for a short metric bigger (amplitudes for rhythms and paths, offsets
    for poses and reaches), as far as the joint ranges allow. True when it changed."""
    motion = program.get("motion")
    if not isinstance(motion, dict) or not motion.get("parts"):
        return False
    group = next((subject[: -len(s) - 1] for s in _GROUP_TERMS if subject.endswith("_" + s)), None)
    key = "offset" if subject.endswith("_offset") or subject.startswith("ee_d") else "amplitude"
    if _limb_metric(subject) and not subject.endswith("_sweep"):  # a held pose: its offsets
        key = "offset" if any(float(p.get("offset") or 0.0) for p in motion["parts"]) else "amplitude"
    picked = [
        k
        for k, part in enumerate(motion["parts"])
        if (group is None or part.get("group") == group or group == "all") and float(part.get(key) or 0.0)
    ]
    if not picked:
        return False
    original = copy.deepcopy(motion)
    for f in (factor, 0.5 * (1.0 + factor)):
        for k in picked:
            part = motion["parts"][k]
            limit = 1.5 if key == "amplitude" else 3.0
            part[key] = round(max(-limit, min(limit, float(original["parts"][k][key]) * f)), 4)
        if robot is None or _motion_fits(motion, robot):
            notes.append(f"motion prior {key}s x{f:.2g} on {len(picked)} part(s) ({why})")
            return True
    program["motion"] = original
    return False


def _motion_fits(motion: dict[str, Any], robot: Robot) -> bool:
    try:
        compile_motion(Motion.model_validate(motion), robot.spec)
    except (MotionError, ValueError):
        return False
    return True


def apply_failed_checks(
    program: dict[str, Any],
    metrics: dict[str, Any] | None,
    strength: float,
    notes: list[str],
    robot: Robot | None = None,
) -> set[int]:
    """The first feedback: every condition of the run's own success check that failed moves the terms and
    the motion prior behind it (a short rhythm: its term and the prior's amplitude up; drifting: staying
    in place up; a fall: stability up and the prior's residual down). Returns the indices it changed."""
    touched: set[int] = set()
    rows = failed_checks(metrics)
    terms = program.setdefault("terms", [])
    for row in rows:
        subject, op = str(row.get("subject", "")), row.get("op")
        label = _check_label(row)
        notes.append(f"failed check: {label}")
        why = f"failed check {row.get('check', subject)}"
        if subject in _SAFETY:
            stable = terms_named(program, STABILITY)
            for i in stable:
                scale_term(program, i, strength, why, notes)
            touched.update(stable)
            if not stable and len(terms) < MAX_TERMS:
                terms.append({"term": "upright", "weight": 1.0})
                touched.add(len(terms) - 1)
                notes.append(f"added upright ({why})")
            motion = program.get("motion")
            if isinstance(motion, dict) and motion.get("parts"):
                old = float(motion.get("residual", 0.5))
                motion["residual"] = round(max(0.2, old / strength), 3)
                notes.append(f"motion prior residual {old:g} -> {motion['residual']:g} ({why})")
            continue
        if subject in _STAYING:
            stay = terms_named(program, ("stay_in_place",))
            for i in stay:
                scale_term(program, i, strength, why, notes)
            touched.update(stay)
            if not stay and len(terms) < MAX_TERMS:
                radius = max(0.1, 0.5 * float(row.get("value") or 0.5))
                terms.append({"term": "stay_in_place", "weight": 1.0, "params": {"radius": radius}})
                touched.add(len(terms) - 1)
                notes.append(f"added stay_in_place ({why})")
            continue
        drivers = _driving_terms(program, subject)
        for i in drivers:
            scale_term(program, i, strength, why, notes)
        touched.update(drivers)
        measured, value = row.get("measured"), float(row.get("value") or 0.0)
        shaped = (
            subject.startswith("ee_")
            or any(subject.endswith("_" + x) for x in _GROUP_TERMS)
            or _limb_metric(subject)
        )
        if shaped and op in (">=", ">") and isinstance(measured, (int, float)) and value > 0:
            need = value / max(float(measured), 0.25 * value) if measured > 0 else strength
            _scale_prior(program, subject, min(max(need, 1.1), strength), notes, why, robot)
        if not drivers and not program.get("motion"):
            notes.append(f"no term drives {subject}")
    return touched
