"""The LLM designer end to end: real SDKs -> loopback server -> parse, validate, compile, smoke test, repair.

The server plays OpenAI chat completions and Anthropic Messages with scripted replies and
records every request, so the tests read exactly what went back to the model.
"""

from __future__ import annotations

import builtins
import copy
import json
import os
import time

import pytest
from typer.testing import CliRunner

pytest.importorskip("tabrl.rewards.program", reason="the reward language is not there yet")
pytest.importorskip("tabrl.design.builtin", reason="the built-in designer is not there yet")

from tabrl.cli import app
from tabrl.config import get_settings
from tabrl.design import prompting
from tabrl.design.llm import design_with_provider, design_with_providers
from tabrl.design.providers import ProviderConfigError
from tabrl.design.refine import REFINER_NOTE, refine_approaches
from tabrl.design.repair import FALLBACK_NOTE, ReplyError, extract_json
from tabrl.rewards.validate import ProgramCheckError, validate_program
from tabrl.robots.catalog import load_robot
from tests.helpers.llm_server import (
    LLMServer,
    anthropic_text,
    anthropic_tool,
    error,
    openai_json,
    openai_text,
    openai_tool,
    stall,
)

MODEL_ID = "Go1JoystickFlatTerrain"
PROMPT = "keep shaking your hips aloha dude!"
KEY = "sk-test-SECRET-design-0001"

SWAY = {
    "name": "Hip Sway",
    "summary": "Rock the hips side to side in rhythm.",
    "notes": [],
    "terms": [
        {
            "term": "joint_sine",
            "weight": 2.0,
            "params": {
                "group": "hip_abduction",
                "amplitude": 0.3,
                "frequency_hz": 1.5,
                "pattern": "alternate",
            },
        },
        {"term": "upright", "weight": 1.0},
        {"term": "action_rate", "weight": -0.01},
    ],
}
ROLL = {
    "name": "Body Roll",
    "summary": "Roll the trunk while the feet stay put.",
    "notes": [],
    "terms": [
        {"term": "expr", "weight": 1.0, "expr": "abs(roll) * phase_sin"},
        {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.3}},
        {"term": "upright", "weight": 0.5},
        {"term": "action_rate", "weight": -0.01},
    ],
}
STILL_FEET = {
    "name": "Planted Wiggle",
    "summary": "Keep the feet down and wiggle the hips.",
    "notes": [],
    "terms": [
        {"term": "expr", "weight": 0.5, "expr": "-abs(base_lin_vel[0]) - abs(base_lin_vel[1])"},
        {"term": "expr", "weight": 1.0, "expr": "abs(qd[0]) + abs(qd[3])"},
        {"term": "upright", "weight": 1.0},
        {"term": "action_rate", "weight": -0.02},
    ],
}
GOOD = [SWAY, ROLL, STILL_FEET]


def bad_term() -> dict:
    program = copy.deepcopy(ROLL)
    program["terms"][0] = {"term": "moonwalk", "weight": 1.0}
    return program


def hostile(marker: str) -> dict:
    program = copy.deepcopy(SWAY)
    program["terms"].append(
        {"term": "expr", "weight": 1.0, "expr": f"__import__('os').system('touch {marker}')"}
    )
    return program


def reply(*programs: dict) -> dict:
    return {"approaches": list(programs)}


@pytest.fixture(scope="module")
def server():
    srv = LLMServer().start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def robot():
    return load_robot(MODEL_ID)


@pytest.fixture
def env(monkeypatch, tmp_path, server):
    """Providers p1 (OpenAI-compatible), cl (Anthropic), slow (OpenAI, 0.2 s timeout) on the test server."""
    for name in list(os.environ):
        if name.startswith("TABRL_LLM") or name.endswith("_API_KEY"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TABRL_DATA_DIR", str(tmp_path / "data"))
    settings = {
        "PROVIDERS": "p1,cl,slow",
        "MAX_RETRIES": "2",
        "BACKOFF_S": "0.01",
        "BACKOFF_MAX_S": "0.05",
        "TIMEOUT_S": "5",
        "REPAIR_ROUNDS": "2",
    }
    for lane, kind, suffix in (("p1", "openai", "/v1"), ("cl", "anthropic", ""), ("slow", "openai", "/v1")):
        settings.update(
            {
                f"{lane.upper()}_KIND": kind,
                f"{lane.upper()}_BASE_URL": server.url(lane, suffix),
                f"{lane.upper()}_API_KEY": KEY,
                f"{lane.upper()}_MODEL": f"{lane}-model",
            }
        )
    settings["SLOW_TIMEOUT_S"] = "0.2"
    for lane in ("p1", "cl", "slow"):
        server.script(lane, [])  # forget earlier tests' requests
    for key, value in settings.items():
        monkeypatch.setenv(f"TABRL_LLM_{key}", value)
    get_settings.cache_clear()
    yield server
    get_settings.cache_clear()


def check_error(data, robot) -> str:
    with pytest.raises(ProgramCheckError) as info:
        validate_program(data, robot)
    return str(info.value)


def test_good_programs_are_valid(robot):
    for program in GOOD:
        assert validate_program(program, robot).name == program["name"]


def test_worked_examples_are_valid_and_prompt_fits_the_robot(robot):
    (_, go1_examples), (_, panda_examples) = prompting.EXAMPLES
    for program in go1_examples:
        validate_program(program, robot)
    panda = load_robot("PandaPickCube")
    for program in panda_examples:
        validate_program(program, panda)
    text = prompting.system_prompt(panda)
    assert "- ee_path [" in text and "- air_time [" not in text and "feet: none" in text
    assert "- air_time [" in prompting.system_prompt(robot)


@pytest.mark.usefixtures("robot")
def test_good_reply_openai(env):
    env.script("p1", [openai_json(reply(*GOOD))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and result.provider == "p1" and result.model == "p1-model" and result.requests == 1
    assert [a.program["name"] for a in result.approaches] == [p["name"] for p in GOOD]
    assert all(a.source == "llm" and not a.fallback and a.rounds == 1 for a in result.approaches)
    (req,) = env.lane_requests("p1")
    fmt = req.body["response_format"]
    assert (
        fmt["type"] == "json_schema"
        and fmt["json_schema"]["schema"]["properties"]["approaches"]["maxItems"] == 3
    )
    system, user = req.body["messages"][0]["content"], req.body["messages"][1]["content"]
    for needle in (
        "hip_abduction: FR_hip_joint, FL_hip_joint",
        "0 FR_hip_joint",
        "control step: 0.02 s",
        "base_lin_vel [3]",
        "JSON Schema",
        "feet: FR, FL, RR, RL",
        "q_<group>",
    ):
        assert needle in system, needle
    assert PROMPT in user and "three approaches" in user


def test_good_reply_anthropic_tool_use(env):
    env.script("cl", [anthropic_tool(reply(*GOOD))])
    result = design_with_provider(MODEL_ID, PROMPT, "cl")
    assert result.ok and result.kind == "anthropic" and result.label == "cl (cl-model)"
    (req,) = env.lane_requests("cl")
    assert req.body["tool_choice"] == {"type": "tool", "name": "submit_approaches"}
    assert "approaches" in req.body["tools"][0]["input_schema"]["properties"]


def test_malformed_json_is_repaired_with_the_exact_error(env):
    broken = '{"approaches": [{"name": "Hip Sway", "terms": [}'
    with pytest.raises(ReplyError) as info:
        extract_json(broken)
    env.script("p1", [openai_text(broken), openai_json(reply(*GOOD))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and result.requests == 2 and result.fallbacks == 0
    second = env.lane_requests("p1")[1]
    assert str(info.value) in second.texts()
    assert second.body["messages"][2] == {"role": "assistant", "content": broken}


def test_unknown_term_is_repaired_and_valid_ones_kept(env, robot):
    expected = check_error(bad_term(), robot)
    assert "moonwalk" in expected
    env.script(
        "p1", [openai_json(reply(SWAY, bad_term(), STILL_FEET)), openai_json(reply(SWAY, ROLL, STILL_FEET))]
    )
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and result.requests == 2
    assert f"Approach 2: {expected}" in env.lane_requests("p1")[1].texts()
    assert [a.rounds for a in result.approaches] == [1, 2, 1]


def test_anthropic_repair_goes_back_as_tool_result(env, robot):
    expected = check_error(bad_term(), robot)
    env.script(
        "cl", [anthropic_tool(reply(bad_term(), ROLL, SWAY)), anthropic_tool(reply(STILL_FEET, ROLL, SWAY))]
    )
    result = design_with_provider(MODEL_ID, PROMPT, "cl")
    assert result.ok
    messages = env.lane_requests("cl")[1].body["messages"]
    assert messages[1]["content"][0]["type"] == "tool_use"
    (block,) = messages[2]["content"]
    assert block["type"] == "tool_result" and block["is_error"] is True
    assert f"Approach 1: {expected}" in block["content"]


def test_hostile_expression_is_refused_never_run_and_replaced(env, robot, tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    calls: list[str] = []
    real_eval, real_exec = builtins.eval, builtins.exec

    def spy(real):
        def wrapper(source, *args, **kwargs):
            calls.append(str(source))
            return real(source, *args, **kwargs)

        return wrapper

    monkeypatch.setattr(builtins, "eval", spy(real_eval))
    monkeypatch.setattr(builtins, "exec", spy(real_exec))
    evil = hostile(str(marker))
    expected = check_error(evil, robot)
    env.script(
        "p1", [openai_json(reply(evil, ROLL, STILL_FEET))] + [openai_json(reply(evil, ROLL, STILL_FEET))] * 2
    )
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert not marker.exists()
    assert not any("__import__" in c for c in calls)
    assert result.requests == 3  # the first try and 2 repair rounds
    for req in env.lane_requests("p1")[1:]:
        assert f"Approach 1: {expected}" in req.texts()
    first = result.approaches[0]
    assert first.fallback and first.source == "fallback" and result.fallbacks == 1
    assert first.program["notes"][-1].startswith(f"{FALLBACK_NOTE} (LLM approach failed: ")
    assert "__import__" not in json.dumps(first.program["terms"])
    assert [a.program["name"] for a in result.approaches[1:]] == ["Body Roll", "Planted Wiggle"]
    validate_program(first.program, robot)  # the fallback itself is a valid program


def test_all_fail_gives_three_fallbacks_not_cached(env):
    env.script("p1", [openai_text("I cannot do JSON, sorry.")] * 3 + [openai_json(reply(*GOOD))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.requests == 3 and result.fallbacks == 3 and result.error is None
    assert len({a.program["name"] for a in result.approaches}) == 3
    again = design_with_provider(MODEL_ID, PROMPT, "p1")  # a result of fallbacks only is not stored
    assert not again.cached and again.fallbacks == 0


def test_deadline_stops_repair_rounds(env, monkeypatch):
    monkeypatch.setenv("TABRL_LLM_DEADLINE_S", "0")
    get_settings.cache_clear()
    env.script("p1", [openai_json(reply(SWAY, bad_term(), STILL_FEET)), openai_json(reply(*GOOD))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.requests == 1 and result.fallbacks == 1 and "no time left" in result.approaches[1].error
    assert result.model_dump()["fallbacks"] == 1 and result.model_dump()["ok"] is True


def test_cut_off_reply_says_so(env):
    cut = openai_text('{"approaches": [{"name": "Hip')
    cut.body["choices"][0]["finish_reason"] = "length"
    env.script("p1", [cut, openai_json(reply(*GOOD))])
    assert design_with_provider(MODEL_ID, PROMPT, "p1").ok
    assert "cut off at the token limit" in env.lane_requests("p1")[1].texts()


def test_missing_approaches_are_asked_for(env):
    env.script("p1", [openai_json(reply(SWAY)), openai_json(reply(SWAY, ROLL, STILL_FEET))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and "the reply held 1 approaches; 3 are needed" in env.lane_requests("p1")[1].texts()


def test_duplicate_approach_is_refused(env):
    twin = dict(copy.deepcopy(SWAY), name="Other Name")
    env.script("p1", [openai_json(reply(SWAY, twin, ROLL)), openai_json(reply(SWAY, STILL_FEET, ROLL))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and "duplicate" in env.lane_requests("p1")[1].texts()


def test_429_then_success(env):
    env.script(
        "p1",
        [
            error(429, "Rate limit reached", headers={"retry-after": "0"}),
            error(502, "bad gateway"),
            openai_json(reply(*GOOD)),
        ],
    )
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and result.requests == 1 and len(env.lane_requests("p1")) == 3


def test_timeout_is_reported(env):
    env.script("slow", [stall(1.0)] * 3)
    started = time.monotonic()
    result = design_with_provider(MODEL_ID, PROMPT, "slow")
    assert result.error_kind == "timeout" and "did not answer within 0.2 s" in result.error
    assert result.approaches == [] and len(env.lane_requests("slow")) == 3
    assert time.monotonic() - started < 2.5


def test_bad_key_and_unknown_model(env):
    env.script("p1", [error(401, "Incorrect API key provided")])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.error_kind == "auth" and "rejected the API key (401)" in result.error
    assert "TABRL_LLM_P1_API_KEY" in result.error and KEY not in result.error
    assert len(env.lane_requests("p1")) == 1 and result.approaches == []
    env.script("cl", [error(404, "model: cl-nope", anthropic=True)])
    result = design_with_provider(MODEL_ID, PROMPT, "cl", model="cl-nope")
    assert result.error_kind == "model" and "does not know model 'cl-nope'" in result.error
    with pytest.raises(ProviderConfigError, match="Unknown LLM provider 'nope'"):
        design_with_provider(MODEL_ID, PROMPT, "nope")
    with pytest.raises(ValueError, match="empty"):
        design_with_providers(MODEL_ID, "   ", ["p1"])
    assert len(env.lane_requests("cl")) == 1  # nothing was sent for the empty prompt


def test_several_providers_concurrently_labelled(env):
    env.script("p1", [stall(0.6, openai_json(reply(*GOOD)))])
    env.script("cl", [stall(0.6, anthropic_tool(reply(STILL_FEET, SWAY, ROLL)))])
    env.script("slow", [error(401, "nope")])
    started = time.monotonic()
    results = design_with_providers(MODEL_ID, PROMPT, ["p1", "cl", "slow", "builtin", "ghost"])
    elapsed = time.monotonic() - started
    assert [r.provider for r in results] == ["p1", "cl", "slow", "builtin", "ghost"]
    p1, cl, slow, builtin, ghost = results
    assert p1.ok and cl.ok and builtin.ok
    assert cl.approaches[0].program["name"] == "Planted Wiggle" and cl.kind == "anthropic"
    assert slow.error_kind == "auth" and ghost.error_kind == "config"
    assert builtin.kind == "builtin" and all(a.source == "builtin" for a in builtin.approaches)
    # Concurrent: the second provider's request arrived while the first one's (0.6 s) was still open.
    (a,), (b,) = env.lane_requests("p1"), env.lane_requests("cl")
    assert abs(a.at - b.at) < 0.5, (a.at, b.at)
    assert elapsed < 5.0, elapsed


def huge_literal() -> dict:
    """A candidate whose expression holds a 400-digit integer (too big for a float)."""
    program = copy.deepcopy(ROLL)
    program["terms"].append({"term": "expr", "weight": 1.0, "expr": "1" + "0" * 399 + " * base_height"})
    return program


def test_a_candidate_that_breaks_the_checks_stays_inside_its_provider(env, tmp_path):
    """Whatever a candidate raises (here an OverflowError deep in validation) becomes that approach's error and
    a fallback: configure answers 200 and the other provider's approaches are as it sent them."""
    from tests.helpers.studio import studio

    bad = reply(SWAY, huge_literal(), STILL_FEET)
    env.script("p1", [openai_json(bad), openai_json(bad), openai_json(bad)])
    env.script("cl", [anthropic_tool(reply(STILL_FEET, SWAY, ROLL))])
    with studio(tmp_path / "studio") as client:
        r = client.post(
            "/api/training/configure",
            json={"model_id": MODEL_ID, "prompt": PROMPT, "num_steps": 2000, "providers": ["p1", "cl"]},
        )
    assert r.status_code == 200, r.text
    p1, cl = r.json()["designs"]
    assert p1["provider"] == "p1" and p1["error"] is None
    assert [a["fallback"] for a in p1["approaches"]] == [False, True, False]
    assert [a["name"] for a in p1["approaches"]][::2] == ["Hip Sway", "Planted Wiggle"]
    why = p1["approaches"][1]["notes"][-1]
    assert why.startswith(FALLBACK_NOTE) and "schema" in why, why
    assert cl["provider"] == "cl" and cl["error"] is None
    assert [a["name"] for a in cl["approaches"]] == ["Planted Wiggle", "Hip Sway", "Body Roll"]
    assert not any(a["fallback"] for a in cl["approaches"])
    assert len(env.lane_requests("p1")) == 3  # the error went back to the model in each repair round


def test_a_reply_json_cannot_read_is_repaired_not_raised(env):
    """json.loads refuses integers over 4,300 digits with a plain ValueError: still a reply to repair."""
    env.script("p1", [openai_text('{"approaches": [' + "7" * 5000 + "]}"), openai_json(reply(*GOOD))])
    result = design_with_provider(MODEL_ID, PROMPT, "p1")
    assert result.ok and result.requests == 2 and not result.fallbacks
    assert "could not be read" in env.lane_requests("p1")[1].texts()


def test_all_ready_providers_by_default(env):
    env.script("p1", [openai_json(reply(*GOOD))])
    env.script("cl", [anthropic_tool(reply(*GOOD))])
    env.script("slow", [openai_json(reply(*GOOD))])
    assert [r.provider for r in design_with_providers(MODEL_ID, PROMPT)] == ["p1", "cl", "slow"]


def test_cache_hit_and_fresh(env):
    env.script(
        "p1",
        [
            openai_json(reply(*GOOD)),
            openai_json(reply(ROLL, SWAY, STILL_FEET)),
            openai_json(reply(*GOOD)),
            openai_json(reply(*GOOD)),
        ],
    )
    first = design_with_provider(MODEL_ID, PROMPT, "p1")
    hit = design_with_provider(MODEL_ID, "  Keep shaking your HIPS   aloha dude! ", "p1")
    assert not first.cached and hit.cached and len(env.lane_requests("p1")) == 1
    assert [a.program for a in hit.approaches] == [a.program for a in first.approaches]
    fresh = design_with_provider(MODEL_ID, PROMPT, "p1", fresh=True)
    assert not fresh.cached and fresh.approaches[0].program["name"] == "Body Roll"
    assert (
        design_with_provider(MODEL_ID, PROMPT, "p1").approaches[0].program["name"] == "Body Roll"
    )  # refreshed
    other_model = design_with_provider(MODEL_ID, PROMPT, "p1", model="p1-other")
    other_prompt = design_with_provider(MODEL_ID, "spin in place", "p1")
    assert not other_model.cached and not other_prompt.cached and len(env.lane_requests("p1")) == 4
    assert env.lane_requests("p1")[2].body["model"] == "p1-other"


def test_openai_tools_mode(env, monkeypatch):
    monkeypatch.setenv("TABRL_LLM_P1_MODE", "tools")
    env.script("p1", [openai_tool(reply(*GOOD))])
    assert design_with_provider(MODEL_ID, PROMPT, "p1").ok
    assert env.lane_requests("p1")[0].body["tool_choice"]["function"]["name"] == "submit_approaches"


def test_anthropic_text_reply_with_fences(env):
    env.script("cl", [anthropic_text("Here you go:\n```json\n" + json.dumps(reply(*GOOD)) + "\n```")])
    assert design_with_provider(MODEL_ID, PROMPT, "cl").ok


# ---------------------------------------------------------------------------------------------- refine


SHARES = {"0:joint_sine": 0.7, "1:upright": 0.25, "2:action_rate": -0.05}
METRICS = {
    "falls": 1,
    "upright_fraction": 0.7,
    "drift_m": 0.4,
    "joint_groups": {"hip_abduction": {"amplitude_rad": 0.05}},
}


@pytest.mark.usefixtures("robot")
def test_refine_with_a_provider(env):
    env.script("p1", [openai_json(reply(bad_term(), ROLL, SWAY)), openai_json(reply(STILL_FEET, ROLL, SWAY))])
    result = refine_approaches(MODEL_ID, SWAY, SHARES, METRICS, "more hips, less jumping", provider="p1")
    assert result.ok and result.provider == "p1" and result.requests == 2
    first = env.lane_requests("p1")[0].texts()
    for needle in ("more hips, less jumping", '"0:joint_sine": 0.7', '"falls": 1', "Hip Sway", "improved"):
        assert needle in first, needle


def test_refine_provider_failure_falls_back_to_rules(env, robot):
    env.script("p1", [error(401, "bad key")])
    result = refine_approaches(MODEL_ID, SWAY, SHARES, METRICS, "more hips", provider="p1")
    assert result.error_kind == "auth" and result.fallbacks == 3
    for a in result.approaches:
        assert a.program["notes"][-1].startswith(REFINER_NOTE)
        validate_program(a.program, robot)


def test_refine_without_a_provider_uses_rules(env, robot, monkeypatch):
    monkeypatch.delenv("TABRL_LLM_PROVIDERS")
    get_settings.cache_clear()
    result = refine_approaches(MODEL_ID, SWAY, SHARES, METRICS, "more hips, less jumping")
    assert result.provider == "builtin" and result.ok and not env.lane_requests("p1")
    tuned = result.approaches[0].program
    assert tuned["terms"][0]["weight"] > SWAY["terms"][0]["weight"]
    assert any("less jumping" in n for n in tuned["notes"])
    for a in result.approaches:
        validate_program(a.program, robot)


@pytest.mark.usefixtures("env")
def test_cli_refine_job_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("TABRL_LLM_PROVIDERS")
    get_settings.cache_clear()
    job = tmp_path / "job1"
    (job / "policy").mkdir(parents=True)
    (job / "policy" / "metadata.json").write_text(
        json.dumps({"model_id": MODEL_ID, "program": SWAY, "final_metrics": {"term_shares": SHARES}})
    )
    (job / "metrics.json").write_text(json.dumps(METRICS))
    result = CliRunner().invoke(app, ["refine", str(job), "--say", "more hips", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["provider"] == "builtin" and len(data["approaches"]) == 3
    missing = CliRunner().invoke(app, ["refine", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no finished run" in missing.output


@pytest.mark.usefixtures("env")
def test_cli_refine_finds_a_studio_job_by_its_id_and_by_its_folder(monkeypatch):
    """`tabrl refine 1` reads job 1 from the studio's database; its folder gives the same run."""
    from tabrl.jobs.db import open_database
    from tabrl.jobs.models import Approach, Job, StudioSession
    from tabrl.jobs.states import JobStatus

    monkeypatch.delenv("TABRL_LLM_PROVIDERS")
    get_settings.cache_clear()
    settings = get_settings()
    run = settings.data_dir / "sessions" / "s1" / "job-1" / "a1"  # the executor's layout
    (run / "policy").mkdir(parents=True)
    (run / "policy" / "metadata.json").write_text(
        json.dumps({"model_id": MODEL_ID, "program": SWAY, "final_metrics": {"term_shares": SHARES}})
    )
    (run / "metrics.json").write_text(json.dumps(METRICS))
    with open_database(settings.resolved_database_url)() as db:
        session = StudioSession(id="s1", model_id=MODEL_ID, prompt="sway", num_steps=2000)
        session.approaches.append(Approach(design=0, index=0, program=SWAY))
        db.add(session)
        db.flush()
        policy = str((run / "policy").relative_to(settings.data_dir))
        db.add(
            Job(
                session_id="s1",
                approach_id=session.approaches[0].id,
                total_steps=2000,
                status=JobStatus.DONE,
                artifacts={"policy": policy},
            )
        )
        db.commit()
    by_id = CliRunner().invoke(app, ["refine", "1", "--say", "more hips", "--json"])
    by_folder = CliRunner().invoke(app, ["refine", str(run), "--say", "more hips", "--json"])
    assert by_id.exit_code == 0 and by_folder.exit_code == 0, by_id.output + by_folder.output
    approaches = json.loads(by_id.output)["approaches"]
    assert len(approaches) == 3 and approaches == json.loads(by_folder.output)["approaches"]
    missing = CliRunner().invoke(app, ["refine", "2"])
    assert missing.exit_code == 2 and "no job 2" in missing.output


def test_reply_schema_has_no_dangling_refs():
    text = json.dumps(prompting.reply_schema())
    assert '"$ref"' not in text or '"$defs"' in text


def test_cli_approaches_with_a_provider(env):
    env.script("p1", [openai_json(reply(*GOOD))])
    runner = CliRunner()
    table = runner.invoke(app, ["approaches", "--model", MODEL_ID, "--provider", "p1", PROMPT])
    assert table.exit_code == 0, table.output
    assert "p1 (p1-model)" in table.output and "Hip Sway" in table.output and "Planted Wiggle" in table.output
    as_json = runner.invoke(app, ["approaches", "--model", MODEL_ID, "--provider", "p1", "--json", PROMPT])
    assert as_json.exit_code == 0 and len(env.lane_requests("p1")) == 1  # the second call came from the cache
    assert [p["name"] for p in json.loads(as_json.output)] == [p["name"] for p in GOOD]
    env.script("p1", [openai_json(reply(ROLL, SWAY, STILL_FEET))])
    fresh = runner.invoke(
        app, ["approaches", "--model", MODEL_ID, "--provider", "p1", "--json", "--fresh", PROMPT]
    )
    assert json.loads(fresh.output)[0]["name"] == "Body Roll"
    env.script("p1", [error(401, "Incorrect API key provided")])
    bad = runner.invoke(app, ["approaches", "--model", MODEL_ID, "--provider", "p1", "--fresh", PROMPT])
    assert bad.exit_code != 0 and "rejected the API key" in bad.output and KEY not in bad.output
    unknown = runner.invoke(app, ["approaches", "--model", MODEL_ID, "--provider", "ghost", PROMPT])
    assert unknown.exit_code == 2 and "Unknown LLM provider 'ghost'" in unknown.output
