"""The built-in refiner's rules on program JSON (no robot, no provider)."""

from __future__ import annotations

import json

import pytest

from tabrl.design.refine import load_run, parse_wishes, rule_based_programs, shares_by_index
from tests.helpers.programs import HIP_OSCILLATOR

HIPS = HIP_OSCILLATOR


def test_parse_wishes():
    wishes = parse_wishes("More hips, less jumping and please stop spinning; bigger shaking. Hello")
    assert [(w.direction, w.words) for w in wishes] == [
        (1, ["hip"]),
        (-1, ["jump"]),
        (-1, ["spin"]),
        (1, ["shake"]),
    ]
    assert parse_wishes(None) == [] and parse_wishes("  ") == []


def test_shares_by_index_accepts_several_key_styles():
    assert shares_by_index(
        HIPS, {"0:joint_sine": 0.5, "upright": 0.3, "expr_2": 0.1, "3:action_rate": -0.1}
    ) == [0.5, 0.3, 0.1, -0.1]
    assert shares_by_index(HIPS, {"unknown": 1.0}) == [None] * 4
    # the compiler's report keys
    engine_keys = {
        "joint_sine:hip_abduction": 0.6,
        "upright": 0.3,
        "expr:-abs(base_lin_vel[0])": 0.05,
        "action_rate": -0.05,
    }
    assert shares_by_index(HIPS, engine_keys) == [0.6, 0.3, 0.05, -0.05]
    twice = {"name": "T", "terms": [{"term": "upright"}, {"term": "upright"}]}
    assert shares_by_index(twice, {"upright": 0.25, "upright#2": 0.75}) == [0.25, 0.75]
    keys = ["joint_sine:hip_abduction", "upright", "expr:-abs(base_lin_vel[0])", "action_rate"]
    assert shares_by_index(HIPS, engine_keys, keys) == [0.6, 0.3, 0.05, -0.05]


def test_names_and_summaries_stay_within_limits():
    long = dict(HIPS, name="N" * 60, summary="S" * 200)
    for program in rule_based_programs(long, {}, {}, "more hips"):
        assert len(program["name"]) <= 60 and len(program["summary"]) <= 200
        assert program["name"].endswith(")")


def test_words_raise_named_terms_and_penalise_unmatched_less():
    tuned, rebalanced, bold = rule_based_programs(HIPS, {}, {}, "more hips, less jumping")
    assert tuned["terms"][0]["weight"] == 3.0  # 2.0 x 1.5
    assert tuned["terms"][-1] == {"term": "expr", "weight": -0.75, "expr": "abs(vertical_speed)"}
    assert any("more hips" in n for n in tuned["notes"]) and tuned["name"] == "Hip Oscillator (Tuned)"
    assert bold["terms"][0]["weight"] == 4.0 and bold["terms"][3]["weight"] < -0.01
    assert len({json.dumps(p["terms"]) for p in (tuned, rebalanced, bold)}) == 3
    assert HIPS["terms"][0]["weight"] == 2.0  # the input is not modified


def test_less_of_a_penalised_thing_strengthens_the_penalty():
    program = {
        "name": "Still",
        "summary": "",
        "terms": [
            {"term": "upright", "weight": 1.0},
            {"term": "expr", "weight": -0.5, "expr": "abs(base_lin_vel[2])"},
        ],
    }
    tuned = rule_based_programs(program, {}, {}, "no jumping")[0]
    assert tuned["terms"][1]["weight"] == -0.75 and len(tuned["terms"]) == 2


def test_metrics_rebalance_dominant_terms_and_falls():
    shares = {"0:joint_sine": 0.8, "1:upright": 0.15, "2:expr": 0.01, "3:action_rate": -0.04}
    _, rebalanced, _ = rule_based_programs(HIPS, shares, {"falls": 2, "upright_fraction": 0.5}, None)
    weights = [t["weight"] for t in rebalanced["terms"]]
    assert weights[0] < 2.0 and weights[1] > 1.0 and weights[2] > 0.3
    assert any("fell" in n for n in rebalanced["notes"])


def test_without_any_signal_the_three_still_differ_and_are_deterministic():
    first = rule_based_programs(HIPS, {}, {}, None)
    assert first == rule_based_programs(HIPS, {}, {}, None)
    assert len({json.dumps(p["terms"]) for p in first} | {json.dumps(HIPS["terms"])}) == 4


def test_load_run_reads_engine_layout(tmp_path):
    job = tmp_path / "approach-1"
    (job / "policy").mkdir(parents=True)
    (job / "policy" / "metadata.json").write_text(
        json.dumps(
            {
                "model_id": "Go1JoystickFlatTerrain",
                "program": HIPS,
                "final_metrics": {"term_shares": {"0:joint_sine": 0.7}},
            }
        )
    )
    (job / "metrics.json").write_text(json.dumps({"falls": 1, "forward_speed_mps": 0.1}))
    for where in (job, job / "policy"):
        run = load_run(where)
        assert run.model_id == "Go1JoystickFlatTerrain" and run.program == HIPS
        assert run.term_shares == {"0:joint_sine": 0.7} and run.metrics["falls"] == 1


def test_load_run_shares_from_rendered_reward_terms(tmp_path):
    (tmp_path / "metadata.json").write_text(json.dumps({"model_id": "X", "program": HIPS}))
    (tmp_path / "metrics.json").write_text(json.dumps({"reward_terms": {"a": 3.0, "b": -1.0}}))
    assert load_run(tmp_path).term_shares == {"a": 0.75, "b": -0.25}


def test_load_run_finds_a_studio_job_by_its_id(tmp_path):
    """`tabrl refine 7` reads job 7 from the data dir's database and its run folder."""
    from tabrl.config import Settings
    from tabrl.design.refine import RunNotFound
    from tabrl.jobs.db import open_database
    from tabrl.jobs.models import Approach, Job, StudioSession
    from tabrl.jobs.runs import run_dir as studio_job_dir

    settings = Settings(data_dir=tmp_path)
    with pytest.raises(RunNotFound, match="no studio database"):
        load_run("1", settings, studio_job_dir=studio_job_dir)
    run_dir = tmp_path / "sessions" / "s1" / "job-1" / "a0"
    (run_dir / "policy").mkdir(parents=True)
    (run_dir / "policy" / "metadata.json").write_text(
        json.dumps({"model_id": "Go1JoystickFlatTerrain", "program": HIPS})
    )
    (run_dir / "metrics.json").write_text(json.dumps({"falls": 0}))
    with open_database(settings.resolved_database_url)() as db:
        session = StudioSession(id="s1", model_id="Go1JoystickFlatTerrain", prompt="shake", num_steps=2000)
        session.approaches.append(Approach(design=0, index=0, program=HIPS))
        db.add(session)
        db.flush()
        approach = session.approaches[0].id
        db.add_all(
            [
                Job(
                    session_id="s1",
                    approach_id=approach,
                    total_steps=2000,
                    status="done",
                    artifacts={"policy": "sessions/s1/job-1/a0/policy"},
                ),
                Job(session_id="s1", approach_id=approach, total_steps=2000, status="running"),
            ]
        )
        db.commit()
    run = load_run("1", settings, studio_job_dir=studio_job_dir)
    assert run.model_id == "Go1JoystickFlatTerrain" and run.program == HIPS and run.path == str(run_dir)
    with pytest.raises(RunNotFound, match="only a finished training job"):
        load_run("2", settings, studio_job_dir=studio_job_dir)
    with pytest.raises(RunNotFound, match="no job 3"):
        load_run("3", settings, studio_job_dir=studio_job_dir)


SHAKE = {
    **HIPS,
    "terms": [*HIPS["terms"], {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.2}}],
    "motion": {
        "parts": [{"group": "hip_abduction", "amplitude": 0.15, "frequency_hz": 1.5}],
        "residual": 0.5,
        "other_residual": 0.3,
    },
}


def _verdict(*rows: tuple[str, str, float, float]) -> dict:
    checks = [
        {
            "check": f"{s} {'≥' if op == '>=' else '≤'} {v:g}",
            "subject": s,
            "op": op,
            "value": v,
            "measured": m,
            "passed": (m >= v) if op == ">=" else (m <= v),
        }
        for s, op, v, m in rows
    ]
    return {"passed": all(c["passed"] for c in checks), "checks": checks, "summary": "…"}


def test_failed_success_checks_are_the_first_feedback():
    metrics = {
        "verdict": _verdict(
            ("hip_abduction_amplitude", ">=", 0.15, 0.06), ("drift", "<=", 0.5, 0.9), ("falls", "<", 1, 0)
        )
    }
    for program in rule_based_programs(SHAKE, {}, metrics, None):
        notes = program["notes"]
        # the failed conditions lead the notes, the worst relative shortfall first (drift 80 % over, the
        # amplitude 60 % short); the passed one is not mentioned
        assert notes[0] == "failed check: drift was 0.9, the check needs ≤ 0.5"
        assert any(n.startswith("failed check: hip_abduction_amplitude was 0.06") for n in notes)
        assert not any("falls" in n for n in notes)
        terms = {t["term"]: t for t in program["terms"]}
        assert terms["joint_sine"]["weight"] > 2.0  # the rhythm behind the short amplitude
        assert terms["stay_in_place"]["weight"] > 0.5  # staying in place behind the drift
        assert program["motion"]["parts"][0]["amplitude"] > 0.15  # and the prior's swing
    # a fall lowers how far the policy may leave the prior and strengthens stability
    fell = rule_based_programs(SHAKE, {}, {"verdict": _verdict(("falls", "<", 1, 2))}, None)
    assert fell[0]["motion"]["residual"] < 0.5
    assert next(t for t in fell[0]["terms"] if t["term"] == "upright")["weight"] > 1.0


def test_a_passed_or_missing_check_changes_nothing_by_itself():
    passed = {"verdict": _verdict(("hip_abduction_amplitude", ">=", 0.15, 0.3))}
    assert rule_based_programs(SHAKE, {}, passed, None) == rule_based_programs(SHAKE, {}, {}, None)
    for program in rule_based_programs(SHAKE, {}, passed, None):
        assert not any(n.startswith("failed check") for n in program["notes"])


def test_the_llm_refine_prompt_leads_with_the_failed_check():
    from tabrl.design.prompting import refine_prompt

    metrics = {"verdict": _verdict(("ee_extent", ">=", 0.12, 0.05)), "drift_m": 0.0}
    text = refine_prompt(SHAKE, {}, metrics, None)
    assert text.index("success check FAILED") < text.index("Program:")
    assert "- ee_extent ≥ 0.12: measured 0.05" in text
    assert "success check FAILED" not in refine_prompt(SHAKE, {}, {}, None)
