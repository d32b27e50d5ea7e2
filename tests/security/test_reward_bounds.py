"""Rewards that overflow float32 never reach training; hostile programs are refused naming the part.

Every program below goes through ``prepare`` (parse, compile, smoke test), the gate before any
training: each must be refused with a ProgramError that names the offending part. None may run
code (a marker file and patched eval/exec prove it).
"""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from tabrl.pipeline import prepare
from tabrl.pipeline.job import clipped_warning
from tabrl.rewards.compiler import MAX_REWARD, compile_program
from tabrl.rewards.expressions import ExpressionError, check_syntax, compile_expression
from tabrl.rewards.features import feature_ranks
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.rewards.smoke import extreme_states, sample_states, smoke_test
from tabrl.robots.catalog import load_robot

GO1, PANDA, CARTPOLE = "Go1JoystickFlatTerrain", "PandaPickCube", "CartpoleBalance"


def program(*terms, **extra) -> dict:
    """A program whose first term varies (so only the hostile part can be the problem)."""
    return {"name": "Hostile", "terms": [{"term": "upright"}, *terms], **extra}


def expr(source: str, weight: float = 1.0) -> dict:
    return {"term": "expr", "weight": weight, "expr": source}


# (robot, program, words the refusal must contain). Markers: MARKER is replaced by a path.
HOSTILE: list[tuple[str, dict, str]] = [
    # code injection through an expression
    (GO1, program(expr("__import__('os').system('touch MARKER')")), "attribute access 'system'"),
    (GO1, program(expr("__import__('os')")), "function '__import__' is not allowed"),
    (GO1, program(expr("().__class__.__bases__[0].__subclasses__()")), "attribute access"),
    (GO1, program(expr("base_height.__class__")), "attribute access '__class__'"),
    (GO1, program(expr("q.sum()")), "attribute access 'sum'"),
    (GO1, program(expr("eval('1')")), "function 'eval'"),
    (GO1, program(expr('exec(\'open("MARKER", "w")\')')), "function 'exec'"),
    (GO1, program(expr("compile('1', 'f', 'eval')")), "function 'compile'"),
    (GO1, program(expr("open('MARKER', 'w')")), "function 'open'"),
    (GO1, program(expr("getattr(q, 'sum')")), "function 'getattr'"),
    (GO1, program(expr("globals()")), "function 'globals'"),
    (GO1, program(expr("vars()")), "function 'vars'"),
    (GO1, program(expr("breakpoint()")), "function 'breakpoint'"),
    (GO1, program(expr("print(q)")), "function 'print'"),
    (GO1, program(expr("lambda: 1")), "lambda"),
    (GO1, program(expr("[x for x in q]")), "comprehension"),
    (GO1, program(expr("sum(x for x in q)")), "comprehension"),
    (GO1, program(expr("{x: 1 for x in q}")), "comprehension"),
    (GO1, program(expr("'abc'")), "constant of type string"),
    (GO1, program(expr("b'abc'")), "constant of type bytes"),
    (GO1, program(expr("f'{q}'")), "f-string"),
    (GO1, program(expr("None")), "constant of type None"),
    (GO1, program(expr("(q := 1)")), "assignment"),
    (GO1, program(expr("abs(*q)")), "starred"),
    (GO1, program(expr("abs(x=q)")), "keyword arguments"),
    (GO1, program(expr("[1, 2]")), "list"),
    (GO1, program(expr("(1, 2)")), "tuple"),
    (GO1, program(expr("{1: 2}")), "dict"),
    (GO1, program(expr("{1, 2}")), "set"),
    # operators outside the language
    (GO1, program(expr("base_height // 2")), "operator '//'"),
    (GO1, program(expr("base_height % 2")), "operator '%'"),
    (GO1, program(expr("q @ q")), "operator '@'"),
    (GO1, program(expr("1 << 2")), "operator '<<'"),
    (GO1, program(expr("1 | 2")), "operator '|'"),
    (GO1, program(expr("~1")), "operator '~'"),
    (GO1, program(expr("not base_height")), "operator 'not'"),
    (GO1, program(expr("base_height and q")), "boolean operator"),
    (GO1, program(expr("base_height is None")), "comparison 'is'"),
    (GO1, program(expr("base_height in q")), "comparison 'in'"),
    # sizes and numbers
    (GO1, program(expr("q[0] ** 1000")), "exponent 1000"),
    (GO1, program(expr("q[0] ** base_height")), "exponent must be a number"),
    (GO1, program(expr("q[0] ** " + "9" * 400)), "exceeds the limit"),
    (GO1, program(expr("q[0] * " + "9" * 400)), "is too large"),
    (GO1, program(expr("q[" + "9" * 400 + "]")), "out of range"),
    (GO1, program(expr("q[::2]")), "slice steps"),
    (GO1, program(expr("q[base_height]")), "indices must be whole numbers"),
    (GO1, program(expr("q[40]")), "does not fit this robot's features"),
    (GO1, program(expr("x" * 501)), "at most 500"),
    (GO1, program(expr("1" + "+1" * 220)), "too complex"),
    (GO1, program(expr("(" * 240 + "1" + ")" * 240)), "not valid syntax"),
    (GO1, program(expr("base_height\x00")), "expression"),
    (GO1, program(expr("secret_feature + 1")), "unknown name 'secret_feature'"),
    # rewards that overflow float32 (or drown everything) on sampled or extreme but valid states
    (GO1, program(expr("1e300*q[0]")), "'1e300*q[0]'"),
    (GO1, program(expr("exp(50)**8*qd[0]")), "'exp(50)**8*qd[0]'"),
    (GO1, program(expr("1e38*qd[1]**8")), "'1e38*qd[1]**8'"),
    (GO1, program(expr("1e308 * (10 + q[0])")), "non-finite"),
    (GO1, program(expr("exp(qd[0]) ** 8")), "'exp(qd[0]) ** 8'"),
    (GO1, program(expr("1e30 * sum(qd ** 8)")), "'1e30 * sum(qd ** 8)'"),
    (GO1, program(expr("3e38 * tanh(q[0]) * 2")), "'3e38 * tanh(q[0]) * 2'"),
    (GO1, program(expr("1e38 * log(abs(q[0]))")), "'1e38 * log(abs(q[0]))'"),
    (GO1, program(expr("exp(50) * exp(50) * base_height")), "'exp(50) * exp(50) * base_height'"),
    (GO1, program(expr("100 * exp(50) * q[0]", weight=100.0)), "'100 * exp(50) * q[0]'"),
    (GO1, program(expr("1e33 * t ** 8")), "'1e33 * t ** 8'"),
    (GO1, program(expr("drift ** 8 * 1e25")), "'drift ** 8 * 1e25'"),
    (GO1, program(expr("1e20 * sum(square(torque))")), "'1e20 * sum(square(torque))'"),
    (GO1, program(expr("1e7 * base_lin_vel[0] ** 4")), "'1e7 * base_lin_vel[0] ** 4'"),
    (GO1, program(expr("9e7 + tanh(q[0])"), expr("9e7 + tanh(q[1])")), "the total reward"),
    (PANDA, {"name": "Arm", "terms": [expr("1e36 * qd[0] ** 4")]}, "'1e36 * qd[0] ** 4'"),
    (CARTPOLE, {"name": "Pole", "terms": [expr("1e30 * qd[0] ** 8")]}, "'1e30 * qd[0] ** 8'"),
    # the program's own structure
    (GO1, program({"term": "teleport"}), "unknown term 'teleport'"),
    (GO1, program({"weight": 1.0}), "every term needs a 'term' field"),
    (GO1, program({"term": "upright", "weight": float("nan")}), "weight must be a finite number"),
    (GO1, program({"term": "upright", "weight": float("inf")}), "weight must be a finite number"),
    (GO1, program({"term": "upright", "weight": 1e9}), "outside [-100, 100]"),
    (GO1, program({"term": "upright", "run": "rm -rf /"}), "unexpected field 'run'"),
    (GO1, program({"term": "base_height", "params": {"target": 1e9}}), "params.target"),
    (GO1, program({"term": "joint_pose", "params": {"group": "tail"}}), "no joint group 'tail'"),
    (GO1, program({"term": "expr", "expr": "q[0]", "params": {"x": 1}}), "an expr term takes no params"),
    (GO1, program(*[{"term": "alive"}] * 12), "at most 12"),
    (GO1, {"name": "N" * 61, "terms": [{"term": "upright"}]}, "name"),
    (GO1, {"name": "Notes", "terms": [{"term": "upright"}], "notes": ["x" * 2_000_000]}, "notes.0"),
    (GO1, {"name": "Notes", "terms": [{"term": "upright"}], "notes": ["x"] * 1000}, "notes"),
    (GO1, {"name": "No terms", "terms": []}, "terms"),
    (GO1, {"name": "Extra", "terms": [{"term": "upright"}], "code": "import os"}, "unexpected field 'code'"),
    (PANDA, {"name": "Feet", "terms": [{"term": "air_time"}]}, "has no feet"),
    (PANDA, {"name": "Jump", "terms": [{"term": "jump"}, expr("q[0]")]}, "fixed to the world"),
    (
        PANDA,
        {"name": "Reach", "terms": [{"term": "ee_target", "params": {"index": 50, "target": [0, 0, 1]}}]},
        "end effector index 50 is out of range",
    ),
]


@pytest.fixture(scope="module")
def robots():
    cache = {}

    def get(model_id):
        if model_id not in cache:
            cache[model_id] = load_robot(model_id)
        return cache[model_id]

    return get


def test_the_hostile_list_has_at_least_60_cases():
    assert len(HOSTILE) >= 60


@pytest.fixture
def no_code_runs(monkeypatch, robots):
    # Imports run module code through exec: do every import the gate needs first, then forbid it.
    for model_id in (GO1, PANDA, CARTPOLE):
        robots(model_id)
        prepare(model_id, {"name": "warm", "terms": [expr("q[0]")]})

    def refuse(*args, **_kwargs):
        raise AssertionError(f"code was run: {str(args)[:200]}")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)


@pytest.mark.parametrize("model_id,hostile,words", HOSTILE, ids=[f"{i:02d}" for i in range(len(HOSTILE))])
@pytest.mark.usefixtures("no_code_runs")
def test_hostile_program_is_refused_naming_the_part_and_never_run(model_id, hostile, words, robots, tmp_path):
    import json

    marker = tmp_path / "ran"
    hostile = json.loads(json.dumps(hostile).replace("MARKER", str(marker)))
    robots(model_id)  # loaded outside the timing of the gate
    with pytest.raises(ProgramError) as err:
        prepare(model_id, hostile)  # the gate every training job passes first
    assert words in str(err.value), str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize("source", ["1e300*q[0]", "exp(50)**8*qd[0]", "1e38*qd[1]**8"])
def test_float32_overflowing_terms_fail_the_smoke_test_naming_the_term(source, robots):
    """Before the fix these passed: finite in float64 on calm states, inf in float32 or when moving fast."""
    with pytest.raises(ProgramError) as err:
        smoke_test(program(expr(source)), robots(GO1))
    message = str(err.value)
    assert f"term 2 ('{source}')" in message and f"±{MAX_REWARD:g}" in message


def test_extreme_states_are_valid_and_extreme(robots):
    robot = robots(GO1)
    f = extreme_states(robot)
    spec = robot.spec
    lo, hi = spec.joint_range[:, 0], spec.joint_range[:, 1]
    assert np.all(np.isfinite(np.concatenate([np.ravel(v) for v in f.values()])))
    at_limit = np.isclose(f["q"], lo) | np.isclose(f["q"], hi)
    assert at_limit.mean() > 0.95  # joints at their limits (the model may clamp a few)
    assert np.abs(f["qd"]).max() >= 15 and np.abs(f["qd"]).max() <= 20
    assert f["gravity"][:, 2].max() > 0  # some upside down
    calm = sample_states(robot, n=16)
    assert np.abs(f["qd"]).mean() > 5 * np.abs(calm["qd"]).mean()


@pytest.mark.parametrize("model_id", [GO1, PANDA, CARTPOLE, "H1JoystickGaitTracking"])
def test_every_primitive_at_the_largest_weight_stays_within_the_bound(model_id, robots):
    """The bound refuses absurd programs only: no primitive term, even at weight 100, reaches it."""
    from tabrl.rewards.terms import TERMS

    robot = robots(model_id)
    f = extreme_states(robot)
    for name in TERMS:
        try:
            compiled = compile_program(
                {"name": name, "terms": [{"term": name, "weight": 100.0}]}, robot.spec, np
            )
        except ProgramError:
            continue  # a term this robot cannot have (feet on an arm)
        with np.errstate(all="ignore"):
            total, _ = compiled.raw(f)
        assert np.all(np.abs(total) <= MAX_REWARD), (name, float(np.max(np.abs(total))))


def test_a_400_digit_integer_is_an_expression_error_not_an_overflow():
    big = "9" * 400
    for source in (
        f"{big} * q[0]",
        f"q[0] + {big}",
        f"-{big}",
        f"q[0] ** {big}",
        f"q[{big}]",
        f"clip(q[0], 0, {big})",
    ):
        with pytest.raises(ExpressionError):
            check_syntax(source)
        with pytest.raises(ExpressionError):
            compile_expression(source, feature_ranks())


def test_run_time_guard_clips_and_counts_in_the_native_env(robots):
    """A program that got past the smoke test (here: compiled without it) still never gives training a
    non-finite or float32-overflowing reward: the guard clips, and counts what it clipped."""
    from tabrl.sim.native import NativeBatchEnv

    robot = robots(CARTPOLE)
    compiled = compile_program(program(expr("1e38*qd[0]**8"), expr("1e300*q[0]")), robot.spec, np)
    env = NativeBatchEnv(robot, compiled, 8, seed=0, reset_pool=8)
    env.reset()
    rng = np.random.default_rng(0)
    rewards = []
    for _ in range(20):
        _, reward, *_ = env.step(rng.uniform(-1, 1, (8, robot.action_size)))
        rewards.append(reward)
    rewards = np.stack(rewards)
    assert rewards.dtype == np.float32 and np.all(np.isfinite(rewards))
    assert np.abs(rewards).max() <= MAX_REWARD
    assert compiled.clipped and sum(compiled.clipped.values()) > 0
    warning = clipped_warning(compiled.clipped)
    assert "were clipped" in warning and "expr:1e300*q[0]" in warning


def test_run_time_guard_under_jax_jit(robots):
    import jax
    import jax.numpy as jnp

    robot = robots(GO1)
    compiled = compile_program(program(expr("1e38*qd[1]**8")), robot.spec, jnp)
    f = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in extreme_states(robot, n=4).items()}
    total, terms = jax.jit(jax.vmap(compiled))(f)
    assert bool(jnp.all(jnp.isfinite(total))) and float(jnp.max(jnp.abs(total))) <= MAX_REWARD


@pytest.mark.slow
def test_run_time_guard_reports_what_it_clipped_in_the_mjx_env(robots):
    """On MJX the guard runs inside jit: what it clipped reaches the env's metrics (which brax's evaluator
    sums per episode and the job's progress events carry), so clipping is never silent there either."""
    import jax

    from tabrl.sim.mjx_env import CLIPPED_METRIC, BehaviorMjxEnv
    from tabrl.train.mjx_ppo import clipped_from_metrics

    robot = robots(CARTPOLE)
    env = BehaviorMjxEnv(robot, RewardProgram.parse(program(expr("1e300*q[0]"), {"term": "upright"})))
    state = jax.jit(env.reset)(jax.random.PRNGKey(0))
    step = jax.jit(env.step)
    assert float(state.metrics[f"{CLIPPED_METRIC}/total"]) == 0.0
    for _ in range(3):
        state = step(state, jax.numpy.full((env.action_size,), 0.7))
    assert bool(jax.numpy.isfinite(state.reward)) and abs(float(state.reward)) <= MAX_REWARD
    assert float(state.metrics[f"{CLIPPED_METRIC}/expr:1e300*q[0]"]) == 1.0  # this step's value
    assert float(state.metrics[f"{CLIPPED_METRIC}/upright"]) == 0.0
    # brax reports the per-episode sums as eval/episode_<metric>; only clipped terms are named.
    clipped = clipped_from_metrics({f"eval/episode_{k}": float(v) for k, v in state.metrics.items()})
    assert clipped == {"expr:1e300*q[0]": 1.0}  # the total of clipped terms is within the bound
    assert "expr:1e300*q[0] ×1" in clipped_warning(clipped)


def test_notes_have_a_size_limit():
    with pytest.raises(ProgramError) as err:
        RewardProgram.parse({"name": "n", "terms": [{"term": "upright"}], "notes": ["x" * 2_000_000]})
    assert "notes.0" in str(err.value) and "20000" in str(err.value)
    RewardProgram.parse({"name": "n", "terms": [{"term": "upright"}], "notes": ["a word " * 2000]})
