"""Retention: deleting a session with its rows and its files, and measuring what the data dir holds.

A session is deleted whole or not at all. Its rows (the session, its approaches, its jobs and their
events) go in one transaction; its folder (``sessions/<id>/``, every job's attempts) is removed only
after that transaction committed. A folder that fails to go is logged and reported, and stays as an
orphan on disk: never the other way round (rows pointing at files that are gone).

A session with a queued or running job is refused (``SessionBusy``, naming the jobs): cancel them first.
The check and the deletes share one transaction, and the session's rows are locked first where the
database can (PostgreSQL: a job created or restarted meanwhile waits for the delete, then finds its
session gone). On SQLite the transaction's snapshot does the same: a writer that changed the session's
jobs after the check makes the delete fail rather than remove an active job.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, or_, select
from sqlalchemy.orm import Session

from tabrl.jobs import layout
from tabrl.jobs.models import Approach, Event, Job, StudioSession
from tabrl.jobs.states import ACTIVE

log = logging.getLogger(__name__)


class SessionNotFound(LookupError):
    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r}")
        self.session_id = session_id


class SessionBusy(RuntimeError):
    """The session has queued or running jobs; ``jobs`` maps each one's id to its status."""

    def __init__(self, session_id: str, jobs: dict[int, str]) -> None:
        listed = ", ".join(f"job {job_id} ({status})" for job_id, status in sorted(jobs.items()))
        noun = "job is" if len(jobs) == 1 else "jobs are"
        super().__init__(
            f"session {session_id!r} cannot be deleted while its {noun} still queued or running: {listed}; "
            f"cancel {'it' if len(jobs) == 1 else 'them'} first (POST /api/jobs/<id>/cancel), then delete again"
        )
        self.session_id = session_id
        self.jobs = jobs


@dataclasses.dataclass
class DeletedSession:
    """What deleting one session removed."""

    session_id: str
    jobs: list[int]
    approaches: int
    events: int
    bytes_freed: int  # what the session's folder held (0 when it had none)
    folder: Path
    folder_errors: list[str]  # paths that could not be removed (logged; the rows are gone regardless)


def tree_size(path: Path) -> int:
    """Bytes in the files under ``path`` (symbolic links are not followed; 0 when it is missing)."""
    total = 0
    stack = [path]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    total += entry.stat(follow_symlinks=False).st_size
            except OSError:  # removed while walking
                continue
    return total


def session_folder(data_dir: Path, session_id: str) -> Path:
    """A session's folder: every one of its jobs' folders is inside it (``layout.job_root``)."""
    root = (data_dir / layout.SESSIONS).resolve()
    folder = (root / session_id).resolve()
    if folder.parent != root:  # an id is a row's key, never a path; refuse anything that walks out
        raise ValueError(f"session id {session_id!r} is not a plain folder name")
    return folder


def active_jobs_of(db: Session, session_id: str) -> dict[int, str]:
    rows = db.execute(
        select(Job.id, Job.status)
        .where(Job.session_id == session_id, Job.status.in_(ACTIVE))
        .order_by(Job.id)
    )
    return {row.id: str(row.status) for row in rows}


def _deleted(db: Session, statement: Delete) -> int:
    result = cast("CursorResult[Any]", db.execute(statement))  # a DELETE's result is a CursorResult
    return result.rowcount or 0


def delete_session(db: Session, data_dir: Path, session_id: str) -> DeletedSession:
    """Deletes a session's rows (one transaction, committed here) and then its folder.

    Raises ``SessionNotFound``, or ``SessionBusy`` while any of its jobs is queued or running (nothing
    is removed then).
    """
    folder = session_folder(data_dir, session_id)
    try:
        # Lock the session and its jobs (PostgreSQL; SQLite ignores FOR UPDATE, see the module's notes).
        found = db.scalar(select(StudioSession.id).where(StudioSession.id == session_id).with_for_update())
        if found is None:
            raise SessionNotFound(session_id)
        job_ids = list(
            db.scalars(select(Job.id).where(Job.session_id == session_id).order_by(Job.id).with_for_update())
        )
        busy = active_jobs_of(db, session_id)
        if busy:
            raise SessionBusy(session_id, busy)
        events = _deleted(
            db, delete(Event).where(or_(Event.session_id == session_id, Event.job_id.in_(job_ids)))
        )
        _deleted(db, delete(Job).where(Job.session_id == session_id))
        approaches = _deleted(db, delete(Approach).where(Approach.session_id == session_id))
        db.execute(delete(StudioSession).where(StudioSession.id == session_id))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    for row in list(db.identity_map.values()):  # the rows are gone: none of them stays in the identity map
        if (row.id if isinstance(row, StudioSession) else getattr(row, "session_id", None)) == session_id:
            db.expunge(row)

    size = tree_size(folder)
    errors: list[str] = []

    def _failed(_fn: object, path: str, exc_info: tuple[type[BaseException], BaseException, object]) -> None:
        errors.append(f"{path}: {exc_info[1]}")

    if folder.exists():
        shutil.rmtree(folder, onerror=_failed)  # onerror: Python 3.11 has no onexc
    for error in errors:
        log.warning("session %s deleted, but a file of it stays on disk: %s", session_id, error)
    return DeletedSession(
        session_id=session_id,
        jobs=job_ids,
        approaches=approaches,
        events=events,
        bytes_freed=size - tree_size(folder) if errors else size,
        folder=folder,
        folder_errors=errors,
    )


def prune_sessions(db: Session, data_dir: Path, keep: int, spare: str | None = None) -> list[DeletedSession]:
    """Deletes finished sessions (none of their jobs queued or running) beyond the newest ``keep``,
    oldest first. A session with an active job is never removed and does not count; nor does ``spare``
    (the session just created), which is never removed either. Returns what was deleted."""
    busy = set(db.scalars(select(Job.session_id).where(Job.status.in_(ACTIVE)).distinct()))
    newest_first = db.scalars(
        select(StudioSession.id).order_by(StudioSession.created_at.desc(), StudioSession.id.desc())
    )
    finished = [sid for sid in newest_first if sid not in busy and sid != spare]
    db.rollback()  # end the read: each delete below is its own transaction
    deleted = []
    for session_id in reversed(finished[keep:]):  # the oldest first
        try:
            deleted.append(delete_session(db, data_dir, session_id))
        except (SessionBusy, SessionNotFound):  # a job started meanwhile, or someone else deleted it
            continue
        log.info("TABRL_KEEP_SESSIONS=%d: deleted session %s", keep, session_id)
    return deleted


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")
