"""Success checks: validated like programs (hostile ones refused), evaluated on measured rollout metrics."""

from __future__ import annotations

import numpy as np
import pytest

from tabrl.render.metrics import behavior_metrics, evaluate_success, metric_values
from tabrl.render.rollout import rollout
from tabrl.rewards import checks
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.robots.observables import observables_of


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


@pytest.fixture(scope="module")
def standing(go1):
    """Go1 holding its default pose for 3 s: upright, in place, hips still."""
    return behavior_metrics(go1, rollout(go1, lambda _obs: np.zeros(go1.action_size), 3.0))


def _program(success) -> RewardProgram:
    return RewardProgram.parse({"name": "x", "terms": [{"term": "upright"}], "success": success})


def test_text_and_list_forms_are_the_same_check(go1):
    text = _program("abs_yaw_rate >= 1.0 and drift <= 0.5 and forward_speed - abs(lateral_speed) > -0.2")
    listed = _program(
        [
            {"metric": "abs_yaw_rate", "op": ">=", "value": 1.0},
            {"metric": "drift", "op": "<=", "value": 0.5},
            {"expr": "forward_speed - abs(lateral_speed)", "op": ">", "value": -0.2},
        ]
    )
    assert text.success == listed.success
    assert RewardProgram.parse(text.model_dump_json()) == text  # stored in list form, round-trips
    compile_program(text, go1.spec, np)


def test_every_named_metric_is_measured(go1, standing):
    values = metric_values(standing)
    assert set(checks.metric_names(go1.spec, observables_of(go1))) == set(values)
    arm = load_robot("PandaPickCube")
    assert {"ee_path_length", "ee_dz", "gripper_amplitude"} <= set(checks.metric_names(arm.spec))
    assert "airborne_moments" not in checks.metric_names(arm.spec)


def test_verdict_on_a_standing_robot(go1, standing):
    still = _program("upright >= 0.9 and drift <= 0.5")
    shake = _program("hip_abduction_amplitude >= 0.15 and upright >= 0.9")
    ok = evaluate_success(go1.spec, standing, still.success)
    assert ok["passed"] and ok["summary"].startswith("✓")
    bad = evaluate_success(go1.spec, standing, shake.success)
    assert not bad["passed"] and bad["summary"].startswith("✗")
    amp = bad["checks"][0]
    assert amp["subject"] == "hip_abduction_amplitude" and amp["unit"] == "rad" and not amp["passed"]
    assert amp["measured"] == pytest.approx(standing["joint_groups"]["hip_abduction"]["amplitude_rad"])
    assert bad["checks"][1]["passed"]
    assert evaluate_success(go1.spec, standing, None) is None


@pytest.mark.parametrize(
    "success,needle",
    [
        (
            "spin_speed >= 1",
            "success check 1 ('spin_speed ≥ 1'): unknown metric 'spin_speed'; allowed: forward_speed",
        ),
        ([{"metric": "tail_amplitude", "op": ">=", "value": 0.1}], "unknown metric 'tail_amplitude'"),
        ("__import__('os').system('rm -rf /') > 0", "attribute access 'system' is not allowed"),
        ("open('/etc/passwd') > 0", "function 'open' is not allowed"),
        ("(lambda: 1)() > 0", "is not allowed"),
        ("drift.real <= 1", "attribute access 'real' is not allowed"),
        ("drift <= 0.5 or falls < 1", "join conditions with 'and' only"),
        ("drift", "'drift' is not a comparison like 'metric >= number'"),
        ("drift <= upright", "the right-hand side must be a number"),
        ("drift == 0", "is not a comparison"),
        ("0 < drift < 1", "is not a comparison"),
        ("drift <= 0.5; import os", "not valid syntax"),
        ("abs(q[0]) > 0", "unknown name 'q'; allowed metrics"),
        ("drift ** 99 > 1", "exponent 99 exceeds the limit"),
        ("x" * 500 + " > 1", "at most 400 characters"),
        ([{"metric": "drift", "op": "!=", "value": 1}], "success check 1 op"),
        (
            [{"metric": "drift", "op": "<=", "value": float("inf")}],
            "success check 1 value: value must be a finite number",
        ),
        ([{"metric": "drift", "expr": "drift", "op": "<=", "value": 1}], "exactly one of 'metric' or 'expr'"),
        (
            [{"metric": "drift; rm", "op": "<=", "value": 1}],
            "success check 1 metric: String should match pattern",
        ),
        (
            [{"metric": "drift", "op": "<=", "value": 1, "code": "x"}],
            "success check 1 code: unexpected field 'code'",
        ),
        ([{"metric": "drift", "op": "<=", "value": 1}] * 9, "success: List should have at most 8 items"),
    ],
)
def test_hostile_or_wrong_checks_are_refused(go1, success, needle):
    with pytest.raises(ProgramError) as err:
        compile_program(_program(success), go1.spec, np)
    assert needle in str(err.value)


def test_schema_lists_the_metrics():
    schema = RewardProgram.json_schema()
    text = schema["properties"]["success"]["description"]
    assert "abs_yaw_rate" in text and "G_amplitude" in text and "hip_abduction" not in text
    assert schema["$defs"]["Condition"]["properties"]["op"]["enum"] == [">=", "<=", ">", "<"]


def test_api_job_output_carries_the_verdict(go1, standing):
    from types import SimpleNamespace

    from tabrl.api import schemas

    program = _program("upright >= 0.9 and drift <= 0.5")
    verdict = evaluate_success(go1.spec, standing, program.success)
    job = SimpleNamespace(
        id=1,
        session_id="s",
        approach_id=2,
        kind="train",
        status="done",
        progress=1.0,
        steps_done=10,
        total_steps=10,
        mean_reward=1.0,
        eta_s=0.0,
        error=None,
        created_at=__import__("datetime").datetime(2026, 1, 1),
        started_at=None,
        finished_at=None,
        artifacts={"video": "v.mp4"},
        metrics={"drift_m": 0.1, "verdict": verdict},
    )
    out = schemas.job_out(job)
    assert out.verdict is not None and out.verdict.passed and out.verdict.checks[1].subject == "drift"
    data = program.model_dump(mode="json") | {"motion": {"parts": [{"group": "knee", "offset": -0.3}]}}
    assert schemas.motion_lines(data) == ["knee: pose -0.30 rad (residual 0.5)"]
    assert schemas.success_lines(data) == ["upright ≥ 0.9", "drift ≤ 0.5"]
