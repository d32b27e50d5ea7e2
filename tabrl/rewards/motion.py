"""Motion priors: how a behavior should move, as data, applied under the policy's action.

A reward alone makes a policy discover a rhythm by trial and error, which takes far longer than
the studio's 10k–100k steps. A motion prior is a trajectory generator (a feed-forward reference,
as in "Policies Modulating Trajectory Generators", Iscen et al. 2018): per joint group or joint a
pose offset plus a sine with a phase pattern across the legs. The policy's action becomes a
residual around it, so the motion is there from the first step and training only has to add
balance and correction:

    target(t) = default pose + ramp(t) * (offset + amplitude * sin(2 pi (f t + phase + pattern))) +
                residual * action_scale * action

Parts are validated against the robot (groups and joints exist and are position-driven, the
reference stays inside every joint's range, frequencies are bounded) and compiled into a few
arrays evaluated with numpy or jax.numpy, so both backends and the video compute the same ctrl.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_PARTS = 12
MAX_FREQUENCY_HZ = 5.0
MAX_AMPLITUDE = 1.5  # rad (m for slide joints)
MAX_OFFSET = 3.0
RANGE_MARGIN = 1e-6

Pattern = Literal[
    "sync", "alternate", "wave", "left_right", "front_back", "diagonal", "trot", "pace", "bound"
]
PATTERN_DOCS = {
    "sync": "every joint of the part in phase",
    "alternate": "every other joint (in the group's order) half a cycle later",
    "wave": "phases spread evenly over the joints (a travelling wave)",
    "left_right": "joints on the left side half a cycle from those on the right",
    "front_back": "front joints half a cycle from rear joints",
    "diagonal": "diagonal pairs together (front-left with rear-right), the other pair half a cycle later",
    "trot": "same as diagonal (a trot's leg pairs)",
    "pace": "same as left_right (a pace's leg pairs)",
    "bound": "same as front_back (a bound's leg pairs)",
}


class MotionError(ValueError):
    """A motion prior that cannot apply to the robot."""


class MotionPart(BaseModel):
    """One joint group (or one joint) moved by the prior: a pose offset plus a sine."""

    model_config = ConfigDict(extra="forbid")
    group: str | None = Field(None, description="Joint group of the robot (see its groups); or give 'joint'.")
    joint: str | None = Field(None, max_length=80, description="One joint by name, instead of a group.")
    offset: float = Field(
        0.0,
        ge=-MAX_OFFSET,
        le=MAX_OFFSET,
        description="Constant pose offset from the default pose (rad): postures like sit or crouch.",
    )
    amplitude: float = Field(
        0.0, ge=0.0, le=MAX_AMPLITUDE, description="Sine amplitude (rad); 0 for a pose only."
    )
    frequency_hz: float = Field(
        0.0,
        ge=0.0,
        le=MAX_FREQUENCY_HZ,
        description=f"Sine frequency (Hz), at most {MAX_FREQUENCY_HZ:g}; needed when amplitude > 0.",
    )
    phase: float = Field(
        0.0, ge=-1.0, le=1.0, description="Phase shift in cycles (0.5 = half a cycle later)."
    )
    pattern: Pattern = Field(
        "sync",
        description="Phase pattern across the part's joints: "
        + "; ".join(f"{k}: {v}" for k, v in PATTERN_DOCS.items())
        + ".",
    )
    joint_scale: list[float] | None = Field(
        None,
        max_length=64,
        description="Optional multiplier per joint of the group (group order, each within [-2, 2]) applied to the "
        "offset and the sine: -1 mirrors a joint whose axis points the other way (e.g. rear knees), "
        "0.5 moves it half as far.",
    )
    residual: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="How far the policy may move these joints away from the prior, as a "
        "fraction of the robot's action scale; omit for the prior's residual.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> MotionPart:
        if (self.group is None) == (self.joint is None):
            raise ValueError("a motion part names exactly one of 'group' or 'joint'")
        if self.amplitude > 0 and self.frequency_hz <= 0:
            raise ValueError("a sine (amplitude > 0) needs frequency_hz > 0")
        if self.amplitude == 0 and self.offset == 0:
            raise ValueError("a motion part needs an offset or an amplitude (it does nothing otherwise)")
        if self.joint_scale is not None and not all(
            math.isfinite(v) and abs(v) <= 2.0 for v in self.joint_scale
        ):
            raise ValueError("joint_scale values must be finite numbers within [-2, 2]")
        return self

    @property
    def target(self) -> str:
        return f"group '{self.group}'" if self.group is not None else f"joint '{self.joint}'"


class Motion(BaseModel):
    """A trajectory generator under the policy: the behavior's shape, present from the first step."""

    model_config = ConfigDict(extra="forbid")
    parts: list[MotionPart] = Field(..., min_length=1, max_length=MAX_PARTS)
    residual: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="Default for parts without their own: how far the policy may move a joint "
        "away from the prior (fraction of the action scale).",
    )
    other_residual: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="The policy's share of the action on joints no part names "
        "(fraction of the action scale).",
    )
    ramp_s: float = Field(
        0.5,
        ge=0.0,
        le=5.0,
        description="Seconds over which the prior fades in from the default pose (avoids a jolt).",
    )

    def first_frequency(self) -> float | None:
        return next((p.frequency_hz for p in self.parts if p.amplitude > 0), None)


def _pattern_offsets(pattern: str, anchors: np.ndarray) -> np.ndarray:
    """Phase offset (cycles) of each joint of a part, from its order or where it sits on the body."""
    n = len(anchors)
    front, left = anchors[:, 0] > 0, anchors[:, 1] > 0
    if pattern == "alternate":
        return 0.5 * (np.arange(n) % 2)
    if pattern == "wave":
        return np.arange(n) / max(n, 1)
    if pattern in ("left_right", "pace"):
        return np.where(left, 0.0, 0.5)
    if pattern in ("front_back", "bound"):
        return np.where(front, 0.0, 0.5)
    if pattern in ("diagonal", "trot"):
        return np.where(front == left, 0.0, 0.5)
    return np.zeros(n)


def _part_joints(part: MotionPart, spec: Any, where: str) -> np.ndarray:
    if part.group is not None:
        if part.group not in spec.groups:
            raise MotionError(
                f"{where}: {spec.model_id} has no joint group '{part.group}'; "
                f"its groups are: {', '.join(spec.groups)}"
            )
        return np.asarray(spec.groups[part.group], dtype=np.int64)
    if part.joint not in spec.joint_names:
        raise MotionError(
            f"{where}: {spec.model_id} has no joint '{part.joint}'; "
            f"its joints are: {', '.join(spec.joint_names)}"
        )
    return np.array([spec.joint_names.index(part.joint)], dtype=np.int64)


def moved_joints(motion: Motion | None, spec: Any) -> set[str]:
    """Names of the joints a prior's parts name (groups expanded on the robot)."""
    if motion is None:
        return set()
    return {
        spec.joint_names[int(j)]
        for i, part in enumerate(motion.parts)
        for j in _part_joints(part, spec, f"motion part {i + 1}")
    }


def sine_centre(spec: Any, joints: Any, amplitude: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre shift, amplitude) per joint of a swing of ``amplitude`` around the default pose.

    On a fixed-base robot a joint whose default pose sits at or near an edge of its range (a hand's
    straight finger, a parallel gripper held open) swings around a point moved inside the range, by no
    more than the range allows; a joint with room keeps the default pose as its centre. Robots standing
    on their legs always swing around the default pose (their priors are measured that way).
    The ``joint_sine`` reward term and the prior read from it both use this, so they agree.
    """
    joints = np.asarray(joints, dtype=np.int64)
    n = len(joints)
    if getattr(spec, "floating_base", True) or n == 0:
        return np.zeros(n), np.full(n, float(amplitude))
    lo, hi = spec.joint_range[joints, 0], spec.joint_range[joints, 1]
    limited = np.isfinite(lo) & np.isfinite(hi) & (hi > lo)
    lo, hi = np.where(limited, lo, -np.inf), np.where(limited, hi, np.inf)
    home = np.clip(spec.default_joint_pos[joints], lo, hi)
    margin = np.where(limited, 0.025 * (hi - lo), 0.0)
    with np.errstate(invalid="ignore"):
        amp = np.where(limited, np.minimum(amplitude, np.maximum(0.0, (hi - lo) / 2 - margin)), amplitude)
        shift = np.where(
            limited,
            np.maximum(0.0, lo + margin + amp - home) - np.maximum(0.0, home + amp - (hi - margin)),
            0.0,
        )
    # relative to the default pose as written (the actuator holds a default outside the range at its edge)
    shift = np.where(shift != 0, shift + home - spec.default_joint_pos[joints], 0.0)
    return shift.astype(np.float64), amp.astype(np.float64)


def check_motion(motion: Motion, spec: Any) -> None:
    """Raises MotionError naming the part when the prior cannot apply to this robot."""
    compile_motion(motion, spec)


@dataclasses.dataclass(frozen=True, eq=False)
class CompiledMotion:
    """The prior as arrays over actuators: offsets, K sine components, residual scales."""

    offset: np.ndarray  # (nu,)
    omega: np.ndarray  # (K,) rad/s
    amplitude: np.ndarray  # (K, nu)
    phase: np.ndarray  # (K, nu) rad
    residual: np.ndarray  # (nu,)
    ramp_s: float

    def reference(self, xp: Any, t: Any) -> Any:
        """The prior's offset from the default ctrl at time ``t`` (scalar or batch): (..., nu)."""
        t = xp.asarray(t)
        ramp = xp.clip(t / self.ramp_s, 0.0, 1.0) if self.ramp_s > 0 else xp.ones_like(t)
        value = self.offset
        if len(self.omega):
            waves = xp.sin(t[..., None, None] * self.omega[:, None] + self.phase)  # (..., K, nu)
            value = value + xp.sum(self.amplitude * waves, axis=-2)
        return ramp[..., None] * value


def compile_motion(motion: Motion, spec: Any) -> CompiledMotion:
    """Checks the prior against the robot and maps it onto the robot's actuators."""
    if not getattr(spec, "position_control", False):
        raise MotionError(
            f"motion: {spec.model_id} drives its joints with motors (torques), not position targets; "
            "motion priors need a position-controlled robot (leave 'motion' out)"
        )
    nu = len(spec.actuator_qvel_adr)
    # Which actuator drives each joint (-1: none).
    joint_actuator = np.full(spec.n_joints, -1, dtype=np.int64)
    for a, qv in enumerate(spec.actuator_qvel_adr):
        hits = np.flatnonzero(spec.joint_qvel_adr == qv) if qv >= 0 else np.zeros(0, np.int64)
        if len(hits):
            joint_actuator[hits[0]] = a
    anchors = (
        spec.joint_anchor_rel if len(spec.joint_anchor_rel) == spec.n_joints else np.zeros((spec.n_joints, 3))
    )
    lo, hi = spec.joint_range[:, 0], spec.joint_range[:, 1]
    offset = np.zeros(nu)
    residual = np.full(nu, float(motion.other_residual))
    lows, highs = (
        np.zeros(spec.n_joints),
        np.zeros(spec.n_joints),
    )  # reference extremes per joint, summed over parts
    omegas: list[float] = []
    amps: list[np.ndarray] = []
    phases: list[np.ndarray] = []
    for i, part in enumerate(motion.parts):
        where = f"motion part {i + 1} ({part.target})"
        joints = _part_joints(part, spec, where)
        if len(joints) == 0:
            raise MotionError(f"{where}: the group has no joints")
        undriven = [spec.joint_names[j] for j in joints if joint_actuator[j] < 0]
        if undriven:
            raise MotionError(
                f"{where}: joint(s) {', '.join(undriven)} have no position actuator of their own; "
                "a prior can only move actuated joints"
            )
        scale = np.ones(len(joints))
        if part.joint_scale is not None:
            if len(part.joint_scale) != len(joints):
                raise MotionError(
                    f"{where}: joint_scale has {len(part.joint_scale)} values but the part has "
                    f"{len(joints)} joints ({', '.join(spec.joint_names[j] for j in joints)})"
                )
            scale = np.asarray(part.joint_scale, dtype=np.float64)
        acts = joint_actuator[joints]
        offset[acts] += scale * part.offset
        residual[acts] = motion.residual if part.residual is None else part.residual
        ends = np.stack([scale * (part.offset - part.amplitude), scale * (part.offset + part.amplitude)])
        lows[joints] += ends.min(axis=0)
        highs[joints] += ends.max(axis=0)
        if part.amplitude > 0:
            amp = np.zeros(nu)
            ph = np.zeros(nu)
            amp[acts] = scale * part.amplitude
            ph[acts] = 2 * np.pi * (part.phase + _pattern_offsets(part.pattern, anchors[joints]))
            omegas.append(2 * np.pi * part.frequency_hz)
            amps.append(amp)
            phases.append(ph)
        for j in joints:  # the reference (with every part so far) must stay inside the joint's range
            # (a default pose outside the range is held at the range's edge by the actuator)
            home = float(np.clip(spec.default_joint_pos[j], lo[j], hi[j]))
            q_lo, q_hi = home + lows[j], home + highs[j]
            if q_lo < lo[j] - RANGE_MARGIN or q_hi > hi[j] + RANGE_MARGIN:
                room_up, room_down = hi[j] - home, home - lo[j]
                raise MotionError(
                    f"{where}: joint {spec.joint_names[j]} would move over [{q_lo:.3g}, {q_hi:.3g}] rad, outside its "
                    f"range [{lo[j]:.3g}, {hi[j]:.3g}]; from its default pose {home:.3g} it has "
                    f"{room_down:.3g} rad of room below and {room_up:.3g} above (offset - amplitude and "
                    "offset + amplitude must stay within those)"
                )
    return CompiledMotion(
        offset=offset,
        omega=np.asarray(omegas, dtype=np.float64),
        amplitude=np.asarray(amps, dtype=np.float64).reshape(-1, nu),
        phase=np.asarray(phases, dtype=np.float64).reshape(-1, nu),
        residual=residual,
        ramp_s=float(motion.ramp_s),
    )


def fitted(motion: Motion, spec: Any, shrink: float = 0.7, tries: int = 6) -> Motion | None:
    """``motion`` as is where it fits the robot's joint ranges, else with every part's offset and
    amplitude shrunk together until it does (a prior a recipe sized for another hand); None when even
    the smallest does not fit (a joint the prior cannot drive)."""
    for k in range(tries):
        scale = shrink**k
        candidate = motion.model_copy(
            update={
                "parts": [
                    p.model_copy(update={"offset": p.offset * scale, "amplitude": p.amplitude * scale})
                    for p in motion.parts
                ]
            }
        )
        try:
            compile_motion(candidate, spec)
        except MotionError as e:
            if "outside its range" not in str(e):
                return None
            continue
        return candidate
    return None


def describe(motion: Motion) -> list[str]:
    """One readable line per part (the page's approach card and the CLI show these)."""
    lines = []
    for p in motion.parts:
        bits = []
        if p.offset:
            bits.append(f"pose {p.offset:+.2f} rad")
        if p.amplitude:
            bits.append(
                f"sine ±{p.amplitude:.2f} rad at {p.frequency_hz:g} Hz"
                + (f", {p.pattern}" if p.pattern != "sync" else "")
            )
        res = motion.residual if p.residual is None else p.residual
        lines.append(f"{p.group or p.joint}: {', '.join(bits)} (residual {res:g})")
    return lines
