"""Jobs through the studio service: real training, live events, cancel, restart — on both executors.

Every test runs twice: with the local pool of worker processes, and with ``TABRL_EXECUTOR=ray``
against a real two-node Ray cluster on loopback (``ray_cluster``, one per module). The assertions are
the same; where the executors differ by design (a cluster job outlives a server restart), the test
says so.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

import httpx
import pytest

from tests.helpers.studio import ENDED, FAST_MODEL, ServerProcess, configure, studio, train, wait_job

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["local", "ray"])
def executor(request) -> dict:
    """Settings that choose the executor (the local pool, one job per worker; or a Ray cluster)."""
    if request.param == "local":
        # One job per worker, as on the cluster: these tests queue jobs behind a single slot. A Train All
        # trained as one batch on one worker has its own tests (tests/jobs/test_batch.py).
        return {"train_batch_max": 1}
    cluster = request.getfixturevalue("ray_cluster")
    # One job on the cluster at a time, as the local pool below runs one at a time (max_workers=1).
    return {"executor": "ray", "ray_address": cluster.address, "ray_max_jobs": 1}


def as_env(settings: dict) -> dict[str, str]:
    return {f"TABRL_{key.upper()}": str(value) for key, value in settings.items()}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, executor):
    """One session with one approach trained to the end, watched live over the WebSocket."""
    data_dir = tmp_path_factory.mktemp("studio") / "data"
    with studio(data_dir, **executor) as client:
        session = configure(client)
        (job,) = train(client, session)
        events = []
        # The socket may connect before, during or after the job: it replays what it missed first. An
        # event's ``job`` is the job as it is when the message is sent (docs/api.md), so a replay of an
        # early event may already say "done"; only the event's own type ends the story.
        with client.websocket_connect(f"/api/ws?session_id={session['id']}") as ws:
            while True:
                event = ws.receive_json()
                events.append(event)
                if event["type"] in ENDED:
                    break
        yield client, session, job, events


def test_events_arrive_live_in_order_and_end_done(trained):
    _, _, job, events = trained
    types = [e["type"] for e in events]
    assert types[:2] == ["queued", "started"] and types[-1] == "done", types
    assert {"progress", "checkpoint", "rendering"} <= set(types)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert events[-1]["job"]["progress"] == 1.0 and events[-1]["job"]["status"] == "done"
    trains = [e for e in events if e["type"] == "progress"]
    steps = [e["data"]["steps"] for e in trains]
    assert steps == sorted(steps) and steps[0] > 0
    fractions = [e["data"]["fraction"] for e in trains]
    assert fractions == sorted(fractions) and fractions[-1] >= 0.95
    assert all(e["data"]["total_steps"] >= 2000 for e in trains)
    assert any(e["data"].get("eta_s") is not None for e in trains)
    assert all(e["job_id"] == job["id"] for e in events)


def test_finished_job_offers_video_poster_metrics_and_policy(trained):
    client, session, job, events = trained
    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["steps_done"] >= 2000
    # 2k steps end no whole episode, so the episode reward stays unknown (never an estimate); the
    # rollout's per-step reward is measured
    assert done["mean_reward"] is None or math.isfinite(done["mean_reward"])
    assert math.isfinite(done["metrics"]["mean_reward"])
    assert done["metrics"]["duration_s"] == pytest.approx(1.0, abs=0.1)
    video = client.get(done["video_url"])
    assert (
        video.status_code == 200
        and video.headers["content-type"] == "video/mp4"
        and b"ftyp" in video.content[:64]
    )
    assert (
        client.get(f"{done['video_url']}?download=true")
        .headers["content-disposition"]
        .startswith("attachment")
    )
    assert client.get(done["poster_url"]).content[:3] == b"\xff\xd8\xff"
    assert client.get(done["sheet_url"]).content[:3] == b"\xff\xd8\xff"  # the contact sheet
    assert json.loads(client.get(f"/api/jobs/{job['id']}/metrics.json").content)["duration_s"] > 0
    policy = zipfile.ZipFile(io.BytesIO(client.get(done["policy_url"]).content))
    names = policy.namelist()
    assert "program.json" in names and any(n.startswith("policy/") for n in names)
    program = json.loads(policy.read("program.json"))
    assert program["name"] == session["designs"][0]["approaches"][0]["name"]
    curve = client.get(done["curves_url"])
    assert curve.status_code == 200 and curve.headers["content-type"].startswith("text/csv")
    assert len(curve.text.strip().splitlines()) - 1 == sum(e["type"] == "progress" for e in events)
    everything = zipfile.ZipFile(
        io.BytesIO(client.get(f"/api/sessions/{session['id']}/download.zip").content)
    )
    assert "session.json" in everything.namelist()
    assert sum(n.endswith("/video.mp4") for n in everything.namelist()) == 1
    assert sum(n.endswith("/curves.csv") for n in everything.namelist()) == 1
    listed = client.get("/api/sessions").json()[0]
    assert (listed["jobs_total"], listed["jobs_done"]) == (1, 1)


def test_reconnect_replays_what_was_missed(trained):
    client, session, _, events = trained
    cut = events[len(events) // 2]["id"]
    missed = []
    with client.websocket_connect(f"/api/ws?session_id={session['id']}&after={cut}") as ws:
        while True:
            missed.append(ws.receive_json())
            if missed[-1]["type"] in ENDED:
                break
    assert [e["id"] for e in missed] == [e["id"] for e in events if e["id"] > cut]
    with client.websocket_connect("/api/ws?session_id=someothersession") as ws:
        ws.close()  # a session with no events just waits (and closes cleanly)


def test_render_job_films_a_finished_policy_again(trained):
    client, _, job, _ = trained
    r = client.post("/api/training/render", json={"job_id": job["id"], "seconds": 2.0})
    assert r.status_code == 200 and r.json()["kind"] == "render"
    done = wait_job(client, r.json()["id"], {"done"})
    assert done["metrics"]["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert client.get(done["video_url"]).status_code == 200
    assert (
        done["policy_url"] and zipfile.ZipFile(io.BytesIO(client.get(done["policy_url"]).content)).namelist()
    )
    assert client.post("/api/training/render", json={"job_id": job["id"], "seconds": 999}).status_code == 422


def test_refine_adds_a_design_from_a_finished_job(trained):
    client, session, job, _ = trained
    r = client.post("/api/training/refine", json={"job_id": job["id"], "words": "calmer please"})
    assert r.status_code == 200, r.text
    designs = r.json()["designs"]
    assert len(designs) == len(session["designs"]) + 1
    refined = designs[-1]
    assert "calmer please" in refined["label"] and len(refined["approaches"]) == 3


def test_cancel_frees_the_slot_and_queued_jobs_cancel_at_once(tmp_path, executor):
    with studio(tmp_path / "data", **executor) as client:  # one worker slot
        session = configure(client)
        first, second, third = train(client, session, count=3, steps=100_000)
        wait_job(client, first["id"], {"running"}, predicate=lambda j: j["steps_done"] > 0)
        assert client.get(f"/api/jobs/{second['id']}").json()["status"] == "queued"

        r = client.post(f"/api/jobs/{third['id']}/cancel")
        assert r.status_code == 200 and r.json()["status"] == "cancelled"

        client.post(f"/api/jobs/{first['id']}/cancel")
        cancelled = wait_job(client, first["id"], {"cancelled"}, timeout=300)
        # Stopped mid-training, not after it (how fast is the bench's business, not a test's).
        assert cancelled["steps_done"] < 100_000, cancelled
        assert cancelled["video_url"] is None
        job_dir = client.app.state.settings.data_dir / "sessions" / session["id"] / f"job-{first['id']}"
        assert not job_dir.exists()
        wait_job(client, second["id"], {"running"}, timeout=300)  # the freed slot is used
        client.post(f"/api/jobs/{second['id']}/cancel")
        wait_job(client, second["id"], {"cancelled"}, timeout=300)
        assert client.post(f"/api/jobs/{second['id']}/cancel").status_code == 409


def test_server_killed_mid_job_leaves_it_interrupted_and_queued_jobs_still_run(tmp_path, executor):
    data_dir = tmp_path / "data"
    with (
        ServerProcess(data_dir, **as_env(executor)) as server,
        httpx.Client(base_url=server.url, timeout=120) as http,
    ):
        try:
            session = http.post(
                "/api/training/configure",
                json={"model_id": FAST_MODEL, "prompt": "balance", "num_steps": 100_000},
            ).json()
            ids = [a["id"] for a in session["designs"][0]["approaches"][:2]]
            running, queued = http.post(
                "/api/training/batch", json={"session_id": session["id"], "approach_ids": ids}
            ).json()["jobs"]
            wait_job(http, running["id"], {"running"}, timeout=600)
            r = http.post(
                "/api/training/batch",
                json={"session_id": session["id"], "approach_ids": ids[1:], "num_steps": 2000},
            )
            assert r.status_code == 200, r.text
            small_id = r.json()["jobs"][0]["id"]
            steps_at_kill = http.get(f"/api/jobs/{running['id']}").json()["steps_done"]
        finally:
            server.kill()  # a crash: no clean shutdown marks anything

    with studio(data_dir, **executor) as client:
        job = client.get(f"/api/jobs/{running['id']}").json()
        assert client.post(f"/api/jobs/{queued['id']}/cancel").json()["status"] == "cancelled"
        if executor.get("executor") == "ray":
            # On a cluster the job went on training without a server (100k steps: well over the few
            # seconds a restart takes); the new server re-attaches and its events arrive again.
            assert job["status"] == "running", job
            wait_job(client, running["id"], {"running"}, predicate=lambda j: j["steps_done"] > steps_at_kill)
            client.post(f"/api/jobs/{running['id']}/cancel")
            wait_job(client, running["id"], {"cancelled"}, timeout=300)
        else:
            assert job["status"] == "interrupted" and "restart" in job["error"]
        # By its id: once it starts, its total_steps is the whole PPO iterations it trains (2,048), and on a
        # cluster it may already have started by now.
        wait_job(client, small_id, {"done"})  # queued before the crash, runs after it
        r = client.post(f"/api/jobs/{running['id']}/restart")
        assert r.status_code == 200 and r.json()["status"] == "queued"
        wait_job(client, running["id"], {"running"}, timeout=600)
        client.post(f"/api/jobs/{running['id']}/cancel")
        wait_job(client, running["id"], {"cancelled"}, timeout=300)
        assert client.post(f"/api/jobs/{small_id}/restart").status_code == 409
