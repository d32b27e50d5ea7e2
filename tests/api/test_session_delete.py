"""Deleting a session (issue 25, item 2): `DELETE /api/sessions/{id}` and `tabrl sessions rm`.

Real SQLite, real folders: sessions are designed through the API (the built-in designer, no training);
their jobs are rows moved through the store's own events, with real files in their attempt folders.
One slow test trains a real CartpoleBalance job and tries to delete its session while it runs.
"""

from __future__ import annotations

import logging
import os
import shutil

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tabrl.cli import app as cli_app
from tabrl.config import get_settings
from tabrl.jobs import layout, retention, store
from tabrl.jobs.db import open_database
from tabrl.jobs.models import Approach, Event, Job, StudioSession
from tabrl.terminal import console
from tests.helpers.studio import configure, studio, train, wait_job

QUIET = {"prewarm_workers": False, "calibrate_at_start": False}


def add_job(sessions, data_dir, session: dict, index: int, *, end: str | None = "done") -> int:
    """A job of ``session``'s approach ``index`` that is queued, then started, then (``end``) ends;
    a finished one leaves files in its attempt folder, as a worker would."""
    approach_id = session["designs"][0]["approaches"][index]["id"]
    with sessions() as db:
        job = Job(session_id=session["id"], approach_id=approach_id, total_steps=1000)
        db.add(job)
        db.flush()
        store.record_event(db, job, "queued", {})
        store.record_event(db, job, "started", {"total_steps": 1000})
        folder = layout.attempt_dir(data_dir, job)
        (folder / "policy").mkdir(parents=True)
        (folder / "policy" / "params.bin").write_bytes(os.urandom(50_000))
        (folder / "video.mp4").write_bytes(b"\0" * 10_000)
        if end == "done":
            store.record_event(
                db,
                job,
                "done",
                {"artifacts": {"video": str(folder.relative_to(data_dir) / "video.mp4")}, "metrics": {}},
            )
        elif end is not None:
            store.record_event(db, job, end, {"reason": "test"})
        db.commit()
        return job.id


def counts(sessions, session_id: str, job_ids: list[int]) -> dict[str, int]:
    with sessions() as db:
        return {
            "sessions": db.scalar(select(func.count()).where(StudioSession.id == session_id)) or 0,
            "approaches": db.scalar(select(func.count()).where(Approach.session_id == session_id)) or 0,
            "jobs": db.scalar(select(func.count()).where(Job.id.in_(job_ids))) or 0,
            "events": db.scalar(
                select(func.count()).where((Event.session_id == session_id) | Event.job_id.in_(job_ids))
            )
            or 0,
        }


def test_deleting_a_finished_session_removes_its_rows_and_folders_and_leaves_others(tmp_path):
    data_dir = tmp_path / "data"
    with studio(data_dir, **QUIET) as client:
        sessions = client.app.state.sessions
        gone, kept = configure(client), configure(client, prompt="keep the pole up")
        gone_jobs = [add_job(sessions, data_dir, gone, 0), add_job(sessions, data_dir, gone, 1, end="failed")]
        kept_job = add_job(sessions, data_dir, kept, 0)
        before = counts(sessions, gone["id"], gone_jobs)
        assert before["sessions"] == 1 and before["jobs"] == 2 and before["events"] == 6
        assert before["approaches"] >= 3
        folder = data_dir / layout.SESSIONS / gone["id"]
        assert (folder / f"job-{gone_jobs[0]}" / "a1" / "policy" / "params.bin").is_file()

        r = client.delete(f"/api/sessions/{gone['id']}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == gone["id"] and body["jobs"] == gone_jobs
        assert body["events"] == 6 and body["approaches"] == before["approaches"]
        assert body["bytes_freed"] == 2 * 60_000 and body["folders_not_removed"] == []

        assert counts(sessions, gone["id"], gone_jobs) == {
            "sessions": 0,
            "approaches": 0,
            "jobs": 0,
            "events": 0,
        }
        assert not folder.exists()
        assert client.get(f"/api/sessions/{gone['id']}").status_code == 404
        assert client.get(f"/api/jobs/{gone_jobs[0]}").status_code == 404
        assert client.delete(f"/api/sessions/{gone['id']}").status_code == 404
        assert gone["id"] not in [s["id"] for s in client.get("/api/sessions").json()]

        # The other session is untouched: rows, files, and its job still served.
        assert client.get(f"/api/sessions/{kept['id']}").status_code == 200
        assert client.get(f"/api/jobs/{kept_job}").json()["status"] == "done"
        assert (data_dir / layout.SESSIONS / kept["id"] / f"job-{kept_job}" / "a1" / "video.mp4").is_file()
        assert counts(sessions, kept["id"], [kept_job])["events"] == 3


def test_a_session_with_a_running_job_is_refused_and_nothing_is_removed(tmp_path):
    data_dir = tmp_path / "data"
    with studio(data_dir, **QUIET) as client:
        sessions = client.app.state.sessions
        session = configure(client)
        done = add_job(sessions, data_dir, session, 0)
        busy = add_job(sessions, data_dir, session, 1, end=None)
        before = counts(sessions, session["id"], [done, busy])
        files = sorted((data_dir / layout.SESSIONS / session["id"]).rglob("*"))

        r = client.delete(f"/api/sessions/{session['id']}")
        assert r.status_code == 409, r.text
        message = r.json()["detail"]
        assert f"job {busy} (running)" in message and "cancel" in message and f"job {done} " not in message

        assert counts(sessions, session["id"], [done, busy]) == before
        assert sorted((data_dir / layout.SESSIONS / session["id"]).rglob("*")) == files
        assert client.get(f"/api/sessions/{session['id']}").status_code == 200


def test_a_queued_job_blocks_the_delete_too(tmp_path):
    """Straight through the store (no server: its executor would hand the queued job to a worker)."""
    data_dir = tmp_path / "data"
    with studio(data_dir, **QUIET) as client:
        session = configure(client)
    sessions = open_database(f"sqlite:///{data_dir / 'tabrl.db'}")
    done = add_job(sessions, data_dir, session, 0)
    queued = add_job(sessions, data_dir, session, 1, end="cancelled")
    with sessions() as db:  # restarted: queued again
        store.record_event(db, db.get(Job, queued), "queued", {"restart": True})
        db.commit()
    before = counts(sessions, session["id"], [done, queued])
    with sessions() as db, pytest.raises(retention.SessionBusy) as refused:
        retention.delete_session(db, data_dir, session["id"])
    assert refused.value.jobs == {queued: "queued"}
    assert counts(sessions, session["id"], [done, queued]) == before
    assert (data_dir / layout.SESSIONS / session["id"] / f"job-{queued}").is_dir()


def test_an_unknown_session_is_a_404_and_an_id_that_is_a_path_is_refused(tmp_path):
    with studio(tmp_path / "data", **QUIET) as client:
        (tmp_path / "data" / "sessions" / "nobody").mkdir(parents=True)
        r = client.delete("/api/sessions/nobody")
        assert r.status_code == 404 and "nobody" in r.json()["detail"]
        assert (tmp_path / "data" / "sessions" / "nobody").is_dir()  # a folder without a row is not touched
        assert client.delete("/api/sessions/..").status_code == 404
        assert (tmp_path / "data" / "sessions").is_dir()


def test_tabrl_sessions_rm_on_a_real_data_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    with studio(data_dir, **QUIET) as client:
        sessions = client.app.state.sessions
        finished, running = configure(client), configure(client, prompt="keep the pole up")
    # The jobs are added with the server gone (its shutdown would interrupt a running one).
    finished_job = add_job(sessions, data_dir, finished, 0)
    running_job = add_job(sessions, data_dir, running, 0, end=None)

    monkeypatch.setenv("TABRL_DATA_DIR", str(data_dir))
    monkeypatch.delenv("TABRL_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        listed = runner.invoke(cli_app, ["sessions", "ls"])
        assert listed.exit_code == 0, listed.output
        assert finished["id"] in listed.output and running["id"] in listed.output

        refused = runner.invoke(cli_app, ["sessions", "rm", running["id"]])
        assert refused.exit_code == 1
        assert f"job {running_job} (running)" in refused.output and "cancel" in refused.output
        assert (data_dir / layout.SESSIONS / running["id"]).is_dir()

        ok = runner.invoke(cli_app, ["sessions", "rm", finished["id"]])
        assert ok.exit_code == 0, ok.output
        assert f"deleted session {finished['id']}" in ok.output and "60.0 KB freed" in ok.output
        assert not (data_dir / layout.SESSIONS / finished["id"]).exists()
        with open_database(get_settings().resolved_database_url)() as db:
            assert db.get(StudioSession, finished["id"]) is None and db.get(Job, finished_job) is None
            assert db.get(StudioSession, running["id"]) is not None

        unknown = runner.invoke(cli_app, ["sessions", "rm", finished["id"]])
        assert unknown.exit_code == 1 and "no session" in unknown.output

        monkeypatch.setattr(console, "width", 1000)  # one check, one line
        doctor = runner.invoke(cli_app, ["doctor"])
        line = next(line for line in doctor.output.splitlines() if "data directory" in line)
        assert str(data_dir) in line and "sessions 60.0 KB in 1 folders" in line and "database" in line
    finally:
        get_settings.cache_clear()


@pytest.mark.slow
def test_a_really_running_job_blocks_the_delete_until_it_is_cancelled(tmp_path):
    data_dir = tmp_path / "data"
    with studio(data_dir, steps_max=5_000_000, train_batch_max=1, **QUIET) as client:
        session = configure(client)
        (job,) = train(client, session, steps=5_000_000)  # minutes: it runs until cancelled
        wait_job(client, job["id"], {"running"}, predicate=lambda j: j["steps_done"] > 0)
        r = client.delete(f"/api/sessions/{session['id']}")
        assert r.status_code == 409 and f"job {job['id']} (running)" in r.json()["detail"]
        assert client.get(f"/api/sessions/{session['id']}").status_code == 200

        assert client.post(f"/api/jobs/{job['id']}/cancel").status_code == 200
        wait_job(client, job["id"], {"cancelled"})
        r = client.delete(f"/api/sessions/{session['id']}")
        assert r.status_code == 200, r.text
        assert r.json()["jobs"] == [job["id"]]
        assert not (data_dir / layout.SESSIONS / session["id"]).exists()
        assert client.get(f"/api/jobs/{job['id']}").status_code == 404


def test_a_folder_that_will_not_go_is_reported_and_the_rows_go_anyway(tmp_path, caplog):
    """Root removes anything, so the folder that fails is a file where the session's folder should be."""
    data_dir = tmp_path / "data"
    with studio(data_dir, **QUIET) as client:
        session = configure(client)
    sessions = open_database(f"sqlite:///{data_dir / 'tabrl.db'}")
    job = add_job(sessions, data_dir, session, 0)
    folder = data_dir / layout.SESSIONS / session["id"]
    shutil.rmtree(folder)
    folder.write_bytes(b"not a folder")
    with sessions() as db, caplog.at_level(logging.WARNING, logger="tabrl.jobs.retention"):
        deleted = retention.delete_session(db, data_dir, session["id"])
    assert deleted.folder_errors and str(folder) in deleted.folder_errors[0]
    assert any(session["id"] in r.getMessage() and "stays on disk" in r.getMessage() for r in caplog.records)
    assert counts(sessions, session["id"], [job]) == {"sessions": 0, "approaches": 0, "jobs": 0, "events": 0}


def test_keep_sessions_deletes_the_oldest_finished_sessions_when_one_is_created(tmp_path):
    data_dir = tmp_path / "data"
    with studio(data_dir, **QUIET) as client:  # four sessions, oldest first
        made = [configure(client, prompt=f"balance the pole {n}") for n in range(4)]
    sessions = open_database(f"sqlite:///{data_dir / 'tabrl.db'}")
    jobs = [add_job(sessions, data_dir, s, 0) for s in made[1:]]

    with studio(data_dir, keep_sessions=1, **QUIET) as client:
        # The oldest has a running job (added now: a server's start interrupts what an earlier one left
        # running): it is never deleted and does not count.
        jobs.insert(0, add_job(sessions, data_dir, made[0], 0, end=None))
        new = configure(client, prompt="keep the pole up")
        left = {s["id"] for s in client.get("/api/sessions").json()}
        # The new session, the newest finished one (made[3]) and the running one stay.
        assert left == {new["id"], made[3]["id"], made[0]["id"]}
        for gone, job in zip(made[1:3], jobs[1:3], strict=True):
            assert not (data_dir / layout.SESSIONS / gone["id"]).exists()
            assert client.get(f"/api/jobs/{job}").status_code == 404
        assert (data_dir / layout.SESSIONS / made[0]["id"] / f"job-{jobs[0]}").is_dir()
        assert client.get(f"/api/jobs/{jobs[3]}").json()["status"] == "done"
        assert new["designs"][0]["approaches"]  # the answer itself is whole
