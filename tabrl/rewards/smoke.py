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


def sample_states(robot: Robot, n: int = N_STATES, seed: int = 0) -> dict[str, np.ndarray]:
    """Features of ``n`` perturbed states, with sensors filled in by ``mj_forward``."""
    rng = np.random.default_rng(seed)
    model, spec = robot.mj_model, robot.spec
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
        if spec.floating_base and model.nq >= 7:
            data.qpos[2] += rng.normal(0, 0.05)
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
        raise ProgramError(f"program '{program.name}' gives the same reward ({total[0]:g}) in every sampled state, "
                           "so it cannot teach anything; add a term that depends on the robot's motion or pose")
    return {"mean": float(total.mean()), "std": float(total.std()), "min": float(total.min()), "max": float(total.max())}
