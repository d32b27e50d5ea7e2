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

Settings cap what is kept (``enforce``, run when a session is created): ``TABRL_KEEP_SESSIONS`` (the
newest N finished sessions) and ``TABRL_MAX_DATA_GB`` (the data directory's size: the oldest finished
sessions go first until it fits). A session with a queued or running job never goes. Each time, the
folders of attempts that are no longer current (``store.is_current``; a finished job keeps the attempt
its files came from) and the shared models no policy names any more (``model_store.collect_garbage``)
go too. What was removed is returned, logged, and shown in the answer that created the session.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, delete, or_, select
from sqlalchemy.orm import Session

from tabrl.export import model_store
from tabrl.jobs import layout, store
from tabrl.jobs.models import Approach, Event, Job, StudioSession
from tabrl.jobs.states import ACTIVE, JobStatus

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


def _finished_newest_first(db: Session, spare: str | None) -> list[str]:
    """Sessions none of whose jobs is queued or running, newest first (never ``spare``)."""
    busy = set(db.scalars(select(Job.session_id).where(Job.status.in_(ACTIVE)).distinct()))
    newest_first = db.scalars(
        select(StudioSession.id).order_by(StudioSession.created_at.desc(), StudioSession.id.desc())
    )
    finished = [sid for sid in newest_first if sid not in busy and sid != spare]
    db.rollback()  # end the read: each delete after it is its own transaction
    return finished


def _try_delete(db: Session, data_dir: Path, session_id: str, why: str) -> DeletedSession | None:
    try:
        deleted = delete_session(db, data_dir, session_id)
    except (SessionBusy, SessionNotFound):  # a job started meanwhile, or someone else deleted it
        return None
    log.info("%s: deleted session %s (%s)", why, session_id, human_size(deleted.bytes_freed))
    return deleted


def prune_sessions(db: Session, data_dir: Path, keep: int, spare: str | None = None) -> list[DeletedSession]:
    """Deletes finished sessions (none of their jobs queued or running) beyond the newest ``keep``,
    oldest first. A session with an active job is never removed and does not count; nor does ``spare``
    (the session just created), which is never removed either. Returns what was deleted."""
    finished = _finished_newest_first(db, spare)
    deleted = []
    for session_id in reversed(finished[keep:]):  # the oldest first
        if (gone := _try_delete(db, data_dir, session_id, f"TABRL_KEEP_SESSIONS={keep}")) is not None:
            deleted.append(gone)
    return deleted


def prune_to_size(
    db: Session, data_dir: Path, max_bytes: int, spare: str | None = None
) -> tuple[list[DeletedSession], int]:
    """Deletes the oldest finished sessions until the data directory holds at most ``max_bytes`` (or
    no finished session is left to delete); returns what was deleted and the size it measured after.

    The size is the whole folder's (database, sessions, shared models, caches); the shared models a
    deleted session alone used are collected afterwards (``enforce``), so this may delete one session
    more than would have been needed."""
    size = tree_size(data_dir)
    deleted: list[DeletedSession] = []
    for session_id in reversed(_finished_newest_first(db, spare)):  # the oldest first
        if size <= max_bytes:
            break
        gone = _try_delete(db, data_dir, session_id, f"TABRL_MAX_DATA_GB={max_bytes / 1e9:g}")
        if gone is not None:
            deleted.append(gone)
            size -= gone.bytes_freed
    return deleted, size


def _kept_attempt(job: Job | None, attempt: int) -> bool:
    """An attempt's folder is kept while its run is current, and for a finished job whose files it holds."""
    if job is None:
        return False
    return store.is_current(job, attempt) or (job.status == JobStatus.DONE and job.attempt == attempt)


def sweep_attempts(db: Session, data_dir: Path) -> list[tuple[Path, int]]:
    """Removes the folders of attempts that are no longer current: an interrupted or restarted run's
    leftovers, and those of jobs that no longer exist. Returns each folder removed with its size."""
    root = data_dir / layout.SESSIONS
    if not root.is_dir():
        return []
    folders: dict[int, Path] = {}
    for session in root.iterdir():
        for job_folder in session.glob("job-*") if session.is_dir() else ():
            if job_folder.name[4:].isdigit():
                folders[int(job_folder.name[4:])] = job_folder
    jobs = {job.id: job for job in db.scalars(select(Job).where(Job.id.in_(folders)))}
    removed = []
    for job_id, job_folder in sorted(folders.items()):
        job = jobs.get(job_id)
        for attempt, folder in layout.attempt_folders(job_folder):
            if not _kept_attempt(job, attempt):
                size = tree_size(folder)
                layout.remove_attempt_dir(folder)
                removed.append((folder, size))
    db.rollback()
    if removed:
        log.info("removed %d folders of attempts no longer current", len(removed))
    return removed


def referenced_models(data_dir: Path) -> set[str]:
    """The shared models the policies in the data directory name (``model_sha256``)."""
    named = set()
    for sidecar in (data_dir / layout.SESSIONS).glob(
        f"*/job-*/a*/{layout.POLICY.name}/{model_store.SIDECAR_FILE}"
    ):
        try:
            sha256 = json.loads(sidecar.read_text()).get("model_sha256")
        except (OSError, ValueError):  # a folder being removed, or damaged: it names nothing we can read
            continue
        if isinstance(sha256, str):
            named.add(sha256)
    return named


def collect_models(data_dir: Path) -> list[Path]:
    """Removes the shared models no policy names (``model_store.collect_garbage``)."""
    removed = model_store.collect_garbage(layout.model_store_dir(data_dir), referenced_models(data_dir))
    if removed:
        log.info("removed %d shared model files no policy names", len(removed))
    return removed


@dataclasses.dataclass
class RetentionReport:
    """What ``enforce`` removed."""

    sessions: list[DeletedSession]
    attempt_folders: list[Path]
    model_files: list[Path]
    bytes_freed: int
    data_bytes: int | None  # the data directory's size after (measured only with a size cap)
    max_bytes: int | None

    @property
    def removed_anything(self) -> bool:
        return bool(self.sessions or self.attempt_folders or self.model_files)


def enforce(
    db: Session, data_dir: Path, keep: int | None, max_bytes: int | None, spare: str | None = None
) -> RetentionReport:
    """Applies the caps (``keep`` newest finished sessions, ``max_bytes`` for the data directory), then
    removes stale attempt folders and unnamed shared models. ``spare``: never removed (the new session)."""
    sessions = prune_sessions(db, data_dir, keep, spare) if keep is not None else []
    stale = sweep_attempts(db, data_dir)
    sizes = _sizes(layout.model_store_dir(data_dir))
    data_bytes = None
    if max_bytes is not None:
        more, data_bytes = prune_to_size(db, data_dir, max_bytes, spare)
        sessions += more
    models = collect_models(data_dir)
    freed = (
        sum(s.bytes_freed for s in sessions) + sum(n for _, n in stale) + sum(sizes.get(p, 0) for p in models)
    )
    if data_bytes is not None:
        data_bytes -= sum(sizes.get(p, 0) for p in models)
        if data_bytes > max_bytes:  # type: ignore[operator]
            log.warning(
                "the data directory holds %s, over TABRL_MAX_DATA_GB (%s), with no finished session left to delete",
                human_size(data_bytes),
                human_size(max_bytes or 0),
            )
    return RetentionReport(sessions, [f for f, _ in stale], models, freed, data_bytes, max_bytes)


def _sizes(folder: Path) -> dict[Path, int]:
    try:
        return {p: p.stat().st_size for p in folder.iterdir()}
    except FileNotFoundError:
        return {}


def human_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")
