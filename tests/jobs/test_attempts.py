"""Run attempts and the executor's bookkeeping (real SQLite, real processes and pipes; no training).

A job runs as numbered attempts; whatever an old attempt still sends or leaves behind must never
touch a newer one (issue 14, item 3).
"""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from tabrl.config import Settings
from tabrl.jobs import events, store
from tabrl.jobs.db import open_database
from tabrl.jobs.executor import LocalExecutor
from tabrl.jobs.layout import attempt_dir
from tabrl.jobs.messages import JobUpdate, RunJob
from tabrl.jobs.models import Approach, Event, Job, StudioSession
from tabrl.jobs.pool import CANCEL_SLOTS, Run, Worker

PROGRAM = {"name": "Upright", "summary": "stay up", "terms": [{"term": "upright", "weight": 1.0}]}


@pytest.fixture()
def env(tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data", prewarm_workers=False, max_workers=1, calibrate_at_start=False
    )
    sessions = open_database(settings.resolved_database_url)
    with sessions() as db:
        s = StudioSession(id="s1", model_id="CartpoleBalance", prompt="balance", num_steps=2000)
        db.add(s)
        a = Approach(session_id="s1", index=0, program=PROGRAM)
        db.add(a)
        db.flush()
        job = Job(session_id="s1", approach_id=a.id, total_steps=2000)
        db.add(job)
        db.flush()
        store.record_event(db, job, "queued", {})
        db.commit()
        job_id = job.id
    return settings, sessions, LocalExecutor(settings, sessions), job_id


def _job(sessions, job_id) -> Job:
    with sessions() as db:
        return db.get(Job, job_id)


def _restart(sessions, job_id) -> None:
    with sessions() as db:
        store.record_event(db, db.get(Job, job_id), "queued", {"restart": True})
        db.commit()


def _update(job_id: int, attempt: int, type_: str, data: dict) -> JobUpdate:
    """A worker's message about one event of one attempt of a job."""
    return JobUpdate(job_id, attempt, events.parse(type_, data))


def _worker(ctx, run: Run | None = None, target=None) -> Worker:
    """A real process and pipe standing where a warm worker would (it exits at once)."""
    parent, child = ctx.Pipe()
    process = ctx.Process(target=target or time.sleep, args=(0,), daemon=True)
    process.start()
    w = Worker(
        1,
        process,
        parent,
        ctx.RawArray("q", CANCEL_SLOTS),
        ready=True,
        runs=[run] if run else [],
        busy=bool(run),
    )
    w._child = child  # kept open by the test, as a live worker would
    return w


def test_every_queued_event_starts_a_new_attempt_and_events_carry_it(env):
    _, sessions, _, job_id = env
    assert _job(sessions, job_id).attempt == 1
    with sessions() as db:
        job = db.get(Job, job_id)
        store.record_event(db, job, "cancelled", {"reason": "test"})
        store.record_event(db, job, "queued", {"restart": True})
        db.commit()
    assert _job(sessions, job_id).attempt == 2
    with sessions() as db:
        assert [(e.type, e.attempt) for e in db.query(Event).order_by(Event.id)] == [
            ("queued", 1),
            ("cancelled", 1),
            ("queued", 2),
        ]


def test_events_of_an_old_attempt_are_dropped(env):
    _, sessions, executor, job_id = env
    ctx = mp.get_context("spawn")
    w = _worker(ctx)
    executor._handle([(w, _update(job_id, 1, "started", {"total_steps": 2000}))])
    assert _job(sessions, job_id).status == "running"
    with sessions() as db:  # the user cancels and restarts: attempt 2 is queued
        store.record_event(db, db.get(Job, job_id), "cancelled", {"reason": "by the user"})
        db.commit()
    _restart(sessions, job_id)
    # attempt 1's worker still reports: its progress and its own "cancelled" must not touch attempt 2
    executor._handle(
        [
            (w, _update(job_id, 1, "progress", {"steps": 1024, "fraction": 0.5})),
            (w, _update(job_id, 1, "cancelled", {"reason": "cancelled by the user"})),
        ]
    )
    job = _job(sessions, job_id)
    assert (job.status, job.attempt, job.steps_done) == ("queued", 2, 0)
    executor._handle([(w, _update(job_id, 2, "started", {"total_steps": 2000}))])
    assert _job(sessions, job_id).status == "running"
    w.process.join()


def test_reaping_an_old_attempt_leaves_the_restarted_job_and_its_folder_alone(env):
    """Cancel, restart at once: the old worker is reaped after the new attempt was queued."""
    settings, sessions, executor, job_id = env
    ctx = mp.get_context("spawn")
    job = _job(sessions, job_id)
    old_dir = attempt_dir(settings.data_dir, job)  # job-<id>/a1
    old_dir.mkdir(parents=True)
    (old_dir / "half-written.bin").write_bytes(b"x")
    run = Run(1, job_id, 1, "CartpoleBalance", old_dir, cancel_at=time.monotonic() - 10)
    w = _worker(ctx, run)
    executor._workers[w.wid] = w
    with sessions() as db:
        store.record_event(db, db.get(Job, job_id), "cancelled", {"reason": "by the user"})
        db.commit()
    _restart(sessions, job_id)
    new_dir = attempt_dir(settings.data_dir, _job(sessions, job_id))
    new_dir.mkdir(parents=True)  # the new attempt has started writing
    w.process.join()
    executor._supervise()  # the dead worker is buried: its run was attempt 1
    job = _job(sessions, job_id)
    assert (job.status, job.attempt) == ("queued", 2), job.error
    assert not old_dir.exists() and new_dir.is_dir()
    assert w.wid not in executor._workers


def test_a_dead_worker_fails_or_cancels_only_its_current_attempt(env):
    settings, sessions, executor, job_id = env
    ctx = mp.get_context("spawn")
    out = attempt_dir(settings.data_dir, _job(sessions, job_id))
    out.mkdir(parents=True)
    executor._handle([(_worker(ctx), _update(job_id, 1, "started", {}))])
    w = _worker(ctx, Run(1, job_id, 1, "CartpoleBalance", out))  # crashes mid-run
    executor._workers[w.wid] = w
    w.process.join()
    executor._supervise()
    job = _job(sessions, job_id)
    assert job.status == "failed" and "exited with code 0" in job.error
    assert not out.exists() and not out.parent.exists()  # attempt folder and the then-empty job folder


def test_cancel_of_a_queued_job_is_final_and_it_is_never_handed_out(env):
    _, sessions, executor, job_id = env
    ctx = mp.get_context("spawn")
    w = _worker(ctx)
    w.process.join()
    executor.cancel(job_id)
    assert _job(sessions, job_id).status == "cancelled"
    parent, child = ctx.Pipe()
    idle = Worker(2, w.process, parent, ctx.RawArray("q", CANCEL_SLOTS), ready=True)
    executor._workers[idle.wid] = idle
    executor._launch()
    assert not idle.runs and not idle.busy and not child.poll()


def test_a_run_whose_job_moved_on_is_told_to_stop(env):
    """The cancel-during-launch window: a run exists but its job is no longer on that attempt."""
    settings, sessions, executor, job_id = env
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    idle = Worker(
        1,
        mp.get_context("spawn").Process(target=time.sleep, args=(5,), daemon=True),
        parent,
        ctx.RawArray("q", CANCEL_SLOTS),
        ready=True,
    )
    idle.process.start()
    executor._workers[idle.wid] = idle
    executor._launch()  # hands attempt 1 to the worker
    assert idle.busy and [r.attempt for r in idle.runs] == [1]
    message = child.recv()
    assert isinstance(message, RunJob)
    spec = message.spec
    assert spec.attempt == 1 and spec.out_dir.parts[-2:] == (f"job-{job_id}", "a1")
    with sessions() as db:  # the job is cancelled behind the executor's back
        store.record_event(db, db.get(Job, job_id), "cancelled", {"reason": "elsewhere"})
        db.commit()
    executor._reconcile()
    assert idle.cancel[0] == spec.run_id and idle.runs[0].cancel_at is not None
    idle.process.kill()
    idle.process.join()
