"""Providers through the real openai/anthropic SDKs against a scripted loopback server."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from tabrl.design.providers import (
    OutputSpec,
    ProviderAuthError,
    ProviderConfig,
    ProviderModelError,
    ProviderTimeout,
    ProviderUnavailable,
    Reply,
    Turn,
    make_provider,
)
from tests.helpers.llm_server import LLMServer, anthropic_tool, error, openai_json, openai_tool, stall

SECRET = "sk-test-SECRET-0123456789"
OUTPUT = OutputSpec(
    schema={"type": "object", "properties": {"approaches": {"type": "array"}}, "required": ["approaches"]}
)


@pytest.fixture(scope="module")
def server():
    srv = LLMServer().start()
    yield srv
    srv.stop()


def config(server: LLMServer, lane: str, kind: str = "openai", **kw) -> ProviderConfig:
    base = server.url(lane, "/v1" if kind == "openai" else "")
    values = dict(
        name=lane,
        kind=kind,
        model="test-model",
        base_url=base,
        api_key=SecretStr(SECRET),
        timeout_s=2.0,
        max_retries=2,
        backoff_s=0.01,
        backoff_max_s=0.05,
    )
    values.update(kw)
    return ProviderConfig(**values)


def ask(cfg: ProviderConfig, turns: list[Turn] | None = None) -> Reply:
    provider = make_provider(cfg)
    try:
        return provider.ask("system text (JSON)", turns or [Turn("user", "hello")], OUTPUT)
    finally:
        provider.close()


def test_openai_json_schema_request_and_reply(server):
    server.script("oa1", [openai_json({"approaches": [1, 2, 3]})])
    reply = ask(config(server, "oa1"))
    assert reply.text == '{"approaches": [1, 2, 3]}'
    (req,) = server.lane_requests("oa1")
    assert req.path.endswith("/v1/chat/completions")
    assert req.body["model"] == "test-model"
    assert req.body["response_format"]["type"] == "json_schema"
    assert req.body["response_format"]["json_schema"]["schema"] == OUTPUT.schema
    assert req.body["messages"][0] == {"role": "system", "content": "system text (JSON)"}
    assert req.headers["authorization"] == f"Bearer {SECRET}"


def test_openai_tools_mode_and_tool_reply_round_trip(server):
    server.script("oa2", [openai_tool({"approaches": []}), openai_tool({"approaches": [1]})])
    cfg = config(server, "oa2", mode="tools")
    first = ask(cfg)
    assert first.call_id == "call_1" and first.text == '{"approaches": []}'
    ask(
        cfg,
        [
            Turn("user", "hello"),
            Turn("assistant", reply=first),
            Turn("user", "fix: EXACT ERROR", is_error=True),
        ],
    )
    second = server.lane_requests("oa2")[1].body
    assert second["tool_choice"]["function"]["name"] == "submit_approaches"
    assert second["messages"][2]["tool_calls"][0]["id"] == "call_1"
    assert second["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "fix: EXACT ERROR"}


def test_openai_429_then_success_retries_with_backoff(server):
    server.script(
        "oa3",
        [
            error(429, "slow down", headers={"retry-after": "0"}),
            error(503, "busy"),
            openai_json({"ok": True}),
        ],
    )
    reply = ask(config(server, "oa3"))
    assert reply.text == '{"ok": true}'
    assert len(server.lane_requests("oa3")) == 3


def test_openai_retries_exhausted(server):
    server.script("oa4", [error(500, "down")] * 3)
    with pytest.raises(ProviderUnavailable, match=r"unavailable \(500\)"):
        ask(config(server, "oa4"))
    assert len(server.lane_requests("oa4")) == 3  # 1 + max_retries


def test_openai_401_is_clear_and_not_retried(server):
    server.script("oa5", [error(401, "Incorrect API key provided")])
    with pytest.raises(ProviderAuthError) as info:
        ask(config(server, "oa5"))
    message = str(info.value)
    assert "rejected the API key (401)" in message and "TABRL_LLM_OA5_API_KEY" in message
    assert SECRET not in message
    assert len(server.lane_requests("oa5")) == 1


def test_error_echoing_the_key_is_redacted(server):
    server.script("oa5b", [error(401, f"bad key {SECRET}")])
    with pytest.raises(ProviderAuthError) as info:
        ask(config(server, "oa5b", key_source="OPENAI_API_KEY"))
    assert SECRET not in str(info.value) and "OPENAI_API_KEY" in str(info.value)


def test_openai_404_unknown_model(server):
    server.script("oa6", [error(404, "The model `nope` does not exist")])
    with pytest.raises(ProviderModelError, match="does not know model 'nope'"):
        ask(config(server, "oa6", model="nope"))


def test_openai_timeout(server):
    server.script("oa7", [stall(1.0), stall(1.0)])
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match="did not answer within 0.2 s"):
        ask(config(server, "oa7", timeout_s=0.2, max_retries=1))
    assert time.monotonic() - started < 1.5
    assert len(server.lane_requests("oa7")) == 2


def test_openai_degrades_mode_on_400(server):
    server.script("oa8", [error(400, "response_format json_schema is not supported"), openai_json({"x": 1})])
    reply = ask(config(server, "oa8"))
    assert reply.text == '{"x": 1}'
    first, second = server.lane_requests("oa8")
    assert first.body["response_format"]["type"] == "json_schema"
    assert second.body["response_format"] == {"type": "json_object"}
    server.script("oa8", [openai_json({"x": 2})])  # remembered: the next client starts with JSON mode
    assert ask(config(server, "oa8")).text == '{"x": 2}'
    assert server.lane_requests("oa8")[0].body["response_format"] == {"type": "json_object"}


def test_anthropic_tool_use_and_tool_result(server):
    server.script("an1", [anthropic_tool({"approaches": [1]}), anthropic_tool({"approaches": [2]})])
    cfg = config(server, "an1", kind="anthropic")
    first = ask(cfg)
    assert first.data == {"approaches": [1]} and first.call_id == "toolu_1"
    ask(
        cfg,
        [Turn("user", "hello"), Turn("assistant", reply=first), Turn("user", "EXACT ERROR", is_error=True)],
    )
    req1, req2 = server.lane_requests("an1")
    assert req1.path.endswith("/v1/messages")
    assert SECRET in (
        req1.headers.get("x-api-key", ""),
        req1.headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert req1.body["tool_choice"] == {"type": "tool", "name": "submit_approaches"}
    assert req1.body["tools"][0]["input_schema"] == OUTPUT.schema
    assert req1.body["system"] == "system text (JSON)"
    assert req2.body["messages"][1]["content"][0]["type"] == "tool_use"
    result = req2.body["messages"][2]["content"][0]
    assert result == {
        "type": "tool_result",
        "tool_use_id": "toolu_1",
        "content": "EXACT ERROR",
        "is_error": True,
    }


def test_anthropic_429_retry_and_401(server):
    server.script("an2", [error(429, "rate", anthropic=True), anthropic_tool({"a": 1})])
    assert ask(config(server, "an2", kind="anthropic")).data == {"a": 1}
    assert len(server.lane_requests("an2")) == 2
    server.script("an3", [error(401, "invalid x-api-key", anthropic=True)])
    with pytest.raises(ProviderAuthError, match="invalid x-api-key"):
        ask(config(server, "an3", kind="anthropic"))
