"""LLM providers configured from environment variables or ``.env``.

``TABRL_LLM_PROVIDERS=openai,claude,local`` names the providers; each reads
``TABRL_LLM_<NAME>_KIND`` (``openai`` or ``anthropic``), ``_BASE_URL``, ``_API_KEY``, ``_MODEL``
and optionally ``_MODE``, ``_TIMEOUT_S``, ``_MAX_TOKENS``. Well-known names (openai, anthropic,
claude, gemini, deepseek, openrouter, ollama, vllm, lmstudio) come with a kind, base URL, default
model and key variable, so ``TABRL_LLM_PROVIDERS=gemini`` plus ``GEMINI_API_KEY`` is enough.
A plain ``OPENAI_API_KEY`` or ``ANTHROPIC_API_KEY`` adds the provider ``openai`` or ``anthropic``.
Keys are held as SecretStr and never listed, logged or returned.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, SecretStr

from tabrl.config import Settings, get_settings
from tabrl.design.providers.base import (
    Kind,
    OutputSpec,
    Provider,
    ProviderAuthError,
    ProviderConfig,
    ProviderConfigError,
    ProviderError,
    ProviderModelError,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
    Reply,
    Turn,
)
from tabrl.design.providers.claude import AnthropicProvider
from tabrl.design.providers.openai_compat import OpenAICompatProvider

__all__ = [
    "OutputSpec",
    "Provider",
    "ProviderAuthError",
    "ProviderConfig",
    "ProviderConfigError",
    "ProviderError",
    "ProviderInfo",
    "ProviderModelError",
    "ProviderRequestError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "Reply",
    "Turn",
    "PRESETS",
    "configured_providers",
    "default_provider_name",
    "make_provider",
    "provider_config",
    "provider_infos",
]


class Preset(BaseModel):
    kind: Kind
    base_url: str | None = None
    model: str | None = None
    key_env: str | None = None
    key_required: bool = True
    mode: str | None = None


PRESETS: dict[str, Preset] = {
    "openai": Preset(kind="openai", model="gpt-4.1-mini", key_env="OPENAI_API_KEY"),
    "anthropic": Preset(kind="anthropic", model="claude-sonnet-4-5", key_env="ANTHROPIC_API_KEY"),
    "claude": Preset(kind="anthropic", model="claude-sonnet-4-5", key_env="ANTHROPIC_API_KEY"),
    "gemini": Preset(
        kind="openai",
        base_url="https://generativelanguage.googleapis.com/v1beta/openai/",
        model="gemini-2.5-flash",
        key_env="GEMINI_API_KEY",
    ),
    "deepseek": Preset(
        kind="openai",
        base_url="https://api.deepseek.com",
        model="deepseek-chat",
        key_env="DEEPSEEK_API_KEY",
        mode="json_object",
    ),
    "openrouter": Preset(
        kind="openai", base_url="https://openrouter.ai/api/v1", key_env="OPENROUTER_API_KEY"
    ),
    "ollama": Preset(kind="openai", base_url="http://localhost:11434/v1", key_required=False),
    "vllm": Preset(kind="openai", base_url="http://localhost:8000/v1", key_required=False),
    "lmstudio": Preset(kind="openai", base_url="http://localhost:1234/v1", key_required=False),
}

_AUTO = (("openai", "OPENAI_API_KEY"), ("anthropic", "ANTHROPIC_API_KEY"))


class ProviderInfo(BaseModel):
    """What may be shown about a provider: never its key, only whether one is set and where from."""

    name: str
    kind: str | None
    model: str | None
    base_url: str | None
    mode: str | None
    key_set: bool
    key_source: str | None
    default: bool = False
    ready: bool
    problem: str | None = None


def _env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _environment(settings: Settings) -> dict[str, str]:
    """``.env`` values overlaid by the real environment (as pydantic-settings orders them)."""
    values: dict[str, str] = {}
    env_file = settings.model_config.get("env_file")
    if env_file and Path(str(env_file)).is_file():
        from dotenv import dotenv_values

        values.update({k: v for k, v in dotenv_values(str(env_file)).items() if v is not None})
    values.update(os.environ)
    return values


def _names(settings: Settings, env: Mapping[str, str]) -> list[str]:
    listed = settings.llm_providers or env.get("TABRL_LLM_PROVIDERS") or ""
    names: list[str] = []
    for raw in re.split(r"[,\s]+", listed):
        name = raw.strip().lower()
        if name and name not in names:
            names.append(name)
    for name, key_var in _AUTO:
        if name not in names and (env.get(key_var) or env.get(f"TABRL_LLM_{_env_name(name)}_API_KEY")):
            names.append(name)
    return names


def _build(
    name: str, settings: Settings, env: Mapping[str, str]
) -> tuple[ProviderConfig | None, ProviderInfo]:
    prefix = f"TABRL_LLM_{_env_name(name)}_"
    preset = PRESETS.get(name)

    def get(field: str) -> str | None:
        value = env.get(prefix + field)
        return value.strip() if value and value.strip() else None

    kind = (get("KIND") or (preset.kind if preset else "")).lower() or None
    same_kind_preset = preset if preset and preset.kind == kind else None
    base_url = get("BASE_URL") or (same_kind_preset.base_url if same_kind_preset else None)
    model = get("MODEL") or (same_kind_preset.model if same_kind_preset else None)
    mode = get("MODE") or (same_kind_preset.mode if same_kind_preset else None)
    key_source: str | None
    key, key_source = get("API_KEY"), prefix + "API_KEY"
    if key is None and same_kind_preset and same_kind_preset.key_env and env.get(same_kind_preset.key_env):
        key, key_source = env[same_kind_preset.key_env].strip(), same_kind_preset.key_env
    if key is None:
        key_source = None
    key_required = (
        same_kind_preset.key_required if same_kind_preset else (kind == "anthropic" or base_url is None)
    )
    problem = None
    if kind not in ("openai", "anthropic"):
        problem = (
            f"set {prefix}KIND to 'openai' or 'anthropic'"
            if kind is None
            else f"{prefix}KIND is '{kind}'; use 'openai' or 'anthropic'"
        )
    elif not model:
        problem = f"set {prefix}MODEL"
    elif key is None and key_required:
        hint = f" (or {same_kind_preset.key_env})" if same_kind_preset and same_kind_preset.key_env else ""
        problem = f"set {prefix}API_KEY{hint}"
    config = None
    if problem is None:
        try:
            config = ProviderConfig(
                name=name,
                kind=kind,
                model=model,
                base_url=base_url,
                mode=mode,
                api_key=SecretStr(key) if key else None,
                key_source=key_source,
                timeout_s=float(get("TIMEOUT_S") or settings.llm_timeout_s),
                max_retries=settings.llm_max_retries,
                backoff_s=settings.llm_backoff_s,
                backoff_max_s=settings.llm_backoff_max_s,
                max_tokens=int(get("MAX_TOKENS") or settings.llm_max_tokens),
            )
        except ValueError as exc:
            problem = f"bad setting under {prefix}*: {exc}"
    info = ProviderInfo(
        name=name,
        kind=kind,
        model=model,
        base_url=public_url(base_url),
        mode=mode,
        key_set=key is not None,
        key_source=key_source,
        ready=config is not None,
        problem=problem,
    )
    return config, info


def public_url(url: str | None) -> str | None:
    """A URL without any user:password part, safe to show."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _load(settings: Settings | None) -> list[tuple[ProviderConfig | None, ProviderInfo]]:
    settings = settings or get_settings()
    env = _environment(settings)
    built = [_build(name, settings, env) for name in _names(settings, env)]
    default = _default_name(settings, env, [info for _, info in built])
    for _, info in built:
        info.default = info.name == default
    return built


def _default_name(settings: Settings, env: Mapping[str, str], infos: list[ProviderInfo]) -> str | None:
    wanted = (settings.llm_default_provider or env.get("TABRL_LLM_DEFAULT_PROVIDER") or "").strip().lower()
    if wanted and any(i.name == wanted for i in infos):
        return wanted
    ready = [i.name for i in infos if i.ready]
    return ready[0] if ready else None


def provider_infos(settings: Settings | None = None) -> list[ProviderInfo]:
    """Every configured provider, ready or not, safe to show (no keys)."""
    return [info for _, info in _load(settings)]


def configured_providers(settings: Settings | None = None) -> list[ProviderConfig]:
    """The providers that are ready to use, in the configured order."""
    return [config for config, _ in _load(settings) if config is not None]


def default_provider_name(settings: Settings | None = None) -> str | None:
    """``TABRL_LLM_DEFAULT_PROVIDER`` if configured, else the first ready provider."""
    for _, info in _load(settings):
        if info.default:
            return info.name
    return None


def provider_config(
    name: str | None = None, model: str | None = None, settings: Settings | None = None, **overrides: Any
) -> ProviderConfig:
    """The configuration of provider ``name`` (default provider when None), optionally with another model."""
    built = _load(settings)
    if name is None:
        name = next((info.name for _, info in built if info.default), None)
        if name is None:
            raise ProviderConfigError(
                "",
                "No LLM provider is configured. Set OPENAI_API_KEY or ANTHROPIC_API_KEY, "
                "or TABRL_LLM_PROVIDERS with TABRL_LLM_<NAME>_KIND/_BASE_URL/_API_KEY/_MODEL.",
            )
    name = name.strip().lower()
    for config, info in built:
        if info.name == name:
            if config is None:
                raise ProviderConfigError(name, f"LLM provider '{name}' is not ready: {info.problem}")
            changes = {k: v for k, v in overrides.items() if v is not None}
            if model:
                changes["model"] = model
            return config.model_copy(update=changes) if changes else config
    known = ", ".join(info.name for _, info in built) or "none"
    raise ProviderConfigError(
        name, f"Unknown LLM provider '{name}' (configured: {known}). Add it to TABRL_LLM_PROVIDERS."
    )


def make_provider(config: ProviderConfig) -> Provider:
    """A provider client for ``config``."""
    if config.kind == "anthropic":
        return AnthropicProvider(config)
    return OpenAICompatProvider(config)
