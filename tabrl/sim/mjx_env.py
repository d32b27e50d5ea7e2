"""MJX backend: a BehaviorEnv as a MuJoCo Playground ``MjxEnv`` (pure ``reset``/``step``).

This is the GPU path, trained by Brax PPO; on a CPU it runs with ``impl="jax"`` (slowly —
the native backend is the CPU path). Observation, reward and termination come from the same
definitions as the native backend, evaluated with jax.numpy.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from ml_collections import config_dict
from mujoco import mjx
from mujoco_playground._src import mjx_env

from tabrl.rewards.compiler import compile_program
from tabrl.rewards.features import compute_features
from tabrl.rewards.program import RewardProgram
from tabrl.robots.model import Robot
from tabrl.sim import behavior, observations

CLIPPED_METRIC = "reward_clipped"


def default_config(robot: Robot) -> config_dict.ConfigDict:
    cfg = behavior.default_config()
    cfg.ctrl_dt = robot.ctrl_dt
    cfg.sim_dt = robot.sim_dt
    cfg.impl = "jax"  # playground 0.2 defaults to warp, which is slow on a CPU
    return cfg


class BehaviorMjxEnv(mjx_env.MjxEnv):
    """A catalog robot rewarded by a RewardProgram, stepped by MJX."""

    def __init__(self, robot: Robot, program: RewardProgram, config: config_dict.ConfigDict | None = None):
        super().__init__(config or default_config(robot))
        self._robot = robot
        self._mj_model = robot.mj_model
        self._mjx_model = mjx.put_model(robot.mj_model, impl=self._config.impl)
        self._reward = compile_program(program, robot.spec, jnp)
        self._clock_hz = behavior.program_clock_hz(program)
        self._action_map = behavior.ActionMap.for_robot(robot, self._config.action_scale, program.motion)
        self._reward_scale = behavior.reward_scale(robot, self._config)
        spec = robot.spec
        self._default_qpos = jnp.asarray(spec.start)  # where the task starts (a swing-up hangs)
        self._joint_qpos_adr = jnp.asarray(spec.joint_qpos_adr)
        self._joint_low = jnp.asarray(spec.joint_range[:, 0])
        self._joint_high = jnp.asarray(spec.joint_range[:, 1])

    # -- helpers shared by reset and step -------------------------------------------------
    def features(
        self, data: mjx.Data, t: jax.Array, action: jax.Array, last_action: jax.Array
    ) -> dict[str, Any]:
        return compute_features(
            jnp, self._robot.spec, data.qpos, data.qvel, data.sensordata, t, action, last_action
        )

    def _obs(self, features: dict[str, Any]) -> jax.Array:
        return observations.observe(jnp, features, self._clock_hz)

    # -- MjxEnv API -------------------------------------------------------------------------
    def reset(self, rng: jax.Array) -> mjx_env.State:
        cfg, spec = self._config, self._robot.spec
        k1, k2 = jax.random.split(rng)
        noise = jax.random.uniform(k1, (spec.n_joints,), minval=-1.0, maxval=1.0) * cfg.reset_noise_qpos
        q = jnp.clip(self._default_qpos[self._joint_qpos_adr] + noise, self._joint_low, self._joint_high)
        qpos = self._default_qpos.at[self._joint_qpos_adr].set(q)
        qvel = jax.random.uniform(k2, (self._mj_model.nv,), minval=-1.0, maxval=1.0) * cfg.reset_noise_qvel
        data = mjx_env.make_data(
            self._mj_model,
            qpos=qpos,
            qvel=qvel,
            ctrl=jnp.asarray(self._action_map.default_ctrl),
            impl=self._mjx_model.impl.value,
        )
        data = mjx.forward(self._mjx_model, data)
        zeros = jnp.zeros(self._mj_model.nu)
        features = self.features(data, jnp.zeros(()), zeros, zeros)
        _, terms = self._reward(features)
        info = {"step": jnp.zeros((), jnp.int32), "last_action": zeros}
        metrics = {f"reward/{k}": jnp.zeros(()) for k in terms}
        metrics.update({f"{CLIPPED_METRIC}/{k}": jnp.zeros(()) for k in [*terms, "total"]})
        return mjx_env.State(data, self._obs(features), jnp.zeros(()), jnp.zeros(()), metrics, info)

    def step(self, state: mjx_env.State, action: jax.Array) -> mjx_env.State:
        action = jnp.clip(action, -1.0, 1.0)
        # The action was chosen at the previous step's time: the motion prior is evaluated there too.
        ctrl = self._action_map.ctrl(jnp, action, state.info["step"] * self._robot.ctrl_dt)
        data = mjx_env.step(self._mjx_model, state.data, ctrl, self.n_substeps)
        step = state.info["step"] + 1
        t = step * self._robot.ctrl_dt
        features = self.features(data, t, action, state.info["last_action"])
        total, terms, clipped = self._reward.with_counts(features)
        fell = (
            behavior.fallen(jnp, self._robot, features) if self._config.terminate_on_fall else jnp.zeros(())
        )
        unstable = jnp.logical_not(jnp.all(jnp.isfinite(data.qpos)))
        done = jnp.maximum(fell, unstable.astype(jnp.float32))
        reward = jnp.nan_to_num(total) * self._reward_scale
        # Wrappers (episode, auto-reset) keep their own entries in info and metrics: update, never replace.
        info = {**state.info, "step": step, "last_action": action}
        metrics = {
            **state.metrics,
            **{f"reward/{k}": v for k, v in terms.items()},
            # How many values the reward guard clipped this step; brax's evaluator sums them per episode.
            **{f"{CLIPPED_METRIC}/{k}": n.astype(jnp.float32) for k, n in clipped.items()},
        }
        return state.replace(
            data=data, obs=self._obs(features), reward=reward, done=done, metrics=metrics, info=info
        )

    @property
    def xml_path(self) -> str:
        return f"<tabrl:{self._robot.model_id}>"

    @property
    def action_size(self) -> int:
        return self._mj_model.nu

    @property
    def mj_model(self):
        return self._mj_model

    @property
    def mjx_model(self) -> mjx.Model:
        return self._mjx_model
