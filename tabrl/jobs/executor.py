"""Executors run jobs outside the web process. ``LocalExecutor``: a pool of warm worker processes.

Each worker is spawned once, does the heavy imports (JAX, MuJoCo, Playground, the pipeline) and
then trains one job after another, so a job handed to an idle worker starts within a second or
two. The dispatcher thread is the only place that starts workers and stores their events: it
reads every worker's pipe, stores the events in arrival order, hands queued jobs to idle
workers, stops cancelled runs (politely first, then by killing the worker), replaces workers
that died, were killed or grew too big, and notices runs whose job has moved on.

A job runs as numbered *attempts* (``Job.attempt`` grows with every "queued" event: creation and
each restart). A run is keyed by (job id, attempt): its events are dropped once the job is on a
newer attempt or has ended (``store.is_current``), and its folder ``job-<id>/a<attempt>`` is its own
(``layout.attempt_dir``), so cleaning up after
an old attempt (a cancel that is still being reaped, an orphaned worker of a crashed server)
never touches a newer one.

Queued training jobs of one session with the same steps, start and video length (the approaches of a
Train All) are handed to one worker together, as a *batch* (up to ``train_batch_max``): it trains them
as one physics batch with one vmapped PPO update (``tabrl/train/batch.py``) and then films each. Every
job of a batch stays its own run with its own events, end and cancel slot: cancelling one stops its
slice while the others go on.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import shutil
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_connections
from typing import Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tabrl.config import Settings
from tabrl.jobs import events, layout, pool, store
from tabrl.jobs.messages import (
    Broken,
    Calibrate,
    Calibration,
    Exit,
    FromWorker,
    Idle,
    JobUpdate,
    Ready,
    RunBatch,
    RunJob,
    ToWorker,
)
from tabrl.jobs.models import Job
from tabrl.jobs.pool import CANCEL_SLOTS, Group, Run, Worker
from tabrl.jobs.specs import job_spec, take_batch
from tabrl.jobs.states import EventType, JobStatus
from tabrl.jobs.worker import worker_main

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


class LocalExecutor:
    """Runs up to ``settings.max_workers`` jobs at once on as many warm (spawned) worker processes."""

    CANCEL_GRACE_S = 3.0  # a worker busy compiling may not look at its cancel flag for a while
    EXIT_GRACE_S = 5.0  # a retiring idle worker that does not exit by then is killed
    RECONCILE_EVERY_S = 1.0
    MAX_START_FAILURES = 3  # consecutive workers that die warming up before queued jobs are failed

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]):
        self.settings, self.sessions = settings, sessions
        self.slots = max(1, settings.max_workers)
        self._ctx = mp.get_context("spawn")  # never fork a process that holds JAX, EGL or threads
        self._workers: dict[int, Worker] = {}
        self._next_wid = 0
        self._next_run = 0
        self._lock = threading.RLock()
        # Worker messages the database could not store (a full disk): stored first on the next round.
        self._unstored: list[tuple[Worker, FromWorker]] = []
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._start_failures = 0
        self._respawn_after = 0.0
        self._last_reconcile = 0.0
        self._wanted = settings.prewarm_workers  # spawn workers before the first job asks
        self._calibrated = False  # once per server start, by the first idle warm worker

    # ------------------------------------------------------------------ API side

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        with self.sessions() as db:
            ids = store.interrupt_orphans(db, INTERRUPTED_REASON)
            db.commit()
            if store.next_queued(db, set(), 1):  # jobs queued before a restart still run
                self._wanted = True
        if ids:
            log.warning("marked interrupted: jobs %s", ids)
            self._notify()
        self._thread = threading.Thread(target=self._loop, name="tabrl-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """New or changed jobs: launch what can run, and tell listeners (events were stored)."""
        self._wanted = True
        try:
            os.write(self._wake_w, b"!")
        except (BlockingIOError, OSError):
            pass  # already woken
        self._notify()

    def cancel(self, job_id: int) -> None:
        """Cancels a queued job at once, a running one within a few seconds.

        Holds the dispatcher's lock, so a job is either already on a worker (its run is told to
        stop) or still queued (it is cancelled here and the dispatcher will never hand it out)."""
        with self._lock:
            with self.sessions() as db:
                job = db.get(Job, job_id)
                run = self._run_of(job_id, job.attempt) if job is not None else None
                if run is not None:
                    self._stop_run(run)
                elif job is not None and job.status == JobStatus.QUEUED:
                    store.record_event(
                        db, job, EventType.CANCELLED, {"reason": "cancelled before it started"}
                    )
                    db.commit()
        self.wake()  # also tells the listeners

    def workers(self) -> list[dict[str, int | float | bool | list[int] | None]]:
        """The pool as it is now (pid, state, jobs run, memory): for /api/info, the bench and tests."""
        with self._lock:
            return [pool.summary(w) for w in self._workers.values() if not w.killed and w.retiring_at is None]

    def shutdown(self) -> None:
        self._stop.set()
        self.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:
            if w.busy:
                for run in list(w.runs):
                    self._stop_run(run, w)
            elif w.ready and not w.calibrating:
                self._send(w, Exit())
            else:  # still importing or measuring: nothing to lose
                self._kill(w)
        deadline = time.monotonic() + self.CANCEL_GRACE_S
        for w in workers:
            w.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                self._kill(w)
                w.process.join(timeout=5)
        self._drain(timeout=0)
        for w in workers:
            self._close(w)
        # Whatever did not finish is interrupted: the next start will not find it "running". A database
        # that cannot be written now (a full disk) must not fail the stop: the next start marks them.
        try:
            with self.sessions() as db:
                store.interrupt_orphans(db, INTERRUPTED_REASON)
                db.commit()
        except OperationalError as exc:
            log.error("could not mark unfinished jobs interrupted (%s); the next start will", exc.orig)
        if self._unstored:
            log.error(
                "%d worker events were never stored (the database could not be written)", len(self._unstored)
            )
        wake_r, wake_w, self._wake_r, self._wake_w = self._wake_r, self._wake_w, -1, -1
        for fd in (wake_r, wake_w):  # a late wake() now writes to -1 (an error), never to a reused fd
            try:
                os.close(fd)
            except OSError:
                pass

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
                if self._stop.is_set():
                    break
                self._supervise()
                self._launch()
            except Exception:
                log.exception("dispatcher error (continuing)")
                time.sleep(0.5)

    def _run_of(self, job_id: int, attempt: int) -> Run | None:
        """The run of this attempt of the job on a worker (None when it is not on one)."""
        return next(
            (
                run
                for w in self._workers.values()
                if not w.killed
                for run in w.runs
                if (run.job_id, run.attempt) == (job_id, attempt)
            ),
            None,
        )

    def _worker_of(self, run: Run) -> Worker | None:
        return next((w for w in self._workers.values() if run in w.runs), None)

    def _stop_run(self, run: Run, worker: Worker | None = None) -> None:
        worker = worker or self._worker_of(run)
        if worker is None:
            return
        worker.cancel[run.slot] = run.run_id
        run.cancel_at = run.cancel_at or time.monotonic()

    def _send(self, w: Worker, message: ToWorker) -> bool:
        try:
            w.conn.send(message)
            return True
        except (OSError, ValueError):  # its pipe is gone: the supervisor reaps it
            w.closed = True
            return False

    def _kill(self, w: Worker) -> None:
        w.killed = True
        if w.process.is_alive():
            w.process.kill()

    @staticmethod
    def _close(w: Worker) -> None:
        try:
            w.conn.close()
        except OSError:
            pass

    # -- reading the workers' pipes

    def _drain(self, timeout: float) -> None:
        """Stores every waiting worker event, in the order each worker sent them."""
        with self._lock:
            conns = {w.conn: w for w in self._workers.values() if not w.closed}
        waitables: list[Connection | int] = list(conns)
        if not self._stop.is_set():
            waitables.append(self._wake_r)
        try:
            ready = wait_connections(waitables, timeout) if waitables else []
        except OSError:
            ready = []
        if not waitables and timeout:
            time.sleep(min(timeout, 0.05))
        messages: list[tuple[Worker, FromWorker]] = []
        for conn in ready:
            if not isinstance(conn, Connection):  # the wake-up pipe
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except (BlockingIOError, OSError):
                    pass
                continue
            messages.extend(self._read(conns[conn]))
        if messages or self._unstored:
            self._handle(messages)

    def _read(self, w: Worker, limit: int = 500) -> list[tuple[Worker, FromWorker]]:
        out: list[tuple[Worker, FromWorker]] = []
        try:
            while len(out) < limit and w.conn.poll():
                out.append((w, w.conn.recv()))
        except (EOFError, OSError):
            w.closed = True
        except Exception:  # a worker killed mid-message leaves a torn pickle: its pipe is done
            log.exception("unreadable message from worker %s", w.pid)
            w.closed = True
        return out

    def _handle(self, messages: list[tuple[Worker, FromWorker]]) -> None:
        """Stores ``messages`` after any kept from an earlier round (in order), then acts on them."""
        messages, self._unstored = self._unstored + messages, []
        job_messages = [m for _, m in messages if isinstance(m, JobUpdate)]
        if job_messages:
            try:
                self._store(job_messages)
            except OperationalError as exc:  # e.g. a full disk: keep them in order (a job's end included)
                log.error("could not store %d worker events (kept to retry): %s", len(job_messages), exc.orig)
                self._unstored = messages
                time.sleep(0.5)
                return
        self._after_stored(messages)

    def _store(self, updates: list[JobUpdate]) -> None:
        """Records the workers' job events in one transaction (nothing of them when it fails)."""
        with self.sessions() as db:
            for m in updates:
                job = db.get(Job, m.job_id)
                if not store.is_current(job, m.attempt):
                    # A late event of an attempt that was cancelled, restarted or interrupted since.
                    log.debug(
                        "dropped stale %s event of job %s attempt %s", m.event.type, m.job_id, m.attempt
                    )
                    continue
                if m.trace:
                    log.warning("job %s failed:\n%s", m.job_id, m.trace)
                store.record(db, job, m.event)
            db.commit()  # no dispatcher lock is held while the database is written (cancel holds both)

    def _after_stored(self, messages: list[tuple[Worker, FromWorker]]) -> None:
        finished: list[tuple[Run, events.DoneData]] = []
        calibrations: list[dict[str, float | str]] = []
        batches: list[Group] = []
        with self._lock:
            for w, message in messages:
                match message:
                    case JobUpdate():
                        run = next(
                            (r for r in w.runs if (r.job_id, r.attempt) == (message.job_id, message.attempt)),
                            None,
                        )
                        if run is not None:
                            batches.extend(pool.follow(w, run, message.event, finished))
                    case Calibration(figures=figures, error=error):
                        w.calibrating = False
                        if error:
                            log.warning("calibration failed: %s", error)
                        elif figures:
                            calibrations.append(figures)
                    case Ready():
                        w.ready, w.pid, w.rss_mb, w.warm_s = True, message.pid, message.rss_mb, message.warm_s
                        self._start_failures = 0
                        log.info("worker %s ready in %.1f s (%.0f MB)", w.pid, w.warm_s or 0, w.rss_mb or 0)
                    case Idle():
                        w.busy, w.runs = False, []
                        w.jobs, w.rss_mb, w.models = message.jobs, message.rss_mb, message.models
                        self._maybe_recycle(w)
                    case Broken():
                        w.broken = message.reason
                        log.error("worker could not warm up: %s\n%s", w.broken, message.trace)
        for figures in calibrations:
            pool.record_calibration(self.settings, figures)
        for run, done in finished:
            pool.record_run(self.settings, run, done)
        for group in batches:
            pool.record_group(self.settings, group)
        self._notify()

    def _maybe_recycle(self, w: Worker) -> None:
        """A worker that ran many jobs or grew large exits; a fresh one takes its place."""
        too_many = w.jobs >= self.settings.worker_max_jobs
        too_big = w.rss_mb is not None and w.rss_mb > self.settings.worker_max_rss_mb
        if too_many or too_big:
            log.info("recycling worker %s (%d jobs, %.0f MB)", w.pid, w.jobs, w.rss_mb or 0)
            w.retiring_at = time.monotonic()
            self._send(w, Exit())

    # -- keeping the pool healthy

    def _supervise(self) -> None:
        now = time.monotonic()
        with self._lock:
            workers = list(self._workers.values())
        for w in workers:
            late = [r for r in w.runs if r.cancel_at is not None and now - r.cancel_at > self.CANCEL_GRACE_S]
            if late and len(late) == len(w.runs):
                self._kill(w)  # it did not stop in time: the process goes, a fresh one replaces it
            elif (
                late
            ):  # a batch whose other jobs go on: this one is cancelled here, the worker drops it later
                self._settle_late_cancels(w, late)
            if w.retiring_at is not None and not w.busy and now - w.retiring_at > self.EXIT_GRACE_S:
                self._kill(w)
            if w.closed and w.process.is_alive():
                self._kill(w)  # its pipe broke: it can neither hear nor be heard
            if w.process.is_alive():
                continue
            w.process.join(timeout=5)
            if w.process.is_alive():
                self._kill(w)
                continue
            self._bury(w)
        if now - self._last_reconcile > self.RECONCILE_EVERY_S:
            self._last_reconcile = now
            self._reconcile()
        self._fill_pool(now)

    def _settle_late_cancels(self, w: Worker, runs: list[Run]) -> None:
        """Cancelled jobs of a batch whose worker has not confirmed in time (it may be compiling): they are
        cancelled now, and whatever the worker still sends for them is dropped as stale; it stops their
        slices at its next check and removes their folders."""
        with self._lock:
            for run in runs:
                if run in w.runs:
                    w.runs.remove(run)
        self._record_ends(w, [(run, _cancelled("cancelled by the user")) for run in runs])

    def _record_ends(self, w: Worker, ends: list[tuple[Run, events.JobEvent]]) -> None:
        """Stores the ends of runs that the executor settles itself (their worker died or was too slow
        to stop) like the workers' own events: a database that cannot be written now (a full disk)
        keeps them for the next round, so no job is left "running" for want of its end."""
        self._handle([(w, JobUpdate(run.job_id, run.attempt, event)) for run, event in ends])

    def _bury(self, w: Worker) -> None:
        """A worker process has exited: store its last words, settle its runs, forget it."""
        last = self._read(w)
        if last:
            self._handle(last)
        self._close(w)
        with self._lock:
            self._workers.pop(w.wid, None)
            runs, w.runs = list(w.runs), []
            if not w.ready and not w.killed and w.retiring_at is None:
                self._start_failures += 1
                self._respawn_after = time.monotonic() + min(30.0, 2.0**self._start_failures)
        ends: list[tuple[Run, events.JobEvent]] = []
        for run in runs:
            if run.outcome == EventType.DONE:
                continue
            if run.cancel_at is not None:
                ends.append((run, _cancelled("cancelled by the user")))
            else:
                reason = f"the worker process exited with code {w.process.exitcode} without a result"
                ends.append((run, events.Failed(type=EventType.FAILED, data=events.EndData(reason=reason))))
            layout.remove_attempt_dir(run.out_dir)  # this attempt's folder only
        if ends:
            self._record_ends(w, ends)
        if not w.ready and not w.killed and w.retiring_at is None:
            reason = w.broken or f"the worker process exited with code {w.process.exitcode} while starting"
            log.error("worker died while warming up: %s", reason)
            if self._start_failures >= self.MAX_START_FAILURES:
                self._fail_queued(f"could not start a worker process: {reason}")

    def _fail_queued(self, reason: str) -> None:
        with self.sessions() as db:
            for job in store.next_queued(db, set(), 1000):
                store.record_event(db, job, EventType.FAILED, {"reason": reason})
            db.commit()
        self._notify()

    def _reconcile(self) -> None:
        """Stops runs whose job is no longer on their attempt or no longer active (a safety net)."""
        with self._lock:
            runs = [r for w in self._workers.values() for r in w.runs if r.cancel_at is None]
        if not runs:
            return
        with self.sessions() as db:
            stale = store.stale_attempts(db, [(r.job_id, r.attempt) for r in runs])
        with self._lock:
            for run in runs:
                if (run.job_id, run.attempt) in stale:
                    attempt, status = stale[run.job_id, run.attempt]
                    log.warning(
                        "job %s attempt %s is no longer current (%s, attempt %s): stopping its run",
                        run.job_id,
                        run.attempt,
                        status,
                        attempt,
                    )
                    self._stop_run(run)

    def _fill_pool(self, now: float) -> None:
        if self._stop.is_set() or not self._wanted or now < self._respawn_after:
            return
        with self._lock:
            live = [w for w in self._workers.values() if not w.killed and w.retiring_at is None]
            for _ in range(self.slots - len(live)):
                try:
                    self._spawn()
                except Exception as exc:  # e.g. an interpreter that cannot spawn: fail the jobs, not the loop
                    log.exception("could not spawn a worker process")
                    self._start_failures += 1
                    self._respawn_after = now + min(30.0, 2.0**self._start_failures)
                    if self._start_failures >= self.MAX_START_FAILURES:
                        self._fail_queued(f"could not start a worker process: {exc}")
                    return

    def _spawn(self) -> Worker:
        self._next_wid += 1
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        # Raw shared ints: nothing to lock, so a worker killed mid-read cannot wedge the executor.
        cancel = self._ctx.RawArray("q", CANCEL_SLOTS)
        process = self._ctx.Process(
            target=worker_main,
            args=(child_conn, cancel, pool.worker_env(self.settings)),
            name=f"tabrl-worker-{self._next_wid}",
            daemon=True,
        )
        process.start()
        child_conn.close()
        w = Worker(self._next_wid, process, parent_conn, cancel, pid=process.pid)
        self._workers[w.wid] = w
        log.info("worker %s spawned (warming up)", process.pid)
        return w

    # -- handing out jobs

    def _launch(self) -> None:
        with self._lock:
            idle = [
                w
                for w in self._workers.values()
                if w.ready
                and not w.busy
                and not w.calibrating
                and not w.killed
                and not w.closed
                and w.retiring_at is None
            ]
            if not idle or self._stop.is_set():
                return
            on_workers = {(r.job_id, r.attempt) for w in self._workers.values() for r in w.runs}
            most = max(1, self.settings.train_batch_max)
            with self.sessions() as db:
                queued = store.next_queued(db, set(), len(idle) * most + len(on_workers))
                pending = [j for j in queued if (j.id, j.attempt) not in on_workers]
                while pending and idle:
                    group = take_batch(pending, most)
                    model_id = group[0].session.model_id
                    # A worker that has this robot compiled already starts faster.
                    w = next((w for w in idle if model_id in w.models), idle[0])
                    runs, specs = [], []
                    shared = Group(len(group), model_id, group[0].video_seconds) if len(group) > 1 else None
                    for slot, job in enumerate(group):
                        self._next_run += 1
                        out_dir = layout.attempt_dir(self.settings.data_dir, job)
                        self._remove_old_attempts(job)
                        specs.append(job_spec(self.settings, db, job, self._next_run, out_dir))
                        runs.append(
                            Run(
                                self._next_run,
                                job.id,
                                job.attempt,
                                model_id,
                                out_dir,
                                kind=job.kind,
                                seconds=job.video_seconds,
                                slot=slot,
                                batch=len(group),
                                group=shared,
                            )
                        )
                    message = RunBatch(tuple(specs)) if len(specs) > 1 else RunJob(specs[0])
                    if not self._send(w, message):
                        continue
                    idle.remove(w)
                    w.runs, w.busy = runs, True
                    busy = [r for x in self._workers.values() for r in x.runs]
                    for r in busy:
                        r.concurrency = max(r.concurrency, len(busy))
                    log.info(
                        "jobs %s handed to worker %s%s",
                        [(j.id, j.attempt) for j in group],
                        w.pid,
                        " as one batch" if len(group) > 1 else "",
                    )
            if idle and not self._calibrated and self.settings.calibrate_at_start:
                self._calibrated = True
                w = idle[0]
                if self._send(w, Calibrate()):
                    w.calibrating = True

    def _remove_old_attempts(self, job: Job) -> None:
        """Folders of earlier attempts (an interrupted run's leftovers) that no live run writes to."""
        root = layout.job_root(self.settings.data_dir, job.session_id, job.id)
        live = {r.attempt for w in self._workers.values() for r in w.runs if r.job_id == job.id}
        for attempt, folder in layout.attempt_folders(root):
            if attempt < job.attempt and attempt not in live:
                shutil.rmtree(folder, ignore_errors=True)


def _cancelled(reason: str) -> events.JobEvent:
    return events.Cancelled(type=EventType.CANCELLED, data=events.EndData(reason=reason))
