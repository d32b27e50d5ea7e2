"""A Train All as one batch on one warm worker (issue 11, item 3): real worker processes, real SQLite, real
training. The three jobs of one POST /api/training/batch train in one process as one physics batch with
one vmapped PPO update, and stay three jobs: their own events, files and cancel."""

from __future__ import annotations

import json

import pytest

from tests.helpers.studio import configure, studio, train, wait_job

pytestmark = pytest.mark.slow

LONG = 1_000_000  # runs until it is cancelled


def _events(client, job_id: int) -> list[dict]:
    from tabrl.jobs.models import Event

    with client.app.state.sessions() as db:
        return [
            {"type": e.type, "data": e.data}
            for e in db.query(Event).filter(Event.job_id == job_id).order_by(Event.id)
        ]


def _artifacts(client, job_id: int) -> dict:
    from tabrl.jobs.models import Job

    with client.app.state.sessions() as db:
        return dict(db.get(Job, job_id).artifacts)


def _started(client, job_id: int) -> dict:
    return next(e["data"] for e in _events(client, job_id) if e["type"] == "started")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("batch") / "data"
    with studio(
        data_dir,
        max_workers=2,
        steps_max=LONG,
        prewarm_workers=True,
        train_batch_max=3,
        calibrate_at_start=False,
    ) as c:
        yield c


def test_train_all_trains_on_one_worker_and_each_approach_has_its_own_files(client):
    session = configure(client)
    jobs = train(client, session, count=3, steps=2000)
    for j in jobs:
        wait_job(client, j["id"], {"done"})
    done = [_artifacts(client, j["id"]) for j in jobs]
    started = [_started(client, j["id"]) for j in jobs]
    assert len({s["worker_pid"] for s in started}) == 1 and all(s["batch"] == 3 for s in started)
    settings = client.app.state.settings
    videos = {settings.data_dir / a["video"] for a in done}
    policies = {a["policy"] for a in done}
    assert len(videos) == 3 and len(policies) == 3 and all(v.stat().st_size > 0 for v in videos)
    for job in jobs:
        types = [e["type"] for e in _events(client, job["id"])]
        assert types[:2] == ["queued", "started"] and types[-1] == "done"
        assert {"progress", "checkpoint", "rendering"} <= set(types)
    # Each job's policy was trained on its own approach's program.
    programs = [
        json.loads((settings.data_dir / a["policy"] / "metadata.json").read_text())["program"]["name"]
        for a in done
    ]
    assert programs == [a["program"]["name"] for a in session["designs"][0]["approaches"][:3]]
    # A single "Train This" still runs alone on a worker.
    (one,) = train(client, session, count=1, steps=2000)
    wait_job(client, one["id"], {"done"})
    assert "batch" not in _started(client, one["id"])


def test_cancel_of_one_approach_leaves_the_others_training(client):
    session = configure(client)
    jobs = train(client, session, count=3, steps=LONG)
    for j in jobs:
        wait_job(client, j["id"], {"running"}, predicate=lambda job: job["steps_done"] > 0)
    assert len({_started(client, j["id"])["worker_pid"] for j in jobs}) == 1
    client.post(f"/api/jobs/{jobs[1]['id']}/cancel")
    wait_job(client, jobs[1]["id"], {"cancelled"}, timeout=180)
    root = client.app.state.settings.data_dir / "sessions" / session["id"]
    assert not (root / f"job-{jobs[1]['id']}").exists()
    # The other two go on learning after the cancel.
    for j in (jobs[0], jobs[2]):
        now = client.get(f"/api/jobs/{j['id']}").json()
        assert now["status"] == "running"
        wait_job(
            client, j["id"], {"running"}, predicate=lambda job, s=now["steps_done"]: job["steps_done"] > s
        )
    pid = _started(client, jobs[0]["id"])["worker_pid"]
    for j in (jobs[0], jobs[2]):
        client.post(f"/api/jobs/{j['id']}/cancel")
    for j in (jobs[0], jobs[2]):
        wait_job(client, j["id"], {"cancelled"}, timeout=180)
    # A polite cancel of the whole batch keeps its worker warm for the next job.
    (again,) = train(client, session, count=1, steps=2000)
    wait_job(client, again["id"], {"done"})
    assert pid in {w["pid"] for w in client.app.state.executor.workers()}
