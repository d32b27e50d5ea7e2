"""Prompt -> three RewardPrograms from LLM providers: the service the API and the CLI call.

- ``list_providers()`` — configured providers, safe to show (``GET /api/llm/providers``).
- ``design_with_provider(model_id, prompt, provider, model, fresh=...)`` — one provider's three
  approaches (cached per robot, prompt, provider and model unless ``fresh``).
- ``design_with_providers(model_id, prompt, providers, fresh=...)`` — several at once, run
  concurrently, each result labelled by provider; the name ``builtin`` asks the offline designer.

What the model is told lives in :mod:`tabrl.design.prompting`; asking, checking and repairing
in :mod:`tabrl.design.repair`. One provider's failure, of any kind, stays in its own result.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from tabrl.config import Settings, get_settings
from tabrl.design.builtin import check_prompt, design_approaches
from tabrl.design.cache import ApproachCache, cache_key, normalize_prompt
from tabrl.design.prompting import PROMPT_VERSION, system_prompt, user_prompt
from tabrl.design.providers import (
    ProviderConfig,
    ProviderConfigError,
    ProviderInfo,
    provider_config,
    provider_infos,
)
from tabrl.design.repair import Approach, DesignResult, run_session, words_check
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot

log = logging.getLogger(__name__)

BUILTIN = "builtin"


def list_providers(settings: Settings | None = None) -> list[ProviderInfo]:
    """Configured providers, ready or not, without keys (for ``GET /api/llm/providers``)."""
    return provider_infos(settings)


def providers_payload(settings: Settings | None = None) -> dict[str, Any]:
    """JSON for ``GET /api/llm/providers``: the providers, the default and whether the builtin is there."""
    infos = list_providers(settings)
    return {
        "providers": [i.model_dump() for i in infos],
        "default": next((i.name for i in infos if i.default), None),
        "builtin": True,
    }


def builtin_programs(model_id: str, prompt: str) -> list[RewardProgram]:
    """The offline designer's three programs."""
    return list(design_approaches(model_id, prompt))


def _checked_prompt(prompt: str) -> str:
    """The stripped prompt; DesignError (a ValueError) if empty or too long, as the built-in designer decides."""
    return check_prompt(prompt)


def _design_key(model_id: str, prompt: str, config: ProviderConfig) -> str:
    return cache_key(
        kind="design",
        v=PROMPT_VERSION,
        model_id=model_id,
        prompt=normalize_prompt(prompt),
        provider=config.name,
        provider_kind=config.kind,
        model=config.model,
        base_url=config.base_url,
    )


def _builtin_result(model_id: str, prompt: str) -> DesignResult:
    start = time.perf_counter()
    programs = builtin_programs(model_id, prompt)
    return DesignResult(
        provider=BUILTIN,
        model=BUILTIN,
        kind=BUILTIN,
        label="Built-in designer",
        approaches=[Approach(program=p.model_dump(mode="json"), source=BUILTIN) for p in programs],
        elapsed_s=time.perf_counter() - start,
    )


def design_with_config(
    model_id: str,
    prompt: str,
    config: ProviderConfig,
    *,
    fresh: bool = False,
    settings: Settings | None = None,
    robot: Robot | None = None,
) -> DesignResult:
    """Three approaches from one configured provider; provider failures are reported in ``error``."""
    settings = settings or get_settings()
    start = time.perf_counter()
    cache = ApproachCache() if settings.llm_cache else None
    key = _design_key(model_id, prompt, config)
    if cache is not None and not fresh:
        stored = cache.get(key)
        if stored is not None:
            try:
                hit = DesignResult.model_validate(stored)
                return hit.model_copy(update={"cached": True, "elapsed_s": time.perf_counter() - start})
            except ValidationError:
                log.warning("ignoring stale cache entry %s", key)
    if robot is None:
        robot = load_robot(model_id)
    result = run_session(
        config,
        robot,
        system_prompt(robot),
        user_prompt(robot, prompt),
        settings=settings,
        fallback=lambda: builtin_programs(model_id, prompt),
        check=words_check(prompt),
    )
    result.elapsed_s = time.perf_counter() - start
    if cache is not None and result.fallbacks < len(result.approaches):
        cache.put(key, result.model_dump(mode="json"))
    return result


def design_with_provider(
    model_id: str,
    prompt: str,
    provider: str | None = None,
    model: str | None = None,
    *,
    fresh: bool = False,
    settings: Settings | None = None,
) -> DesignResult:
    """Three approaches from provider ``provider`` (the default one when None), optionally another model.

    Raises ProviderConfigError for an unknown or unready provider, UnknownModel for an unknown robot,
    DesignError for an empty or too long prompt. ``provider="builtin"`` returns the offline designer's approaches.
    """
    prompt = _checked_prompt(prompt)
    if provider and provider.strip().lower() == BUILTIN:
        return _builtin_result(model_id, prompt)
    config = provider_config(provider, model, settings)
    return design_with_config(model_id, prompt, config, fresh=fresh, settings=settings)


def design_with_providers(
    model_id: str,
    prompt: str,
    providers: Sequence[str] | None = None,
    *,
    models: Mapping[str, str] | None = None,
    fresh: bool = False,
    settings: Settings | None = None,
) -> list[DesignResult]:
    """Each named provider's three approaches (all ready providers when None), asked concurrently.

    Results come back in the order asked; a provider that fails carries ``error`` (configuration
    problems included) and does not affect the others.
    """
    prompt = _checked_prompt(prompt)
    settings = settings or get_settings()
    models = {k.lower(): v for k, v in (models or {}).items()}
    if providers is None:
        names = [i.name for i in provider_infos(settings) if i.ready]
    else:
        names = list(dict.fromkeys(p.strip().lower() for p in providers if p.strip()))
    robot = load_robot(model_id) if any(n != BUILTIN for n in names) else None

    def one(name: str) -> DesignResult:
        if name == BUILTIN:
            return _builtin_result(model_id, prompt)
        try:
            config = provider_config(name, models.get(name), settings)
        except ProviderConfigError as exc:
            return DesignResult(
                provider=name,
                model=models.get(name) or "",
                kind="",
                label=name,
                error=str(exc),
                error_kind=exc.kind,
            )
        try:
            return design_with_config(model_id, prompt, config, fresh=fresh, settings=settings, robot=robot)
        except Exception as exc:  # noqa: BLE001 - one provider's failure never takes the others' results with it
            log.exception("designing with %s failed", name)
            return DesignResult(
                provider=name,
                model=config.model,
                kind=config.kind,
                label=config.label,
                error=f"unexpected error: {type(exc).__name__}: {exc}",
                error_kind="internal",
            )

    if not names:
        return []
    with concurrent.futures.ThreadPoolExecutor(
        max_workers=len(names), thread_name_prefix="tabrl-llm"
    ) as pool:
        return list(pool.map(one, names))
