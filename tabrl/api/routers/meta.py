"""What the page needs before anything else: limits, estimates, examples; the configured LLM providers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from tabrl import __version__
from tabrl.api.deps import ExecutorDep, SettingsDep
from tabrl.api.schemas import (
    MAX_REFINE_CHARS,
    BatchEstimate,
    CatalogBuildOut,
    Estimate,
    Info,
    ProvidersOut,
    StepsRange,
    WarmUpOut,
)
from tabrl.design.builtin import MAX_PROMPT_CHARS
from tabrl.design.llm import providers_payload
from tabrl.jobs.estimate import TimeEstimate, estimate_batch
from tabrl.rewards.limits import N_APPROACHES
from tabrl.robots.catalog import all_ids, build_status

router = APIRouter(prefix="/api", tags=["studio"])

EXAMPLE_PROMPTS = [
    "Keep shaking your hips aloha dude! Do a fun Hawaiian dance with lots of hip movement",
    "spin in place",
    "walk forward",
    "jump up and down",
    "lie down and rest",
]


@router.get("/info", response_model=Info, summary="Limits, time estimate and example prompts")
def info(settings: SettingsDep) -> Info:
    return Info(
        version=__version__,
        steps=StepsRange(min=settings.steps_min, max=settings.steps_max, default=settings.steps_default),
        video_seconds=settings.video_seconds,
        approaches=N_APPROACHES,
        workers=settings.max_workers,
        estimate=Estimate(
            overhead_s=settings.estimate_overhead_s,
            steps_per_s=settings.estimate_steps_per_s,
            parallel_speedup=settings.estimate_parallel_speedup if settings.max_workers > 1 else 1.0,
        ),
        examples=EXAMPLE_PROMPTS,
        max_prompt_chars=MAX_PROMPT_CHARS,
        max_refine_chars=MAX_REFINE_CHARS,
        token_required=settings.token is not None,
    )


@router.get("/warm-up", response_model=WarmUpOut, summary="What the server still prepares after its start")
def warm_up(request: Request, executor: ExecutorDep) -> WarmUpOut:
    status = build_status()
    workers = executor.workers() if hasattr(executor, "workers") else []
    ready = sum(1 for w in workers if w["ready"])
    catalog_ready = status.state == "ready"
    web_warm = request.app.state.web_warm.is_set()
    if status.state == "failed":
        note = f"The robot catalog could not be built: {status.error}"
    elif not catalog_ready and status.total:
        note = f"Preparing robots: {status.done} of {status.total} compiled"
    elif not catalog_ready:
        note = "Preparing robots: reading the catalog"
    elif (workers and not ready) or not web_warm:
        note = "Warming up the trainers"
    else:
        note = "Ready"
    return WarmUpOut(
        ready=catalog_ready and web_warm and (ready > 0 or not workers),
        catalog=CatalogBuildOut(**status.model_dump()),
        workers=len(workers),
        workers_ready=ready,
        note=note,
    )


@router.get(
    "/estimate",
    response_model=BatchEstimate,
    summary="Time to train and film approaches here, from this machine's measurements",
)
def estimate(
    settings: SettingsDep, model_id: str, steps: int, approaches: int = N_APPROACHES
) -> TimeEstimate:
    if model_id not in all_ids():
        raise HTTPException(422, f"unknown model '{model_id}'; see /api/models/playground")
    if not settings.steps_min <= steps <= settings.steps_max:
        raise HTTPException(422, f"steps must be between {settings.steps_min:,} and {settings.steps_max:,}")
    if not 1 <= approaches <= N_APPROACHES:
        allowed = ", ".join(str(n) for n in range(1, N_APPROACHES))
        raise HTTPException(422, f"approaches must be {allowed} or {N_APPROACHES}")
    return estimate_batch(
        settings.data_dir,
        model_id,
        steps,
        approaches,
        settings.max_workers,
        settings.video_seconds,
        fallback_steps_per_s=settings.estimate_steps_per_s,
        # The local pool trains a Train All as one batch on one worker; a Ray cluster runs each job alone.
        batch_max=settings.train_batch_max if settings.executor == "local" else 1,
    )


@router.get(
    "/llm/providers", response_model=ProvidersOut, summary="Configured LLM providers (never their keys)"
)
def llm_providers(settings: SettingsDep) -> dict[str, Any]:
    return providers_payload(settings)
