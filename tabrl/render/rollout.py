"""A deterministic policy rollout on one environment, recorded for video and metrics.

It steps MuJoCo's C engine directly (one MjData), uses the same action map, features and
observation as training, and never resets: if the robot falls, the video shows it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import mujoco
import numpy as np

from tabrl.rewards.features import compute_features
from tabrl.rewards.motion import Motion
from tabrl.robots.model import Robot
from tabrl.sim import behavior, observations


@dataclasses.dataclass
class Trajectory:
    """Per control step records (T = seconds / ctrl_dt)."""

    time: np.ndarray  # (T,)
    qpos: np.ndarray  # (T, nq)
    qvel: np.ndarray  # (T, nv)
    base_pos: np.ndarray  # (T, 3)
    base_quat: np.ndarray  # (T, 4)
    actions: np.ndarray  # (T, nu)
    features: dict[str, np.ndarray]  # each (T, ...)
    reward: np.ndarray  # (T,)
    terms: dict[str, np.ndarray]  # each (T,)

    def save_npz(self, path) -> None:
        terms: dict[str, Any] = {f"term_{k.replace(':', '_')}": v for k, v in self.terms.items()}
        np.savez_compressed(
            path,
            time=self.time,
            qpos=self.qpos,
            qvel=self.qvel,
            base_pos=self.base_pos,
            base_quat=self.base_quat,
            actions=self.actions,
            reward=self.reward,
            **terms,
        )


Policy = Callable[[np.ndarray], np.ndarray]  # observation (obs,) -> action (nu,) in [-1, 1]


def rollout(
    robot: Robot,
    policy: Policy,
    seconds: float,
    *,
    reward_fn: behavior.RewardFn | None = None,
    config=None,
    on_control_step: Callable[[int, mujoco.MjData], None] | None = None,
    clock_hz: float = observations.PHASE_CLOCK_HZ,
    motion: Motion | None = None,
) -> Trajectory:
    """Runs ``policy`` from where the task starts (``spec.start``) for ``seconds``; deterministic for a given policy.

    ``motion`` is the program's motion prior (the policy acts as a residual around it), exactly as in training.
    """
    config = config or behavior.default_config()
    model = robot.mj_model
    spec = robot.spec
    action_map = behavior.ActionMap.for_robot(robot, config.action_scale, motion)
    data = mujoco.MjData(model)
    data.qpos[:] = spec.start  # the default pose, or where the task starts (a swing-up hangs)
    data.ctrl[:] = action_map.default_ctrl
    mujoco.mj_forward(model, data)
    n = int(round(seconds / robot.ctrl_dt))
    nu = model.nu
    action = np.zeros(nu)
    last_action = np.zeros(nu)
    rec: dict[str, list] = {k: [] for k in ("time", "qpos", "qvel", "actions", "reward", "base_quat")}
    feats: dict[str, list] = {}
    terms: dict[str, list] = {}
    features = compute_features(np, spec, data.qpos, data.qvel, data.sensordata, 0.0, action, last_action)
    for step in range(n):
        obs = observations.observe(np, features, clock_hz).astype(np.float32)
        new_action = np.clip(np.asarray(policy(obs), dtype=np.float64), -1.0, 1.0)
        last_action, action = action, new_action
        data.ctrl[:] = action_map.ctrl(np, action, step * robot.ctrl_dt)
        for _ in range(robot.n_substeps):
            mujoco.mj_step(model, data)
        t = (step + 1) * robot.ctrl_dt
        features = compute_features(np, spec, data.qpos, data.qvel, data.sensordata, t, action, last_action)
        if reward_fn is not None:
            total, term_values = reward_fn(features)
            rec["reward"].append(float(np.asarray(total)))
            for k, v in term_values.items():
                terms.setdefault(k, []).append(float(np.asarray(v)))
        rec["time"].append(t)
        rec["qpos"].append(data.qpos.copy())
        rec["qvel"].append(data.qvel.copy())
        rec["actions"].append(action.copy())
        rec["base_quat"].append(data.sensordata[spec.base_quat_adr].copy())
        for k, v in features.items():
            feats.setdefault(k, []).append(np.array(v, dtype=np.float64))
        if on_control_step is not None:
            on_control_step(step, data)
    features_arr = {k: np.stack(v) for k, v in feats.items()}
    return Trajectory(
        time=np.asarray(rec["time"]),
        qpos=np.asarray(rec["qpos"]),
        qvel=np.asarray(rec["qvel"]),
        base_pos=features_arr["base_pos"],
        base_quat=np.asarray(rec["base_quat"]),
        actions=np.asarray(rec["actions"]),
        features=features_arr,
        reward=np.asarray(rec["reward"]) if rec["reward"] else np.zeros(n),
        terms={k: np.asarray(v) for k, v in terms.items()},
    )


def load_trajectory(robot: Robot, path) -> Trajectory:
    """A saved ``trajectory.npz`` as a Trajectory again: the features recomputed from each recorded state
    (positions and velocities through ``mj_forward``, so sensors read as they did), for metrics and
    verdicts measured after the fact."""
    with np.load(path) as saved:
        time, qpos, qvel = saved["time"], saved["qpos"], saved["qvel"]
        actions = saved["actions"] if "actions" in saved else np.zeros((len(time), robot.action_size))
        reward = saved["reward"] if "reward" in saved else np.zeros(len(time))
    model, spec = robot.mj_model, robot.spec
    data = mujoco.MjData(model)
    feats: dict[str, list] = {}
    quats = []
    last = np.zeros(robot.action_size)
    for t, q, v, a in zip(time, qpos, qvel, actions, strict=True):
        data.qpos[:], data.qvel[:] = q, v
        mujoco.mj_forward(model, data)
        features = compute_features(np, spec, data.qpos, data.qvel, data.sensordata, float(t), a, last)
        last = a
        quats.append(data.sensordata[spec.base_quat_adr].copy())
        for k, value in features.items():
            feats.setdefault(k, []).append(np.array(value, dtype=np.float64))
    arrays = {k: np.stack(v) for k, v in feats.items()}
    return Trajectory(
        time=np.asarray(time),
        qpos=np.asarray(qpos),
        qvel=np.asarray(qvel),
        base_pos=arrays["base_pos"],
        base_quat=np.asarray(quats),
        actions=np.asarray(actions),
        features=arrays,
        reward=np.asarray(reward),
        terms={},
    )
