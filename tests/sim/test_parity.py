"""The native and MJX backends compute the same observation and reward for the same state."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from mujoco import mjx

from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.sim.mjx_env import BehaviorMjxEnv
from tabrl.sim.native import NativeBatchEnv

PROGRAM = RewardProgram.model_validate(
    {
        "name": "Parity",
        "summary": "many kinds of terms at once",
        "terms": [
            {
                "term": "joint_sine",
                "weight": 1.0,
                "params": {
                    "group": "hip_abduction",
                    "amplitude": 0.3,
                    "frequency_hz": 1.5,
                    "pattern": "alternate",
                },
            },
            {"term": "upright", "weight": 1.0},
            {"term": "track_velocity", "weight": 0.5, "params": {"vx": 0.4}},
            {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.3}},
            {"term": "expr", "weight": 0.3, "expr": "-abs(base_lin_vel[0]) + 0.1 * mean(feet_contact)"},
            {"term": "action_rate", "weight": -0.01},
            {"term": "torque", "weight": -0.0001},
        ],
    }
)


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


def test_same_state_same_obs_and_reward(go1):
    native = NativeBatchEnv(
        go1,
        compile_program(PROGRAM, go1.spec, np),
        4,
        nthread=1,
        seed=1,
        clock_hz=behavior.program_clock_hz(PROGRAM),
    )
    native.reset()
    rng = np.random.default_rng(0)
    for _ in range(5):  # move away from the default pose
        native.step(rng.uniform(-0.5, 0.5, (4, go1.action_size)))
    action = rng.uniform(-0.5, 0.5, (4, go1.action_size))
    obs_native, reward_native, _, _, info = native.step(action)
    mjx_env = BehaviorMjxEnv(go1, PROGRAM)
    mjx_model = mjx_env.mjx_model
    for i in range(4):
        if native.steps[i] == 0:  # skip an env that just auto-reset
            continue
        data = mjx.make_data(go1.mj_model, impl="jax").replace(
            qpos=jnp.asarray(native.qpos[i]),
            qvel=jnp.asarray(native.qvel[i]),
            sensordata=jnp.asarray(native.sensordata[i]),
        )
        t = native.steps[i] * go1.ctrl_dt
        feats = mjx_env.features(
            data, jnp.asarray(t), jnp.asarray(native.action[i]), jnp.asarray(native.last_action[i])
        )
        total, _ = jax.jit(mjx_env._reward)(feats)
        np.testing.assert_allclose(np.asarray(mjx_env._obs(feats)), obs_native[i], rtol=1e-4, atol=1e-4)
        scale = behavior.reward_scale(go1, native.config)
        np.testing.assert_allclose(float(total) * scale, reward_native[i], rtol=1e-4, atol=1e-5)
    del mjx_model


def test_one_full_step_agrees(go1):
    """Physics differ slightly (MJX is float32), so a full step agrees to a looser tolerance."""
    compiled = compile_program(PROGRAM, go1.spec, np)
    native = NativeBatchEnv(
        go1, compiled, 1, nthread=1, seed=0, reset_pool=1, clock_hz=behavior.program_clock_hz(PROGRAM)
    )
    native.reset()
    mj = BehaviorMjxEnv(go1, PROGRAM)
    state = mj.reset(jax.random.PRNGKey(0))
    data = state.data.replace(qpos=jnp.asarray(native.qpos[0]), qvel=jnp.asarray(native.qvel[0]))
    data = mjx.forward(mj.mjx_model, data)
    state = state.replace(data=data)
    action = np.full(go1.action_size, 0.2)
    obs_n, rew_n, done_n, _, _ = native.step(action[None])
    new = jax.jit(mj.step)(state, jnp.asarray(action))
    # Positions agree closely; velocities after contact differ more between the two solvers.
    nj, nu = go1.spec.n_joints, go1.action_size
    positions = np.r_[0:3, 6 : 6 + nj, 6 + 2 * nj : 6 + 2 * nj + nu + 2]
    np.testing.assert_allclose(np.asarray(new.obs)[positions], obs_n[0][positions], atol=2e-2)
    np.testing.assert_allclose(float(new.reward), rew_n[0], rtol=0.1, atol=0.05)
    assert float(new.done) == done_n[0]
