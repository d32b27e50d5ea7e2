"""Retention caps (issue 25, item 2): TABRL_MAX_DATA_GB, stale attempt folders, unnamed shared models.

Real SQLite and real folders, as in test_session_delete.py: sessions are designed through the API,
their jobs are rows moved through the store's own events, with real files in their attempt folders.
"""

from __future__ import annotations

import json
import os
import time

from tabrl.export import model_store
from tabrl.jobs import layout, retention, store
from tabrl.jobs.models import Job
from tests.api.test_session_delete import QUIET, add_job
from tests.helpers.studio import configure, studio

FAST = {**QUIET, "rehearse": False}  # designing only: no rehearsal of the priors
BIG = 2_000_000  # bytes of a finished job's extra file: much more than the database grows meanwhile


def test_max_data_gb_deletes_the_oldest_finished_sessions_until_the_data_fits(tmp_path):
    data_dir = tmp_path / "data"
    with studio(data_dir, max_data_gb=1.0, **FAST) as client:  # four sessions, oldest first
        made = [configure(client, prompt=f"balance the pole {n}") for n in range(4)]
        assert all(s["retention"] is None for s in made)  # far under the cap
        sessions = client.app.state.sessions
        jobs = {}
        for s in made[1:]:
            jobs[s["id"]] = add_job(sessions, data_dir, s, 0)
            with sessions() as db:
                folder = layout.attempt_dir(data_dir, db.get(Job, jobs[s["id"]]))
            (folder / "trajectory.npz").write_bytes(os.urandom(BIG))
        # The oldest session has a running job and a big file: it is never deleted, however far over the cap.
        jobs[made[0]["id"]] = add_job(sessions, data_dir, made[0], 0, end=None)
        with sessions() as db:
            running_folder = layout.attempt_dir(data_dir, db.get(Job, jobs[made[0]["id"]]))
        (running_folder / "trajectory.npz").write_bytes(os.urandom(3 * BIG))
        size = retention.tree_size(data_dir)
        cap = size - int(1.5 * BIG)  # two finished sessions (2.06 MB each) have to go, the oldest two
        client.app.state.settings.max_data_gb = cap / 1e9
        new = configure(client, prompt="keep the pole up")

        report = new["retention"]
        assert [s["id"] for s in report["sessions"]] == [made[1]["id"], made[2]["id"]]
        assert all(s["bytes_freed"] > BIG for s in report["sessions"])
        assert report["max_bytes"] == int(cap / 1e9 * 1e9) and report["data_bytes"] <= report["max_bytes"]
        left = {s["id"] for s in client.get("/api/sessions").json()}
        assert left == {new["id"], made[3]["id"], made[0]["id"]}
        assert running_folder.is_dir() and not (data_dir / layout.SESSIONS / made[1]["id"]).exists()
        assert retention.tree_size(data_dir) <= cap

        # Under the cap now: the next session removes nothing and says so.
        assert configure(client, prompt="keep the pole up again")["retention"] is None


def test_old_attempts_and_unnamed_shared_models_are_cleaned_when_a_session_is_created(tmp_path):
    data_dir = tmp_path / "data"
    with studio(data_dir, **FAST) as client:
        session = configure(client)
        sessions = client.app.state.sessions
        # Job 1: interrupted in its first attempt (its folder left behind), restarted, and done in its second.
        restarted = add_job(sessions, data_dir, session, 0, end="interrupted")
        with sessions() as db:
            job = db.get(Job, restarted)
            first = layout.attempt_dir(data_dir, job)
            store.record_event(db, job, "queued", {})
            store.record_event(db, job, "started", {"total_steps": 1000})
            second = layout.attempt_dir(data_dir, job)
            (second / "policy").mkdir(parents=True)
            store.record_event(
                db,
                job,
                "done",
                {"artifacts": {"policy": str(second.relative_to(data_dir) / "policy")}, "metrics": {}},
            )
            db.commit()
        # Job 2: interrupted and never restarted. Job 3: running (its folder is being written).
        interrupted = add_job(sessions, data_dir, session, 1, end="interrupted")
        running = add_job(sessions, data_dir, session, 2, end=None)
        with sessions() as db:
            interrupted_folder = layout.attempt_dir(data_dir, db.get(Job, interrupted))
            running_folder = layout.attempt_dir(data_dir, db.get(Job, running))
        assert first.is_dir() and second.is_dir() and interrupted_folder.is_dir()

        # Two shared models: the done policy names one; nothing names the other (stored long ago).
        models = layout.model_store_dir(data_dir)
        named = model_store.put(models, b"the model the done policy runs on")
        unnamed = model_store.put(models, b"a model only deleted sessions used")
        (second / "policy" / "policy.json").write_text(json.dumps({"model_sha256": named}))
        old = time.time() - 2 * model_store.GRACE_S
        for sha in (named, unnamed):
            os.utime(model_store.stored_path(models, sha), (old, old))

        report = configure(client, prompt="keep the pole up")["retention"]
        assert report["sessions"] == [] and report["attempt_folders"] == 2 and report["model_files"] == 1
        assert report["bytes_freed"] > 0
    assert not first.exists() and not interrupted_folder.exists()
    assert second.is_dir() and running_folder.is_dir()
    assert set(model_store.stored(models)) == {named}
