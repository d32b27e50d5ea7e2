"""The behavior suites: every check is valid for its robot and reads the measured trajectory."""

from __future__ import annotations

import numpy as np
import pytest

from tabrl.bench.behaviors import BODY_SUITE_MODELS, SUITES, check_conditions, check_metrics, suite_for
from tabrl.render.metrics import behavior_metrics
from tabrl.render.rollout import rollout
from tabrl.robots.catalog import load_robot


@pytest.mark.parametrize("model", list(SUITES))
def test_suite_checks_name_metrics_the_robot_has(model):
    robot = load_robot(model)
    for prompt, text in SUITES[model].items():
        assert check_conditions(text, robot), prompt  # raises on a metric this robot lacks


@pytest.mark.parametrize("model", list(BODY_SUITE_MODELS))
def test_public_suites_name_metrics_and_limbs_the_body_has(model):
    robot = load_robot(model)
    suite = suite_for(model, "body", robot.spec)
    assert suite
    for prompt, text in suite.items():
        conditions = check_conditions(text, robot)  # raises on a metric or a limb this body lacks
        # a height-relative threshold became metres of this robot
        assert "*h" not in " ".join(c.label() for c in conditions), prompt


def test_a_suite_leaves_out_what_the_body_cannot_do():
    h1, op3 = load_robot("H1InplaceGaitTracking"), load_robot("Op3Joystick")
    assert "look left and right" not in suite_for(h1.model_id, "body", h1.spec)  # H1 has no neck
    assert "look left and right" in suite_for(op3.model_id, "body", op3.spec)
    # a seed robot keeps its own suite; the body suite is asked for by name
    assert suite_for("Go1JoystickFlatTerrain") == SUITES["Go1JoystickFlatTerrain"]
    assert "give me your paw" in suite_for("Go1JoystickFlatTerrain", "body")
    with pytest.raises(ValueError, match="unknown suite kind 'mine'"):
        suite_for("Go1JoystickFlatTerrain", "mine")


def test_a_standing_go1_passes_no_suite_prompt():
    go1 = load_robot("Go1JoystickFlatTerrain")
    m = behavior_metrics(go1, rollout(go1, lambda _obs: np.zeros(go1.action_size), 3.0))
    results = {p: check_metrics(go1.spec, c, m) for p, c in suite_for("Go1JoystickFlatTerrain").items()}
    results |= {p: check_metrics(go1.spec, c, m) for p, c in suite_for(go1.model_id, "body").items()}
    assert not any(ok for ok, _ in results.values()), results
    ok, detail = results["spin in place"]
    assert "abs_yaw_rate" in detail and "rad/s" in detail and "need ≥ 1" in detail
    # both alternatives of the paw are reported, each scaled to Go1's height
    ok, detail = results["give me your paw"]
    assert not ok and "front left leg's tip rose" in detail and "front right leg's tip rose" in detail
    assert detail.count(f"need ≥ {0.25 * go1.spec.standing_height * 100:.3g} cm") == 2, detail
    with pytest.raises(ValueError, match="no behavior suite for 'Nope'"):
        suite_for("Nope")


def test_the_cli_names_suites_and_their_prompts():
    from typer.testing import CliRunner

    from tabrl.cli import app

    runner = CliRunner()
    bad = runner.invoke(app, ["eval-behaviors", "--model", "Go1JoystickFlatTerrain", "--suite", "mine"])
    assert bad.exit_code != 0 and "unknown suite kind 'mine'; allowed: own, body" in bad.output
    # the body suite's prompts are allowed only with --suite body
    own = runner.invoke(
        app, ["eval-behaviors", "--model", "Go1JoystickFlatTerrain", "--prompt", "give me your paw"]
    )
    assert own.exit_code != 0 and "unknown suite prompt 'give me your paw'" in own.output
