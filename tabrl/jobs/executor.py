"""Executors run jobs outside the web process. ``LocalExecutor``: one worker process per job.

The dispatcher thread is the only place that starts workers and stores their events: it drains
the event queue into the database (in arrival order), starts queued jobs while slots are free,
stops cancelled ones (politely first, then by force) and notices workers that died silently.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from sqlalchemy.orm import Session, sessionmaker

from tabrl.config import Settings
from tabrl.jobs import store
from tabrl.jobs.models import ACTIVE, CANCELLED, FAILED, QUEUED, Job
from tabrl.jobs.worker import run_job

log = logging.getLogger(__name__)

Listener = Callable[[], None]
INTERRUPTED_REASON = "the server stopped while this job ran; restart it to train again"


class Executor(Protocol):
    """What the API needs from a job runner (a local process pool today; a cluster later)."""

    def start(self) -> None: ...
    def wake(self) -> None: ...
    def cancel(self, job_id: int) -> None: ...
    def add_listener(self, listener: Listener) -> None: ...
    def shutdown(self) -> None: ...


def job_dir(settings: Settings, job: Job) -> Path:
    return settings.data_dir / "sessions" / job.session_id / f"job-{job.id}"


@dataclass
class _Running:
    process: Any
    cancel: Any
    cancel_at: float | None = None
    ended: bool = False
    reported: set[str] = field(default_factory=set)


class LocalExecutor:
    """Runs up to ``settings.max_workers`` jobs at once, each in a fresh (spawned) process."""

    CANCEL_GRACE_S = 3.0  # a worker busy compiling may not look at its cancel flag for a while

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]):
        self.settings, self.sessions = settings, sessions
        self.slots = max(1, settings.max_workers)
        self._ctx = mp.get_context("spawn")  # never fork a process that holds JAX, EGL or threads
        self._events = self._ctx.Queue()
        self._running: dict[int, _Running] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ API side

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        with self.sessions() as db:
            ids = store.interrupt_orphans(db, INTERRUPTED_REASON)
            db.commit()
        if ids:
            log.warning("marked interrupted: jobs %s", ids)
            self._notify()
        self._thread = threading.Thread(target=self._loop, name="tabrl-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New or changed jobs: launch what can run, and tell listeners (events were stored)."""
        self._wake.set()
        self._notify()

    def cancel(self, job_id: int) -> None:
        """Cancels a queued job at once, a running one within a few seconds."""
        with self._lock:
            running = self._running.get(job_id)
            if running is not None:
                running.cancel.set()
                running.cancel_at = running.cancel_at or time.monotonic()
        if running is None:
            with self.sessions() as db:
                job = db.get(Job, job_id)
                if job is not None and job.status == QUEUED:
                    store.record_event(db, job, CANCELLED, {"reason": "cancelled before it started"})
                    db.commit()
        self.wake()  # also tells the listeners

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            running = list(self._running.items())
        for _, r in running:
            r.cancel.set()
        for _, r in running:
            r.process.join(timeout=self.CANCEL_GRACE_S)
            if r.process.is_alive():
                r.process.kill()
                r.process.join(timeout=5)
        self._drain(timeout=0)
        # Whatever did not finish is interrupted: the next start will not find it "running".
        with self.sessions() as db:
            store.interrupt_orphans(db, INTERRUPTED_REASON)
            db.commit()

    # ------------------------------------------------------------------ dispatcher thread

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a closed event loop must not stop the dispatcher
                log.exception("event listener failed")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._drain(timeout=0.2)
                self._reap()
                self._launch()
            except Exception:
                log.exception("dispatcher error (continuing)")
                time.sleep(0.5)
            if self._wake.wait(timeout=0.05):
                self._wake.clear()

    def _drain(self, timeout: float) -> None:
        """Stores every waiting worker event, in the order they arrived."""
        batch = []
        try:
            batch.append(self._events.get(timeout=timeout) if timeout else self._events.get_nowait())
            while len(batch) < 200:
                batch.append(self._events.get_nowait())
        except queue.Empty:
            pass
        if not batch:
            return
        with self.sessions() as db:
            for job_id, type_, data in batch:
                job = db.get(Job, job_id)
                if job is None or job.status not in ACTIVE:
                    continue  # e.g. a late progress event after a forced cancel
                data = dict(data)
                trace = data.pop("trace", None)
                if trace:
                    log.warning("job %s failed:\n%s", job_id, trace)
                store.record_event(db, job, type_, data)
                with self._lock:
                    if job_id in self._running:
                        self._running[job_id].reported.add(type_)
            db.commit()
        self._notify()

    def _reap(self) -> None:
        now = time.monotonic()
        with self._lock:
            items = list(self._running.items())
        for job_id, r in items:
            if r.cancel_at is not None and r.process.is_alive() and now - r.cancel_at > self.CANCEL_GRACE_S:
                r.process.kill()
            if r.process.is_alive():
                continue
            r.process.join()
            self._drain(timeout=0)  # its last events come before its end is judged
            with self.sessions() as db:
                job = db.get(Job, job_id)
                if job is not None and job.status in ACTIVE:
                    if r.cancel_at is not None:
                        store.record_event(db, job, CANCELLED, {"reason": "cancelled by the user"})
                        _remove_dir(job_dir(self.settings, job))
                    else:
                        store.record_event(db, job, FAILED, {
                            "reason": f"the worker process exited with code {r.process.exitcode} without a result"})
                db.commit()
            with self._lock:
                self._running.pop(job_id, None)
            self._notify()

    def _launch(self) -> None:
        with self._lock:
            free = self.slots - len(self._running)
            busy = set(self._running)
        if free <= 0:
            return
        with self.sessions() as db:
            for job in store.next_queued(db, busy, free):
                spec = self._spec(db, job)
                cancel = self._ctx.Event()
                process = self._ctx.Process(target=run_job, args=(spec, self._events, cancel),
                                            name=f"tabrl-job-{job.id}", daemon=True)
                try:
                    process.start()
                except Exception as exc:  # e.g. an interpreter that cannot spawn: fail the job, not the loop
                    log.exception("job %s could not start", job.id)
                    store.record_event(db, job, FAILED, {"reason": f"could not start a worker process: {exc}"})
                    db.commit()
                    self._notify()
                    continue
                with self._lock:
                    self._running[job.id] = _Running(process, cancel)
                log.info("job %s started in process %s", job.id, process.pid)

    def _spec(self, db: Session, job: Job) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "job_id": job.id, "kind": job.kind, "model_id": job.session.model_id, "program": job.approach.program,
            "steps": job.total_steps, "out_dir": str(job_dir(self.settings, job)), "seconds": job.video_seconds,
            "data_dir": str(self.settings.data_dir),
            "menagerie_path": str(self.settings.menagerie_path) if self.settings.menagerie_path else None,
        }
        if job.kind == "render":
            source = db.get(Job, job.source_job_id)
            spec["checkpoint"] = str(self.settings.data_dir / source.artifacts["policy"])
        return spec


def _remove_dir(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
