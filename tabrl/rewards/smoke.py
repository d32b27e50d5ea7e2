"""The smoke test a program must pass before any training starts.

It evaluates the program on sampled states of the robot (around the default pose, with
random velocities, actions and times): every total must be finite, one value per state, and
the totals must not all be equal — a constant reward teaches nothing.

It also bounds the reward: on those states and on extreme but valid ones (joints at their
limits, fast joints and base, full actions, any way up, late in an episode), evaluated in
float64 and in float32 (what MJX trains in), every term and the total must stay finite and
within ``MAX_REWARD`` in magnitude. A larger reward overflows float32 somewhere in PPO (returns,
squared value errors) or drowns every other term; such a program is refused naming the term.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from tabrl.rewards.compiler import MAX_REWARD, CompiledReward, compile_program
from tabrl.rewards.features import compute_features
from tabrl.rewards.program import ExprTerm, ProgramError, RewardProgram
from tabrl.robots.model import Robot

N_STATES = 64
N_EXTREME = 32
# "Extreme but valid": what a flailing or falling robot reaches within one 10 s episode.
EXTREME_JOINT_SPEED = 20.0  # rad/s (m/s for slide joints)
EXTREME_BASE_SPEED = 5.0  # m/s of a floating base
EXTREME_BASE_TURN = 10.0  # rad/s of a floating base
EXTREME_DRIFT = 20.0  # m from the start
EXTREME_TIME = 10.0  # s: one episode


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
    return np.array(
        [
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
        ]
    )


def _random_base_pose(rng: np.random.Generator, qpos: np.ndarray, adr: int, i: int) -> None:
    """Moves a floating base: shifted, raised or lowered, turned, tilted (every 8th state: any way up).

    Without this every sampled state would stand level at the start, and a program such as
    ``upright`` alone would look constant and be refused.
    """
    qpos[adr : adr + 2] += rng.normal(0.0, 0.2, 2)
    qpos[adr + 2] += rng.normal(0.0, 0.05)
    yaw = rng.uniform(-np.pi, np.pi)
    tilt_axis = np.array([*rng.normal(size=2), 0.0])
    tilt_axis /= np.linalg.norm(tilt_axis) + 1e-12
    tilt = rng.uniform(0.0, np.pi) if i % 8 == 7 else abs(rng.normal(0.0, 0.3))
    turn = np.array([np.cos(yaw / 2), 0.0, 0.0, np.sin(yaw / 2)])
    lean = np.array([np.cos(tilt / 2), *(np.sin(tilt / 2) * tilt_axis)])
    quat = _quat_mul(turn, _quat_mul(lean, qpos[adr + 3 : adr + 7]))
    qpos[adr + 3 : adr + 7] = quat / np.linalg.norm(quat)


def _move_objects(rng: np.random.Generator, qpos: np.ndarray, spec: Any, reach: float) -> None:
    """Moves the scene's free objects: shifted up to ``reach`` m, raised, turned any way. Without it an
    object term (a cube lifted) reads the same in every sampled state and looks constant."""
    for adr in spec.object_qpos_adr:
        qpos[adr[:2]] += rng.uniform(-reach, reach, 2)
        qpos[adr[2]] += rng.uniform(0.0, reach)
        quat = rng.normal(size=4)
        qpos[adr[3:]] = quat / np.linalg.norm(quat)


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
        _move_objects(rng, data.qpos, spec, 0.1)
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


def extreme_states(robot: Robot, n: int = N_EXTREME, seed: int = 1) -> dict[str, np.ndarray]:
    """Features of ``n`` extreme but valid states: every joint at a limit (or half a turn off its
    default pose when unlimited), joints and base moving fast, a base far away and any way up,
    controls at the ends of their ranges, full and reversed actions, times up to a whole episode."""
    rng = np.random.default_rng(seed)
    model, spec = robot.mj_model, robot.spec
    free = _free_joint_qpos(robot)
    data = mujoco.MjData(model)
    qpos = np.zeros((n, model.nq))
    qvel = np.zeros((n, model.nv))
    sens = np.zeros((n, model.nsensordata))
    lo, hi = spec.joint_range[:, 0], spec.joint_range[:, 1]
    lo = np.where(np.isfinite(lo), lo, spec.default_joint_pos - np.pi)
    hi = np.where(np.isfinite(hi), hi, spec.default_joint_pos + np.pi)
    ctrl_lo, ctrl_hi = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
    limited = model.actuator_ctrllimited.astype(bool)
    ctrl_lo, ctrl_hi = np.where(limited, ctrl_lo, -1.0), np.where(limited, ctrl_hi, 1.0)
    for i in range(n):
        mujoco.mj_resetData(model, data)
        data.qpos[:] = spec.default_qpos
        data.qpos[spec.joint_qpos_adr] = np.where(rng.random(spec.n_joints) < 0.5, lo, hi)
        speed = np.full(model.nv, EXTREME_JOINT_SPEED)
        if free is not None:
            _random_base_pose(rng, data.qpos, free, 7)  # any way up
            data.qpos[free : free + 2] += rng.uniform(-1, 1, 2) * EXTREME_DRIFT / np.sqrt(2)
            data.qpos[free + 2] += rng.uniform(0.0, 2.0)
            vadr = int(model.jnt_dofadr[list(model.jnt_qposadr).index(free)])
            speed[vadr : vadr + 3], speed[vadr + 3 : vadr + 6] = EXTREME_BASE_SPEED, EXTREME_BASE_TURN
        _move_objects(rng, data.qpos, spec, EXTREME_DRIFT)
        data.qvel[:] = speed * rng.choice([-1.0, 1.0], model.nv) * rng.uniform(0.5, 1.0, model.nv)
        data.ctrl[:] = np.where(rng.random(model.nu) < 0.5, ctrl_lo, ctrl_hi)
        mujoco.mj_forward(model, data)
        qpos[i], qvel[i], sens[i] = data.qpos, data.qvel, data.sensordata
    t = np.linspace(0.0, EXTREME_TIME, n)
    action = rng.choice([-1.0, 1.0], (n, model.nu))
    return compute_features(np, spec, qpos, qvel, sens, t, action, -action)


def _term_names(program: RewardProgram, compiled: CompiledReward) -> dict[str, str]:
    """Compiled term key -> how a person finds the term: "term 2 ('1e38*qd[1]**8')"."""
    names = {}
    for i, (key, t) in enumerate(zip(compiled.keys, program.terms, strict=True)):
        names[key] = f"term {i + 1} ('{t.expr}')" if isinstance(t, ExprTerm) else f"term {i + 1} ('{key}')"
    return names


def _check_magnitude(
    program: RewardProgram,
    compiled: CompiledReward,
    robot: Robot,
    states: list[tuple[str, dict[str, np.ndarray]]],
) -> None:
    names = _term_names(program, compiled)
    for label, features in states:
        for dtype in (np.float64, np.float32):
            cast = {k: np.asarray(v, dtype=dtype) for k, v in features.items()}
            with np.errstate(all="ignore"):
                total, terms = compiled.raw(cast)
            for key, value in [*terms.items(), ("total", total)]:
                value = np.asarray(value, dtype=np.float64)
                worst = np.nan if np.isnan(value).any() else float(np.max(np.abs(value)))
                if worst <= MAX_REWARD:
                    continue
                what = names.get(key, "the total reward")
                found = (
                    "non-finite values (inf or NaN)" if not np.isfinite(worst) else f"magnitude {worst:.3g}"
                )
                precision = " in float32, as MJX trains" if dtype == np.float32 else ""
                raise ProgramError(
                    f"program '{program.name}': {what} gives {found}{precision} on {label} {robot.model_id} "
                    f"states; every term and the total must stay within ±{MAX_REWARD:g} (scale it down, "
                    f"clip it or use a bounded form such as tanh or exp(-x))"
                )


def smoke_test(
    program: RewardProgram | dict[str, Any], robot: Robot, compiled: CompiledReward | None = None
) -> dict[str, float]:
    """Raises ProgramError unless the program gives finite, bounded, per-state, non-constant rewards.

    ``compiled``: the program's numpy reward for ``robot`` when the caller has compiled it already (it
    only evaluates ``raw``, so the reward's clip counts stay untouched)."""
    program = program if isinstance(program, RewardProgram) else RewardProgram.parse(program)
    if compiled is None:
        compiled = compile_program(program, robot.spec, np)
    features = sample_states(robot)
    with np.errstate(all="ignore"):
        try:
            total, terms = compiled.raw(features)
        except (IndexError, ValueError) as e:
            raise ProgramError(
                f"program '{program.name}' cannot be evaluated on {robot.model_id}: {e}"
            ) from None
    total = np.asarray(total)
    if total.shape != (N_STATES,):
        raise ProgramError(
            f"program '{program.name}' gives a reward of shape {total.shape}, not one value per state"
        )
    for key, value in terms.items():
        value = np.asarray(value)
        if not np.all(np.isfinite(value)):
            raise ProgramError(
                f"program '{program.name}': term '{key}' gives non-finite rewards (inf or NaN) on "
                f"sampled {robot.model_id} states"
            )
    if not np.all(np.isfinite(total)):
        raise ProgramError(f"program '{program.name}' gives non-finite rewards on sampled states")
    _check_magnitude(
        program, compiled, robot, [("sampled", features), ("extreme (but valid)", extreme_states(robot))]
    )
    if np.ptp(total) < 1e-9:
        constant = [k for k, v in terms.items() if np.ptp(np.asarray(v)) < 1e-9]
        which = f" (constant terms: {', '.join(constant)})" if constant and len(terms) > 1 else ""
        fixed = (
            ""
            if robot.spec.floating_base
            else f"; {robot.model_id}'s base is fixed, so base terms do not vary"
        )
        raise ProgramError(
            f"program '{program.name}' gives the same reward ({total[0]:g}) in every sampled state"
            f"{which}, so it cannot teach anything; add a term that depends on the robot's motion "
            f"or pose{fixed}"
        )
    return {
        "mean": float(total.mean()),
        "std": float(total.std()),
        "min": float(total.min()),
        "max": float(total.max()),
    }
