"""The motion prior a reward program describes, read from its terms.

A program that rewards ``joint_sine`` on the hips, a trot's foot timing with a forward speed, or a
lowered base already says how the robot should move. ``motion_from_terms`` turns those terms into a
**motion prior** (``Motion``): rhythms and poses of joint groups become sines and offsets; gaits
(walking, turning, pronking) and postures (crouch, lie down, sit) of quadrupeds become the measured leg
rhythms of ``rewards/leg_priors.py``; a biped's squat is solved on its body plan (``rewards/postures.py``);
arm paths become joint sines and a hand held at a point a pose of its arm (``rewards/arm_priors.py``). The policy then learns a residual around a
motion that is there from its first step. Its success check is read in ``rewards/shape_checks.py``.

Each term kind has one small reader below: the joint rhythms and poses add their parts directly (every
such term, heaviest first); the others say what they ask of the base or an end effector (``TermAsks``).
The prior is data, validated like any program; designers use it as a default and may override it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from tabrl.rewards.arm_priors import shoulder_path, solved_path, solved_target
from tabrl.rewards.leg_priors import SUPPORT_SHARE, add_leg_prior, leg_groups, robot_rhythms, support_joints
from tabrl.rewards.motion import MAX_PARTS, Motion, MotionError, compile_motion
from tabrl.rewards.postures import bow_offsets, squat_offsets
from tabrl.rewards.prior_parts import PATTERN, PriorBuilder, TermAsks, group_joints
from tabrl.rewards.terms import (
    AirTimeParams,
    BaseHeightParams,
    BaseOscillationParams,
    ContactPatternParams,
    EEPathParams,
    EETargetParams,
    ForwardSpeedParams,
    JointPoseParams,
    JointSineParams,
    JumpParams,
    OrientationParams,
    Params,
    SpinParams,
    TrackVelocityParams,
)
from tabrl.robots.anatomy import ee_limb_joints
from tabrl.robots.model import Robot, RobotSpec, holding_offsets_at

OTHER_RESIDUAL_LEGGED = 0.3

P = TypeVar("P", bound=Params)


@dataclasses.dataclass
class _Reading:
    """What the readers write to: the prior's parts and what the terms ask."""

    b: PriorBuilder
    asks: TermAsks
    support: set[int]  # the joints a legged robot stands on

    @property
    def spec(self) -> RobotSpec:
        return self.b.spec


@dataclasses.dataclass(frozen=True)
class _Reader(Generic[P]):
    """One term kind's reader: its params' type and what it does with a term of that kind."""

    params: type[P]
    read: Callable[[_Reading, P, float], None]  # (reading, the term's params, its weight)

    def __call__(self, reading: _Reading, term: Any) -> None:
        if isinstance(term.params, self.params):
            self.read(reading, term.params, float(term.weight))


def _joint_sine(r: _Reading, p: JointSineParams, _weight: float) -> None:
    if p.group not in r.spec.groups:
        return
    joints = group_joints(r.spec, p.group)
    amp = float(p.amplitude)
    if r.support & set(int(j) for j in joints):
        amp *= SUPPORT_SHARE  # legs that carry the body: the prior leads, the policy adds the rest
    if r.b.centred_sine(p, joints):
        return
    part = {"group": p.group, "amplitude": amp, "frequency_hz": float(p.frequency_hz)}
    r.b.add(part | {"pattern": PATTERN.get(p.pattern, "sync")}, joints)


def _joint_pose(r: _Reading, p: JointPoseParams, weight: float) -> None:
    if p.group not in r.spec.groups or weight <= 0:
        return
    joints = group_joints(r.spec, p.group)
    if p.targets is not None:
        delta = np.asarray(p.targets, dtype=np.float64) - r.spec.default_joint_pos[joints]
        size = float(np.max(np.abs(delta))) if len(delta) else 0.0
        if size > 0.02:
            scale = [round(float(v / size), 4) for v in delta]
            r.b.add({"group": p.group, "offset": size, "joint_scale": scale}, joints)
    elif abs(p.offset) > 0.02:
        r.b.add({"group": p.group, "offset": float(p.offset)}, joints)


def _track_velocity(r: _Reading, p: TrackVelocityParams, _weight: float) -> None:
    r.asks.vx, r.asks.yaw = float(p.vx), float(p.yaw_rate)
    if abs(p.vy) > 0.05 and not p.vx and not p.yaw_rate:
        r.asks.yaw = 1e-3 * math.copysign(
            1.0, float(p.vy)
        )  # step in place; the policy learns the sideways push


def _forward_speed(r: _Reading, p: ForwardSpeedParams, _weight: float) -> None:
    r.asks.vx = float(p.target)


def _spin(r: _Reading, p: SpinParams, _weight: float) -> None:
    r.asks.yaw = float(p.yaw_rate)


def _contact_pattern(r: _Reading, p: ContactPatternParams, _weight: float) -> None:
    r.asks.pattern = p.pattern
    if p.pattern != "stand":
        r.asks.gait_hz = float(p.frequency_hz)


def _base_height(r: _Reading, p: BaseHeightParams, _weight: float) -> None:
    standing = max(r.spec.standing_height, 1e-6)
    r.asks.height_ratio = p.target / standing if p.target is not None else p.ratio


def _base_orientation(r: _Reading, p: OrientationParams, _weight: float) -> None:
    r.asks.pitch = float(p.pitch)
    r.asks.roll = float(p.roll)


def _jump(r: _Reading, _p: JumpParams, _weight: float) -> None:
    r.asks.jumping = True


def _air_time(r: _Reading, p: AirTimeParams, _weight: float) -> None:
    r.asks.jumping = r.asks.jumping or p.all_feet


def _base_oscillation(r: _Reading, p: BaseOscillationParams, _weight: float) -> None:
    r.asks.bounce = p


def _ee_path(r: _Reading, p: EEPathParams, _weight: float) -> None:
    r.asks.paths[p.index] = p  # read heaviest first: the lightest of each end effector's paths stays


def _ee_target(r: _Reading, p: EETargetParams, _weight: float) -> None:
    r.asks.targets[p.index] = p  # read heaviest first: the lightest of each end effector's points stays


# Every such term adds its part, heaviest first (a joint is moved by the first part that claims it).
EVERY_TERM: dict[str, _Reader[Any]] = {
    "joint_sine": _Reader(JointSineParams, _joint_sine),
    "joint_pose": _Reader(JointPoseParams, _joint_pose),
    "ee_path": _Reader(EEPathParams, _ee_path),
    "ee_target": _Reader(EETargetParams, _ee_target),
}
# The lightest-weighted term of each kind says what the prior follows, read in this order: a forward speed
# or a spin overrides the velocity command's own part.
ONE_PER_KIND: dict[str, _Reader[Any]] = {
    "track_velocity": _Reader(TrackVelocityParams, _track_velocity),
    "forward_speed": _Reader(ForwardSpeedParams, _forward_speed),
    "spin": _Reader(SpinParams, _spin),
    "foot_contact_pattern": _Reader(ContactPatternParams, _contact_pattern),
    "base_height": _Reader(BaseHeightParams, _base_height),
    "base_orientation": _Reader(OrientationParams, _base_orientation),
    "jump": _Reader(JumpParams, _jump),
    "air_time": _Reader(AirTimeParams, _air_time),
    "base_oscillation": _Reader(BaseOscillationParams, _base_oscillation),
}


def motion_from_terms(
    terms: Sequence[Any],
    spec: RobotSpec | None,
    *,
    robot: str | None = None,
    residual: float = 0.5,
    ramp_s: float = 0.5,
    model: Robot | None = None,
) -> Motion | None:
    """A motion prior for the behavior the terms describe on this robot (None when they describe none).

    ``robot`` is the profile key (``go1``) whose gait rig gives the measured leg rhythms. ``model`` (the
    compiled robot, optional) lets an end-effector path be solved into joint sines by the robot's own
    kinematics, and a biped's squat on its body plan; without it the path becomes two shoulder sines.
    """
    if spec is None or not getattr(spec, "position_control", False):
        return None
    reading = _Reading(PriorBuilder(spec), TermAsks(), support_joints(spec))
    ranked = sorted(terms, key=lambda t: -abs(float(getattr(t, "weight", 1.0))))
    # 1. Joint rhythms and poses the program rewards directly.
    for t in ranked:
        if t.term in EVERY_TERM:
            EVERY_TERM[t.term](reading, t)
    kinds = {t.term: t for t in ranked if getattr(t, "term", "expr") != "expr"}
    for kind, reader in ONE_PER_KIND.items():
        if kind in kinds:
            reader(reading, kinds[kind])
    b, asks = reading.b, reading.asks
    # 2. Quadruped gaits, postures and body rhythms from what the terms ask of the base.
    gait_residual = add_leg_prior(b, asks, robot_rhythms(robot))
    # 3. A biped's lower stance (squat, crouch) or bow: leg flexion solved on its body plan.
    if model is not None and spec.floating_base and asks.pitch > BOW_PITCH:
        _bow(b, model, asks.pitch)
    if model is not None and spec.floating_base and asks.height_ratio is not None:
        _squat(b, model, asks.height_ratio)
    # 4. Arms: each end effector's path as joint sines on its own arm (two shoulder sines where it cannot be
    # solved). On a body with legs only a hand's path is solved, on that arm's joints (never a leg's).
    held = {i: t for i, t in asks.targets.items() if i not in asks.paths}  # a path wins over a point
    budget = MAX_PARTS // max(1, len(asks.paths) + len(held))  # two hands share the prior's parts
    placed = False
    for target in held.values():  # a hand held at a point: a pose of its own arm
        if model is not None and (not spec.floating_base or ee_limb_joints(model, target.index) is not None):
            placed = solved_target(b, model, target, budget) or placed
    for path in asks.paths.values():
        solved = (
            model is not None
            and (not spec.floating_base or ee_limb_joints(model, path.index) is not None)
            and solved_path(b, model, path, budget)
        )
        placed = placed or (solved and path.center is not None)  # a path around a point away from the start
        if not solved and spec.category in ("arm", "humanoid"):
            shoulder_path(b, path)
    if placed and model is not None:
        _hold_posed_weight(b, model)
    if not b.parts:
        return None
    # A robot standing on its legs keeps little policy authority on the joints the prior leaves alone:
    # measured on Go1's hip shake at 10k steps, 3 of 3 seeds upright with 0.3, 1 of 3 with the full action.
    # A base policy trained with the whole action scale (soft ankles: the profile's balance_share) keeps it on the
    # joints the prior leaves alone, else its balancing actions are clipped to 0.3 of what it learned (G1 fell
    # 3 of 3 under any prior, standing in 8 of 8 without one; 1-3 of 3 with only the free joints kept).
    share = model.profile.balance_share if model is not None and spec.floating_base else None
    others = (share or OTHER_RESIDUAL_LEGGED) if spec.floating_base else residual
    residual = max(
        residual, share or 0.0
    )  # and on the prior's own joints: the base's actions are not clipped
    motion = Motion.model_validate(
        {"parts": b.parts, "residual": gait_residual or residual, "ramp_s": ramp_s, "other_residual": others}
    )
    try:
        compile_motion(motion, spec)
    except MotionError:
        return None
    return motion


def _hold_posed_weight(b: PriorBuilder, model: Robot) -> None:
    """Hands held somewhere move the body's weight: the legs' targets go past the standing pose by the static
    torque the posed body needs (torque / kp, as ``hold_weight`` and the bow do), as one part over the legs that
    keeps their usual residual. Measured on H1 holding a hug with the zero action (3 seeds x 3 copies, 10 s): 8
    of 9 fell without it, 2 of 9 with it, 9 of 9 with the offsets reversed."""
    spec = b.spec
    if not (spec.floating_base and model.profile.feet and "legs" in spec.groups and b.parts):
        return
    legs = group_joints(spec, "legs")
    if b.used & set(int(j) for j in legs):
        return
    try:
        compiled = compile_motion(Motion.model_validate({"parts": b.parts}), spec)
    except (MotionError, ValueError):
        return
    posed = spec.default_qpos.copy()
    per_joint = np.zeros(spec.n_joints)
    joints = np.asarray(model.actuator_joint)
    for a, j in enumerate(joints):
        if j >= 0:
            posed[spec.joint_qpos_adr[j]] += compiled.offset[a]
    extra = holding_offsets_at(model, posed) - holding_offsets_at(model, spec.default_qpos)
    for a, j in enumerate(joints):
        if j >= 0:
            per_joint[j] = extra[a]
    delta = per_joint[legs]
    size = float(np.max(np.abs(delta)))
    if size < 1e-3:
        return
    scale = [round(float(v / size), 4) for v in delta]
    share = model.profile.balance_share or OTHER_RESIDUAL_LEGGED
    b.add({"group": "legs", "offset": size, "joint_scale": scale, "residual": share}, legs)


BOW_PITCH = 0.15  # rad: a base orientation pitched further forward than this asks for a bow


def _bow(b: PriorBuilder, model: Robot, pitch: float) -> None:
    """A bow on a body without a quadruped's legs: the hips fold, the feet stay flat under the body
    (rewards/postures.py solves it)."""
    if leg_groups(b.spec) is not None:
        return
    names = list(b.spec.joint_names)
    for joint, offset in bow_offsets(model, pitch).items():
        b.add({"joint": joint, "offset": offset, "residual": 1.0}, np.array([names.index(joint)]))


def _squat(b: PriorBuilder, model: Robot, ratio: float) -> None:
    """A lowered stance on a body without a quadruped's legs (rewards/postures.py solves it)."""
    if leg_groups(b.spec) is not None or ratio >= 0.95:
        return
    names = list(b.spec.joint_names)
    for joint, offset in squat_offsets(model, (1.0 - ratio) * float(b.spec.standing_height)).items():
        b.add({"joint": joint, "offset": offset, "residual": 1.0}, np.array([names.index(joint)]))
