"""The behavior suites: every check is valid for its robot and reads the measured trajectory."""

from __future__ import annotations

import numpy as np
import pytest

from tabrl.bench.behaviors import SUITES, check_metrics, suite_for
from tabrl.render.metrics import behavior_metrics
from tabrl.render.rollout import rollout
from tabrl.rewards import checks
from tabrl.robots.catalog import load_robot


@pytest.mark.parametrize("model", list(SUITES))
def test_suite_checks_name_metrics_the_robot_has(model):
    spec = load_robot(model).spec
    for prompt, text in SUITES[model].items():
        conditions = [checks.Condition.model_validate(c) for c in checks.parse_text(text)]
        checks.check_conditions(conditions, spec)  # raises on a metric this robot lacks
        assert conditions, prompt


def test_a_standing_go1_passes_no_suite_prompt():
    go1 = load_robot("Go1JoystickFlatTerrain")
    m = behavior_metrics(go1, rollout(go1, lambda _obs: np.zeros(go1.action_size), 3.0))
    results = {p: check_metrics(go1.spec, c, m) for p, c in suite_for("Go1JoystickFlatTerrain").items()}
    assert not any(ok for ok, _ in results.values()), results
    ok, detail = results["spin in place"]
    assert "abs_yaw_rate" in detail and "rad/s" in detail and "need ≥ 1" in detail
    with pytest.raises(ValueError, match="no behavior suite for 'Nope'"):
        suite_for("Nope")
