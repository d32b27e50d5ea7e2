"""Caps on what clients may pile up (jobs, designs, sessions) and the event-log compaction.

Each cap is a setting (see tabrl/config.py, docs/security.md); reaching one raises ``CapReached``, a 429
(tabrl/api/errors.py) whose message says which limit, its value, and what to do. The checks and the inserts they guard
run under one lock, so concurrent calls cannot slip past a cap together.
"""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy.orm import Session, sessionmaker

from tabrl.config import Settings
from tabrl.jobs import store
from tabrl.jobs.models import StudioSession, utcnow


class CapReached(RuntimeError):
    """A cap on what clients may pile up is reached; the message names the setting and what to do."""


# Held from a cap's check to the commit of what it admitted (one server process owns the database).
admission = threading.Lock()


def check_job_room(db: Session, settings: Settings, session_id: str, adding: int) -> None:
    """``CapReached`` unless ``adding`` more jobs fit under the per-session and the total cap."""
    in_session = store.active_jobs(db, session_id)
    if in_session + adding > settings.max_active_jobs_per_session:
        raise CapReached(
            f"session {session_id} already has {in_session} job(s) queued or running; at most "
            f"{settings.max_active_jobs_per_session} at once (TABRL_MAX_ACTIVE_JOBS_PER_SESSION), "
            f"so {adding} more cannot be queued: wait for some to finish or cancel them",
        )
    total = store.active_jobs(db)
    if total + adding > settings.max_active_jobs:
        raise CapReached(
            f"the studio already has {total} job(s) queued or running; at most "
            f"{settings.max_active_jobs} at once (TABRL_MAX_ACTIVE_JOBS), so {adding} more "
            f"cannot be queued: try again when some have finished",
        )


def check_design_room(session: StudioSession, settings: Settings) -> None:
    held = len(session.designs or [])
    if held >= settings.max_designs_per_session:
        raise CapReached(
            f"session {session.id} already holds {held} designs; at most "
            f"{settings.max_designs_per_session} (TABRL_MAX_DESIGNS_PER_SESSION): start a new "
            f"session to design more",
        )


def check_session_room(db: Session, settings: Settings) -> None:
    since = utcnow() - dt.timedelta(hours=1)
    recent = store.sessions_since(db, since)
    if recent >= settings.max_sessions_per_hour:
        raise CapReached(
            f"{recent} sessions were started in the last hour; at most "
            f"{settings.max_sessions_per_hour} per hour (TABRL_MAX_SESSIONS_PER_HOUR): "
            f"reopen a past session or try again later",
        )


class EventCompactor:
    """Executor listener: once a job has ended, keeps only its last progress and rendering events."""

    def __init__(self, sessions: sessionmaker[Session], keep: int):
        self.sessions, self.keep = sessions, keep
        self._after = 0
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock, self.sessions() as db:
            after = store.compact_ended_jobs(db, self._after, self.keep)
            db.commit()
            self._after = after
