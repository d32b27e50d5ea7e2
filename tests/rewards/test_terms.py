"""Primitive terms: every one computes finite values, numpy equals jax, and each means what it says."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from tabrl.rewards.compiler import compile_program
from tabrl.rewards.features import features_from_data
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.rewards.smoke import sample_states
from tabrl.rewards.terms import TERMS
from tabrl.robots.catalog import load_robot

REQUIRED = {
    "posture": {"upright", "base_height", "base_orientation", "joint_pose"},
    "motion": {"track_velocity", "forward_speed", "spin", "stay_in_place"},
    "rhythm": {"joint_sine", "base_oscillation"},
    "jumping": {"jump", "air_time", "foot_contact_pattern"},
    "arms": {"ee_target", "ee_path"},
    "regulariser": {"action_rate", "torque", "joint_limits", "energy", "alive"},
}

# Non-default params for each term (so the test exercises more than defaults).
PARAMS = {
    "object_reach": [{}, {"index": 0, "above": 0.05, "sigma": 0.05}],
    "object_push": [{"direction": [0.0, -1.0], "distance": 0.05}],
    "object_turn": [{}, {"mode": "yaw_rate", "target": -2.0}],
    "upright": [{}, {"sigma": 0.4}],
    "base_height": [{}, {"target": 0.2, "sigma": 0.1}, {"ratio": 0.6}],
    "base_orientation": [{"roll": 0.2, "pitch": -0.1}],
    "joint_pose": [
        {"group": "knee", "offset": 0.2},
        {"group": "hip_abduction", "targets": [0.1, -0.1, 0.1, -0.1]},
    ],
    "track_velocity": [{"vx": 0.5, "vy": -0.2, "yaw_rate": 0.3}],
    "forward_speed": [{"target": 0.7}, {"target": -0.4}],
    "spin": [{"yaw_rate": -1.5}, {"yaw_rate": 2.0, "sigma": 0.8}],
    "stay_in_place": [{"radius": 0.2}],
    "joint_sine": [{"group": "hip_abduction", "pattern": p} for p in ("sync", "alternate", "wave")],
    "base_oscillation": [{"axis": a} for a in ("height", "roll", "pitch", "yaw")],
    "jump": [{"height": 0.15}],
    "air_time": [{}, {"all_feet": True}],
    "foot_contact_pattern": [{"pattern": p} for p in ("trot", "pace", "bound", "pronk", "walk", "stand")],
    "ee_target": [{"target": [0.5, 0.0, 0.4]}],
    "ee_path": [{"shape": s, "plane": pl} for s, pl in (("circle", "xy"), ("line", "xz"), ("figure8", "yz"))]
    + [{"center": [0.4, 0.0, 0.5], "radius": 0.1}],
}


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


@pytest.fixture(scope="module")
def panda():
    return load_robot("PandaPickCube")


@pytest.fixture(scope="module")
def cabinet():
    return load_robot("PandaOpenCabinet")


@pytest.fixture(scope="module")
def states(go1, panda, cabinet):
    return {
        "go1": sample_states(go1, n=16, seed=3),
        "panda": sample_states(panda, n=16, seed=3),
        "cabinet": sample_states(cabinet, n=16, seed=3),
    }


def test_the_twenty_primitives_exist_in_their_families():
    for category, names in REQUIRED.items():
        for name in names:
            assert name in TERMS and TERMS[name].category == category, name
    assert len(TERMS) >= 20
    for name, definition in TERMS.items():
        assert definition.description, f"{name} has no docstring"
        for field, info in definition.params.model_fields.items():
            assert info.description, f"{name}.{field} is undocumented"


CASES = [(name, params) for name in sorted(TERMS) for params in PARAMS.get(name, [{}])]


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_each_term_is_finite_and_numpy_equals_jax(name, params, go1, panda, cabinet, states):
    robot, f = (
        (panda, states["panda"]) if TERMS[name].category in ("arms", "objects") else (go1, states["go1"])
    )
    if "passive" in TERMS[name].needs:  # a drawer's terms need a scene with a drawer
        robot, f = cabinet, states["cabinet"]
    program = RewardProgram.parse({"name": name, "terms": [{"term": name, "params": params}]})
    total_np, terms_np = compile_program(program, robot.spec, np)(f)
    assert total_np.shape == (16,) and np.all(np.isfinite(total_np))
    compiled = compile_program(program, robot.spec, jnp)
    jf = {k: jnp.asarray(v) for k, v in f.items()}
    total_jit, _ = jax.jit(compiled)(jf)
    np.testing.assert_allclose(np.asarray(total_jit), total_np, rtol=2e-4, atol=2e-4)
    total_vmap, _ = jax.jit(jax.vmap(compiled))(jf)  # the MJX backend: one state under vmap
    np.testing.assert_allclose(np.asarray(total_vmap), total_np, rtol=2e-4, atol=2e-4)
    signed = ("forward_speed", "spin", "jump", "object_push", "object_turn")  # the wrong way counts against
    if TERMS[name].category != "regulariser" and name not in signed:
        assert np.all(total_np >= -1e-9) and np.all(total_np <= 1 + 1e-9), "tracking terms lie in [0, 1]"
    if TERMS[name].category == "regulariser":
        assert np.all(total_np >= 0), "regularisers are magnitudes"


def _features(robot, qpos=None, qvel=None, t=0.0, action=None, last=None):
    model, spec = robot.mj_model, robot.spec
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos if qpos is None else qpos
    if qvel is not None:
        data.qvel[:] = qvel
    data.time = t
    mujoco.mj_forward(model, data)
    nu = robot.action_size
    return features_from_data(
        np, spec, data, np.zeros(nu) if action is None else action, np.zeros(nu) if last is None else last
    )


def _value(robot, term, f, **params):
    program = RewardProgram.parse({"name": "t", "terms": [{"term": term, "params": params}]})
    total, _ = compile_program(program, robot.spec, np)(f)
    return float(total)


def test_terms_mean_what_they_say_on_go1(go1):
    spec = go1.spec
    still = _features(go1)
    assert _value(go1, "upright", still) == pytest.approx(1.0)
    assert _value(go1, "upright", still, sigma=0.3) == pytest.approx(1.0)
    assert _value(go1, "base_height", still) == pytest.approx(1.0)
    assert _value(go1, "base_height", still, ratio=0.5, sigma=0.05) < 0.01
    assert _value(go1, "joint_pose", still) == pytest.approx(1.0)
    assert _value(go1, "stay_in_place", still) == pytest.approx(1.0)
    assert _value(go1, "air_time", still) == 0.0 and _value(go1, "alive", still) == 1.0
    assert _value(go1, "foot_contact_pattern", still, pattern="stand") == pytest.approx(1.0)

    tilted = spec.default_qpos.copy()
    tilted[3:7] = [np.cos(0.25), np.sin(0.25), 0.0, 0.0]  # rolled by 0.5 rad
    f = _features(go1, qpos=tilted)
    assert f["roll"] == pytest.approx(0.5)
    assert _value(go1, "upright", f, sigma=0.5) == pytest.approx(np.exp(-2 * (1 - np.cos(0.5)) / 0.25))
    assert _value(go1, "base_orientation", f, roll=0.5) == pytest.approx(1.0)

    qvel = np.zeros(go1.mj_model.nv)
    qvel[0], qvel[5] = 0.6, -1.5  # forward at 0.6 m/s, turning clockwise
    moving = _features(go1, qvel=qvel)
    assert _value(go1, "forward_speed", moving, target=0.6) == pytest.approx(1.0)
    assert _value(go1, "forward_speed", moving, target=-0.6) == pytest.approx(-1.0)
    assert _value(go1, "spin", moving, yaw_rate=-1.5) == pytest.approx(1.0)
    assert _value(go1, "spin", moving, yaw_rate=-1.5, sigma=0.5) == pytest.approx(1.0)
    assert _value(go1, "spin", moving, yaw_rate=1.5, sigma=0.5) < 1e-6
    assert _value(go1, "track_velocity", moving, vx=0.6, yaw_rate=-1.5) == pytest.approx(1.0)

    # joint_sine: a pose exactly on the alternate pattern's target at t = 0.25 s (sin = 1 at 1 Hz).
    idx = spec.groups["hip_abduction"]
    qpos = spec.default_qpos.copy()
    qpos[spec.joint_qpos_adr[idx]] += 0.3 * np.array([1, -1, 1, -1])
    f = _features(go1, qpos=qpos, t=0.25)
    on = _value(
        go1, "joint_sine", f, group="hip_abduction", amplitude=0.3, frequency_hz=1.0, pattern="alternate"
    )
    off = _value(go1, "joint_sine", f, group="hip_abduction", amplitude=0.3, frequency_hz=1.0, pattern="sync")
    assert on == pytest.approx(1.0) and off < 0.5

    lifted = spec.default_qpos.copy()
    lifted[2] += 0.1
    f = _features(go1, qpos=lifted)
    assert _value(go1, "jump", f, height=0.1) == pytest.approx(1.0, abs=1e-6)
    assert _value(go1, "air_time", f, all_feet=True) == 1.0

    action = np.full(12, 0.5)
    f = _features(go1, action=action)
    assert _value(go1, "action_rate", f) == pytest.approx(12 * 0.25)


def test_arm_terms_on_panda(panda):
    f = _features(panda)
    start = [float(v) for v in panda.spec.default_ee_pos[0]]
    assert _value(panda, "ee_target", f, target=start) == pytest.approx(1.0)
    for shape in ("circle", "line", "figure8"):  # every path starts where the end effector is
        assert _value(panda, "ee_path", f, shape=shape) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "program,needle",
    [
        (
            {"term": "joint_sine", "params": {"group": "tail"}},
            "term 1 ('joint_sine'): Go1JoystickFlatTerrain has no joint "
            "group 'tail'; its groups are: hip_abduction",
        ),
        (
            {"term": "joint_pose", "params": {"group": "knee", "targets": [0.1]}},
            "'targets' has 1 values but group 'knee' has 4 joints",
        ),
        ({"term": "ee_path"}, "term 1 ('ee_path'): Go1JoystickFlatTerrain has no end effector"),
        ({"term": "ee_target", "params": {"target": [0, 0, 1]}}, "has no end effector"),
    ],
)
def test_a_term_the_robot_cannot_do_is_refused_naming_what_is_missing(program, needle, go1):
    with pytest.raises(ProgramError) as err:
        compile_program({"name": "x", "terms": [program]}, go1.spec, np)
    assert needle in str(err.value)


def test_missing_feet_or_moving_base_or_end_effector_index(panda):
    for term, needle in (("air_time", "has no feet"), ("jump", "fixed to the world")):
        with pytest.raises(ProgramError, match=needle):
            compile_program({"name": "x", "terms": [{"term": term}]}, panda.spec, np)
    with pytest.raises(ProgramError, match=r"end effector index 5 is out of range; PandaPickCube has 1"):
        compile_program(
            {"name": "x", "terms": [{"term": "ee_target", "params": {"target": [0, 0, 1], "index": 5}}]},
            panda.spec,
            np,
        )
