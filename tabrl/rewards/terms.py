"""The primitive reward terms: named, typed building blocks of a RewardProgram.

Each term has a pydantic params model (typed, bounded, documented: it becomes part of the JSON
Schema given to language models) and a function ``fn(xp, features, params, spec)`` returning
one value per state. Tracking terms are shaped ``exp(-err^2 / sigma^2)`` so they lie in
[0, 1]; regularisers return a positive magnitude and take a negative weight.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tabrl.rewards.motion import sine_centre
from tabrl.robots.model import RobotSpec

Features = dict[str, Any]  # feature name -> one array per state (numpy or jax)
# fn(xp, features, params, spec) -> one value per state; params is the term's own Params model.
TermFn = Callable[[Any, Features, Any, RobotSpec], Any]


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclasses.dataclass(frozen=True)
class TermDef:
    name: str
    category: str
    description: str
    params: type[Params]
    fn: TermFn
    needs: tuple[str, ...] = ()  # "feet", "ee", "floating_base", "object", "passive"
    group_param: str | None = None  # the params field naming a joint group


TERMS: dict[str, TermDef] = {}


def term(
    name: str,
    category: str,
    params: type[Params],
    needs: tuple[str, ...] = (),
    group_param: str | None = None,
) -> Callable[[TermFn], TermFn]:
    def register(fn: TermFn) -> TermFn:
        TERMS[name] = TermDef(name, category, (fn.__doc__ or "").strip(), params, fn, needs, group_param)
        return fn

    return register


def _kernel(xp: Any, err2: Any, sigma: float) -> Any:
    return xp.exp(-err2 / (sigma * sigma))


def _group_idx(spec: RobotSpec, group: str) -> np.ndarray:
    return spec.groups[group]


def _phase(f: dict[str, Any], frequency_hz: float) -> Any:
    return 2 * np.pi * frequency_hz * f["t"]


# -- posture ----------------------------------------------------------------------------------
class NoParams(Params):
    pass


class UprightParams(Params):
    sigma: float | None = Field(
        None,
        gt=0.0,
        le=3.0,
        description="Tilt tolerance (about radians): exp(-tilt^2/sigma^2). Omit for the gentle default "
        "((1 + cos tilt) / 2)^2, which still rewards a partly tilted body.",
    )


@term("upright", "posture", UprightParams)
def upright(xp: Any, f: Features, p: UprightParams, spec: RobotSpec) -> Any:
    """Keep the base upright: 1 when level, falling to 0 upside down."""
    up = -f["gravity"][..., 2]
    if p.sigma is None:
        return (0.5 * (1.0 + up)) ** 2
    # |g_body - (0, 0, -1)|^2 = 2 (1 - cos tilt), close to tilt^2 for small tilts.
    return _kernel(xp, 2.0 * (1.0 - up), p.sigma)


class BaseHeightParams(Params):
    target: float | None = Field(
        None, ge=0.0, le=3.0, description="Target base height (m); omit to use ratio."
    )
    ratio: float = Field(1.0, ge=0.0, le=2.0, description="Target as a fraction of the standing height.")
    sigma: float = Field(0.05, gt=0.0, le=1.0, description="Tolerance (m).")


@term("base_height", "posture", BaseHeightParams)
def base_height(xp: Any, f: Features, p: BaseHeightParams, spec: RobotSpec) -> Any:
    """Hold the base at a height: standing tall, crouching, lying down."""
    target = p.target if p.target is not None else p.ratio * spec.standing_height
    return _kernel(xp, (f["base_height"] - target) ** 2, p.sigma)


class OrientationParams(Params):
    roll: float = Field(
        0.0, ge=-1.6, le=1.6, description="Target roll (rad), positive leans right side down."
    )
    pitch: float = Field(0.0, ge=-1.6, le=1.6, description="Target pitch (rad), positive nose down.")
    sigma: float = Field(
        0.2, gt=0.0, le=2.0, description="Tolerance (rad) of the combined roll and pitch error."
    )


@term("base_orientation", "posture", OrientationParams)
def base_orientation(xp: Any, f: Features, p: OrientationParams, spec: RobotSpec) -> Any:
    """Hold the base at a roll and pitch: leaning, bowing, rearing up."""
    return _kernel(xp, (f["roll"] - p.roll) ** 2 + (f["pitch"] - p.pitch) ** 2, p.sigma)


class JointPoseParams(Params):
    group: str = Field("all", description="Joint group (see the robot's groups).")
    offset: float = Field(
        0.0, ge=-3.0, le=3.0, description="Target offset from the default pose for every joint (rad)."
    )
    targets: list[float] | None = Field(
        None, description="Absolute target per joint of the group (rad); overrides offset."
    )
    sigma: float = Field(0.3, gt=0.0, le=3.0, description="Tolerance (rad) of the mean joint error.")


@term("joint_pose", "posture", JointPoseParams, group_param="group")
def joint_pose(xp: Any, f: Features, p: JointPoseParams, spec: RobotSpec) -> Any:
    """Hold a joint group at a pose (the default pose plus an offset, or explicit targets)."""
    idx = _group_idx(spec, p.group)
    if p.targets is not None:
        target = np.asarray(p.targets) - spec.default_joint_pos[idx]
    else:
        target = np.full(len(idx), p.offset)
    err = xp.mean((f["q_rel"][..., idx] - target) ** 2, axis=-1)
    return _kernel(xp, err, p.sigma)


# -- motion -----------------------------------------------------------------------------------
class TrackVelocityParams(Params):
    vx: float = Field(0.0, ge=-3.0, le=3.0, description="Forward speed (m/s).")
    vy: float = Field(0.0, ge=-3.0, le=3.0, description="Leftward speed (m/s).")
    yaw_rate: float = Field(
        0.0, ge=-6.0, le=6.0, description="Turning rate (rad/s), positive counter-clockwise."
    )
    sigma: float = Field(
        0.25, gt=0.0, le=3.0, description="Tolerance of the velocity error (m/s; turning counts half)."
    )


@term("track_velocity", "motion", TrackVelocityParams)
def track_velocity(xp: Any, f: Features, p: TrackVelocityParams, spec: RobotSpec) -> Any:
    """Track a commanded forward, sideways and turning velocity (like a joystick)."""
    err = (
        (f["forward_speed"] - p.vx) ** 2
        + (f["lateral_speed"] - p.vy) ** 2
        + 0.5 * (f["yaw_rate"] - p.yaw_rate) ** 2
    )
    return _kernel(xp, err, p.sigma)


class ForwardSpeedParams(Params):
    target: float = Field(
        0.5, ge=-3.0, le=5.0, description="Speed along the heading (m/s); negative = backwards."
    )


@term("forward_speed", "motion", ForwardSpeedParams)
def forward_speed(xp: Any, f: Features, p: ForwardSpeedParams, spec: RobotSpec) -> Any:
    """Move along the heading: rises linearly to 1 at the target speed (negative target: backwards)."""
    scale = p.target if abs(p.target) > 1e-3 else 1e-3
    return xp.clip(f["forward_speed"] / scale, -1.0, 1.0)


class SpinParams(Params):
    yaw_rate: float = Field(
        1.5, ge=-6.0, le=6.0, description="Turning rate (rad/s); positive counter-clockwise."
    )
    sigma: float | None = Field(
        None,
        gt=0.0,
        le=6.0,
        description="Tolerance (rad/s): exp(-(rate - yaw_rate)^2/sigma^2). Omit for a ramp that rises linearly "
        "to 1 at the target rate (and is negative when turning the wrong way).",
    )


@term("spin", "motion", SpinParams)
def spin(xp: Any, f: Features, p: SpinParams, spec: RobotSpec) -> Any:
    """Turn about the vertical at a signed rate (spinning in place, turning on the spot)."""
    if p.sigma is not None:
        return _kernel(xp, (f["yaw_rate"] - p.yaw_rate) ** 2, p.sigma)
    scale = p.yaw_rate if abs(p.yaw_rate) > 1e-3 else 1e-3
    return xp.clip(f["yaw_rate"] / scale, -1.0, 1.0)


class StayParams(Params):
    radius: float = Field(0.3, gt=0.0, le=5.0, description="How far from the start counts as in place (m).")


@term("stay_in_place", "motion", StayParams)
def stay_in_place(xp: Any, f: Features, p: StayParams, spec: RobotSpec) -> Any:
    """Stay near the start: full reward within the radius, plus a bonus for not sliding."""
    outside = xp.maximum(f["drift"] - p.radius, 0.0)
    speed2 = f["base_vel_world"][..., 0] ** 2 + f["base_vel_world"][..., 1] ** 2
    return 0.5 * _kernel(xp, outside**2, p.radius) + 0.5 * _kernel(xp, speed2, 0.3)


# -- rhythm -----------------------------------------------------------------------------------
class JointSineParams(Params):
    group: str = Field(..., description="Joint group to move (see the robot's groups).")
    amplitude: float = Field(0.3, gt=0.0, le=1.5, description="Swing amplitude (rad).")
    frequency_hz: float = Field(1.5, gt=0.0, le=6.0, description="Swings per second (Hz).")
    pattern: Literal["sync", "alternate", "wave"] = Field(
        "sync", description="sync: all together; alternate: every other joint opposite; wave: phases spread."
    )
    sigma: float = Field(
        0.25, gt=0.0, le=3.0, description="Tolerance (rad) of the mean joint error from the moving target."
    )


@functools.lru_cache(maxsize=64)
def _sine_phases(pattern: str, n: int) -> np.ndarray:
    """Per-joint phase offsets: sync 0; alternate 0, pi, 0, ...; wave 2 pi i / n."""
    if pattern == "alternate":
        return np.pi * (np.arange(n) % 2)
    if pattern == "wave":
        return 2 * np.pi * np.arange(n) / max(n, 1)
    return np.zeros(n)


@functools.lru_cache(maxsize=256)
def _sine_centre(spec: RobotSpec, group: str, amplitude: float) -> tuple[np.ndarray, np.ndarray]:
    return sine_centre(spec, _group_idx(spec, group), amplitude)


@term("joint_sine", "rhythm", JointSineParams, group_param="group")
def joint_sine(xp: Any, f: Features, p: JointSineParams, spec: RobotSpec) -> Any:
    """Swing a joint group sinusoidally around the default pose (shaking, wagging, dancing).

    On arms and hands a joint whose default pose sits at an edge of its range swings around a point
    inside the range instead (the same centre the motion prior uses).
    """
    idx = _group_idx(spec, p.group)
    phases = _sine_phases(p.pattern, len(idx))
    shift, amp = _sine_centre(spec, p.group, float(p.amplitude))
    target = shift + amp * xp.sin(_phase(f, p.frequency_hz)[..., None] + phases)
    err = xp.mean((f["q_rel"][..., idx] - target) ** 2, axis=-1)
    return _kernel(xp, err, p.sigma)


class BaseOscillationParams(Params):
    axis: Literal["height", "roll", "pitch", "yaw"] = Field(
        "height", description="What oscillates: base height, roll, pitch or heading."
    )
    amplitude: float = Field(0.05, gt=0.0, le=1.0, description="Metres for height, radians otherwise.")
    frequency_hz: float = Field(1.0, gt=0.0, le=6.0, description="Oscillations per second (Hz).")
    sigma: float | None = Field(None, gt=0.0, le=2.0, description="Tolerance; default 0.7 x amplitude.")


@term("base_oscillation", "rhythm", BaseOscillationParams, needs=("floating_base",))
def base_oscillation(xp: Any, f: Features, p: BaseOscillationParams, spec: RobotSpec) -> Any:
    """Oscillate the body: bob up and down, rock side to side, nod, or twist."""
    wave = p.amplitude * xp.sin(_phase(f, p.frequency_hz))
    value = {
        "height": f["base_height"] - spec.standing_height,
        "roll": f["roll"],
        "pitch": f["pitch"],
        "yaw": f["yaw"],
    }[p.axis]
    return _kernel(xp, (value - wave) ** 2, p.sigma or 0.7 * p.amplitude)


# -- jumping and feet -------------------------------------------------------------------------
class JumpParams(Params):
    height: float = Field(0.1, gt=0.0, le=1.0, description="How high above standing height to rise (m).")


@term("jump", "jumping", JumpParams, needs=("floating_base",))
def jump(xp: Any, f: Features, p: JumpParams, spec: RobotSpec) -> Any:
    """Rise above standing height (and move upward fast): rewards leaving the ground."""
    rise = xp.clip((f["base_height"] - spec.standing_height) / p.height, 0.0, 1.5)
    return rise + 0.25 * xp.clip(f["vertical_speed"], 0.0, 2.0)


class AirTimeParams(Params):
    all_feet: bool = Field(False, description="Reward only moments with every foot off the ground.")


@term("air_time", "jumping", AirTimeParams, needs=("feet",))
def air_time(xp: Any, f: Features, p: AirTimeParams, spec: RobotSpec) -> Any:
    """Keep feet off the ground: the fraction of feet in the air, or 1 when all are."""
    air = 1.0 - f["feet_contact"]
    return xp.prod(air, axis=-1) if p.all_feet else xp.mean(air, axis=-1)


class ContactPatternParams(Params):
    pattern: Literal["trot", "pace", "bound", "pronk", "walk", "stand"] = Field(
        "trot",
        description="trot: diagonal pairs; pace: same-side pairs; bound: front then back; pronk: all "
        "together; walk: one foot at a time; stand: all feet down. Bipeds alternate left and right.",
    )
    frequency_hz: float = Field(2.0, gt=0.0, le=6.0, description="Gait cycles per second.")


@functools.lru_cache(maxsize=64)
def _gait_offsets(spec: RobotSpec, pattern: str) -> tuple[np.ndarray, float]:
    """Each foot's phase offset (fraction of a cycle) and the stance fraction of a gait."""
    rel = spec.default_feet_rel
    front, left = rel[:, 0] > 0, rel[:, 1] > 0
    if len(rel) == 2:  # bipeds: left and right alternate
        return (
            np.where(left, 0.0, 0.5) if pattern != "pronk" else np.zeros(2)
        ), 0.5 if pattern != "walk" else 0.6
    offsets = {
        "trot": np.where(front == left, 0.0, 0.5),
        "pace": np.where(left, 0.0, 0.5),
        "bound": np.where(front, 0.0, 0.5),
        "pronk": np.zeros(len(rel)),
        "walk": np.select([front & left, ~front & ~left, front & ~left], [0.0, 0.25, 0.5], 0.75),
        "stand": np.zeros(len(rel)),
    }[pattern]
    duty = {"walk": 0.75, "stand": 1.01}.get(pattern, 0.5)
    return offsets, duty


@term("foot_contact_pattern", "jumping", ContactPatternParams, needs=("feet",))
def foot_contact_pattern(xp: Any, f: Features, p: ContactPatternParams, spec: RobotSpec) -> Any:
    """Follow a gait's foot-contact timing: trot, pace, bound, pronk (all together), walk, stand."""
    offsets, duty = _gait_offsets(spec, p.pattern)
    cycle = p.frequency_hz * f["t"][..., None] + offsets
    stance = xp.where(cycle - xp.floor(cycle) < duty, 1.0, 0.0)
    return 1.0 - xp.mean(xp.abs(f["feet_contact"] - stance), axis=-1)


# -- arms and hands ---------------------------------------------------------------------------
class EETargetParams(Params):
    target: list[float] = Field(..., min_length=3, max_length=3, description="World position [x, y, z] (m).")
    index: int = Field(0, ge=0, description="Which end effector / fingertip.")
    sigma: float = Field(0.1, gt=0.0, le=2.0, description="Tolerance (m) of the distance to the target.")


@term("ee_target", "arms", EETargetParams, needs=("ee",))
def ee_target(xp: Any, f: Features, p: EETargetParams, spec: RobotSpec) -> Any:
    """Bring an end effector (or fingertip) to a point in space."""
    err = xp.sum((f["ee_pos"][..., p.index, :] - np.asarray(p.target)) ** 2, axis=-1)
    return _kernel(xp, err, p.sigma)


class EEPathParams(Params):
    shape: Literal["circle", "line", "figure8"] = Field(
        "circle",
        description="circle; line: back and forth along the plane's first axis; figure8: a lemniscate.",
    )
    center: list[float] | None = Field(
        None,
        min_length=3,
        max_length=3,
        description="World centre of the path [x, y, z] (m); omit to place the path so it starts where the end "
        "effector starts (the circle then passes through that point).",
    )
    radius: float = Field(0.15, gt=0.0, le=1.0, description="Size of the path (m).")
    frequency_hz: float = Field(0.5, gt=0.0, le=3.0, description="Laps per second.")
    plane: Literal["xy", "xz", "yz"] = Field(
        "xz", description="World plane of the path: xy horizontal, xz and yz vertical."
    )
    index: int = Field(0, ge=0, description="Which end effector / fingertip.")
    sigma: float = Field(
        0.08, gt=0.0, le=1.0, description="Tolerance (m) of the distance to the moving target."
    )
    phase: float = Field(
        0.0,
        ge=0.0,
        lt=1.0,
        description="Where in its lap the target starts (a fraction of a lap): two hands' paths half a lap "
        "apart move mirrored, and meet where their lines meet.",
    )


@term("ee_path", "arms", EEPathParams, needs=("ee",))
def ee_path(xp: Any, f: Features, p: EEPathParams, spec: RobotSpec) -> Any:
    """Trace a moving target with an end effector: a circle, a line back and forth, a figure eight."""
    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}[p.plane]
    if p.center is not None:
        center = np.asarray(p.center, dtype=np.float64)
    else:  # every path starts at its centre, except the circle, which starts at (radius, 0) from it
        center = np.array(spec.default_ee_pos[p.index], dtype=np.float64)
        if p.shape == "circle":
            center[axes[0]] -= p.radius
    w = _phase(f, p.frequency_hz) + 2 * np.pi * p.phase
    if p.shape == "circle":
        a, b = p.radius * xp.cos(w), p.radius * xp.sin(w)
    elif p.shape == "line":
        a, b = p.radius * xp.sin(w), 0.0 * w
    else:
        a, b = p.radius * xp.sin(w), 0.5 * p.radius * xp.sin(2 * w)
    offset = [0.0 * w, 0.0 * w, 0.0 * w]
    offset[axes[0]], offset[axes[1]] = a, b
    target = xp.stack(offset, axis=-1) + center
    err = xp.sum((f["ee_pos"][..., p.index, :] - target) ** 2, axis=-1)
    return _kernel(xp, err, p.sigma)


# -- objects and the scene ----------------------------------------------------------------------
# Terms on the thing the robot acts on: the scene's first free object (a cube) or its passive joints (a
# drawer, a door). Each is bounded in [0, 1] (or [-1, 1] where the wrong way counts against).
class ObjectReachParams(Params):
    index: int | None = Field(
        None, ge=0, description="Which end effector / fingertip; omit for the centre of all of them."
    )
    above: float = Field(
        0.0,
        ge=-0.2,
        le=0.3,
        description="Aim this far above the object's centre (m), e.g. to come down on it.",
    )
    sigma: float = Field(0.1, gt=0.0, le=2.0, description="Distance scale (m): 1 - tanh(distance / sigma).")


@term("object_reach", "objects", ObjectReachParams, needs=("ee", "object"))
def object_reach(xp: Any, f: Features, p: ObjectReachParams, spec: RobotSpec) -> Any:
    """Bring the end effector (or the fingertips' centre) to the object: 1 at it, falling with distance."""
    hand = f["ee_pos"][..., p.index, :] if p.index is not None else f["ee_center"]
    gap = f["object_pos"] - hand + np.array([0.0, 0.0, p.above])
    return 1.0 - xp.tanh(xp.sqrt(xp.sum(gap * gap, axis=-1) + 1e-12) / p.sigma)


class ObjectLiftParams(Params):
    height: float = Field(
        0.1, gt=0.0, le=1.0, description="Height above its start (m) that earns the full reward."
    )


@term("object_lift", "objects", ObjectLiftParams, needs=("object",))
def object_lift(xp: Any, f: Features, p: ObjectLiftParams, spec: RobotSpec) -> Any:
    """Lift the object: its height gained over its start, as a share of the target height (0 to 1)."""
    return xp.clip(f["object_rise"] / p.height, 0.0, 1.0)


class ObjectPushParams(Params):
    direction: list[float] = Field(
        [1.0, 0.0],
        min_length=2,
        max_length=2,
        description="World horizontal direction [x, y] to push the object (normalised; [1, 0] is +x).",
    )
    distance: float = Field(0.1, gt=0.0, le=2.0, description="Displacement (m) that earns the full reward.")


@term("object_push", "objects", ObjectPushParams, needs=("object",))
def object_push(xp: Any, f: Features, p: ObjectPushParams, spec: RobotSpec) -> Any:
    """Move the object along a horizontal direction: its displacement that way over the target distance
    (-1 to 1: pushing it back counts against)."""
    d = np.asarray(p.direction, dtype=np.float64)
    d = d / max(float(np.linalg.norm(d)), 1e-9)
    along = f["object_offset"][..., 0] * d[0] + f["object_offset"][..., 1] * d[1]
    return xp.clip(along / p.distance, -1.0, 1.0)


class ObjectTurnParams(Params):
    mode: Literal["angle", "yaw_rate"] = Field(
        "angle",
        description="angle: turn the object away from its start orientation (any axis); yaw_rate: keep it "
        "spinning about the vertical at a signed rate.",
    )
    target: float = Field(
        1.57,
        ge=-20.0,
        le=20.0,
        description="angle: the turn (rad, > 0) that earns the full reward; yaw_rate: the rate (rad/s), "
        "positive counter-clockwise.",
    )


@term("object_turn", "objects", ObjectTurnParams, needs=("object",))
def object_turn(xp: Any, f: Features, p: ObjectTurnParams, spec: RobotSpec) -> Any:
    """Turn the object: its angle from the start orientation (0 to 1 at the target), or its turning rate
    about the vertical (-1 to 1, negative when spinning the wrong way)."""
    scale = p.target if abs(p.target) > 1e-3 else 1e-3
    if p.mode == "yaw_rate":
        return xp.clip(f["object_yaw_rate"] / scale, -1.0, 1.0)
    return xp.clip(f["object_turn"] / abs(scale), 0.0, 1.0)


class JointOpenParams(Params):
    distance: float = Field(
        0.1,
        gt=0.0,
        le=3.0,
        description="Opening (m for a drawer, rad for a door) that earns the full reward.",
    )


@term("joint_open", "objects", JointOpenParams, needs=("passive",))
def joint_open(xp: Any, f: Features, p: JointOpenParams, spec: RobotSpec) -> Any:
    """Open the scene's drawer or door: how far its passive joint moved from the start (0 to 1)."""
    return xp.clip(f["opening"] / p.distance, 0.0, 1.0)


# -- regularisers (positive magnitudes: give them a negative weight) ---------------------------
@term("action_rate", "regulariser", NoParams)
def action_rate(xp: Any, f: Features, p: NoParams, spec: RobotSpec) -> Any:
    """How much the action changed since the last step (squared). Use a negative weight."""
    return xp.sum((f["action"] - f["last_action"]) ** 2, axis=-1)


@term("torque", "regulariser", NoParams)
def torque(xp: Any, f: Features, p: NoParams, spec: RobotSpec) -> Any:
    """Squared actuator forces. Use a negative weight."""
    return xp.sum(f["torque"] ** 2, axis=-1)


@functools.lru_cache(maxsize=64)
def _soft_limits(spec: RobotSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which joints are limited, their range midpoints and 95 % half-ranges."""
    lo, hi = spec.joint_range[:, 0], spec.joint_range[:, 1]
    finite = np.isfinite(lo) & np.isfinite(hi)
    mid = np.where(finite, (lo + hi) / 2, 0.0)
    half = np.where(finite, (hi - lo) / 2 * 0.95, np.inf)
    return finite, mid, half


@term("joint_limits", "regulariser", NoParams)
def joint_limits(xp: Any, f: Features, p: NoParams, spec: RobotSpec) -> Any:
    """How far joints go beyond 95 % of their range. Use a negative weight."""
    finite, mid, half = _soft_limits(spec)
    over = xp.maximum(xp.abs(f["q"] - mid) - half, 0.0)
    return xp.sum(xp.where(finite, over, 0.0), axis=-1)


@functools.lru_cache(maxsize=64)
def _actuator_joints(spec: RobotSpec) -> tuple[np.ndarray, np.ndarray]:
    """Index into ``qd`` of each actuator's joint, and a 0/1 mask of actuators that drive one."""
    joint_of = {int(a): j for j, a in enumerate(spec.joint_qvel_adr)}
    act_joint = np.array([joint_of.get(int(a), 0) for a in spec.actuator_qvel_adr], dtype=np.int32)
    has = np.array([int(a) in joint_of for a in spec.actuator_qvel_adr], dtype=np.float64)
    return act_joint, has


@term("energy", "regulariser", NoParams)
def energy(xp: Any, f: Features, p: NoParams, spec: RobotSpec) -> Any:
    """Mechanical power |torque x joint speed| summed over actuators. Use a negative weight."""
    if len(spec.actuator_qvel_adr) == 0:
        return 0.0 * f["t"]
    act_joint, has = _actuator_joints(spec)
    qd_act = f["qd"][..., act_joint] * has
    return xp.sum(xp.abs(f["torque"] * qd_act), axis=-1)


@term("alive", "regulariser", NoParams)
def alive(xp: Any, f: Features, p: NoParams, spec: RobotSpec) -> Any:
    """A constant 1 each step the episode goes on: worth it where falling ends the episode."""
    return xp.ones_like(f["t"])


def term_key(name: str, params: Params, taken: set[str]) -> str:
    """A readable, unique name for a term in reports, e.g. 'joint_sine:hip_abduction'."""
    label = name
    for attr in ("group", "axis", "pattern", "shape"):
        value = getattr(params, attr, None)
        if isinstance(value, str):
            label = f"{name}:{value}"
            break
    key, n = label, 2
    while key in taken:
        key, n = f"{label}#{n}", n + 1
    return key


def rhythm_hz(terms: Iterable[Any]) -> float | None:
    """The frequency of the first rhythmic term (one whose params set ``frequency_hz``), else None.

    It sets the phase clock the policy observes: a policy can only produce a rhythm it can
    time, so "shake at 1.5 Hz" becomes a function of the observation. Takes validated terms or
    their JSON (the designer retimes extra rhythms to it before a program exists).
    """
    for t in terms:
        params = t.get("params") if isinstance(t, dict) else getattr(t, "params", None)
        hz = params.get("frequency_hz") if isinstance(params, dict) else getattr(params, "frequency_hz", None)
        if hz:
            return float(hz)
    return None
