"""Gait scaffolds: approaches that track a joint rhythm measured to walk, turn or pronk a robot.

A few seconds of PPO cannot discover a gait from a velocity reward alone, but it learns to
track a joint rhythm quickly (a policy sees a phase clock). So for robots measured here (the
``gait_rig`` of their profile, e.g. ``tabrl/robots/profiles/go1.yaml``), one approach rewards
tracking an open-loop rhythm that, played back in MuJoCo on that robot, already trots forward,
turns on the spot or pronks: the task term then only has to refine it. Phases are aligned with
foot_contact_pattern, which also sets the policy's clock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from tabrl.design.drafting import RATE, Ctx, Draft, E, T
from tabrl.robots.profiles import GaitRig, LegJoint, LegRhythm

_PI = math.pi
# Phases in radians per leg. Trot and pronk match foot_contact_pattern's timing (measured), so the
# contact term and the joint rhythm agree; pace matches joint_sine's "alternate" over the pace group.
_TROT = {"FL": 0.0, "RR": 0.0, "FR": _PI, "RL": _PI}
_PACE = {"FR": 0.0, "RR": 0.0, "FL": _PI, "RL": _PI}
_WAVE = {"FR": 0.0, "FL": _PI / 2, "RR": _PI, "RL": 3 * _PI / 2}
_MIRROR = {"FR": "FL", "FL": "FR", "RR": "RL", "RL": "RR"}
_FRONT = {"FR": True, "FL": True, "RR": False, "RL": False}


def _rhythm_parts(
    rig: GaitRig,
    groups: dict[str, list[str]],
    joint: str,
    phases: dict[str, float],
    amp: Callable[[str], float],
    hz: float,
    lead: float,
    mirror: bool = False,
    rhythm: LegRhythm | None = None,
) -> list[dict[str, Any]]:
    """The same rhythm as :func:`_leg_rhythm`, as motion-prior parts (one per leg joint).

    The prior then plays exactly the rhythm the reward tracks, so the two never pull apart.
    """
    index = rig.joints[joint]  # type: ignore[index]
    parts = []
    for leg, phase in phases.items():
        a = amp(leg)
        if mirror:
            leg, a = _MIRROR[leg], (-a if joint == "abduction" else a)
        a *= rig.sign(joint, leg, rhythm)  # type: ignore[arg-type]
        names = groups.get(rig.legs[leg], [])  # type: ignore[index]
        if index >= len(names) or abs(a) < 1e-6:
            continue
        cycles = ((phase + lead) / (2 * _PI) + (0.5 if a < 0 else 0.0)) % 1.0
        parts.append(
            {
                "joint": names[index],
                "amplitude": round(abs(a), 4),
                "frequency_hz": hz,
                "phase": round(cycles if cycles <= 0.5 else cycles - 1.0, 4),
            }
        )
    return parts


def _prior(*parts: list[dict[str, Any]], residual: float = 0.4) -> dict[str, Any]:
    return {"parts": [p for group in parts for p in group][:12], "residual": residual, "other_residual": 0.3}


_RIG_NOTE = (
    "The joint rhythm was measured to {what} this robot when played back open-loop in MuJoCo; "
    "tracking it gives PPO a gait to refine. Expect it to need about 150k steps."
)


def rig_for(ctx: Ctx) -> GaitRig | None:
    """The robot's measured gait rig, if it has one whose leg groups this robot has."""
    rig = None if ctx.derived else ctx.profile.gait_rig
    if rig is None or not all(g in ctx.groups for g in [*rig.legs.values(), rig.pace_group]):
        return None
    return rig


def _lead(rhythm: LegRhythm) -> float:
    return math.radians(rhythm.calf_lead_deg)


def _wave(amp: float, hz: float, phase: float) -> str:
    """'+ 0.35 * sin(12.5664 * t + 3.142)' (phase in radians, wrapped)."""
    phase = phase % (2 * _PI)
    inner = f"{2 * _PI * hz:.6g} * t" + (f" + {phase:.4g}" if abs(phase) > 1e-6 else "")
    sign = "-" if amp < 0 else "+"
    return f"{sign} {abs(amp):.3g} * sin({inner})"


def _track_expr(targets: list[tuple[str, int, float, float]], hz: float, sigma2: float) -> str:
    """A bump around joint targets: exp(-sum((q_group[i] - amp sin(w t + phase))^2) / sigma2)."""
    squares = []
    for group, index, amp, phase in targets:
        w = _wave(amp, hz, phase)
        flipped = ("+ " + w[2:]) if w.startswith("-") else ("- " + w[2:])  # q - target
        squares.append(f"square(q_{group}[{index}] {flipped})")
    return f"exp(-({' + '.join(squares)}) / {sigma2:g})"


def _leg_rhythm(
    rig: GaitRig,
    joint: LegJoint,
    phases: dict[str, float],
    amp: Callable[[str], float],
    hz: float,
    lead: float,
    weight: float,
    sigma2: float,
    mirror: bool = False,
    rhythm: LegRhythm | None = None,
) -> dict[str, Any]:
    """An expression tracking one joint of every leg; ``mirror`` swaps left and right (and abduction sign).

    Each leg's amplitude carries the rig's sign for that leg and joint (``GaitRig.signs``, or the
    ``rhythm``'s own where it has them).
    """
    index = rig.joints[joint]
    targets = []
    for leg, phase in phases.items():
        a = amp(leg)
        if mirror:
            leg, a = _MIRROR[leg], (-a if joint == "abduction" else a)
        a *= rig.sign(joint, leg, rhythm)  # type: ignore[arg-type]
        targets.append((rig.legs[leg], index, a, phase + lead))  # type: ignore[index]
    return E(_track_expr(targets, hz, sigma2), weight)


def rig_walk(
    rig: GaitRig, vx: float, height: float, groups: dict[str, list[str]] | None = None
) -> list[Draft]:
    """Trot and pace scaffolds for walking forward at ``vx`` m/s, the base at ``height`` x standing."""
    r = rig.run if vx > 0.7 else rig.trot
    hz = r.hz
    g = groups or {}
    trot = Draft(
        "Trot Rhythm",
        f"Track a measured trot at {hz:g} Hz (diagonal legs together, calves leading thighs) "
        f"with a speed reward toward {vx:.2g} m/s",
        [
            T("foot_contact_pattern", 0.5, pattern="trot", frequency_hz=hz),
            _leg_rhythm(rig, "thigh", _TROT, lambda _leg: r.thigh, hz, 0.0, 1.0, 0.15),
            _leg_rhythm(rig, "calf", _TROT, lambda _leg: r.calf, hz, _lead(r), 1.0, 0.12),
            T("forward_speed", 1.5, target=vx),
        ],
        [T("upright", 1.0), T("base_height", 0.3, ratio=height, sigma=0.1), T("action_rate", RATE)],
        moves=True,
        note="Main terms: expressions tracking a trot rhythm, its foot-contact timing, and forward_speed. "
        + _RIG_NOTE.format(what="walk"),
        motion=_prior(
            _rhythm_parts(rig, g, "thigh", _TROT, lambda _leg: r.thigh, hz, 0.0),
            _rhythm_parts(rig, g, "calf", _TROT, lambda _leg: r.calf, hz, _lead(r)),
        )
        if g
        else None,
    )
    p = rig.pace
    if _pace_by_joint_sine(rig, g):
        thighs = T(
            "joint_sine",
            2.0,
            group=rig.pace_group,
            amplitude=p.thigh,
            frequency_hz=p.hz,
            pattern="alternate",
            sigma=0.2,
        )
        thigh_parts = [
            {"group": rig.pace_group, "amplitude": p.thigh, "frequency_hz": p.hz, "pattern": "alternate"}
        ]
        how = "joint_sine on the thighs (alternate = one side, then the other)"
    else:
        thighs = _leg_rhythm(rig, "thigh", _PACE, lambda _leg: p.thigh, p.hz, 0.0, 2.0, 0.16)
        thigh_parts = _rhythm_parts(rig, g, "thigh", _PACE, lambda _leg: p.thigh, p.hz, 0.0)
        how = "an expression tracking the thighs of each side together"
    pace = Draft(
        "Pace Rhythm",
        f"Swing the legs of each side together (a pace) at {p.hz:g} Hz, calves {_ahead(p.calf_lead_deg)}, "
        f"with a speed reward toward {vx:.2g} m/s",
        [
            thighs,
            _leg_rhythm(rig, "calf", _PACE, lambda _leg: p.calf, p.hz, _lead(p), 1.5, 0.16),
            T("forward_speed", 1.5, target=vx),
        ],
        [T("upright", 1.0), T("base_height", 0.3, ratio=height, sigma=0.1), T("action_rate", RATE)],
        moves=True,
        note=f"Main terms: {how}, an expression for the calves, and forward_speed. "
        + _RIG_NOTE.format(what="walk"),
        motion=_prior(
            thigh_parts,
            _rhythm_parts(rig, g, "calf", _PACE, lambda _leg: p.calf, p.hz, _lead(p)),
        )
        if g
        else None,
    )
    return [trot, pace]


def _ahead(lead_deg: float) -> str:
    return "a quarter-cycle ahead" if lead_deg == 90 else f"{lead_deg:g}° of phase ahead"


def _pace_by_joint_sine(rig: GaitRig, groups: dict[str, list[str]]) -> bool:
    """Whether joint_sine's 'alternate' pattern over the pace group plays the pace's thigh phases exactly.

    True for Go1 (its thigh group runs FR, FL, RR, RL). A group in another order (ANYmal's starts with the
    front left leg, half a cycle from the front right) or a thigh the rig turns the other way needs one
    target per leg instead. Without the robot's groups the rig is taken at its word.
    """
    names = groups.get(rig.pace_group)
    if not names:
        return True
    index = rig.joints["thigh"]
    for k, name in enumerate(names):
        leg = next(
            (
                leg
                for leg, g in rig.legs.items()
                if index < len(groups.get(g, [])) and groups[g][index] == name
            ),
            None,
        )
        if leg is None or rig.sign("thigh", leg) != 1 or abs(_PI * (k % 2) - _PACE[leg]) > 1e-9:
            return False
    return True


def rig_spin(rig: GaitRig, yaw: float, groups: dict[str, list[str]] | None = None) -> list[Draft]:
    """Two turning scaffolds: a rotating abduction wave, and a trot whose front and rear feet push apart."""
    g = groups or {}
    way = "counter-clockwise" if yaw > 0 else "clockwise"
    w = rig.wave_turn
    ccw = yaw > 0  # measured clockwise; the mirror image turns the other way
    wave = Draft(
        "Stepping Turn",
        f"Track a measured rotating wave of the hip abduction and calf joints at {w.hz:g} Hz "
        f"that turns the body {way} on the spot",
        [
            T("foot_contact_pattern", 0.3, pattern="trot", frequency_hz=w.hz),
            _leg_rhythm(rig, "abduction", _WAVE, lambda _leg: w.abduction, w.hz, 0.0, 2.0, 0.16, ccw, w),
            _leg_rhythm(rig, "calf", _WAVE, lambda _leg: w.calf, w.hz, _lead(w) - _PI / 2, 1.5, 0.12, ccw, w),
            T("spin", 1.5, yaw_rate=yaw),
        ],
        [T("stay_in_place", 1.0, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: expressions tracking an abduction/calf wave, and spin. "
        + _RIG_NOTE.format(what="turn"),
        # Played back open-loop on Go1 the measured (clockwise) wave turns 0.7 rad/s; its mirror image tumbles,
        # so unless the rig measured its mirror (wave_turn_mirrors) a counter-clockwise turn takes the
        # generic turning prior (rewards.shapes) instead.
        motion=_prior(*wave_parts(rig, g, mirror=ccw)) if g and (rig.wave_turn_mirrors or not ccw) else None,
    )
    t = rig.trot_turn
    lead = -_PI / 2 if yaw > 0 else _PI / 2  # the abduction rhythm's phase sets the direction
    trot = Draft(
        "Trot Turn",
        f"Trot in place at {t.hz:g} Hz while front and rear feet push sideways in opposite directions, "
        f"turning {way}",
        [
            T("foot_contact_pattern", 0.5, pattern="trot", frequency_hz=t.hz),
            _leg_rhythm(
                rig,
                "abduction",
                _TROT,
                lambda leg: t.abduction if _FRONT[leg] else -t.abduction,
                t.hz,
                lead,
                1.0,
                0.08,
            ),
            _leg_rhythm(rig, "thigh", _TROT, lambda _leg: t.thigh, t.hz, 0.0, 0.5, 0.08),
            _leg_rhythm(rig, "calf", _TROT, lambda _leg: t.calf, t.hz, _PI / 2, 0.5, 0.08),
            T("spin", 1.5, yaw_rate=yaw),
        ],
        [T("stay_in_place", 1.0, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: expressions tracking a trot with opposed abduction, its foot-contact timing, and spin. "
        + _RIG_NOTE.format(what="turn"),
        motion=_prior(
            _rhythm_parts(
                rig,
                g,
                "abduction",
                _TROT,
                lambda leg: t.abduction if _FRONT[leg] else -t.abduction,
                t.hz,
                lead,
            ),
            _rhythm_parts(rig, g, "thigh", _TROT, lambda _leg: t.thigh, t.hz, 0.0),
            _rhythm_parts(rig, g, "calf", _TROT, lambda _leg: t.calf, t.hz, _PI / 2),
        )
        if g
        else None,
    )
    return [wave, trot]


def wave_parts(
    rig: GaitRig, groups: dict[str, list[str]], mirror: bool = False
) -> list[list[dict[str, Any]]]:
    """The stepping turn's prior parts (abduction, calves): the measured clockwise wave or its mirror image
    (the same rhythm its reward tracks)."""
    w = rig.wave_turn
    return [
        _rhythm_parts(rig, groups, "abduction", _WAVE, lambda _leg: w.abduction, w.hz, 0.0, mirror, w),
        _rhythm_parts(rig, groups, "calf", _WAVE, lambda _leg: w.calf, w.hz, _lead(w) - _PI / 2, mirror, w),
    ]


def rig_pronk(rig: GaitRig, height: float, travel: list[dict[str, Any]], moves: bool) -> Draft:
    """A pronking scaffold: all legs flex and extend together."""
    p = rig.pronk
    together: dict[str, float] = {leg: 0.0 for leg in rig.legs}
    return Draft(
        "Pronk Rhythm",
        f"Track a measured pronk at {p.hz:g} Hz: all legs flex and extend together so every foot "
        "leaves the ground",
        [
            T("foot_contact_pattern", 0.5, pattern="pronk", frequency_hz=p.hz),
            _leg_rhythm(rig, "calf", together, lambda _leg: p.calf, p.hz, 0.0, 1.5, 0.15),
            _leg_rhythm(rig, "thigh", together, lambda _leg: p.thigh, p.hz, 0.0, 0.75, 0.08),
            T("jump", 1.0, height=height),
            T("air_time", 1.0, all_feet=True),
        ],
        [T("upright", 1.0)] + travel + [T("action_rate", RATE / 2)],
        moves=moves,
        note="Main terms: expressions tracking a pronking rhythm, its foot-contact timing, jump and air_time. "
        + _RIG_NOTE.format(what="hop"),
    )
