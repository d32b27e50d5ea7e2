"""The job folder layout, artifact names and URLs come from one module (``tabrl/jobs/layout.py``), and
the stale-attempt rule from one function (``store.is_current``): what the worker reports, the API
lists and the API serves all agree."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from tabrl.jobs import layout, store
from tabrl.jobs.models import Job
from tabrl.jobs.specs import JobSpec
from tabrl.jobs.states import ACTIVE, EventType, JobStatus
from tabrl.jobs.worker import _done
from tabrl.pipeline import RunResult
from tests.helpers.studio import configure, studio


def _finished_attempt(out_dir: Path) -> RunResult:
    """A finished training run's result, its files written where the render and train layers write them."""
    out_dir.mkdir(parents=True)
    for artifact in (layout.VIDEO, layout.POSTER, layout.SHEET, layout.TRAJECTORY, layout.CURVES):
        (out_dir / artifact.name).write_bytes(f"the {artifact.key} of this attempt".encode())
    (out_dir / layout.METRICS.name).write_text(json.dumps({"duration_s": 1.0}))
    policy = out_dir / layout.POLICY.name
    policy.mkdir()
    (policy / "metadata.json").write_text("{}")
    return RunResult(
        video=out_dir / layout.VIDEO.name,
        poster=out_dir / layout.POSTER.name,
        sheet=out_dir / layout.SHEET.name,
        trajectory=out_dir / layout.TRAJECTORY.name,
        curves=out_dir / layout.CURVES.name,
        checkpoint=policy,
        metrics={"duration_s": 1.0, "verdict": None},
        steps=2000,
    )


def test_what_the_worker_reports_is_what_the_api_lists_and_serves(tmp_path):
    with studio(tmp_path / "data", prewarm_workers=False) as client:
        session = configure(client)
        data_dir = client.app.state.settings.data_dir
        with client.app.state.sessions() as db:
            job = Job(
                session_id=session["id"],
                approach_id=session["designs"][0]["approaches"][0]["id"],
                kind="train",
                total_steps=2000,
            )
            db.add(job)
            db.flush()
            store.record_event(db, job, EventType.QUEUED, {})
            out_dir = layout.attempt_dir(data_dir, job)
            assert out_dir == data_dir / "sessions" / session["id"] / f"job-{job.id}" / "a1"
            spec = JobSpec(
                run_id=1,
                job_id=job.id,
                attempt=job.attempt,
                kind="train",
                model_id="CartpoleBalance",
                program={},
                steps=2000,
                out_dir=out_dir,
                seconds=10.0,
                data_dir=data_dir,
                model_store=None,
            )
            done = _done(spec, _finished_attempt(out_dir))
            store.record_event(db, job, EventType.STARTED, {"total_steps": 2000})
            store.record(db, job, done)  # one commit: never seen queued
            db.commit()
            job_id, folder = job.id, layout.job_folder_name(job)

        listed = client.get(f"/api/jobs/{job_id}").json()
        assert listed["status"] == "done"
        for artifact, field in (
            (layout.VIDEO, "video_url"),
            (layout.POSTER, "poster_url"),
            (layout.SHEET, "sheet_url"),
            (layout.CURVES, "curves_url"),
            (layout.POLICY, "policy_url"),
        ):
            assert listed[field] == layout.url(job_id, artifact) == f"/api/jobs/{job_id}/{artifact.url_name}"
        for name, artifact in layout.FILES.items():
            r = client.get(layout.url(job_id, artifact), params={"download": True})
            assert r.status_code == 200, (name, r.text)
            assert r.content == (out_dir / artifact.name).read_bytes()
            assert r.headers["content-type"].split(";")[0] == artifact.media_type
            assert f'filename="{folder}-{name}"' in r.headers["content-disposition"]
        r = client.get(f"/api/jobs/{job_id}/trajectory.npz")  # kept for replays, never offered
        assert r.status_code == 404 and "policy.zip" in r.json()["detail"]

        r = client.get(layout.url(job_id, layout.POLICY))
        assert r.status_code == 200 and f'filename="{folder}-policy.zip"' in r.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            assert set(zf.namelist()) == {"policy/metadata.json", "program.json"}

        r = client.get(f"/api/sessions/{session['id']}/download.zip")
        with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
            manifest = json.loads(zf.read("manifest.json"))
        expected = [f"{folder}/{name}" for name in layout.FILES] + [
            f"{folder}/policy",
            f"{folder}/program.json",
        ]
        assert manifest["files"] == expected and manifest["complete"] is True


def test_attempt_folders_are_numbered_and_removing_the_last_removes_the_job_folder(tmp_path):
    root = layout.job_root(tmp_path, "s1", 7)
    for name in ("a1", "a2", "a10", "notes", "ab"):
        (root / name).mkdir(parents=True)
    assert sorted(layout.attempt_folders(root)) == [(1, root / "a1"), (2, root / "a2"), (10, root / "a10")]
    assert layout.attempt_folders(tmp_path / "missing") == []
    for name in ("notes", "ab", "a10", "a1"):
        layout.remove_attempt_dir(root / name)
        assert root.is_dir()  # a2 is still in it
    layout.remove_attempt_dir(root / "a2")
    assert not root.exists()


@pytest.mark.parametrize("status", list(JobStatus))
def test_an_attempt_is_current_only_while_its_job_is_on_it_and_active(status):
    job = Job(id=1, session_id="s1", approach_id=1, attempt=2, status=status)
    assert store.is_current(job, 2) is (status in ACTIVE)
    assert store.is_current(job, 1) is False  # restarted since
    assert store.is_current(job, None) is False  # a message that names no attempt
    assert store.is_current(None, 2) is False  # the job is gone
