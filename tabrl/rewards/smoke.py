"""The smoke test a program must pass before any training starts.

It evaluates the program on sampled states of the robot (around the default pose, with
random velocities, actions and times): every total must be finite, one value per state, and
the totals must not all be equal — a constant reward teaches nothing.
"""

from __future__ import annotations

import mujoco
import numpy as np

from tabrl.rewards.compiler import compile_program
from tabrl.rewards.features import compute_features
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.robots.model import Robot

N_STATES = 64


def _free_joint_qpos(robot: Robot) -> int | None:
    """qpos address of the base's free joint, if the base floats."""
    model = robot.mj_model
    if not robot.spec.floating_base:
        return None
    base = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, robot.profile.base_body)
    for j in range(model.njnt):
        if int(model.jnt_type[j]) == int(mujoco.mjtJoint.mjJNT_FREE) and int(model.jnt_bodyid[j]) == base:
            return int(model.jnt_qposadr[j])
    return None


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    w1, x1, y1, z1 = a
    w2, x2, y2, z2 = b
    return np.array([w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2, w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2, w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2])


def _random_base_pose(rng: np.random.Generator, qpos: np.ndarray, adr: int, i: int) -> None:
    """Moves a floating base: shifted, raised or lowered, turned, tilted (every 8th state: any way up).

    Without this every sampled state would stand level at the start, and a program such as
    ``upright`` alone would look constant and be refused.
    """
    qpos[adr:adr + 2] += rng.normal(0.0, 0.2, 2)
    qpos[adr + 2] += rng.normal(0.0, 0.05)
    yaw = rng.uniform(-np.pi, np.pi)
    tilt_axis = np.array([*rng.normal(size=2), 0.0])
    tilt_axis /= np.linalg.norm(tilt_axis) + 1e-12
    tilt = rng.uniform(0.0, np.pi) if i % 8 == 7 else abs(rng.normal(0.0, 0.3))
    turn = np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
    lean = np.array([np.cos(tilt / 2), *(np.sin(tilt / 2) * tilt_axis)])
    quat = _quat_mul(turn, _quat_mul(lean, qpos[adr + 3:adr + 7]))
    qpos[adr + 3:adr + 7] = quat / np.linalg.norm(quat)


def _other_joints(robot: Robot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hinge and slide joints outside the robot's own (e.g. a planar cheetah's root): qpos address,
    noise scale (0.3 rad or 0.1 m) and range."""
    model, spec = robot.mj_model, robot.spec
    own = set(int(a) for a in spec.joint_qpos_adr)
    adr, scale, rng = [], [], []
    for j in range(model.njnt):
        kind = int(model.jnt_type[j])
        hinge, slide = int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)
        if kind not in (hinge, slide) or int(model.jnt_qposadr[j]) in own:
            continue
        adr.append(int(model.jnt_qposadr[j]))
        scale.append(0.3 if kind == hinge else 0.1)
        rng.append(model.jnt_range[j] if model.jnt_limited[j] else (-np.inf, np.inf))
    return np.array(adr, dtype=np.int32), np.array(scale), np.array(rng, dtype=np.float64).reshape(-1, 2)


def sample_states(robot: Robot, n: int = N_STATES, seed: int = 0) -> dict[str, np.ndarray]:
    """Features of ``n`` perturbed states, with sensors filled in by ``mj_forward``.

    Joints get noise around the default pose, a floating base is moved and tilted, other hinge
    and slide joints (planar roots) are perturbed, and velocities, actions and times are random.
    """
    rng = np.random.default_rng(seed)
    model, spec = robot.mj_model, robot.spec
    free = _free_joint_qpos(robot)
    other_adr, other_scale, other_range = _other_joints(robot)
    data = mujoco.MjData(model)
    qpos = np.zeros((n, model.nq))
    qvel = np.zeros((n, model.nv))
    sens = np.zeros((n, model.nsensordata))
    for i in range(n):
        mujoco.mj_resetData(model, data)
        data.qpos[:] = spec.default_qpos
        lo, hi = spec.joint_range[:, 0], spec.joint_range[:, 1]
        q = spec.default_joint_pos + rng.normal(0, 0.3, spec.n_joints)
        data.qpos[spec.joint_qpos_adr] = np.clip(q, lo, hi)
        if free is not None:
            _random_base_pose(rng, data.qpos, free, i)
        if len(other_adr):
            moved = data.qpos[other_adr] + rng.normal(0.0, 1.0, len(other_adr)) * other_scale
            data.qpos[other_adr] = np.clip(moved, other_range[:, 0], other_range[:, 1])
        data.qvel[:] = rng.normal(0, 0.5, model.nv)
        data.ctrl[:] = rng.uniform(-1, 1, model.nu)
        mujoco.mj_forward(model, data)
        qpos[i], qvel[i], sens[i] = data.qpos, data.qvel, data.sensordata
    t = rng.uniform(0, 10, n)
    action = rng.uniform(-1, 1, (n, model.nu))
    last_action = rng.uniform(-1, 1, (n, model.nu))
    return compute_features(np, spec, qpos, qvel, sens, t, action, last_action)


def smoke_test(program: RewardProgram | dict, robot: Robot) -> dict[str, float]:
    """Raises ProgramError unless the program gives finite, per-state, non-constant rewards."""
    program = program if isinstance(program, RewardProgram) else RewardProgram.parse(program)
    compiled = compile_program(program, robot.spec, np)
    features = sample_states(robot)
    with np.errstate(all="ignore"):
        try:
            total, terms = compiled(features)
        except (IndexError, ValueError) as e:
            raise ProgramError(f"program '{program.name}' cannot be evaluated on {robot.model_id}: {e}") from None
    total = np.asarray(total)
    if total.shape != (N_STATES,):
        raise ProgramError(f"program '{program.name}' gives a reward of shape {total.shape}, not one value per state")
    for key, value in terms.items():
        value = np.asarray(value)
        if not np.all(np.isfinite(value)):
            raise ProgramError(f"program '{program.name}': term '{key}' gives non-finite rewards (inf or NaN) on "
                               f"sampled {robot.model_id} states")
    if not np.all(np.isfinite(total)):
        raise ProgramError(f"program '{program.name}' gives non-finite rewards on sampled states")
    if np.ptp(total) < 1e-9:
        constant = [k for k, v in terms.items() if np.ptp(np.asarray(v)) < 1e-9]
        which = f" (constant terms: {', '.join(constant)})" if constant and len(terms) > 1 else ""
        fixed = "" if robot.spec.floating_base else f"; {robot.model_id}'s base is fixed, so base terms do not vary"
        raise ProgramError(f"program '{program.name}' gives the same reward ({total[0]:g}) in every sampled state"
                           f"{which}, so it cannot teach anything; add a term that depends on the robot's motion "
                           f"or pose{fixed}")
    return {"mean": float(total.mean()), "std": float(total.std()), "min": float(total.min()),
            "max": float(total.max())}
