"""Rehearsals run after a configure has answered.

Each new approach's prior is played in MuJoCo (``tabrl.render.rehearsal``) on one background thread, and
its card fills in as it finishes (``ApproachOut.rehearsing`` until then; the page asks again). A configure
then answers with its designs at once, even on a server still warming up (JAX and the base policy load
on the first rehearsal), and a humanoid's rehearsal, which may play its prior a dozen times, no longer
holds the request. Training waits for the rehearsal of the approaches it trains (seconds), so no job
trains a prior the robot was not rehearsed under.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tabrl.jobs.models import Approach

log = logging.getLogger(__name__)
WAIT_S = 600.0  # a rehearsal takes seconds; this only bounds a request behind a stuck one


def _rehearsed(model_id: str, program: dict[str, Any]) -> dict[str, Any]:
    from tabrl.render.rehearsal import rehearse_all  # MuJoCo and JAX (the base policy): only here

    return rehearse_all(model_id, [program])[0]


class Rehearsals:
    """The rehearsals of stored approaches, one at a time, in the order they were asked for."""

    def __init__(self, sessions: sessionmaker[Session], *, enabled: bool) -> None:
        self._sessions = sessions
        self.enabled = enabled
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="tabrl-rehearse")
        self._lock = threading.Lock()
        self._pending: dict[int, Future[None]] = {}  # approach id -> the run that rehearses it

    def pending(self) -> frozenset[int]:
        """Ids of the approaches whose rehearsal has not finished yet."""
        with self._lock:
            return frozenset(self._pending)

    def start(self, model_id: str, approach_ids: Sequence[int]) -> None:
        """Rehearses the stored approaches ``approach_ids`` of a session on ``model_id`` in the background."""
        if not self.enabled or not approach_ids:
            return
        with self._lock:  # held until every id is listed: the run removes them one by one as it goes
            future = self._pool.submit(self._run, model_id, list(approach_ids))
            for approach_id in approach_ids:
                self._pending[approach_id] = future

    def _run(self, model_id: str, approach_ids: list[int]) -> None:
        for approach_id in approach_ids:
            try:
                self._rehearse_stored(model_id, approach_id)
            except Exception:  # the approach keeps its program; training rehearses it again (``ready``)
                log.exception("could not rehearse approach %s", approach_id)
            finally:
                with self._lock:
                    self._pending.pop(approach_id, None)

    def _rehearse_stored(self, model_id: str, approach_id: int) -> None:
        with self._sessions() as db:
            approach = db.get(Approach, approach_id)
            if approach is None:  # its session was deleted meanwhile
                return
            program = approach.program
        rehearsed = _rehearsed(model_id, program)  # no database connection held while MuJoCo plays
        with self._sessions() as db:
            approach = db.get(Approach, approach_id)
            if approach is not None:
                approach.program = rehearsed
                db.commit()

    def ready(self, db: Session, model_id: str, approaches: Sequence[Approach]) -> None:
        """Returns once ``approaches`` are rehearsed: waits for their run in flight, and rehearses here any
        that has none (one stored before a restart of the server, or whose run failed)."""
        if not self.enabled:
            return
        with self._lock:
            runs = {self._pending[a.id] for a in approaches if a.id in self._pending}
        for run in runs:
            run.result(timeout=WAIT_S)
        for approach in approaches:
            db.refresh(approach)
            if not approach.program.get("rehearsal"):
                approach.program = _rehearsed(model_id, approach.program)
        db.commit()

    def shutdown(self) -> None:
        """Drops the rehearsals not started; the one playing finishes (seconds)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
