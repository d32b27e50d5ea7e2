"""Object and scene features (a cube lifted, turned, pushed; a drawer opened) and the terms over them:
the same numbers from numpy and jax, on states set in the real task scenes."""

from __future__ import annotations

import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from tabrl.rewards.compiler import compile_program
from tabrl.rewards.features import compute_features, feature_names
from tabrl.rewards.program import ProgramError
from tabrl.rewards.smoke import smoke_test
from tabrl.robots.catalog import load_robot
from tabrl.robots.observables import observables_of


def _features(xp, robot, qpos_rows):
    """Features of states whose qpos is given (sensors filled in by mj_forward), evaluated with ``xp``."""
    model = robot.mj_model
    data = mujoco.MjData(model)
    qpos, qvel, sens = [], [], []
    for q in qpos_rows:
        data.qpos[:] = q
        data.qvel[:] = 0.0
        mujoco.mj_forward(model, data)
        qpos.append(data.qpos.copy())
        qvel.append(data.qvel.copy())
        sens.append(data.sensordata.copy())
    nu = model.nu
    n = len(qpos_rows)
    return compute_features(
        xp,
        robot.spec,
        xp.asarray(np.array(qpos)),
        xp.asarray(np.array(qvel)),
        xp.asarray(np.array(sens)),
        xp.asarray(np.zeros(n)),
        xp.asarray(np.zeros((n, nu))),
        xp.asarray(np.zeros((n, nu))),
    )


def _lifted_and_turned(robot):
    """The start state, the cube raised 8 cm, the cube pushed 6 cm along +y, the cube turned 90° about z."""
    spec = robot.spec
    adr = spec.object_qpos_adr[0]
    start = spec.default_qpos.copy()
    lifted, pushed, turned = start.copy(), start.copy(), start.copy()
    lifted[adr[2]] += 0.08
    pushed[adr[1]] += 0.06
    half = np.pi / 4
    turned[adr[3:]] = [np.cos(half), 0.0, 0.0, np.sin(half)]
    return [start, lifted, pushed, turned]


@pytest.mark.parametrize("xp", [np, jnp], ids=["numpy", "jax"])
def test_a_lifted_pushed_and_turned_cube_reads_as_such(xp):
    robot = load_robot("PandaPickCube")
    f = _features(xp, robot, _lifted_and_turned(robot))
    rise = np.asarray(f["object_rise"])
    np.testing.assert_allclose(rise, [0.0, 0.08, 0.0, 0.0], atol=1e-5)
    np.testing.assert_allclose(np.asarray(f["object_moved"]), [0.0, 0.0, 0.06, 0.0], atol=1e-5)
    np.testing.assert_allclose(np.asarray(f["object_turn"]), [0.0, 0.0, 0.0, np.pi / 2], atol=1e-3)
    up = np.asarray(f["object_up"])
    np.testing.assert_allclose(up[3], [0.0, 0.0, 1.0], atol=1e-6)  # a turn about z keeps it upright
    np.testing.assert_allclose(np.asarray(f["object_forward"])[3], [0.0, 1.0, 0.0], atol=1e-6)
    # the gripper starts above the cube: the vector to it points down, and lifting the cube shortens it
    gap = np.asarray(f["ee_to_object"])
    assert gap[0, 2] < -0.2
    assert np.asarray(f["object_dist"])[1] < np.asarray(f["object_dist"])[0] - 0.07


def test_numpy_and_jax_object_features_agree():
    robot = load_robot("LeapCubeReorient")
    rows = _lifted_and_turned(robot)
    f_np, f_jax = _features(np, robot, rows), _features(jnp, robot, rows)
    for name in (
        "object_pos",
        "object_rise",
        "object_turn",
        "object_up",
        "object_yaw_rate",
        "ee_to_object",
        "object_dist",
    ):
        np.testing.assert_allclose(np.asarray(f_jax[name]), f_np[name], atol=1e-4, err_msg=name)


def test_object_yaw_rate_is_in_the_world_frame():
    """A free joint's angular velocity is in the object's frame: tipped on its side, a spin about the
    world vertical still reads as a yaw rate."""
    robot = load_robot("PandaPickCube")
    spec, model = robot.spec, robot.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    adr, vadr = spec.object_qpos_adr[0], spec.object_qvel_adr[0]
    data.qpos[adr[3:]] = [np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0]  # 90° about x: local y is world z
    data.qvel[vadr[3:]] = [0.0, 2.0, 0.0]
    mujoco.mj_forward(model, data)
    f = compute_features(
        np,
        spec,
        data.qpos[None],
        data.qvel[None],
        data.sensordata[None],
        0.0,
        np.zeros((1, 8)),
        np.zeros((1, 8)),
    )
    assert f["object_yaw_rate"][0] == pytest.approx(2.0, abs=1e-6)


def test_a_drawer_opened_reads_as_opening_and_the_spec_matches_the_outcome_metrics():
    robot = load_robot("PandaOpenCabinet")
    spec = robot.spec
    assert not spec.has_objects and spec.has_passive
    assert tuple(int(a) for a in spec.passive_qpos_adr) == observables_of(robot).passive
    opened = spec.default_qpos.copy()
    opened[spec.passive_qpos_adr[0]] -= 0.12
    for xp in (np, jnp):
        f = _features(xp, robot, [spec.default_qpos, opened])
        np.testing.assert_allclose(np.asarray(f["opening"]), [0.0, 0.12], atol=1e-5)
    assert "opening" in feature_names(spec) and "object_pos" not in feature_names(spec)


def test_robots_without_a_scene_have_no_object_features():
    spec = load_robot("Go1JoystickFlatTerrain").spec
    assert not spec.has_objects and not spec.has_passive
    assert "object_rise" not in feature_names(spec)
    program = {"name": "lift", "terms": [{"term": "object_lift", "weight": 1.0}]}
    with pytest.raises(ProgramError, match="no free object"):
        compile_program(program, spec, np)
    with pytest.raises(ProgramError, match="no drawer or door"):
        compile_program({"name": "o", "terms": [{"term": "joint_open", "weight": 1.0}]}, spec, np)
    with pytest.raises(ProgramError, match="object_rise"):
        compile_program(
            {"name": "e", "terms": [{"term": "expr", "expr": "object_rise", "weight": 1.0}]}, spec, np
        )


def _terms(robot, program, rows):
    total = {}
    for xp in (np, jnp):
        compiled = compile_program(program, robot.spec, xp)
        value, _ = compiled.raw(_features(xp, robot, rows))
        total[xp.__name__] = np.asarray(value)
    np.testing.assert_allclose(total["jax.numpy"], total["numpy"], atol=1e-4)
    return total["numpy"]


def test_object_terms_reward_the_right_direction():
    robot = load_robot("PandaPickCube")
    start, lifted, pushed, turned = _lifted_and_turned(robot)
    lift = _terms(
        robot,
        {"name": "l", "terms": [{"term": "object_lift", "weight": 1.0, "params": {"height": 0.1}}]},
        [start, lifted],
    )
    assert lift[0] == pytest.approx(0.0) and lift[1] == pytest.approx(0.8, abs=1e-4)
    push = {
        "name": "p",
        "terms": [{"term": "object_push", "weight": 1.0, "params": {"direction": [0, 1], "distance": 0.1}}],
    }
    back = start.copy()
    back[robot.spec.object_qpos_adr[0][1]] -= 0.06
    assert list(_terms(robot, push, [start, pushed, back])) == pytest.approx([0.0, 0.6, -0.6], abs=1e-4)
    turn = {"name": "t", "terms": [{"term": "object_turn", "weight": 1.0, "params": {"target": 3.14}}]}
    assert list(_terms(robot, turn, [start, turned])) == pytest.approx([0.0, 0.5], abs=1e-3)
    # reaching: the gripper brought down to the cube scores higher than the gripper at its start
    spec = robot.spec
    reach = {"name": "r", "terms": [{"term": "object_reach", "weight": 1.0, "params": {"sigma": 0.1}}]}
    low = start.copy()
    arm = spec.joint_qpos_adr[:7]
    low[arm] = [0.0, 0.75, 0.0, -2.0, 0.0, 2.75, -0.785]  # shoulder and elbow bent: the hand goes down
    near, far = _terms(robot, reach, [low, start])
    assert near > far + 0.1


def test_a_drawer_term_rewards_opening():
    robot = load_robot("PandaOpenCabinet")
    spec = robot.spec
    opened = spec.default_qpos.copy()
    opened[spec.passive_qpos_adr[0]] -= 0.05
    program = {"name": "o", "terms": [{"term": "joint_open", "weight": 1.0, "params": {"distance": 0.1}}]}
    assert list(_terms(robot, program, [spec.default_qpos, opened])) == pytest.approx([0.0, 0.5], abs=1e-4)


@pytest.mark.parametrize(
    ("model_id", "term"),
    [
        ("PandaPickCube", "object_lift"),
        ("LeapCubeReorient", "object_turn"),
        ("PandaOpenCabinet", "joint_open"),
    ],
)
def test_a_program_of_one_object_term_passes_the_smoke_test(model_id, term):
    """Sampled states move the object (and the drawer), so an object term alone is not constant."""
    stats = smoke_test({"name": "only", "terms": [{"term": term, "weight": 1.0}]}, load_robot(model_id))
    assert stats["max"] > stats["min"]
