"""Terms, safe expressions, programs, compiler and smoke test."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from tabrl.cli import app
from tabrl.rewards import expressions
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.rewards.smoke import sample_states, smoke_test
from tabrl.rewards.terms import TERMS
from tabrl.robots.catalog import load_robot


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


@pytest.fixture(scope="module")
def panda():
    return load_robot("PandaPickCube")


def _term(name: str) -> dict:
    params = {"joint_sine": {"group": "hip_abduction"}, "joint_pose": {"group": "knee", "offset": 0.2},
              "ee_target": {"target": [0.5, 0.0, 0.4]}, "ee_path": {"shape": "figure8"}}.get(name, {})
    return {"term": name, "weight": -0.01 if TERMS[name].category == "regulariser" and name != "alive" else 1.0,
            "params": params}


def test_at_least_fifteen_primitives_in_every_family():
    assert len(TERMS) >= 15
    families = {t.category for t in TERMS.values()}
    assert {"posture", "motion", "rhythm", "jumping", "arms", "regulariser"} <= families


@pytest.mark.parametrize("name", sorted(TERMS))
def test_each_term_numpy_equals_jax(name, go1, panda):
    robot = panda if TERMS[name].needs == ("ee",) else go1
    program = RewardProgram.parse({"name": name, "terms": [_term(name)]})
    features = sample_states(robot, n=8)
    total_np, _ = compile_program(program, robot.spec, np)(features)
    total_jax, _ = jax.jit(compile_program(program, robot.spec, jnp))({k: jnp.asarray(v) for k, v in features.items()})
    assert total_np.shape == (8,) and np.all(np.isfinite(total_np))
    np.testing.assert_allclose(np.asarray(total_jax), total_np, rtol=2e-4, atol=2e-4)


HOSTILE = {
    "__import__('os').system('x')": "attribute access '.system'",
    "__import__('os')": "function '__import__'",
    "().__class__": "attribute access",
    "base_height.__class__": "attribute access '.__class__'",
    "lambda: 1": "lambda",
    "[x for x in q]": "comprehension",
    "'abc'": "constant",
    "q ** 1000": "exponent 1000",
    "open('f')": "function 'open'",
    "eval('1')": "function 'eval'",
    "x" * 501: "at most 500",
    "secret_feature + 1": "unknown name 'secret_feature'",
    "base_height if True else 0": "constant",
    "f'{q}'": "f-string",
    "abs(x=1)": "keyword",
    "(q := 1)": "assignment",
}


@pytest.mark.parametrize("source,needle", list(HOSTILE.items()))
def test_hostile_expressions_are_rejected_naming_the_part(source, needle, go1):
    from tabrl.rewards.features import feature_names

    with pytest.raises(expressions.ExpressionError) as err:
        expressions.compile_expression(source, feature_names(go1.spec))
    assert needle in str(err.value)


def test_good_expressions_compute_the_right_values():
    f = {"t": np.array([0.0, 1.0]), "base_lin_vel": np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]]),
         "feet_contact": np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]),
         "feet_pos": np.arange(24.0).reshape(2, 4, 3), "base_height": np.array([0.3, 0.1])}
    names = set(f)

    def ev(src):
        return expressions.compile_expression(src, names)(np, f)

    np.testing.assert_allclose(ev("-abs(base_lin_vel[0])"), [-1.0, -1.0])
    np.testing.assert_allclose(ev("mean(feet_contact) * (base_height > 0.2)"), [0.75, 0.0])
    np.testing.assert_allclose(ev("clip(base_lin_vel[2] ** 2, 0, 4)"), [4.0, 0.25])
    np.testing.assert_allclose(ev("feet_pos[1][2]"), [5.0, 17.0])
    np.testing.assert_allclose(ev("1 if base_height > 0.2 else -1"), [1.0, -1.0])
    np.testing.assert_allclose(ev("norm(base_lin_vel[0:2])"), [np.sqrt(5), 1.0])
    np.testing.assert_allclose(ev("base_height / 0"), f["base_height"] / 1e-6)  # guarded division


def test_program_validation_messages_are_clear(go1):
    with pytest.raises(ProgramError, match="unknown term 'dance_move'; allowed: upright"):
        RewardProgram.parse({"name": "x", "terms": [{"term": "dance_move"}]})
    with pytest.raises(ProgramError, match="'joint_sine' has no parameter 'speed'; allowed: group, amplitude"):
        RewardProgram.parse({"name": "x", "terms": [{"term": "joint_sine", "params": {"group": "hip", "speed": 2}}]})
    with pytest.raises(ProgramError, match="amplitude"):
        RewardProgram.parse({"name": "x", "terms": [{"term": "joint_sine", "params": {"group": "hip", "amplitude": 9}}]})
    with pytest.raises(ProgramError, match="weight"):
        RewardProgram.parse({"name": "x", "terms": [{"term": "upright", "weight": 1e9}]})
    program = RewardProgram.parse({"name": "x", "terms": [{"term": "joint_sine", "params": {"group": "tail"}}]})
    with pytest.raises(ProgramError, match="no joint group 'tail'; its groups are: hip_abduction"):
        compile_program(program, go1.spec, np)
    arm_term = RewardProgram.parse({"name": "x", "terms": [{"term": "ee_path"}]})
    with pytest.raises(ProgramError, match="has no end effector"):
        compile_program(arm_term, go1.spec, np)


def test_compiled_reward_reports_each_term(go1):
    program = RewardProgram.parse({"name": "Hip", "terms": [
        {"term": "joint_sine", "weight": 2.0, "params": {"group": "hip_abduction"}},
        {"term": "upright", "weight": 1.0},
        {"term": "action_rate", "weight": -0.01}]})
    features = sample_states(go1, n=5)
    total, terms = compile_program(program, go1.spec, np)(features)
    assert list(terms) == ["joint_sine:hip_abduction", "upright", "action_rate"]
    np.testing.assert_allclose(total, sum(terms.values()))


def test_smoke_test_accepts_good_and_refuses_bad_programs(go1):
    good = {"name": "Good", "terms": [{"term": "upright"}, {"term": "forward_speed", "params": {"target": 0.5}}]}
    stats = smoke_test(good, go1)
    assert stats["std"] > 0
    with pytest.raises(ProgramError, match="same reward"):
        smoke_test({"name": "Constant", "terms": [{"term": "alive"}]}, go1)
    with pytest.raises(ProgramError, match="non-finite"):
        smoke_test({"name": "Overflow", "terms": [{"term": "expr", "expr": "exp(1000 * base_height) * 1e300 * 1e300"}]}, go1)


def test_schema_command_prints_a_json_schema_with_every_term():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    text = json.dumps(schema)
    assert schema["title"] == "RewardProgram"
    for name in TERMS:
        assert f'"{name}"' in text
