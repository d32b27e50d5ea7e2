"""Native CPU backend: a batch of BehaviorEnvs stepped by MuJoCo's C engine.

One ``mujoco.rollout`` call per control step advances every environment by its substeps on a
thread pool (the GIL is released), and returns the new physics states and sensor readings.
Features, rewards and observations are then computed for the whole batch with numpy, from the
same definitions the MJX backend uses with jax.numpy.
"""

from __future__ import annotations

import os
from typing import Any

import mujoco
import numpy as np
from ml_collections import config_dict
from mujoco import rollout

from tabrl.config import get_settings
from tabrl.rewards.features import compute_features
from tabrl.rewards.motion import Motion
from tabrl.robots.model import Robot
from tabrl.sim import behavior, observations

_STATE_SPEC = mujoco.mjtState.mjSTATE_FULLPHYSICS


def _state_slices(model: mujoco.MjModel) -> tuple[slice, slice]:
    """Where qpos and qvel sit inside a FULLPHYSICS state vector (time comes first)."""
    t = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_TIME)
    nq = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_QPOS)
    nv = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_QVEL)
    return slice(t, t + nq), slice(t + nq, t + nq + nv)


def physics_threads(rows: int) -> int:
    """Threads for stepping ``rows`` envs: ``TABRL_PHYSICS_THREADS`` if set, else one per core, never more
    than the rows."""
    wanted = get_settings().physics_threads or os.cpu_count() or 1
    return max(1, min(wanted, rows))


class NativeBatchEnv:
    """``num_envs`` environments with automatic per-environment reset.

    ``step`` returns (obs, reward, done, truncation, info); after a done the returned
    observation is already the reset environment's (the Brax auto-reset convention).
    """

    def __init__(
        self,
        robot: Robot,
        reward_fn: behavior.RewardFn,
        num_envs: int,
        *,
        nthread: int | None = None,
        seed: int = 0,
        config: config_dict.ConfigDict | None = None,
        reset_pool: int = 256,
        clock_hz: float = observations.PHASE_CLOCK_HZ,
        motion: Motion | None = None,
    ):
        self.robot = robot
        self.config = config or behavior.default_config()
        self.num_envs = num_envs
        self.model = robot.mj_model
        self.nthread = nthread or physics_threads(num_envs)
        self._rollout = rollout.Rollout(nthread=self.nthread if self.nthread > 1 else 0)
        self._datas = [mujoco.MjData(self.model) for _ in range(max(1, self.nthread))]
        self._reward_fn = reward_fn
        self.clock_hz: float | np.ndarray = clock_hz  # one per env where each plays its own prior (base.py)
        self._action_map = behavior.ActionMap.for_robot(robot, self.config.action_scale, motion)
        self._reward_scale = behavior.reward_scale(robot, self.config)
        self._rng = np.random.default_rng(seed)
        self._qpos_sl, self._qvel_sl = _state_slices(self.model)
        self.nstate = mujoco.mj_stateSize(self.model, _STATE_SPEC)
        self.n_substeps = robot.n_substeps
        nu, nsens = self.model.nu, self.model.nsensordata
        self._pool_state, self._pool_sens = self._make_reset_pool(reset_pool)
        # Preallocated rollout outputs: (B, nsub, ·)
        self._out_state = np.zeros((num_envs, self.n_substeps, self.nstate))
        self._out_sens = np.zeros((num_envs, self.n_substeps, nsens))
        # skip_checks needs one model per batch row and untiled controls.
        self._models = [self.model] * num_envs
        self._ctrl = np.zeros((num_envs, self.n_substeps, nu))
        self.state = np.zeros((num_envs, self.nstate))
        self.sensordata = np.zeros((num_envs, nsens))
        self.action = np.zeros((num_envs, nu))
        self.last_action = np.zeros((num_envs, nu))
        self.steps = np.zeros(num_envs, dtype=np.int64)
        self.observation_size = behavior.observation_size(robot)
        self.action_size = nu
        self._pushes = _Pushes.for_env(self)

    # -- resets -------------------------------------------------------------------------
    def _make_reset_pool(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Noisy start states with their sensor readings, computed once by mj_forward."""
        spec, cfg, model = self.robot.spec, self.config, self.model
        data = mujoco.MjData(model)
        states = np.zeros((n, mujoco.mj_stateSize(model, _STATE_SPEC)))
        sens = np.zeros((n, model.nsensordata))
        for i in range(n):
            mujoco.mj_resetData(model, data)
            data.qpos[:] = spec.start  # where the task starts: the default pose, or hanging for a swing-up
            noise = self._rng.uniform(-1, 1, spec.n_joints) * cfg.reset_noise_qpos
            q = spec.start[spec.joint_qpos_adr] + noise
            lo, hi = spec.joint_range[:, 0], spec.joint_range[:, 1]
            data.qpos[spec.joint_qpos_adr] = np.clip(q, lo, hi)
            data.qvel[:] = self._rng.uniform(-1, 1, model.nv) * cfg.reset_noise_qvel
            data.ctrl[:] = self._action_map.default_ctrl
            mujoco.mj_forward(model, data)
            mujoco.mj_getState(model, data, states[i], _STATE_SPEC)
            sens[i] = data.sensordata
        return states, sens

    def _reset_rows(self, rows: np.ndarray) -> None:
        pick = self._rng.integers(0, len(self._pool_state), size=len(rows))
        self.state[rows] = self._pool_state[pick]
        self.sensordata[rows] = self._pool_sens[pick]
        self.action[rows] = 0.0
        self.last_action[rows] = 0.0
        self.steps[rows] = 0
        if self._pushes is not None:
            self._pushes.rearm(rows)

    def reset(self, stagger: bool = False) -> np.ndarray:
        """Resets every environment; ``stagger`` starts each at a random point of its episode.

        Staggered episodes keep a batch from moving in lock-step (all starting, all timing out
        together), which makes the data PPO sees far less correlated.
        """
        self._reset_rows(np.arange(self.num_envs))
        if stagger:
            self.steps[:] = self._rng.integers(0, self.config.episode_length, self.num_envs)
        return self._observe(self._features())

    # -- stepping -----------------------------------------------------------------------
    @property
    def qpos(self) -> np.ndarray:
        return self.state[:, self._qpos_sl]

    @property
    def qvel(self) -> np.ndarray:
        return self.state[:, self._qvel_sl]

    def _features(self) -> dict[str, np.ndarray]:
        t = self.steps * self.robot.ctrl_dt
        return compute_features(
            np, self.robot.spec, self.qpos, self.qvel, self.sensordata, t, self.action, self.last_action
        )

    def _observe(self, features: dict[str, np.ndarray]) -> np.ndarray:
        return observations.observe(np, features, self.clock_hz).astype(np.float32)

    def set_controls(self, action: np.ndarray) -> None:
        """Fills the rollout's controls for ``action`` (clipped), held over the control step's substeps.

        The action was chosen from the observation at ``steps * ctrl_dt``: a motion prior is
        evaluated at that same time, as in the MJX backend and the rollout.
        """
        t = self.steps * self.robot.ctrl_dt
        ctrl = self._action_map.ctrl(np, np.clip(action, -1.0, 1.0), t)
        self._ctrl[:] = ctrl[:, None, :]

    def physics_step(self, action: np.ndarray) -> None:
        """Advances every environment by one control step (no reward, no reset)."""
        self.set_controls(action)
        self._run_physics()

    def _run_physics(self) -> None:
        self._rollout.rollout(
            self._models,
            self._datas,
            self.state,
            self._ctrl,
            control_spec=mujoco.mjtState.mjSTATE_CTRL,
            skip_checks=True,
            nstep=self.n_substeps,
            state=self._out_state,
            sensordata=self._out_sens,
        )
        self.take_physics(self._out_state, self._out_sens)

    def take_physics(self, out_state: np.ndarray, out_sens: np.ndarray) -> None:
        """The physics state after a rollout of ``(num_envs, n_substeps, ·)`` outputs: its last substep."""
        self.state[:] = out_state[:, -1]
        self.sensordata[:] = out_sens[:, -1]

    def step(
        self, action: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        action = self.begin_step(action)
        self._run_physics()
        return self.end_step(action)

    # A step in three phases, so that several envs of one robot (a Train All's approaches,
    # tabrl/train/batch.py) can share one rollout call: begin_step, the physics, end_step.
    def begin_step(self, action: np.ndarray) -> np.ndarray:
        """The clipped action; pushes applied and the controls filled (``set_controls``) for the physics."""
        action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        if self._pushes is not None:
            self._pushes.apply()
        self.set_controls(action)
        return action

    def end_step(
        self, action: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Features, reward, termination, resets and the observation after the physics of ``action``."""
        self.last_action, self.action = self.action, action
        self.steps += 1
        features = self._features()
        total, terms = self._reward_fn(features)
        fell = behavior.fallen(np, self.robot, features) if self.config.terminate_on_fall else 0.0
        unstable = ~np.isfinite(self.state).all(axis=1)  # a diverged simulation ends the episode too
        timeout = self.steps >= self.config.episode_length
        done = (np.asarray(fell) > 0) | unstable | timeout
        reward = np.nan_to_num(np.asarray(total, dtype=np.float64)) * self._reward_scale
        truncation = timeout & ~((np.asarray(fell) > 0) | unstable)
        info = {"terms": terms, "fell": np.asarray(fell, dtype=bool) | unstable, "features": features}
        obs = self._observe(features)
        if done.any():
            rows = np.flatnonzero(done)
            self._reset_rows(rows)
            obs[rows] = self._observe(self._features())[rows]
        return obs, reward.astype(np.float32), done.astype(np.float32), truncation.astype(np.float32), info


class _Pushes:
    """Optional perturbations for robust training (off by default; ``tabrl base train`` turns them on).

    Config fields, all optional: ``push_interval_s`` (mean seconds between pushes, per environment;
    0 = off), ``push_speed`` (largest horizontal velocity kick on a floating base, m/s) and
    ``push_joint_speed`` (largest kick on every joint velocity, rad/s: arms and hands). Each push is
    a random change of ``qvel``, drawn fresh, at a random time, so a policy cannot time them.
    """

    def __init__(self, env: NativeBatchEnv, interval_steps: float, speed: float, joint_speed: float):
        self.env, self.interval, self.speed, self.joint_speed = env, interval_steps, speed, joint_speed
        model = env.model
        free = np.flatnonzero(model.jnt_type == mujoco.mjtJoint.mjJNT_FREE)
        qv0 = env._qvel_sl.start
        self.base_dofs = (qv0 + model.jnt_dofadr[free[0]] + np.arange(2)) if len(free) and speed > 0 else None
        joint_dofs = np.asarray(env.robot.spec.joint_qvel_adr, dtype=np.int64)
        self.joint_dofs = qv0 + joint_dofs if joint_speed > 0 and len(joint_dofs) else None
        self.countdown = np.zeros(env.num_envs)
        self.count = 0  # pushes applied, for reports and tests
        self.rearm(np.arange(env.num_envs))

    @classmethod
    def for_env(cls, env: NativeBatchEnv) -> _Pushes | None:
        cfg = env.config
        interval_s = float(cfg.get("push_interval_s", 0.0) or 0.0)
        speed, joint_speed = (
            float(cfg.get("push_speed", 0.0) or 0.0),
            float(cfg.get("push_joint_speed", 0.0) or 0.0),
        )
        if interval_s <= 0 or (speed <= 0 and joint_speed <= 0):
            return None
        return cls(env, interval_s / env.robot.ctrl_dt, speed, joint_speed)

    def rearm(self, rows: np.ndarray) -> None:
        # Exponential waiting times (at least one step): pushes come at random, on average every interval.
        self.countdown[rows] = 1 + self.env._rng.exponential(self.interval, size=len(rows))

    def apply(self) -> None:
        self.countdown -= 1
        rows = np.flatnonzero(self.countdown <= 0)
        if not len(rows):
            return
        rng, state = self.env._rng, self.env.state
        if self.base_dofs is not None:
            angle = rng.uniform(0, 2 * np.pi, len(rows))
            size = rng.uniform(0.3, 1.0, len(rows)) * self.speed
            state[rows[:, None], self.base_dofs] += (
                np.stack([np.cos(angle), np.sin(angle)], axis=1) * size[:, None]
            )
        if self.joint_dofs is not None:
            state[rows[:, None], self.joint_dofs] += (
                rng.uniform(-1, 1, (len(rows), len(self.joint_dofs))) * self.joint_speed
            )
        self.count += len(rows)
        self.rearm(rows)
