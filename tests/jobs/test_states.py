"""The job state machine: every event type's effect on the job row and the log (real SQLite, no training).

Events are validated against their typed payloads (tabrl/jobs/events.py) before anything changes;
the stored log is what the WebSocket serves, key for key.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tabrl.api.schemas import event_out
from tabrl.config import Settings
from tabrl.jobs import store
from tabrl.jobs.db import open_database
from tabrl.jobs.models import Approach, Event, Job, StudioSession
from tabrl.jobs.states import ACTIVE, ENDED, RESTARTABLE, EventType, JobStatus

PROGRAM = {"name": "Upright", "summary": "stay up", "terms": [{"term": "upright", "weight": 1.0}]}


@pytest.fixture()
def db(tmp_path):
    sessions = open_database(Settings(data_dir=tmp_path / "data").resolved_database_url)
    with sessions() as session:
        session.add(StudioSession(id="s1", model_id="CartpoleBalance", prompt="balance", num_steps=2000))
        approach = Approach(session_id="s1", index=0, program=PROGRAM)
        session.add(approach)
        session.flush()
        session.add(Job(session_id="s1", approach_id=approach.id, total_steps=2000))
        session.commit()
        yield session


def _job(db) -> Job:
    return db.query(Job).one()


def _log(db) -> list[tuple[str, int, dict]]:
    return [(e.type, e.attempt, e.data) for e in db.query(Event).order_by(Event.id)]


def test_a_training_job_from_queued_to_done(db):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {"approach": 0, "steps": 2000})
    assert (job.status, job.attempt, job.progress) == (JobStatus.QUEUED, 1, 0.0)
    store.record_event(db, job, EventType.STARTED, {"total_steps": 4000, "worker_pid": 7})
    assert job.status == JobStatus.RUNNING and job.started_at is not None and job.total_steps == 4000
    store.record_event(
        db, job, EventType.PROGRESS, {"steps": 2000, "fraction": 0.5, "mean_reward": 1.5, "eta_s": 3}
    )
    assert (job.steps_done, job.mean_reward, job.eta_s) == (2000, 1.5, 3.0)
    assert job.progress == pytest.approx(store.TRAIN_SHARE * 0.5)
    # A late, smaller fraction never moves the bar back.
    store.record_event(db, job, EventType.PROGRESS, {"steps": 2100, "fraction": 0.1})
    assert job.progress == pytest.approx(store.TRAIN_SHARE * 0.5) and job.steps_done == 2100
    store.record_event(db, job, EventType.CHECKPOINT, {"path": "jobs/1/a1/checkpoint"})
    assert job.artifacts == {"policy": "jobs/1/a1/checkpoint"}
    store.record_event(db, job, EventType.RENDERING, {"fraction": 0.5, "eta_s": None})
    assert job.status == JobStatus.RENDERING
    assert job.progress == pytest.approx(store.TRAIN_SHARE + (1 - store.TRAIN_SHARE) * 0.5)
    store.record_event(
        db,
        job,
        EventType.DONE,
        {"artifacts": {"video": "jobs/1/a1/video.mp4"}, "metrics": {"falls": 0}, "steps": 4000},
    )
    db.commit()
    job = _job(db)
    assert (job.status, job.progress, job.eta_s, job.steps_done) == (JobStatus.DONE, 1.0, 0.0, 4000)
    assert job.artifacts == {"policy": "jobs/1/a1/checkpoint", "video": "jobs/1/a1/video.mp4"}
    assert job.metrics == {"falls": 0} and job.finished_at is not None
    assert isinstance(job.status, JobStatus)  # read back from SQLite as the enum
    # The log holds exactly the keys each writer gave (an omitted optional key stays omitted).
    assert _log(db)[1] == ("started", 1, {"total_steps": 4000, "worker_pid": 7})
    assert _log(db)[4] == ("checkpoint", 1, {"path": "jobs/1/a1/checkpoint"})
    assert _log(db)[5] == ("rendering", 1, {"fraction": 0.5, "eta_s": None})


def test_a_render_job_fills_the_whole_bar_while_rendering(db):
    job = _job(db)
    job.kind = "render"
    store.record_event(db, job, EventType.QUEUED, {"source_job": 3, "seconds": 2.0})
    store.record_event(db, job, EventType.RENDERING, {"fraction": 0.25})
    assert job.progress == pytest.approx(0.25)


@pytest.mark.parametrize("end", [EventType.FAILED, EventType.CANCELLED, EventType.INTERRUPTED])
def test_an_ended_job_says_why_and_a_restart_is_a_clean_new_attempt(db, end):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {})
    store.record_event(db, job, EventType.STARTED, {})
    store.record_event(db, job, EventType.PROGRESS, {"steps": 500, "fraction": 0.25, "eta_s": 9.0})
    store.record_event(db, job, end, {"reason": "out of patience"})
    assert job.status == JobStatus(end) and job.status in ENDED and job.status in RESTARTABLE
    assert job.error == "out of patience" and job.eta_s is None and job.finished_at is not None
    store.record_event(db, job, EventType.QUEUED, {"restart": True})
    assert (job.status, job.attempt, job.error, job.progress, job.steps_done) == (
        JobStatus.QUEUED,
        2,
        None,
        0.0,
        0,
    )
    assert job.started_at is None and job.finished_at is None and job.status in ACTIVE
    assert [(t, a) for t, a, _ in _log(db)] == [
        ("queued", 1),
        ("started", 1),
        ("progress", 1),
        (str(end), 1),
        ("queued", 2),
    ]


@pytest.mark.parametrize(
    "type_, data, words",
    [
        ("finished", {}, "does not match any of the expected tags"),
        ("progress", {"fraction": 0.5}, "progress.data.steps"),
        ("progress", {"steps": "many"}, "progress.data.steps"),
        ("failed", {}, "failed.data.reason"),
        ("checkpoint", {"path": "x", "stray": 1}, "checkpoint.data.stray"),
    ],
)
def test_an_event_that_does_not_fit_its_type_changes_nothing(db, type_, data, words):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {})
    db.commit()
    with pytest.raises(ValidationError, match=words):
        store.record_event(db, job, type_, data)
    db.rollback()
    assert _job(db).status == JobStatus.QUEUED and len(_log(db)) == 1


def test_not_a_number_is_stored_as_null(db):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {})
    store.record_event(db, job, EventType.PROGRESS, {"steps": 1, "mean_reward": float("nan")})
    assert job.mean_reward is None and _log(db)[1][2] == {"steps": 1, "mean_reward": None}


def test_orphans_of_a_previous_server_are_interrupted(db):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {})
    store.record_event(db, job, EventType.STARTED, {})
    assert store.interrupt_orphans(db, "the server stopped") == [job.id]
    assert job.status == JobStatus.INTERRUPTED and job.error == "the server stopped"


def test_served_events_keep_the_stored_keys_and_type_the_payload(db):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {})
    store.record_event(db, job, EventType.PROGRESS, {"steps": 10, "reward_clipped": {"upright": 2}})
    # A row an older or newer version wrote, with a key this one does not know.
    db.add(Event(job_id=job.id, session_id="s1", attempt=1, type="started", data={"gpu": "H100"}))
    db.commit()
    rows = db.query(Event).order_by(Event.id).all()
    served = [event_out(e, job).model_dump(mode="json") for e in rows]
    assert [m["type"] for m in served] == ["queued", "progress", "started"]
    assert served[1]["data"] == {"steps": 10, "reward_clipped": {"upright": 2}}
    assert served[2]["data"] == {"gpu": "H100"}
    assert served[0]["data"] == {} and served[0]["job"]["status"] == "queued"
    assert set(served[0]) == {"id", "job_id", "session_id", "type", "data", "created_at", "job"}


def test_runs_of_an_old_attempt_or_an_ended_job_are_stale(db):
    job = _job(db)
    store.record_event(db, job, EventType.QUEUED, {})
    store.record_event(db, job, EventType.STARTED, {})
    assert store.stale_attempts(db, [(job.id, 1)]) == {}
    store.record_event(db, job, EventType.QUEUED, {"restart": True})  # attempt 2 replaces attempt 1
    assert store.stale_attempts(db, [(job.id, 1), (job.id, 2)]) == {(job.id, 1): (2, JobStatus.QUEUED)}
    store.record_event(db, job, EventType.CANCELLED, {"reason": "by the user"})
    assert store.stale_attempts(db, [(job.id, 2), (999, 1)]) == {
        (job.id, 2): (2, JobStatus.CANCELLED),
        (999, 1): (None, None),  # no such job
    }
