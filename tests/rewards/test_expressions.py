"""Safe expressions: hostile input is refused naming the part; good input computes the right numbers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tabrl.rewards import expressions
from tabrl.rewards.expressions import ExpressionError, check_syntax, compile_expression
from tabrl.rewards.features import feature_names, feature_ranks
from tabrl.robots.catalog import load_robot


@pytest.fixture(scope="module")
def go1_ranks():
    return feature_ranks(load_robot("Go1JoystickFlatTerrain").spec)


HOSTILE = {
    "__import__('os').system('x')": "attribute access 'system'",
    "__import__('os')": "function '__import__' is not allowed",
    "().__class__": "attribute access '__class__'",
    "base_height.__class__": "attribute access '__class__'",
    "q.sum()": "attribute access 'sum'",
    "lambda: 1": "lambda 'lambda: 1'",
    "[x for x in q]": "comprehension '[x for x in q]'",
    "sum(x for x in q)": "comprehension",
    "'abc'": "constant of type string",
    "b'abc'": "constant of type bytes",
    "f'{q}'": "f-string",
    "q ** 1000": "exponent 1000",
    "q ** -9": "exponent -9",
    "q ** base_height": "exponent must be a number",
    "open('f')": "function 'open'",
    "eval('1')": "function 'eval'",
    "exec('1')": "function 'exec'",
    "getattr(q, 'x')": "function 'getattr'",
    "x" * 501: "at most 500",
    "secret_feature + 1": "unknown name 'secret_feature'",
    "abs + 1": "'abs' is a function",
    "base_height if True else 0": "constant of type bool",
    "abs(x=1)": "keyword arguments in 'abs(x=1)'",
    "abs(*q)": "starred",
    "(q := 1)": "assignment",
    "not base_height": "operator 'not'",
    "base_height // 2": "operator '//'",
    "base_height and q": "boolean operator",
    "{1: 2}": "dict",
    "q[base_height]": "indices must be whole numbers",
    "q[::2]": "slice steps",
    "base_height[0]": "cannot be indexed",
    "q[0, 1]": "2 indices for a value with 1 axis",
    "base_height in q": "comparison 'in'",
    "clip(q, 0)": "takes 3 argument(s), got 2",
    "1" + "+1" * 220: "too complex",
    "base_height\x00": "",
    "base_height +": "not valid syntax",
    "": "empty",
}


@pytest.mark.parametrize("source,needle", list(HOSTILE.items()), ids=[s[:30] or "empty" for s in HOSTILE])
def test_hostile_expressions_are_rejected_naming_the_part(source, needle, go1_ranks):
    with pytest.raises(ExpressionError) as err:
        compile_expression(source, go1_ranks)
    assert needle in str(err.value)


def test_syntax_check_without_a_robot_still_refuses_everything_unsafe():
    check_syntax("mean(q_front_hips) + base_lin_vel[0]")  # names are checked later, per robot
    for source in ("().__class__", "open('f')", "lambda: 1", "q ** 1000"):
        with pytest.raises(ExpressionError):
            check_syntax(source)


def test_unknown_name_lists_the_robots_features(go1_ranks):
    with pytest.raises(ExpressionError) as err:
        compile_expression("q_tail + 1", go1_ranks)
    assert "q_hip_abduction" in str(err.value) and "base_lin_vel" in str(err.value)


# Two states by hand: a batch of 2 in numpy.
F = {
    "t": np.array([0.0, 1.0]),
    "base_lin_vel": np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]]),
    "feet_contact": np.array([[1.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]),
    "feet_pos": np.arange(24.0).reshape(2, 4, 3),
    "base_height": np.array([0.3, 0.1]),
    "q": np.array([[0.5, -0.5, 1.0], [0.0, 2.0, -1.0]]),
}
RANKS = {"t": 0, "base_lin_vel": 1, "feet_contact": 1, "feet_pos": 2, "base_height": 0, "q": 1}

GOOD = {
    "-abs(base_lin_vel[0])": [-1.0, -1.0],
    "mean(feet_contact) * (base_height > 0.2)": [0.75, 0.0],
    "clip(base_lin_vel[2] ** 2, 0, 4)": [4.0, 0.25],
    "feet_pos[1][2]": [5.0, 17.0],
    "feet_pos[1, 2]": [5.0, 17.0],
    "sum(feet_pos[:, 2])": [2 + 5 + 8 + 11, 14 + 17 + 20 + 23],
    "1 if base_height > 0.2 else -1": [1.0, -1.0],
    "norm(base_lin_vel[0:2])": [np.sqrt(5), 1.0],
    "norm(base_lin_vel)": [np.sqrt(14), np.sqrt(1.25)],
    "sum(feet_contact[1:3])": [1.0, 0.0],
    "sum(base_height)": [0.3, 0.1],  # a per-state scalar: never summed over the batch
    "mean(base_height * feet_contact)": [0.225, 0.0],  # scalar broadcast against a per-state vector
    "0.2 < base_height < 0.4": [1.0, 0.0],
    "max(base_height, 0.2) + min(q[0], 0)": [0.3, 0.2],
    "sqrt(-4) + log(1) + exp(0) + tanh(0) + cos(0) + sin(0) + square(3)": [13.0, 13.0],
    "q[-1] ** 3": [1.0, -1.0],
    "base_height ** -1": [1 / 0.3, 10.0],
    "base_height / 0": [0.3 / 1e-6, 0.1 / 1e-6],  # guarded division
    "exp(1000)": [np.exp(50.0), np.exp(50.0)],  # clipped exponent
    "2 ** 3 - 8": [0.0, 0.0],
}


@pytest.mark.parametrize("source,expected", list(GOOD.items()))
def test_good_expressions_compute_the_right_values(source, expected):
    expr = compile_expression(source, RANKS)
    value = np.broadcast_to(expr.per_state(np, F), (2,))
    np.testing.assert_allclose(value, expected, rtol=1e-6, atol=2e-6)


@pytest.mark.parametrize("source", list(GOOD))
def test_batched_numpy_equals_vmapped_jax_and_single_states(source):
    expr = compile_expression(source, RANKS)
    batched = np.broadcast_to(expr.per_state(np, F), (2,))
    jf = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in F.items()}
    vmapped = jax.jit(jax.vmap(lambda f: jnp.broadcast_to(expr.per_state(jnp, f), ())))(jf)
    np.testing.assert_allclose(np.asarray(vmapped), batched, rtol=1e-5, atol=1e-5)
    for i in range(2):
        single = expr.per_state(np, {k: v[i] for k, v in F.items()})
        np.testing.assert_allclose(single, batched[i], rtol=1e-12)


def test_ranks_follow_indexing_and_reductions():
    assert compile_expression("feet_pos", RANKS).rank == 2
    assert compile_expression("feet_pos[0]", RANKS).rank == 1
    assert compile_expression("feet_pos[:, 2]", RANKS).rank == 1
    assert compile_expression("feet_pos[0, 2]", RANKS).rank == 0
    assert compile_expression("norm(feet_pos[0]) + base_height", RANKS).rank == 0
    assert compile_expression("q * base_height", RANKS).rank == 1


def test_plain_name_lists_take_documented_ranks():
    spec = load_robot("Go1JoystickFlatTerrain").spec
    assert compile_expression("feet_pos[0]", feature_names(spec)).rank == 1
    assert compile_expression("q_hip_abduction[0]", feature_names(spec)).rank == 0


def test_nothing_is_evaluated_as_python(monkeypatch):
    """The compiler never reaches eval/exec/compile: they are made to fail while compiling."""
    import builtins

    def refuse(*_args, **_kwargs):
        raise AssertionError("python code was evaluated")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    expr = compile_expression("mean(feet_contact) * (base_height > 0.2)", RANKS)
    np.testing.assert_allclose(expr.per_state(np, F), [0.75, 0.0])


def test_reward_package_never_calls_eval_exec_or_compile():
    import ast
    from pathlib import Path

    for path in Path(expressions.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "__import__"), (
                    f"{path.name}: {node.func.id}"
                )
