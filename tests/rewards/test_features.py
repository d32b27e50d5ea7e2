"""Features: the same definition on numpy (batched) and jax (MJX) gives the same numbers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest
from mujoco import mjx

from tabrl.rewards.features import FEATURES, compute_features, feature_names, features_from_data
from tabrl.robots.catalog import load_robot


def _random_state(robot, seed):
    rng = np.random.default_rng(seed)
    model, spec = robot.mj_model, robot.spec
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    data.qpos[spec.joint_qpos_adr] += rng.normal(0, 0.2, spec.n_joints)
    if spec.floating_base:
        data.qpos[3:7] = [0.98, 0.1, -0.1, 0.12]
        data.qpos[3:7] /= np.linalg.norm(data.qpos[3:7])
    data.qvel[:] = rng.normal(0, 0.5, model.nv)
    data.time = 1.7
    mujoco.mj_forward(model, data)
    return data


@pytest.mark.parametrize("model_id", ["Go1JoystickFlatTerrain", "CheetahRun", "PandaPickCube"])
def test_numpy_and_jax_features_agree(model_id):
    robot = load_robot(model_id)
    data = _random_state(robot, 0)
    action = np.linspace(-0.5, 0.5, robot.action_size)
    last = np.zeros(robot.action_size)
    f_np = features_from_data(np, robot.spec, data, action, last)
    mjx_model = mjx.put_model(robot.mj_model, impl="jax")
    d = mjx.put_data(robot.mj_model, data, impl="jax")
    d = jax.jit(mjx.forward)(mjx_model, d)
    f_jax = jax.jit(lambda d: features_from_data(jnp, robot.spec, d, jnp.asarray(action), jnp.asarray(last)))(
        d
    )
    assert set(f_np) == set(f_jax) == set(feature_names(robot.spec))
    for name in f_np:
        np.testing.assert_allclose(np.asarray(f_jax[name]), f_np[name], rtol=1e-5, atol=1e-5, err_msg=name)


def test_batched_features_equal_per_state():
    robot = load_robot("Go1JoystickFlatTerrain")
    states = [_random_state(robot, s) for s in range(3)]
    nu = robot.action_size
    batch = compute_features(
        np,
        robot.spec,
        np.stack([d.qpos for d in states]),
        np.stack([d.qvel for d in states]),
        np.stack([d.sensordata for d in states]),
        np.array([0.1, 0.2, 0.3]),
        np.ones((3, nu)),
        np.zeros((3, nu)),
    )
    for i, d in enumerate(states):
        single = compute_features(
            np, robot.spec, d.qpos, d.qvel, d.sensordata, 0.1 * (i + 1), np.ones(nu), np.zeros(nu)
        )
        for name in single:
            np.testing.assert_allclose(batch[name][i], single[name], atol=1e-12, err_msg=name)


def test_features_mean_what_they_say():
    robot = load_robot("Go1JoystickFlatTerrain")
    spec, model = robot.spec, robot.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    data.qvel[0] = 0.5  # moving forward along world x, heading along x
    data.qvel[5] = 1.0  # turning counter-clockwise
    mujoco.mj_forward(model, data)
    f = features_from_data(np, spec, data, np.zeros(12), np.zeros(12))
    np.testing.assert_allclose(f["gravity"], [0, 0, -1], atol=1e-6)
    assert abs(f["forward_speed"] - 0.5) < 1e-6 and abs(f["lateral_speed"]) < 1e-6
    assert abs(f["yaw_rate"] - 1.0) < 1e-6
    assert abs(f["base_height"] - spec.standing_height) < 1e-6
    np.testing.assert_allclose(f["q_rel"], 0, atol=1e-9)
    assert f["feet_contact"].shape == (4,) and f["feet_contact"].sum() == 4  # standing on four feet
    assert f["q_hip_abduction"].shape == (4,)


def test_feature_docs_cover_every_feature():
    robot = load_robot("Go1JoystickFlatTerrain")
    names = set(feature_names(robot.spec))
    assert set(FEATURES) <= names


def test_numpy_path_is_vectorised_over_a_batch_of_64():
    """The native backend calls features + reward every control step on 64 envs: no per-env Python.

    About 0.25 ms on this project's CPU; the bound leaves room for a loaded machine but not for a
    loop over environments.
    """
    import time

    from tabrl.rewards.compiler import compile_program
    from tabrl.rewards.smoke import sample_states

    robot = load_robot("Go1JoystickFlatTerrain")
    states = sample_states(robot, n=64)
    program = {
        "name": "Hips",
        "terms": [
            {
                "term": "joint_sine",
                "weight": 2.0,
                "params": {"group": "hip_abduction", "pattern": "alternate"},
            },
            {"term": "upright"},
            {"term": "stay_in_place", "weight": 0.5},
            {"term": "foot_contact_pattern"},
            {"term": "expr", "weight": 0.3, "expr": "-abs(base_lin_vel[0])"},
            {"term": "action_rate", "weight": -0.01},
            {"term": "energy", "weight": -1e-3},
            {"term": "joint_limits", "weight": -1.0},
        ],
    }
    reward = compile_program(program, robot.spec, np)
    model = robot.mj_model
    rng = np.random.default_rng(0)
    qpos = np.tile(robot.spec.default_qpos, (64, 1))
    qvel, sens = rng.normal(size=(64, model.nv)), rng.normal(size=(64, model.nsensordata))
    sens[:, robot.spec.base_quat_adr] = [1.0, 0.0, 0.0, 0.0]
    t, action = states["t"], states["action"]

    def step():
        return reward(compute_features(np, robot.spec, qpos, qvel, sens, t, action, action))

    total, _ = step()
    assert total.shape == (64,)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    assert np.median(times) < 5e-3, f"features + reward took {np.median(times) * 1e3:.2f} ms for 64 envs"
