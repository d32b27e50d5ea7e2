"""Past sessions: list, reopen, download everything, delete."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tabrl.api import limits
from tabrl.api.artifacts import session_zip
from tabrl.api.deps import DbDep, RehearsalsDep, SettingsDep, get_or_404
from tabrl.api.routers.training import session_model_label
from tabrl.api.schemas import SessionDeleted, SessionOut, SessionSummary, session_deleted, session_out
from tabrl.jobs import layout, retention
from tabrl.jobs.models import StudioSession
from tabrl.jobs.states import JobStatus

router = APIRouter(prefix="/api/sessions", tags=["sessions"])


@router.get("", response_model=list[SessionSummary], summary="Past sessions, newest first")
def list_sessions(db: DbDep, limit: int = Query(50, ge=1, le=500)) -> list[SessionSummary]:
    rows = db.scalars(select(StudioSession).order_by(StudioSession.created_at.desc()).limit(limit))
    return [
        SessionSummary(
            id=s.id,
            model_id=s.model_id,
            prompt=s.prompt,
            num_steps=s.num_steps,
            created_at=s.created_at,
            jobs_total=len(s.jobs),
            jobs_done=sum(j.status == JobStatus.DONE for j in s.jobs),
        )
        for s in rows
    ]


def _get(db: Session, session_id: str) -> StudioSession:
    return get_or_404(db, StudioSession, session_id, "session")


@router.get("/{session_id}", response_model=SessionOut, summary="A session with its approaches and jobs")
def get_session(session_id: str, db: DbDep, rehearsals: RehearsalsDep) -> SessionOut:
    session = _get(db, session_id)
    return session_out(session, session_model_label(session.model_id), rehearsals.pending())


@router.get(
    "/{session_id}/download.zip",
    summary="Every video, poster, metrics file and policy of a session",
    responses={200: {"content": {"application/zip": {}}}},
)
def download_session(session_id: str, db: DbDep, settings: SettingsDep) -> StreamingResponse:
    session = _get(db, session_id)
    if not any(j.status == JobStatus.DONE for j in session.jobs):
        raise HTTPException(409, "nothing to download yet: no job of this session has finished")
    name = layout.session_zip_name(session)
    return StreamingResponse(
        session_zip(settings.data_dir, session),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.delete(
    "/{session_id}",
    response_model=SessionDeleted,
    summary="Delete a session: its approaches, jobs, event log and files",
    responses={
        404: {"description": "no such session"},
        409: {"description": "a job of the session is queued or running (the message names them)"},
    },
)
def delete_session(session_id: str, db: DbDep, settings: SettingsDep) -> SessionDeleted:
    _get(db, session_id)  # a row first: an id that names none (a path among them) is a 404 before any folder
    # Under the admission lock: no job of this server is created or restarted while the check runs.
    # SessionNotFound (deleted meanwhile) and SessionBusy are answered in tabrl/api/errors.py.
    with limits.admission:
        deleted = retention.delete_session(db, settings.data_dir, session_id)
    retention.collect_models(settings.data_dir)  # the shared models only this session's policies named
    return session_deleted(deleted)
