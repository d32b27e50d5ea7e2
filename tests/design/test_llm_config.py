"""Provider configuration from env vars and .env, `tabrl providers`, and the approach cache."""

from __future__ import annotations

import json
import os
import threading

import pytest
from typer.testing import CliRunner

from tabrl.cli import app
from tabrl.config import get_settings
from tabrl.design.cache import ApproachCache, cache_key, normalize_prompt
from tabrl.design.llm import list_providers, providers_payload
from tabrl.design.providers import ProviderConfigError, default_provider_name, provider_config

KEY_A = "sk-openai-SECRET-aaaaaaaa"
KEY_B = "sk-ant-SECRET-bbbbbbbb"
KEY_C = "local-SECRET-cccccccc"


@pytest.fixture
def env(monkeypatch, tmp_path):
    """A clean environment: no provider variables, no .env, private data dir."""
    for name in list(os.environ):
        if name.startswith("TABRL_LLM") or name.endswith("_API_KEY") or name in ("OPENAI_BASE_URL",):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TABRL_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.mark.usefixtures("env")
def test_nothing_configured():
    assert list_providers() == []
    assert default_provider_name() is None
    with pytest.raises(ProviderConfigError, match="No LLM provider is configured"):
        provider_config()
    assert providers_payload() == {"providers": [], "default": None, "builtin": True}


def test_plain_keys_make_default_providers(env):
    env.setenv("OPENAI_API_KEY", KEY_A)
    env.setenv("ANTHROPIC_API_KEY", KEY_B)
    infos = {i.name: i for i in list_providers()}
    assert set(infos) == {"openai", "anthropic"}
    assert infos["openai"].kind == "openai" and infos["openai"].ready and infos["openai"].default
    assert infos["anthropic"].kind == "anthropic" and infos["anthropic"].key_source == "ANTHROPIC_API_KEY"
    cfg = provider_config("anthropic", model="claude-other")
    assert cfg.model == "claude-other" and cfg.api_key.get_secret_value() == KEY_B
    assert KEY_B not in repr(cfg) and KEY_B not in cfg.model_dump_json()


def test_named_providers_from_env_and_dotenv(env, tmp_path):
    (tmp_path / ".env").write_text(
        "TABRL_LLM_PROVIDERS=local, gemini ,broken\n"
        "TABRL_LLM_LOCAL_KIND=openai\n"
        "TABRL_LLM_LOCAL_BASE_URL=http://user:pw@127.0.0.1:11434/v1\n"
        f"TABRL_LLM_LOCAL_API_KEY={KEY_C}\n"
        "TABRL_LLM_LOCAL_MODEL=llama3.1\n"
        "TABRL_LLM_BROKEN_KIND=cohere\n"
        "GEMINI_API_KEY=gem-SECRET-1\n"
    )
    env.setenv("TABRL_LLM_LOCAL_MODEL", "qwen2.5")  # the real environment wins over .env
    env.setenv("TABRL_LLM_DEFAULT_PROVIDER", "gemini")
    get_settings.cache_clear()
    infos = {i.name: i for i in list_providers()}
    assert list(infos) == ["local", "gemini", "broken"]
    assert infos["local"].model == "qwen2.5" and infos["local"].base_url == "http://127.0.0.1:11434/v1"
    assert infos["gemini"].base_url.startswith("https://generativelanguage.googleapis.com")
    assert infos["gemini"].key_source == "GEMINI_API_KEY" and infos["gemini"].default
    assert not infos["broken"].ready and "cohere" in infos["broken"].problem
    with pytest.raises(ProviderConfigError, match="not ready"):
        provider_config("broken")
    with pytest.raises(ProviderConfigError, match="Unknown LLM provider 'nope'"):
        provider_config("nope")
    assert provider_config().name == "gemini"


def test_missing_model_and_key_are_reported(env):
    env.setenv("TABRL_LLM_PROVIDERS", "custom,openrouter,ollama")
    env.setenv("TABRL_LLM_CUSTOM_KIND", "anthropic")
    env.setenv("TABRL_LLM_CUSTOM_MODEL", "claude-x")
    env.setenv("TABRL_LLM_OLLAMA_MODEL", "llama3.1")
    infos = {i.name: i for i in list_providers()}
    assert infos["custom"].problem == "set TABRL_LLM_CUSTOM_API_KEY"
    assert infos["openrouter"].problem == "set TABRL_LLM_OPENROUTER_MODEL"
    assert infos["ollama"].ready and not infos["ollama"].key_set  # local servers need no key


def test_cli_providers_never_prints_keys(env):
    env.setenv("OPENAI_API_KEY", KEY_A)
    env.setenv("TABRL_LLM_PROVIDERS", "local,claude")
    env.setenv("TABRL_LLM_LOCAL_KIND", "openai")
    env.setenv("TABRL_LLM_LOCAL_BASE_URL", "http://127.0.0.1:1234/v1")
    env.setenv("TABRL_LLM_LOCAL_API_KEY", KEY_C)
    env.setenv("TABRL_LLM_LOCAL_MODEL", "m")
    env.setenv("TABRL_LLM_CLAUDE_API_KEY", KEY_B)
    runner = CliRunner()
    table = runner.invoke(app, ["providers"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    for name in ("local", "claude", "openai"):
        assert name in table.output
    as_json = runner.invoke(app, ["providers", "--json"])
    assert as_json.exit_code == 0
    rows = json.loads(as_json.output)
    assert [r["name"] for r in rows] == ["local", "claude", "openai"]
    assert all("api_key" not in r for r in rows)
    for out in (table.output, as_json.output):
        for key in (KEY_A, KEY_B, KEY_C):
            assert key not in out and key[-8:] not in out


@pytest.mark.usefixtures("env")
def test_cli_providers_none():
    result = CliRunner().invoke(app, ["providers"])
    assert result.exit_code == 0 and "No LLM provider configured" in result.output


def test_cache_round_trip_and_atomic_writes(tmp_path):
    cache = ApproachCache(tmp_path / "c")
    key = cache_key(model_id="Go1", prompt=normalize_prompt("  Spin   in PLACE "), provider="p", model="m")
    assert key == cache_key(model_id="Go1", prompt="spin in place", provider="p", model="m")
    assert key != cache_key(model_id="Go1", prompt="spin in place", provider="p", model="m2")
    assert cache.get(key) is None
    writers = [
        threading.Thread(target=cache.put, args=(key, {"n": n, "pad": "x" * 50_000})) for n in range(8)
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert cache.get(key)["n"] in range(8)
    assert not list((tmp_path / "c").glob("*.tmp"))
    (tmp_path / "c" / f"{key}.json").write_text("{not json")
    assert cache.get(key) is None
    with pytest.raises(ValueError):
        cache.get("../../etc/passwd")
    cache.put(key, {"a": 1})
    assert cache.clear() == 1 and cache.get(key) is None
