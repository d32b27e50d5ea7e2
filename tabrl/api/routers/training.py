"""The wireframe's training endpoints: configure (design approaches), batch (train), render, refine."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, HTTPException
from sqlalchemy.orm import Session

from tabrl.api import limits
from tabrl.api.deps import DbDep, ExecutorDep, RehearsalsDep, SettingsDep, get_or_404
from tabrl.api.schemas import (
    BatchRequest,
    ConfigureRequest,
    JobOut,
    JobsOut,
    RefineRequest,
    RenderRequest,
    SessionOut,
    job_out,
    retention_out,
    session_out,
)
from tabrl.config import Settings
from tabrl.design.builtin import check_prompt
from tabrl.design.llm import design_with_provider, design_with_providers
from tabrl.design.providers import provider_config
from tabrl.design.refine import refine_run
from tabrl.design.repair import DesignResult
from tabrl.jobs import layout, retention, store
from tabrl.jobs.models import Approach, Job, StoredDesign, StudioSession
from tabrl.jobs.states import EventType, JobStatus
from tabrl.robots.catalog import get_entry, model_label, profile_for

router = APIRouter(prefix="/api/training", tags=["training"])


def check_steps(steps: int, settings: Settings) -> int:
    if not settings.steps_min <= steps <= settings.steps_max:
        raise HTTPException(
            422,
            f"num_steps is {steps:,}; it must be between {settings.steps_min:,} and "
            f"{settings.steps_max:,} environment steps.",
        )
    return steps


def session_model_label(model_id: str) -> str:
    """A stored session's model line (its id alone if the model has left the catalog since)."""
    try:
        return model_label(model_id, profile_for(model_id).category)
    except KeyError:
        return model_id


def check_model(model_id: str) -> None:
    """422 for an unknown model (``UnknownModel``, with the closest ids) or one whose assets are missing;
    503 (``CatalogNotReady``) only when a new install's read of Playground's registry outlasts
    catalog.INDEX_WAIT_S. Never waits for the whole catalog."""
    entry = get_entry(model_id, wait=False)
    if not entry.assets_available:
        raise HTTPException(422, f"{model_id} cannot be trained here: {entry.assets_reason}")


def _designs(req: ConfigureRequest, prompt: str) -> list[DesignResult]:
    """Each design: provider facts and its three programs. The built-in designer when no provider is named."""
    results = (
        design_with_providers(req.model_id, prompt, req.providers, fresh=req.fresh) if req.providers else []
    )
    if not any(r.approaches for r in results):
        builtin = design_with_provider(req.model_id, prompt, "builtin")
        if results:  # every provider failed: say so, and still give the person something to train
            builtin.label = "Built-in designer (the providers failed)"
        results.append(builtin)
    return results


@router.post(
    "/configure",
    response_model=SessionOut,
    summary="Design three reward approaches for a prompt",
    responses={422: {"description": "bad model, prompt or steps (the message says what is allowed)"}},
)
def configure(
    req: ConfigureRequest, db: DbDep, settings: SettingsDep, rehearsals: RehearsalsDep
) -> SessionOut:
    steps = check_steps(req.num_steps if req.num_steps is not None else settings.steps_default, settings)
    prompt = check_prompt(req.prompt)
    check_model(req.model_id)
    limits.check_session_room(db, settings)
    for name in req.providers or []:  # a misspelt or unready provider is the caller's mistake: say so now
        if name != "builtin":
            provider_config(name)
    designs = _designs(req, prompt)
    session = StudioSession(id=uuid.uuid4().hex[:12], model_id=req.model_id, prompt=prompt, num_steps=steps)
    added = add_designs(session, designs)
    with limits.admission:  # designing took a while: count again before storing
        limits.check_session_room(db, settings)
        db.add(session)
        db.commit()
        # Retention: older finished sessions make room; stale attempts and unnamed shared models go.
        max_bytes = int(settings.max_data_gb * 1e9) if settings.max_data_gb is not None else None
        report = retention.enforce(db, settings.data_dir, settings.keep_sessions, max_bytes, spare=session.id)
    rehearsals.start(session.model_id, [a.id for a in added])
    out = session_out(session, session_model_label(session.model_id), rehearsals.pending())
    out.retention = retention_out(report)
    return out


def add_designs(session: StudioSession, designs: list[DesignResult]) -> list[Approach]:
    """Stores ``designs`` on ``session``; the approaches added, for the rehearsals to take once stored."""
    first = len(session.designs or [])
    added = []
    stored = list(session.designs or [])
    for offset, design in enumerate(designs):
        index = first + offset
        stored.append(
            StoredDesign(
                index=index,
                provider=design.provider,
                label=design.label,
                model=design.model,
                error=design.error,
                cached=design.cached,
            )
        )
        for i, a in enumerate(design.approaches):
            added.append(
                Approach(design=index, index=i, program=a.program, source=a.source, fallback=a.fallback)
            )
            session.approaches.append(added[-1])
    session.designs = stored
    return added


def _get_done_training_job(db: Session, job_id: int) -> Job:
    job = get_or_404(db, Job, job_id, "job")
    if job.status != JobStatus.DONE or not (job.artifacts or {}).get(layout.POLICY.key):
        raise HTTPException(409, f"job {job_id} is {job.status}; only a finished job has a policy to use")
    return job


@router.post("/batch", response_model=JobsOut, summary="Train some or all approaches of a session")
def batch(
    req: BatchRequest, db: DbDep, settings: SettingsDep, executor: ExecutorDep, rehearsals: RehearsalsDep
) -> JobsOut:
    session = get_or_404(db, StudioSession, req.session_id, "session")
    steps = check_steps(req.num_steps if req.num_steps is not None else session.num_steps, settings)
    by_id = {a.id: a for a in session.approaches}
    if req.approach_ids is None:
        chosen = [a for a in session.approaches if a.design == 0]
    else:
        unknown = [i for i in req.approach_ids if i not in by_id]
        if unknown:
            raise HTTPException(
                422,
                f"approaches {unknown} are not in session {session.id}; its approaches are {sorted(by_id)}",
            )
        chosen = [by_id[i] for i in dict.fromkeys(req.approach_ids)]
    if not chosen:
        raise HTTPException(422, "no approaches chosen")
    rehearsals.ready(db, session.model_id, chosen)  # a job trains the prior as rehearsed
    jobs = []
    with limits.admission:
        limits.check_job_room(db, settings, session.id, len(chosen))
        for approach in chosen:
            job = Job(
                session_id=session.id,
                approach_id=approach.id,
                kind="train",
                total_steps=steps,
                video_seconds=settings.video_seconds,
                from_base=req.from_base,
            )
            db.add(job)
            db.flush()
            store.record_event(db, job, EventType.QUEUED, {"approach": approach.index, "steps": steps})
            jobs.append(job)
        db.commit()
    executor.wake()
    return JobsOut(jobs=[job_out(j) for j in jobs])


@router.post("/render", response_model=JobOut, summary="Film a finished job's policy again (a new video)")
def render(req: RenderRequest, db: DbDep, settings: SettingsDep, executor: ExecutorDep) -> JobOut:
    source = _get_done_training_job(db, req.job_id)
    seconds = req.seconds if req.seconds is not None else settings.video_seconds
    with limits.admission:
        limits.check_job_room(db, settings, source.session_id, 1)
        job = Job(
            session_id=source.session_id,
            approach_id=source.approach_id,
            kind="render",
            total_steps=source.steps_done,
            video_seconds=seconds,
            source_job_id=source.id,
            artifacts={layout.POLICY.key: (source.artifacts or {})[layout.POLICY.key]},
        )
        db.add(job)
        db.flush()
        store.record_event(db, job, EventType.QUEUED, {"source_job": source.id, "seconds": seconds})
        db.commit()
    executor.wake()
    return job_out(job)


@router.post("/refine", response_model=SessionOut, summary="Three improved approaches from a finished job")
def refine(req: RefineRequest, db: DbDep, settings: SettingsDep, rehearsals: RehearsalsDep) -> SessionOut:
    job = _get_done_training_job(db, req.job_id)
    limits.check_design_room(job.session, settings)
    policy_dir = settings.data_dir / (job.artifacts or {})[layout.POLICY.key]
    result = refine_run(policy_dir.parent, req.words, provider=req.provider, settings=settings)
    session = job.session
    name = job.approach.program.get("name", "approach")
    label = f"Refined from {name}" + (f": {req.words}" if req.words else "")
    with limits.admission:
        db.refresh(session)
        limits.check_design_room(session, settings)
        added = add_designs(session, [result.model_copy(update={"label": label[:120]})])
        db.commit()
    rehearsals.start(session.model_id, [a.id for a in added])
    return session_out(session, session_model_label(session.model_id), rehearsals.pending())
