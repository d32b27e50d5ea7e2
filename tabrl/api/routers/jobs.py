"""One job: status, cancel, restart, and its files."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, StreamingResponse
from sqlalchemy.orm import Session

from tabrl.api import limits
from tabrl.api.artifacts import FILES, job_file, job_folder_name, policy_zip
from tabrl.api.deps import DbDep, ExecutorDep, SettingsDep, get_or_404
from tabrl.api.schemas import JobOut, job_out
from tabrl.jobs import store
from tabrl.jobs.models import Job
from tabrl.jobs.states import ACTIVE, RESTARTABLE, EventType

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
MEDIA = {
    "video.mp4": "video/mp4",
    "poster.jpg": "image/jpeg",
    "metrics.json": "application/json",
    "curves.csv": "text/csv",
    "sheet.jpg": "image/jpeg",
}


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
        keep = {"policy": job.artifacts["policy"]} if job.kind == "render" and job.artifacts else None
        job.artifacts, job.metrics = keep, None
        store.record_event(db, job, EventType.QUEUED, {"restart": True})
        db.commit()
    executor.wake()
    return job_out(job)


@router.get(
    "/{job_id}/policy.zip",
    summary="The trained policy (checkpoint + program) as a zip",
    responses={200: {"content": {"application/zip": {}}}},
)
def download_policy(job_id: int, db: DbDep, settings: SettingsDep) -> StreamingResponse:
    job = _get(db, job_id)
    name = f"{job_folder_name(job)}-policy.zip"
    return StreamingResponse(
        policy_zip(settings.data_dir, job),
        media_type="application/zip",
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
    if name not in FILES:
        raise HTTPException(404, f"no file '{name}'; a job offers {', '.join(FILES)} and policy.zip")
    job = _get(db, job_id)
    path = job_file(settings.data_dir, job, FILES[name])
    filename = f"{job_folder_name(job)}-{name}"
    return FileResponse(
        path,
        media_type=MEDIA[name],
        filename=filename if download else None,
        content_disposition_type="attachment" if download else "inline",
    )
