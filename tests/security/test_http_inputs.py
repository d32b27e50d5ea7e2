"""The service against hostile HTTP input, without training: huge ids, NaN, chunked bodies, caps,
confinement of served files, the session zip, the event log's retention and replay scope."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from starlette.websockets import WebSocketDisconnect

from tabrl.jobs import store
from tabrl.jobs.models import Event, Job
from tests.helpers.studio import FAST_MODEL, configure
from tests.helpers.studio import studio as _studio

HUGE = 2**63  # one past SQLite's largest integer


def studio(data_dir, **overrides):
    """The studio without its warm worker and start-up calibration: nothing here trains."""
    return _studio(data_dir, prewarm_workers=False, calibrate_at_start=False, **overrides)


@pytest.fixture
def client(tmp_path):
    with studio(tmp_path / "data") as c:
        yield c


def done_job(
    client, session: dict, files: dict[str, bytes] | None = None, links: dict[str, str] | None = None
) -> int:
    """A finished job row whose folder holds ``files`` (and symlinks ``links``: name -> target), as a
    worker would have left it; its artifacts name those files."""
    settings = client.app.state.settings
    approach = session["designs"][0]["approaches"][0]["id"]
    with client.app.state.sessions() as db:
        job = Job(
            session_id=session["id"], approach_id=approach, kind="train", status="done", total_steps=1000
        )
        db.add(job)
        db.flush()
        folder = settings.data_dir / "sessions" / session["id"] / f"job-{job.id}"
        folder.mkdir(parents=True)
        artifacts = {}
        keys = {
            "video.mp4": "video",
            "poster.jpg": "poster",
            "sheet.jpg": "sheet",
            "metrics.json": "metrics",
            "policy": "policy",
        }
        for name, content in (files or {}).items():
            if name == "policy":
                (folder / "policy").mkdir()
                (folder / "policy" / "params.msgpack").write_bytes(content)
            else:
                (folder / name).write_bytes(content)
            artifacts[keys[name]] = str((folder / name).relative_to(settings.data_dir))
        for name, target in (links or {}).items():
            (folder / name).symlink_to(target)
            artifacts[keys[name]] = str((folder / name).relative_to(settings.data_dir))
        job.artifacts = artifacts
        db.commit()
        return job.id


# ----------------------------------------------------------------------------- item 4: ids and NaN


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", f"/api/jobs/{HUGE}"),
        ("post", f"/api/jobs/{HUGE}/cancel"),
        ("post", f"/api/jobs/{HUGE}/restart"),
        ("get", f"/api/jobs/{HUGE}/video.mp4"),
        ("get", f"/api/jobs/{HUGE}/policy.zip"),
        ("get", f"/api/jobs/{10**40}"),
        ("get", "/api/jobs/-1"),
    ],
)
def test_ids_beyond_sqlite_are_404_with_a_message(client, method, url):
    r = getattr(client, method)(url)
    assert r.status_code == 404, r.text
    assert "ids are whole numbers" in r.json()["detail"]


@pytest.mark.parametrize(
    "path,body",
    [
        ("/api/training/render", {"job_id": HUGE}),
        ("/api/training/refine", {"job_id": HUGE}),
        ("/api/training/batch", {"session_id": "s", "approach_ids": [HUGE]}),
    ],
)
def test_id_fields_beyond_sqlite_are_422_with_a_message(client, path, body):
    r = client.post(path, json=body)
    assert r.status_code == 422, r.text
    assert "less than or equal to 9223372036854775807" in r.text


@pytest.mark.parametrize(
    "path,raw",
    [
        ("/api/training/render", '{"job_id": 1, "seconds": NaN}'),
        ("/api/training/render", '{"job_id": 1, "seconds": Infinity}'),
        ("/api/training/render", '{"job_id": NaN}'),
        ("/api/training/configure", '{"model_id": "CartpoleBalance", "prompt": "x", "num_steps": -Infinity}'),
        ("/api/training/batch", '{"session_id": "s", "approach_ids": [NaN]}'),
        ("/api/training/batch", '{"session_id": "s", "num_steps": NaN}'),
    ],
)
def test_nan_and_infinity_in_a_body_are_422_not_500(client, path, raw):
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert "finite number" in r.text or "valid integer" in r.text


def test_websocket_after_beyond_sqlite_closes_with_a_reason(client):
    session = configure(client)
    for after in (str(HUGE), "-1", "abc", "1" * 400):
        with pytest.raises(WebSocketDisconnect) as info:
            with client.websocket_connect(f"/api/ws?session_id={session['id']}&after={after}") as ws:
                ws.receive_json()
        assert info.value.code == 1008 and "whole number" in info.value.reason


# ----------------------------------------------------------------------------- item 9: smaller things


def test_a_chunked_body_over_the_cap_is_413(client):
    def chunks():
        for _ in range(40):
            yield b" " * 10_000

    r = client.post("/api/training/configure", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and "at most 262,144 bytes" in r.json()["detail"]


def test_a_chunked_body_under_the_cap_still_works(client):
    body = json.dumps({"model_id": FAST_MODEL, "prompt": "balance", "num_steps": 2000}).encode()
    r = client.post(
        "/api/training/configure",
        content=iter([body[:10], body[10:]]),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("seconds", [1e-300, 0.0, 0.1, 31])
def test_render_seconds_need_a_sane_length(client, seconds):
    r = client.post("/api/training/render", json={"job_id": 1, "seconds": seconds})
    assert r.status_code == 422 and "seconds" in r.text


def test_one_missing_artifact_does_not_cost_the_session_zip(client):
    session = configure(client)
    job_id = done_job(
        client,
        session,
        files={"video.mp4": b"video", "poster.jpg": b"jpeg", "metrics.json": b"{}", "policy": b"params"},
    )
    settings = client.app.state.settings
    (settings.data_dir / "sessions" / session["id"] / f"job-{job_id}" / "video.mp4").unlink()
    r = client.get(f"/api/sessions/{session['id']}/download.zip")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
    assert any(n.endswith("/poster.jpg") for n in names) and any(
        n.endswith("/policy/params.msgpack") for n in names
    )
    assert not any(n.endswith("/video.mp4") for n in names)
    (skipped,) = manifest["skipped"]
    assert skipped["file"].endswith("/video.mp4") and "missing" in skipped["reason"]
    assert manifest["complete"] is False and any(f.endswith("/poster.jpg") for f in manifest["files"])


# ----------------------------------------------------------------------------- item 8: confinement


def test_a_symlinked_metrics_file_pointing_at_the_database_is_404(client):
    session = configure(client)
    job_id = done_job(
        client, session, files={"video.mp4": b"video"}, links={"metrics.json": "../../../tabrl.db"}
    )
    settings = client.app.state.settings
    assert (
        settings.data_dir / "sessions" / session["id"] / f"job-{job_id}" / "metrics.json"
    ).resolve() == settings.sqlite_path.resolve()  # the link really points at the database
    r = client.get(f"/api/jobs/{job_id}/metrics.json")
    assert r.status_code == 404 and b"SQLite" not in r.content
    assert client.get(f"/api/jobs/{job_id}/video.mp4").content == b"video"  # its own files still served
    r = client.get(f"/api/sessions/{session['id']}/download.zip")
    assert r.status_code == 200 and b"SQLite format" not in r.content
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert not any(n.endswith("metrics.json") for n in zf.namelist())
        assert "outside its job's folder" in zf.read("manifest.json").decode()


def test_a_file_of_another_job_or_session_is_not_served(client):
    first, second = configure(client), configure(client, prompt="swing up")
    other = done_job(client, first, files={"video.mp4": b"first session's video"})
    mine = done_job(client, second, files={"poster.jpg": b"jpeg"})
    with client.app.state.sessions() as db:  # a row naming another job's file
        job = db.get(Job, mine)
        job.artifacts = {**job.artifacts, "video": db.get(Job, other).artifacts["video"]}
        db.commit()
    r = client.get(f"/api/jobs/{mine}/video.mp4")
    assert r.status_code == 404 and b"first session" not in r.content


def test_the_contact_sheet_is_offered_and_served_from_its_own_job_folder_only(client):
    session = configure(client)
    mine = done_job(client, session, files={"video.mp4": b"video", "sheet.jpg": b"ten frames"})
    job = client.get(f"/api/jobs/{mine}").json()
    assert job["sheet_url"] == f"/api/jobs/{mine}/sheet.jpg"
    r = client.get(job["sheet_url"])
    assert r.status_code == 200 and r.content == b"ten frames" and r.headers["content-type"] == "image/jpeg"
    assert client.get(f"/api/sessions/{session['id']}").json()["jobs"][0]["sheet_url"] == job["sheet_url"]

    linked = done_job(client, session, links={"sheet.jpg": "../../../tabrl.db"})
    r = client.get(client.get(f"/api/jobs/{linked}").json()["sheet_url"])
    assert r.status_code == 404 and b"SQLite" not in r.content
    without = done_job(client, session, files={"video.mp4": b"video"})
    assert client.get(f"/api/jobs/{without}").json()["sheet_url"] is None


def test_a_symlink_inside_a_policy_folder_is_left_out_of_the_zip(client):
    session = configure(client)
    job_id = done_job(client, session, files={"policy": b"params"})
    settings = client.app.state.settings
    policy = settings.data_dir / "sessions" / session["id"] / f"job-{job_id}" / "policy"
    (policy / "db").symlink_to(settings.sqlite_path)
    (policy / "all").symlink_to(settings.data_dir, target_is_directory=True)
    r = client.get(f"/api/jobs/{job_id}/policy.zip")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert sorted(zf.namelist()) == ["policy/params.msgpack", "program.json"]


def test_a_thumbnail_symlinked_outside_the_cache_dir_is_404(client, tmp_path, monkeypatch):
    import shutil

    from tabrl.api.routers import models
    from tabrl.config import get_settings
    from tabrl.robots import catalog

    folder = get_settings().resolved_cache_dir / f"thumbs-{tmp_path.name}"  # a thumbnail folder of its own
    monkeypatch.setattr(catalog, "thumbnail_path", lambda model_id: folder / f"{model_id}.png")
    monkeypatch.setattr(models, "_thumbs", {})  # nothing kept in memory from an earlier test
    try:
        secret = tmp_path / "secret.png"
        secret.write_bytes(b"\x89PNG\r\n\x1a\nnot yours")
        path = catalog.thumbnail_path(FAST_MODEL)
        path.parent.mkdir(parents=True)
        path.symlink_to(secret)
        r = client.get(f"/api/models/{FAST_MODEL}/thumbnail.png")
        assert r.status_code == 404 and b"not yours" not in r.content
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ----------------------------------------------------------------------------- item 7: caps


def test_sessions_per_hour_are_capped(tmp_path):
    with studio(tmp_path / "data", max_sessions_per_hour=2) as client:
        configure(client)
        configure(client)
        r = client.post(
            "/api/training/configure", json={"model_id": FAST_MODEL, "prompt": "x", "num_steps": 2000}
        )
        assert r.status_code == 429 and "TABRL_MAX_SESSIONS_PER_HOUR" in r.json()["detail"]
        assert len(client.get("/api/sessions").json()) == 2


def test_refines_are_capped_per_session(tmp_path):
    with studio(tmp_path / "data", max_designs_per_session=1) as client:
        session = configure(client)
        job_id = done_job(client, session, files={"policy": b"params"})
        r = client.post("/api/training/refine", json={"job_id": job_id})
        assert r.status_code == 429 and "TABRL_MAX_DESIGNS_PER_SESSION" in r.json()["detail"]
        assert len(client.get(f"/api/sessions/{session['id']}").json()["designs"]) == 1


def _queue(client, session: dict, n: int) -> list[int]:
    """n queued jobs already in the table (as earlier batch calls would have left them)."""
    ids = []
    with client.app.state.sessions() as db:
        for _ in range(n):
            job = Job(
                session_id=session["id"],
                approach_id=session["designs"][0]["approaches"][0]["id"],
                kind="train",
                total_steps=1000,
            )
            db.add(job)
            db.flush()
            store.record_event(db, job, "queued", {})
            ids.append(job.id)
        db.commit()
    return ids


def test_queued_jobs_are_capped_per_session_and_in_total(tmp_path):
    # The executor is not started by the TestClient until the first request; it would pick jobs up.
    # max_workers=1 and cancelling at the end keep this cheap: the caps are checked before any insert.
    with studio(tmp_path / "data", max_active_jobs_per_session=3, max_active_jobs=4) as client:
        a, b = configure(client), configure(client, prompt="swing up")
        ids = [x["id"] for x in a["designs"][0]["approaches"]]
        # Three at once would fit the session's cap only with nothing queued: refuse 3 + 1 already there.
        queued = _queue(client, a, 1)
        r = client.post("/api/training/batch", json={"session_id": a["id"], "approach_ids": ids})
        assert r.status_code == 429 and "TABRL_MAX_ACTIVE_JOBS_PER_SESSION" in r.json()["detail"]
        queued += _queue(client, b, 3)
        r = client.post("/api/training/batch", json={"session_id": a["id"], "approach_ids": ids[:1]})
        assert r.status_code == 429 and "TABRL_MAX_ACTIVE_JOBS)" in r.json()["detail"]
        with client.app.state.sessions() as db:
            assert store.active_jobs(db) <= 4  # nothing slipped in
        for job_id in queued:
            client.post(f"/api/jobs/{job_id}/cancel")
        r = client.post(f"/api/jobs/{queued[0]}/restart")
        assert r.status_code == 200
        client.post(f"/api/jobs/{queued[0]}/cancel")


# ----------------------------------------------------------------------------- item 7: the event log


def _job_with_events(client, session: dict, progress: int, ended: bool) -> int:
    with client.app.state.sessions() as db:
        job = Job(
            session_id=session["id"],
            approach_id=session["designs"][0]["approaches"][0]["id"],
            kind="train",
            total_steps=1000,
            status="running",
        )
        db.add(job)
        db.flush()
        store.record_event(db, job, "started", {"total_steps": 1000})
        for i in range(progress):
            store.record_event(db, job, "progress", {"steps": i + 1, "fraction": (i + 1) / progress})
        store.record_event(db, job, "checkpoint", {"path": "x"})
        for i in range(progress):
            store.record_event(db, job, "rendering", {"fraction": (i + 1) / progress})
        if ended:
            store.record_event(db, job, "failed", {"reason": "a test"})
        db.commit()
        return job.id


def _types(client, job_id: int) -> list[str]:
    with client.app.state.sessions() as db:
        return [e.type for e in db.query(Event).filter(Event.job_id == job_id).order_by(Event.id)]


def test_ended_jobs_keep_only_their_last_progress_events(tmp_path):
    with studio(tmp_path / "data", events_keep_progress=5) as client:
        session = configure(client)
        ended = _job_with_events(client, session, 50, ended=True)
        running = _job_with_events(client, session, 50, ended=False)
        client.app.state.executor.wake()  # as every new event does: the compactor listens
        types = _types(client, ended)
        assert types == ["started"] + ["progress"] * 5 + ["checkpoint"] + ["rendering"] * 5 + ["failed"]
        with client.app.state.sessions() as db:
            kept = [
                e.data["steps"]
                for e in db.query(Event).filter(Event.job_id == ended, Event.type == "progress")
            ]
        assert kept == [46, 47, 48, 49, 50]  # the last ones
        assert _types(client, running).count("progress") == 50  # a job still going keeps everything
    # A restart compacts what ended while it was down.
    with studio(tmp_path / "data", events_keep_progress=2) as client:
        assert _types(client, ended).count("progress") == 2


def test_a_socket_without_a_session_replays_nothing_old(client):
    session = configure(client)
    old = _job_with_events(client, session, 3, ended=True)
    with client.websocket_connect("/api/ws?after=0") as ws:
        with client.app.state.sessions() as db:
            newest = store.newest_event_id(db)
            job = db.get(Job, old)
            store.record_event(db, job, "progress", {"steps": 4})  # an ended job: nothing starts
            db.commit()
        client.app.state.hub.notify()
        event = ws.receive_json()
    assert event["id"] > newest and event["type"] == "progress" and event["data"]["steps"] == 4
    # With its session, the same socket replays the session's story from the start.
    with client.websocket_connect(f"/api/ws?session_id={session['id']}&after=0") as ws:
        assert ws.receive_json()["type"] == "started"
