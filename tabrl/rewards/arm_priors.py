"""Arm priors solved on the compiled robot: an end-effector path as joint sines (its linearised inverse
kinematics at the start pose, or two shoulder sines without a model), a hand held at a point as a pose, and a
reach as a pose."""

from __future__ import annotations

import itertools
import math
from typing import Any

import mujoco
import numpy as np

from tabrl.rewards.kinematics import Pose, fd_jacobian, solve_damped
from tabrl.rewards.motion import MAX_PARTS, Motion, MotionError, compile_motion
from tabrl.rewards.prior_parts import PriorBuilder
from tabrl.rewards.terms import EEPathParams, EETargetParams
from tabrl.robots.anatomy import ee_limb_joints, side_of_name
from tabrl.robots.model import Robot, RobotSpec

MAX_AMPLITUDE_PRIOR = 0.6  # rad: a path that needs more than this of one joint is scaled down


def ee_pose(robot: Robot, index: int, driven: list[int]) -> Pose:
    """A function mapping a pose of the ``driven`` joints (the rest at the default pose) to end effector
    ``index``'s world position."""
    spec, model = robot.spec, robot.mj_model
    data = mujoco.MjData(model)
    adr = spec.ee_pos_adr[index]

    def ee_at(q: np.ndarray) -> np.ndarray:
        data.qpos[:] = spec.default_qpos
        data.qpos[spec.joint_qpos_adr[driven]] = q
        mujoco.mj_forward(model, data)
        return np.array(data.sensordata[adr])

    return ee_at


def ee_jacobian(robot: Robot, index: int, driven: list[int], q: np.ndarray) -> tuple[np.ndarray, Pose]:
    """(3 x len(driven)) finite-difference Jacobian of end effector ``index`` at joint pose ``q``, and a
    function mapping a pose of the driven joints to the end effector's position."""
    ee_at = ee_pose(robot, index, driven)
    return fd_jacobian(ee_at, q), ee_at


def driven_joints(spec: RobotSpec, robot: Robot | None = None, ee_index: int | None = None) -> list[int]:
    """Joints with a position actuator of their own (the ones a prior can move); for an end effector of a
    body with legs, only those of its own arm (the body plan's), so a hand's path never bends the waist."""
    actuated = set(int(a) for a in spec.actuator_qvel_adr)
    driven = [j for j in range(spec.n_joints) if spec.joint_qvel_adr[j] in actuated]
    if robot is not None and ee_index is not None:
        arm = ee_limb_joints(robot, ee_index)
        if arm is not None:
            driven = [j for j in driven if j in arm]
    return driven


def _free_arm(b: PriorBuilder, robot: Robot, index: int) -> list[int]:
    """The joints of end effector ``index``'s own arm that no part of the prior moves yet ([] without it)."""
    if not len(b.spec.ee) or index >= len(b.spec.ee):
        return []
    return [j for j in driven_joints(b.spec, robot, index) if j not in b.used]


LINE_PULLS = (1.0, 0.85, 0.7, 0.55)  # of the way from the hand's start to a line's centre, tried in turn
# (of the line's length, of its half length moved along itself), tried at each: the whole line, then a shorter one
# in the middle or towards either end.
LINE_FITS = ((1.0, 0.0), (0.6, 0.0), (0.6, 0.5), (0.6, -0.5))


def solved_path(b: PriorBuilder, robot: Robot, p: EEPathParams, budget: int = MAX_PARTS) -> bool:
    """An end-effector path as joint sines, by the robot's linearised inverse kinematics at its start pose.

    The path's displacement from the start, d(t) = D0 + A cos wt + B sin wt (+ C sin 2wt for a figure
    eight), maps through the damped pseudo-inverse of the end effector's Jacobian to per-joint offsets
    and sines with their own phases, so the prior moves the end effector along the path the reward asks
    for (measured on UR5e: a 'wave' line whose prior swung the wrong axis was fought by the policy,
    0.10 m extent instead of 0.30). The whole path shrinks uniformly when a joint lacks room. A line with
    a centre of its own is first solved exactly at both ends (``_solved_line``). At most ``budget`` parts
    (two hands' paths share a prior's parts fairly), the joints that move most first. False when it cannot
    be solved (end effector out of reach of the free joints).
    """
    spec = b.spec
    driven = _free_arm(b, robot, p.index)
    if not driven:
        return False
    lo, hi = spec.joint_range[driven, 0], spec.joint_range[driven, 1]
    home = np.clip(spec.default_joint_pos[driven], lo, hi)
    start = np.asarray(spec.default_ee_pos[p.index], dtype=np.float64)
    if p.center is not None and p.shape == "line":
        # A place out of this arm's reach (G1's and Apollo's hands raised beside the head) is brought towards
        # where the hand starts, and the line shortened or slid along itself, until both ends are reached: as
        # close to the place as the arm goes (Apollo's shoulder barely adducts: a raised hand cannot come in
        # over its shoulder).
        along = _line_half(p)
        for towards, (shorter, shift) in itertools.product(LINE_PULLS, LINE_FITS):
            centre = start + towards * (np.asarray(p.center, dtype=np.float64) - start) + shift * along
            pulled = p.model_copy(update={"center": [float(v) for v in centre], "radius": shorter * p.radius})
            if _solved_line(b, robot, pulled, driven, home, lo, hi, budget):
                return True
    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}[p.plane]
    ea, eb = np.eye(3)[axes[0]], np.eye(3)[axes[1]]
    if p.center is not None:
        centre = np.asarray(p.center, dtype=np.float64)
    else:
        centre = start - (p.radius * ea if p.shape == "circle" else 0.0)
    # A path around a point away from the start (a belly rubbed): linearised about the arm's pose at that
    # point, not about the start, where the circle came out 22 cm off on H1.
    around = home
    if p.center is not None and np.linalg.norm(centre - start) > 2 * p.radius:
        try:
            posed = _reach(robot, p.index, driven, home, centre, lo, hi)
        except Exception:  # noqa: BLE001 - a model without the sensor: fall back to the shoulder sines
            return False
        if posed is not None:
            around, start = posed, centre
    try:
        jac, _ = ee_jacobian(robot, p.index, driven, around)
    except Exception:  # noqa: BLE001 - a model without the sensor: fall back to the shoulder sines
        return False
    r = float(p.radius)
    cos_part = r * ea if p.shape == "circle" else np.zeros(3)
    sin_part = r * eb if p.shape == "circle" else r * ea
    double = 0.5 * r * eb if p.shape == "figure8" else np.zeros(3)
    gram = jac @ jac.T
    pinv = jac.T @ np.linalg.inv(gram + (1e-4 + 1e-3 * np.trace(gram) / 3) * np.eye(3))
    reach = np.linalg.norm(jac @ pinv @ sin_part) / max(float(np.linalg.norm(sin_part)), 1e-9)
    if reach < 0.5:  # the free joints cannot move the end effector that way
        return False
    o, c, s, d2 = (pinv @ v for v in (centre - start, cos_part, sin_part, double))
    o = o + (around - home)
    swing = np.hypot(c, s) + np.abs(d2)
    # Keep every joint inside its range: scale the whole path (its shape stays).
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(o + swing > 1e-9, 0.95 * (hi - home) / (o + swing), np.inf)
        down = np.where(swing - o > 1e-9, 0.95 * (home - lo) / (swing - o), np.inf)
    k = float(min(1.0, np.min(up), np.min(down), MAX_AMPLITUDE_PRIOR / max(float(np.max(swing)), 1e-9)))
    if k < 0.3:
        return False
    _add_path_parts(b, driven, k * o, k * c, k * s, k * d2, float(p.frequency_hz), p.phase, budget)
    return any(int(j) in b.used for j in driven)


HELD_TURN = 2.5  # rad
HELD_SHARE = 0.5  # a held hand's pose that gets it less than this share of the way to its point is no prior


def solved_target(b: PriorBuilder, robot: Robot, p: EETargetParams, budget: int = MAX_PARTS) -> bool:
    """An end effector held at a point (hands on the hips, on the head, out to the sides) as a pose of its own
    arm's joints, solved by damped least squares inside their ranges. Where the point is out of reach the pose
    gets as close as the arm allows (said by the check's measured figures, not hidden); False when that is
    less than half the way, or the arm has no free joints."""
    spec = b.spec
    driven = _free_arm(b, robot, p.index)
    if not driven:
        return False
    home = np.clip(spec.default_joint_pos[driven], spec.joint_range[driven, 0], spec.joint_range[driven, 1])
    # An unlimited joint (OP3's arms) turns at most HELD_TURN either way: a prior's offset is bounded.
    lo = np.maximum(spec.joint_range[driven, 0], home - HELD_TURN)
    hi = np.minimum(spec.joint_range[driven, 1], home + HELD_TURN)
    goal = np.asarray(p.target, dtype=np.float64)
    try:
        ee_at = ee_pose(robot, p.index, driven)
        start = ee_at(home)
        q = _towards(ee_at, home, goal, lo, hi, iterations=200, max_step=0.1)
        left = float(np.linalg.norm(ee_at(q) - goal))
    except Exception:  # noqa: BLE001 - a model without the sensor: no pose prior
        return False
    if left > (1.0 - HELD_SHARE) * float(np.linalg.norm(start - goal)):
        return False
    zero = np.zeros(len(driven))
    _add_path_parts(b, driven, q - home, zero, zero, zero, 1.0, 0.0, budget)
    return any(int(j) in b.used for j in driven)


def _line_half(p: EEPathParams) -> np.ndarray:
    """A line's half: ``radius`` along its plane's first axis (the line runs centre ± this)."""
    half: np.ndarray = np.eye(3)[{"xy": 0, "xz": 0, "yz": 1}[p.plane]] * float(p.radius)
    return half


def _solved_line(
    b: PriorBuilder,
    robot: Robot,
    p: EEPathParams,
    driven: list[int],
    home: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    budget: int,
) -> bool:
    """A line with a centre of its own, solved at both ends: the joints swing between the two solved poses,
    so the end effector reaches each end exactly (two hands meet where their lines end; a linearisation
    about the start fell short of the midline on every humanoid). False where an end is out of reach."""
    centre = np.asarray(p.center, dtype=np.float64)
    along = _line_half(p)
    try:
        low = _reach(robot, p.index, driven, home, centre - along, lo, hi)
        high = None if low is None else _reach(robot, p.index, driven, low, centre + along, lo, hi)
    except Exception:  # noqa: BLE001 - a model without the sensor: fall back to the shoulder sines
        return False
    if low is None or high is None:
        return False
    # target = centre + radius sin(w): the joints at mid + half sin(w) pass through both ends, and must pass
    # near the centre between them (two ends solved on different branches of the arm swing it over the head).
    mid, half = (low + high) / 2, (high - low) / 2
    if np.linalg.norm(ee_pose(robot, p.index, driven)(mid) - centre) > max(0.03, 0.5 * float(p.radius)):
        return False
    zero = np.zeros(len(driven))
    _add_path_parts(b, driven, mid - home, zero, half, zero, float(p.frequency_hz), p.phase, budget)
    return any(int(j) in b.used for j in driven)


def _add_path_parts(
    b: PriorBuilder,
    driven: list[int],
    o: np.ndarray,
    c: np.ndarray,
    s: np.ndarray,
    d2: np.ndarray,
    f: float,
    lap_phase: float,
    budget: int = MAX_PARTS,
) -> None:
    """Each driven joint's offset ``o`` and sine ``c cos wt + s sin wt`` (+ ``d2 sin 2wt``) as prior parts,
    the largest first; ``lap_phase`` shifts the whole path along its lap (EEPathParams.phase)."""
    amp = np.hypot(c, s)
    order = np.argsort(-(amp + np.abs(d2) + np.abs(o)))
    names = b.spec.joint_names
    limit = min(MAX_PARTS, len(b.parts) + budget)
    for n in order:
        if len(b.parts) >= limit:
            break
        if amp[n] < 0.01 and abs(o[n]) < 0.01 and abs(d2[n]) < 0.01:
            continue
        j = driven[n]
        part: dict[str, Any] = {"joint": names[j], "offset": round(float(o[n]), 4)}
        if amp[n] >= 0.01:
            phase = math.atan2(float(c[n]), float(s[n])) / (2 * math.pi) + lap_phase
            phase = phase - 1.0 if phase > 0.5 else phase  # within (-0.5, 0.5], as without a lap phase
            part.update(amplitude=round(float(amp[n]), 4), frequency_hz=f, phase=round(phase, 4))
        if part.get("amplitude") or part["offset"]:
            b.parts.append(part)
            b.used.add(int(j))
        if abs(d2[n]) >= 0.01 and 2 * f <= 5.0 and len(b.parts) < limit:
            b.parts.append(
                {
                    "joint": names[j],
                    "amplitude": round(float(abs(d2[n])), 4),
                    "frequency_hz": 2 * f,
                    "phase": round(
                        ((0.0 if d2[n] > 0 else 0.5) + 2 * lap_phase) % 1.0, 4
                    ),  # 0 or 0.5 unshifted
                }
            )
            b.used.add(int(j))


def _reach(
    robot: Robot,
    index: int,
    driven: list[int],
    home: np.ndarray,
    goal: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray | None:
    """The driven joints' pose that puts end effector ``index`` at ``goal`` (world, the rest at the default
    pose), solved by damped least squares inside the joints' ranges; None when it stays 3 cm or more away."""
    ee_at = ee_pose(robot, index, driven)
    # An unlimited joint (OP3's arms) is kept within a turn either way: its range is inf.
    lo, hi = np.maximum(lo, home - math.pi), np.minimum(hi, home + math.pi)
    # Clipped at the joint limits, damped least squares depends on its steps: a second, finer try (H1's right
    # hand raised to the midline is reached with one and not the other).
    for iterations, max_step in ((40, 0.2), (200, 0.1)):
        q = _towards(ee_at, home, goal, lo, hi, iterations, max_step)
        if np.linalg.norm(ee_at(q) - goal) < 0.03:
            return q
    return None


def _towards(
    ee_at: Pose,
    home: np.ndarray,
    goal: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    iterations: int,
    max_step: float,
) -> np.ndarray:
    """An end effector moved from ``home`` towards ``goal`` by damped least squares (within 5 mm stops it)."""
    return solve_damped(
        ee_at,
        home,
        goal,
        lo,
        hi,
        iterations=iterations,
        max_step=max_step,
        damping=1e-3,
        reached=lambda err: bool(np.linalg.norm(err) < 0.005),
    )


def shoulder_path(b: PriorBuilder, p: EEPathParams) -> None:
    """An end-effector path as two shoulder sines (a quarter cycle apart for a circle), where it cannot be
    solved. The arm on the end effector's side first ("right_wrist" -> right_arm); a body with legs never
    falls back to every joint (that put a hand's wave on a hip)."""
    spec = b.spec
    side = side_of_name(spec.ee[p.index]) if p.index < len(spec.ee) else None
    legged = spec.category in ("humanoid", "quadruped")
    candidates = ([f"{side}_arm"] if side else []) + ["shoulder", "arm"] + ([] if legged else ["all"])
    group = next((g for g in candidates if g in spec.groups and len(spec.groups[g]) >= 2), None)
    if group is None:
        return
    j0, j1 = (int(j) for j in spec.groups[group][:2])
    ee = spec.default_ee_pos[min(p.index, len(spec.default_ee_pos) - 1)] if len(spec.default_ee_pos) else None
    lever = 0.5
    if ee is not None and len(spec.joint_anchor_rel):
        lever = max(0.2, float(np.linalg.norm(ee - (spec.default_base_pos + spec.joint_anchor_rel[j1]))))
    amp = float(np.clip(p.radius / lever, 0.05, 0.8))
    f = float(p.frequency_hz)
    names = spec.joint_names
    b.add({"joint": names[j0], "amplitude": amp, "frequency_hz": f}, np.array([j0]))
    if p.shape == "circle":
        b.add({"joint": names[j1], "amplitude": amp, "frequency_hz": f, "phase": 0.25}, np.array([j1]))
    elif p.shape == "figure8":
        b.add({"joint": names[j1], "amplitude": 0.5 * amp, "frequency_hz": min(2 * f, 5.0)}, np.array([j1]))


def reach_motion(
    robot: Robot,
    index: int,
    axis: str,
    sign: int,
    distance: float,
    *,
    residual: float = 0.5,
    ramp_s: float = 1.0,
) -> Motion | None:
    """A pose prior that moves end effector ``index`` by ``distance`` m along world ``axis`` (x, y, z).

    Solved once at design time by damped least squares on the compiled model (finite-difference
    Jacobian of the end-effector sensor over the position-driven joints), kept inside joint ranges.
    """
    spec = robot.spec
    if not getattr(spec, "position_control", False) or index >= len(spec.ee) or axis not in "xyz":
        return None
    driven = driven_joints(spec, robot, index)
    if not driven:
        return None
    # An unlimited joint (OP3's arms) is kept within a turn either way: its range is inf.
    lo = np.maximum(spec.joint_range[driven, 0], -math.pi)
    hi = np.minimum(spec.joint_range[driven, 1], math.pi)
    home = np.clip(spec.default_joint_pos[driven], lo, hi)
    ee_at = ee_pose(robot, index, driven)
    start = ee_at(home)
    goal = start.copy()
    goal["xyz".index(axis)] += sign * distance
    q = _towards(ee_at, home, goal, lo, hi, iterations=12, max_step=0.3)
    delta = q - home
    size = float(np.max(np.abs(delta)))
    if size < 0.02 or np.linalg.norm(ee_at(q) - start) < 0.3 * distance:
        return None
    names = spec.joint_names
    parts = [
        {"joint": names[j], "offset": round(float(d), 4)}
        for j, d in zip(driven, delta, strict=True)
        if abs(d) > 0.01
    ]
    try:
        motion = Motion.model_validate(
            {"parts": parts[:MAX_PARTS], "residual": residual, "ramp_s": ramp_s, "other_residual": residual}
        )
        compile_motion(motion, spec)
    except (MotionError, ValueError):
        return None
    return motion
