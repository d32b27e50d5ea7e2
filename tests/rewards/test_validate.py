"""A program is checked and compiled once per job: validation hands its compiled reward on to training."""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pytest

from tabrl.pipeline import prepare, run_training_batch
from tabrl.rewards import compiler
from tabrl.rewards.program import RewardProgram
from tabrl.rewards.smoke import sample_states
from tabrl.rewards.validate import ProgramCheckError, check_program, validate_program
from tabrl.robots.catalog import load_robot

GO1 = "Go1JoystickFlatTerrain"
PROGRAM = {
    "name": "Hips",
    "terms": [{"term": "upright", "weight": 1.0}, {"term": "expr", "weight": 0.5, "expr": "q[0]"}],
}


@pytest.fixture(scope="module")
def go1():
    return load_robot(GO1)


@pytest.fixture
def compiles(monkeypatch) -> Counter[str]:
    """How often the reward compiler ran, per array module (``numpy``, ``jax.numpy``): every tabrl module's
    binding of ``compile_program`` counts its calls and runs the real compiler."""
    counts: Counter[str] = Counter()
    real = compiler.compile_program

    def counting(program, spec, xp):
        counts[xp.__name__] += 1
        return real(program, spec, xp)

    for name, module in list(sys.modules.items()):
        if name.startswith("tabrl") and getattr(module, "compile_program", None) is real:
            monkeypatch.setattr(module, "compile_program", counting)
    return counts


def test_the_checked_reward_is_the_programs_reward_untouched_by_the_checks(go1):
    checked = check_program(PROGRAM, go1)
    assert checked.program == RewardProgram.parse(PROGRAM)
    assert checked.program == validate_program(PROGRAM, go1)
    assert checked.reward.clipped == {}  # the smoke test evaluated it raw: no clip counted against training
    fresh = compiler.compile_program(checked.program, go1.spec, np)
    assert checked.reward.keys == fresh.keys and checked.reward.labels == fresh.labels
    features = sample_states(go1)
    (total, terms), (fresh_total, fresh_terms) = checked.reward(features), fresh(features)
    assert np.array_equal(total, fresh_total) and np.std(total) > 0
    assert all(np.array_equal(terms[k], fresh_terms[k]) for k in fresh.keys)


def test_a_program_failing_a_check_is_refused_naming_the_stage(go1):
    with pytest.raises(ProgramCheckError) as err:
        check_program({"name": "Flat", "terms": [{"term": "expr", "expr": "1.0"}]}, go1)
    assert err.value.stage == "smoke test"


def test_preparing_a_job_compiles_its_program_once(go1, compiles):
    robot, program, reward = prepare(GO1, PROGRAM, go1)
    assert robot is go1 and program.name == "Hips" and reward.keys
    assert compiles == {"numpy": 1}


def test_a_batch_compiles_each_program_once(tmp_path, compiles):
    """Train All end to end on the native engine: validation, training and filming share one compile each."""
    programs = [
        {"name": "right", "terms": [{"term": "expr", "weight": 1.0, "expr": "q[0]"}]},
        {"name": "left", "terms": [{"term": "expr", "weight": 1.0, "expr": "-q[0]"}]},
    ]
    out = [tmp_path / name for name in ("right", "left")]
    results = run_training_batch("CartpoleBalance", programs, 256, out, render_seconds=0.5, backend="native")
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert compiles == {"numpy": len(programs)}
