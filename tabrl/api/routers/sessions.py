"""Past sessions: list, reopen, download everything."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tabrl.api.artifacts import session_zip
from tabrl.api.deps import DbDep, SettingsDep, get_or_404
from tabrl.api.routers.training import session_model_label
from tabrl.api.schemas import SessionOut, SessionSummary, session_out
from tabrl.jobs import layout
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
def get_session(session_id: str, db: DbDep) -> SessionOut:
    session = _get(db, session_id)
    return session_out(session, session_model_label(session.model_id))


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
