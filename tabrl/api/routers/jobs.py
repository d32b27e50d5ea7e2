"""One job: status, cancel, restart, and its files."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.orm import Session

from tabrl.api import limits
from tabrl.api.artifacts import job_file, policy_zip
from tabrl.api.deps import DbDep, ExecutorDep, SettingsDep, get_or_404
from tabrl.api.schemas import JobOut, job_out
from tabrl.jobs import layout, store
from tabrl.jobs.models import Job
from tabrl.jobs.states import ACTIVE, RESTARTABLE, EventType

router = APIRouter(prefix=layout.JOBS_URL, tags=["jobs"])


def _get(db: Session, job_id: int) -> Job:
    return get_or_404(db, Job, job_id, "job")


def _require_status(job: Job, allowed: tuple[str, ...], action: str) -> None:
    if job.status not in allowed:
        raise HTTPException(
            409, f"job {job.id} is {job.status}; only {', '.join(allowed)} jobs can be {action}"
        )


@router.get("/{job_id}", response_model=JobOut, summary="A job's status, progress and results")
def get_job(job_id: int, db: DbDep) -> JobOut:
    return job_out(_get(db, job_id))


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Stop a queued or running job",
    responses={409: {"description": "the job has already ended"}},
)
def cancel_job(job_id: int, db: DbDep, executor: ExecutorDep) -> JobOut:
    job = _get(db, job_id)
    _require_status(job, ACTIVE, "cancelled")
    executor.cancel(job_id)
    db.refresh(job)
    return job_out(job)


@router.post(
    "/{job_id}/restart",
    response_model=JobOut,
    summary="Queue an interrupted, failed or cancelled job again",
    responses={
        409: {"description": "the job is queued, running or done"},
        429: {"description": "too many jobs queued or running (the message names the limit)"},
    },
)
def restart_job(job_id: int, db: DbDep, settings: SettingsDep, executor: ExecutorDep) -> JobOut:
    job = _get(db, job_id)
    _require_status(job, RESTARTABLE, "restarted")
    with limits.admission:
        limits.check_job_room(db, settings, job.session_id, 1)
        policy = layout.POLICY.key
        keep = {policy: job.artifacts[policy]} if job.kind == "render" and job.artifacts else None
        job.artifacts, job.metrics = keep, None
        store.record_event(db, job, EventType.QUEUED, {"restart": True})
        db.commit()
    executor.wake()
    return job_out(job)


@router.get(
    f"/{{job_id}}/{layout.POLICY.url_name}",
    summary="The trained policy (checkpoint + program) as a zip",
    responses={200: {"content": {"application/zip": {}}}},
)
def download_policy(job_id: int, db: DbDep, settings: SettingsDep) -> StreamingResponse:
    job = _get(db, job_id)
    name = layout.download_name(job, layout.POLICY)
    return StreamingResponse(
        policy_zip(settings.data_dir, job),
        media_type=layout.POLICY.media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/{job_id}/{name}",
    summary="A job's video.mp4, poster.jpg, metrics.json or curves.csv",
    responses={200: {"content": {"video/mp4": {}, "image/jpeg": {}, "application/json": {}, "text/csv": {}}}},
)
def download_file(
    job_id: int, name: str, db: DbDep, settings: SettingsDep, download: bool = False
) -> FileResponse:
    artifact = layout.FILES.get(name)
    if artifact is None:
        raise HTTPException(
            404, f"no file '{name}'; a job offers {', '.join(layout.FILES)} and {layout.POLICY.url_name}"
        )
    job = _get(db, job_id)
    path = job_file(settings.data_dir, job, artifact)
    filename = layout.download_name(job, artifact)
    return FileResponse(
        path,
        media_type=artifact.media_type,
        filename=filename if download else None,
        content_disposition_type="attachment" if download else "inline",
    )
