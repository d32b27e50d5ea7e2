"""Job bookkeeping: applying worker events to job records and writing them to the ordered log.

Every state change of a job goes through ``record_event``, so the event log and the job row
never disagree, and a WebSocket client replaying the log sees the same story as the job table.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeGuard, TypeVar, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from tabrl.jobs import events, layout
from tabrl.jobs.models import Event, Job, StudioSession, utcnow
from tabrl.jobs.states import ACTIVE, ENDING_EVENTS, EventType, JobStatus

# A training job's bar: training fills the first 85 %, rendering the video the rest.
TRAIN_SHARE = 0.85
# Events that only say "further along": once a job has ended, all but its last few tell nothing new.
COMPACTED = (EventType.PROGRESS, EventType.RENDERING)


def _finite(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _clean(data: Mapping[str, object]) -> dict[str, object]:
    """JSON-safe event data: NaN and infinity become None (JSON has neither)."""
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, float):
            out[key] = _finite(value)
        elif isinstance(value, dict):
            out[key] = _clean(value)
        else:
            out[key] = value
    return out


def apply(job: Job, event: events.JobEvent) -> None:
    """Updates ``job`` for one event: the job state machine (pure bookkeeping; the caller commits)."""
    render_only = job.kind == "render"
    match event:
        case events.Queued():  # a new run attempt: whatever an older attempt still sends is stale
            job.attempt = (job.attempt or 0) + 1
            job.status, job.error, job.progress, job.eta_s = JobStatus.QUEUED, None, 0.0, None
            job.steps_done, job.started_at, job.finished_at = 0, None, None
        case events.Started(data=d):
            job.status, job.started_at = JobStatus.RUNNING, utcnow()
            job.total_steps = d.total_steps or job.total_steps
        case events.Progress(data=d):
            job.steps_done = d.steps
            job.total_steps = d.total_steps or job.total_steps
            fraction = _finite(d.fraction) or 0.0
            job.progress = max(job.progress, TRAIN_SHARE * min(1.0, fraction))
            job.mean_reward = _finite(d.mean_reward)
            job.eta_s = _finite(d.eta_s)
        case events.Rendering(data=d):
            job.status = JobStatus.RENDERING
            fraction = min(1.0, _finite(d.fraction) or 0.0)
            job.progress = fraction if render_only else TRAIN_SHARE + (1 - TRAIN_SHARE) * fraction
            job.eta_s = _finite(d.eta_s)
        case events.Checkpoint(data=d):
            job.artifacts = {**(job.artifacts or {}), layout.POLICY.key: d.path}
        case events.Done(data=d):
            job.status, job.progress, job.eta_s, job.finished_at = JobStatus.DONE, 1.0, 0.0, utcnow()
            job.artifacts = {**(job.artifacts or {}), **d.artifacts}
            job.metrics = d.metrics
            if d.steps:
                job.steps_done = d.steps
        case events.Failed(data=d) | events.Cancelled(data=d) | events.Interrupted(data=d):
            job.status, job.eta_s, job.finished_at = JobStatus(event.type), None, utcnow()
            job.error = d.reason


def record_event(db: Session, job: Job, type_: str, data: Mapping[str, object] | None = None) -> Event:
    """Validates an event (``tabrl.jobs.events``: a ``pydantic.ValidationError`` names what does not
    fit), applies it to its job and appends it to the log (the caller commits)."""
    event = events.parse(type_, _clean(data or {}))
    apply(job, event)
    row = Event(
        job_id=job.id,
        session_id=job.session_id,
        attempt=job.attempt or 0,
        type=event.type,
        data=event.data.model_dump(mode="json"),
    )
    db.add(row)
    db.flush()
    return row


def record(db: Session, job: Job, event: events.JobEvent) -> Event:
    """``record_event`` for an event already typed (a worker's): cleaned of what JSON cannot hold and
    validated again like any other."""
    return record_event(db, job, event.type, event.data.model_dump(mode="python"))


class AttemptState(Protocol):
    """What the stale-attempt rule reads of a job: a ``Job`` or a row of its attempt and status."""

    @property
    def attempt(self) -> int: ...
    @property
    def status(self) -> JobStatus: ...


_J = TypeVar("_J", bound=AttemptState)


def is_current(job: _J | None, attempt: int | None) -> TypeGuard[_J]:
    """The stale-attempt rule, the one place it is written: whatever a run of (job, ``attempt``) sends
    or leaves behind counts only while the job exists, is still on that attempt and is still active.
    Otherwise (the job was deleted, restarted, cancelled, interrupted or has ended) it is dropped."""
    return job is not None and job.attempt == attempt and job.status in ACTIVE


def stale_attempts(
    db: Session, runs: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], tuple[int | None, JobStatus | None]]:
    """Of the (job id, attempt) runs an executor holds, those that are no longer current (``is_current``),
    each with the job's (attempt, status) now (None, None: gone)."""
    held = set(runs)
    rows = {
        r.id: r
        for r in db.execute(select(Job.id, Job.attempt, Job.status).where(Job.id.in_({j for j, _ in held})))
    }
    stale: dict[tuple[int, int], tuple[int | None, JobStatus | None]] = {}
    for job_id, attempt in held:
        row = rows.get(job_id)
        if not is_current(row, attempt):
            stale[job_id, attempt] = (row.attempt, row.status) if row is not None else (None, None)
    return stale


def next_queued(db: Session, exclude: set[int], limit: int) -> list[Job]:
    if limit <= 0:
        return []
    query = select(Job).where(Job.status == JobStatus.QUEUED)
    if exclude:
        query = query.where(Job.id.not_in(exclude))
    return list(db.scalars(query.order_by(Job.id).limit(limit)))


def interrupt_orphans(db: Session, reason: str) -> list[int]:
    """Marks jobs left running by a previous server as interrupted; returns their ids."""
    orphans = list(
        db.scalars(select(Job).where(Job.status.in_([s for s in ACTIVE if s != JobStatus.QUEUED])))
    )
    for job in orphans:
        record_event(db, job, EventType.INTERRUPTED, {"reason": reason})
    return [j.id for j in orphans]


def events_after(db: Session, after: int, session_id: str | None = None, limit: int = 500) -> list[Event]:
    query = select(Event).where(Event.id > after)
    if session_id is not None:
        query = query.where(Event.session_id == session_id)
    return list(db.scalars(query.order_by(Event.id).limit(limit)))


def newest_event_id(db: Session) -> int:
    return db.scalar(select(func.max(Event.id))) or 0


# ----------------------------------------------------------------------------- limits and retention


def active_jobs(db: Session, session_id: str | None = None) -> int:
    """Jobs queued or running (in one session, or in all)."""
    query = select(func.count(Job.id)).where(Job.status.in_(ACTIVE))
    if session_id is not None:
        query = query.where(Job.session_id == session_id)
    return db.scalar(query) or 0


def sessions_since(db: Session, since: dt.datetime) -> int:
    return db.scalar(select(func.count(StudioSession.id)).where(StudioSession.created_at >= since)) or 0


def compact_job_events(db: Session, job_id: int, keep: int) -> int:
    """Deletes a job's progress and rendering events but its last ``keep`` of each; returns how many went.

    Every other event (queued, started, checkpoint, the end) stays, so a replay still tells the
    whole story, only with fewer intermediate steps.
    """
    removed = 0
    for type_ in COMPACTED:
        newest = (
            select(Event.id)
            .where(Event.job_id == job_id, Event.type == type_)
            .order_by(Event.id.desc())
            .limit(keep)
        )
        result = cast(  # a DELETE's result is a CursorResult
            "CursorResult[Any]",
            db.execute(
                delete(Event).where(
                    Event.job_id == job_id, Event.type == type_, Event.id.not_in(newest.scalar_subquery())
                )
            ),
        )
        removed += result.rowcount or 0
    return removed


def compact_ended_jobs(db: Session, after: int, keep: int) -> int:
    """Compacts the events of every job that ended in an event newer than ``after`` (the caller commits).

    Returns the newest such end event's id, to pass as ``after`` next time.
    """
    ends = db.execute(
        select(Event.id, Event.job_id)
        .where(Event.id > after, Event.type.in_(ENDING_EVENTS))
        .order_by(Event.id)
    ).all()
    for job_id in dict.fromkeys(row.job_id for row in ends):
        compact_job_events(db, job_id, keep)
    return ends[-1].id if ends else after
