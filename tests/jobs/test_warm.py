"""Warm workers through the studio service: real worker processes, real training.

A worker is reused job after job (same pid in the "started" events), a cancel stops one job and
leaves the other running, and a restart right after a cancel ends up running (issue 14, item 3).
"""

from __future__ import annotations

import time

import pytest

from tests.helpers.studio import configure, studio, train, wait_job

pytestmark = pytest.mark.slow

LONG = 1_000_000  # CartpoleBalance trains ~10k steps/s here: a job that runs until it is cancelled


def _events(client, job_id: int) -> list[dict]:
    from tabrl.jobs.models import Event

    with client.app.state.sessions() as db:
        return [
            {"type": e.type, "attempt": e.attempt, "data": e.data}
            for e in db.query(Event).filter(Event.job_id == job_id).order_by(Event.id)
        ]


def _started(client, job_id: int) -> dict:
    return [e for e in _events(client, job_id) if e["type"] == "started"][-1]["data"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("warm") / "data"
    # One job per worker (batching off): two jobs at once here means two workers (tests/jobs/test_batch.py
    # has a Train All on one worker).
    with studio(data_dir, max_workers=2, steps_max=LONG, prewarm_workers=True, train_batch_max=1) as c:
        yield c


def test_cancel_of_one_job_leaves_the_other_running_and_workers_are_reused(client):
    session = configure(client)
    long_job, short_job = train(client, session, count=2, steps=LONG)
    wait_job(client, long_job["id"], {"running"}, predicate=lambda j: j["steps_done"] > 0)
    wait_job(client, short_job["id"], {"running"}, predicate=lambda j: j["steps_done"] > 0)
    client.post(f"/api/jobs/{long_job['id']}/cancel")
    wait_job(client, long_job["id"], {"cancelled"}, timeout=180)
    running = client.get(f"/api/jobs/{short_job['id']}").json()
    assert running["status"] == "running"  # the other job trains on
    client.post(f"/api/jobs/{short_job['id']}/cancel")
    wait_job(client, short_job["id"], {"cancelled"}, timeout=180)
    first_pids = {
        _started(client, long_job["id"])["worker_pid"],
        _started(client, short_job["id"])["worker_pid"],
    }
    assert len(first_pids) == 2  # two jobs at once: two workers

    (again,) = train(client, configure(client), count=1, steps=2000)
    wait_job(client, again["id"], {"done"})
    started = _started(client, again["id"])
    # Handed to a worker that had already run a job (a polite cancel keeps the worker), not a fresh one.
    assert started["worker_pid"] in first_pids and started["worker_jobs"] >= 2
    workers = client.app.state.executor.workers()
    assert len(workers) == 2 and all(w["rss_mb"] for w in workers if w["ready"])
    # The finished jobs now drive the page's time estimate for this robot.
    est = client.get(
        "/api/estimate", params={"model_id": "CartpoleBalance", "steps": 2000, "approaches": 3}
    ).json()
    assert est["basis"].startswith("CartpoleBalance jobs") and est["seconds"] > est["per_approach_s"] > 0
    assert client.get("/api/estimate", params={"model_id": "NoSuchRobot", "steps": 2000}).status_code == 422


def test_restart_right_after_cancel_ends_up_running(client):
    settings = client.app.state.settings
    session = configure(client)
    (job,) = train(client, session, count=1, steps=LONG)
    wait_job(client, job["id"], {"running"}, predicate=lambda j: j["steps_done"] > 0)
    client.post(f"/api/jobs/{job['id']}/cancel")
    wait_job(client, job["id"], {"cancelled"}, timeout=180)
    r = client.post(f"/api/jobs/{job['id']}/restart")  # at once: the old attempt may not be reaped yet
    assert r.status_code == 200 and r.json()["status"] == "queued"
    cancelled_at = time.monotonic()
    wait_job(client, job["id"], {"running"}, timeout=180, predicate=lambda j: j["steps_done"] > 0)
    # Past the executor's grace for the old attempt: by now it has been reaped or killed either way.
    from tabrl.jobs.executor import LocalExecutor

    while time.monotonic() - cancelled_at < LocalExecutor.CANCEL_GRACE_S + 2:
        time.sleep(0.5)
    now = client.get(f"/api/jobs/{job['id']}").json()
    assert now["status"] == "running", now
    events = _events(client, job["id"])
    assert [e["type"] for e in events if e["attempt"] == 2][:2] == ["queued", "started"]
    assert all(e["type"] != "cancelled" for e in events if e["attempt"] == 2)
    root = settings.data_dir / "sessions" / session["id"] / f"job-{job['id']}"
    assert (root / "a2").is_dir() and not (root / "a1").exists()
    client.post(f"/api/jobs/{job['id']}/cancel")
    wait_job(client, job["id"], {"cancelled"}, timeout=180)
    assert not root.exists()
