"""The Ray executor on a real two-node cluster (tests/helpers/ray_cluster.py): jobs spread over both nodes,
a node killed mid-job, a server that finds its jobs gone, an unreachable cluster; and the pieces
that need no cluster (artifact folders unpacked atomically, what a job asks for)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the Ray executor needs the 'ray' extra: pip install -e '.[ray]'")

from tabrl.api.served import free_port  # noqa: E402
from tabrl.config import Settings  # noqa: E402
from tabrl.jobs import store  # noqa: E402
from tabrl.jobs.db import open_database  # noqa: E402
from tabrl.jobs.models import Job  # noqa: E402
from tabrl.jobs.ray_executor import ClusterUnreachable, job_resources  # noqa: E402
from tabrl.jobs.ray_remote import pack_folder, unpack_folder  # noqa: E402
from tabrl.jobs.states import ACTIVE  # noqa: E402
from tests.helpers.studio import ENDED, configure, studio, train, wait_job  # noqa: E402


def ray_settings(cluster, **extra) -> dict:
    return {"executor": "ray", "ray_address": cluster.address, **extra}


def session_events(client, session_id: str, jobs: int) -> list[dict]:
    """The session's events over the WebSocket (replayed, then live) until ``jobs`` jobs ended."""
    events, ended = [], set()
    with client.websocket_connect(f"/api/ws?session_id={session_id}") as ws:
        while len(ended) < jobs:
            event = ws.receive_json()
            events.append(event)
            if event["type"] in ENDED:
                ended.add(event["job_id"])
    return events


def attempt_folders(data_dir: Path, session_id: str, job_id: int) -> list[str]:
    root = data_dir / "sessions" / session_id / f"job-{job_id}"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# ----------------------------------------------------------------------------- no cluster needed


def test_unpacked_folder_appears_whole_and_replaces_an_old_one(tmp_path):
    source = tmp_path / "run"
    (source / "policy").mkdir(parents=True)
    (source / "video.mp4").write_bytes(b"v" * 1000)
    (source / "policy" / "params.msgpack").write_bytes(b"p" * 10)
    target = tmp_path / "data" / "job-1" / "a1"
    target.mkdir(parents=True)
    (target / "stale.txt").write_text("an older unpack")
    (target.parent / ".a1.incoming-dead").mkdir()  # a crash mid-unpack left this behind

    unpack_folder(pack_folder(source), target)
    assert sorted(p.name for p in target.iterdir()) == ["policy", "video.mp4"]
    assert (target / "policy" / "params.msgpack").read_bytes() == b"p" * 10
    assert sorted(p.name for p in target.parent.iterdir()) == ["a1"]

    with pytest.raises(tarfile.TarError):  # a torn blob: the folder that was there stays as it was
        unpack_folder(pack_folder(source)[:200], target)
    assert sorted(p.name for p in target.iterdir()) == ["policy", "video.mp4"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["a1"]


def test_unpack_refuses_paths_outside_the_folder(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    with pytest.raises(tarfile.TarError):
        unpack_folder(buffer.getvalue(), tmp_path / "job-1" / "a1")
    assert not (tmp_path / "job-1" / "escaped.txt").exists() and not (tmp_path / "escaped.txt").exists()
    assert not (tmp_path / "job-1" / "a1").exists()


def test_training_asks_for_a_gpu_only_where_the_cluster_has_one():
    settings = Settings(ray_cpus_per_job=2)
    assert job_resources(settings, "train", cluster_gpus=0) == {"num_cpus": 2, "num_gpus": 0}
    assert job_resources(settings, "train", cluster_gpus=4) == {"num_cpus": 2, "num_gpus": 1}
    assert job_resources(settings, "render", cluster_gpus=4) == {"num_cpus": 2, "num_gpus": 0}


def test_an_unreachable_cluster_is_named_at_start(tmp_path):
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(ClusterUnreachable, match=address):
        with studio(tmp_path / "data", executor="ray", ray_address=address):
            pass
    env = {
        **os.environ,
        "TABRL_DATA_DIR": str(tmp_path / "serve"),
        "TABRL_EXECUTOR": "ray",
        "TABRL_RAY_ADDRESS": address,
    }
    serve = subprocess.run(
        [sys.executable, "-m", "tabrl.cli", "serve"], env=env, capture_output=True, text=True, timeout=120
    )
    assert serve.returncode != 0
    said = " ".join((serve.stdout + serve.stderr).split())
    assert f"cannot reach the Ray cluster at {address}" in said and "ray start --head" in said


# --------------------------------------------------------------------------- on a real cluster


@pytest.mark.slow
def test_three_approaches_train_across_both_nodes(tmp_path, ray_cluster):
    data_dir = tmp_path / "data"
    with studio(data_dir, **ray_settings(ray_cluster)) as client:
        session = configure(client)
        jobs = train(client, session, count=3)
        events = session_events(client, session["id"], jobs=3)
        nodes = set()
        for job in jobs:
            mine = [e for e in events if e["job_id"] == job["id"]]
            types = [e["type"] for e in mine]
            assert types[:2] == ["queued", "started"] and types[-1] == "done", types
            assert {"progress", "checkpoint", "rendering"} <= set(types)
            ids = [e["id"] for e in mine]
            assert ids == sorted(ids) and len(set(ids)) == len(ids)
            steps = [e["data"]["steps"] for e in mine if e["type"] == "progress"]
            assert steps == sorted(steps) and steps[0] > 0
            nodes.add(mine[1]["data"]["node_id"])

            done = client.get(f"/api/jobs/{job['id']}").json()
            assert done["status"] == "done" and done["metrics"]["duration_s"] == pytest.approx(1.0, abs=0.1)
            video = client.get(done["video_url"])
            assert video.status_code == 200 and b"ftyp" in video.content[:64]
            assert client.get(done["poster_url"]).content[:3] == b"\xff\xd8\xff"
            policy = zipfile.ZipFile(io.BytesIO(client.get(done["policy_url"]).content))
            assert "policy/policy.onnx" in policy.namelist()
            assert attempt_folders(data_dir, session["id"], job["id"]) == ["a1"]
        assert len(nodes) == 2, "both nodes trained (one CPU each, three jobs placed at once)"
        everything = zipfile.ZipFile(
            io.BytesIO(client.get(f"/api/sessions/{session['id']}/download.zip").content)
        )
        assert sum(n.endswith("/video.mp4") for n in everything.namelist()) == 3
        assert client.app.state.executor.runs() == {}  # the supervisor let go of every finished run


@pytest.mark.slow
def test_a_job_whose_run_the_cluster_lost_is_interrupted_and_restartable(tmp_path, ray_cluster):
    data_dir = tmp_path / "data"
    with studio(data_dir, **ray_settings(ray_cluster)) as client:
        session = configure(client)
    # The studio is down; its database says a job runs that no cluster knows of (the cluster was
    # replaced meanwhile, say).
    sessions = open_database(Settings(data_dir=data_dir).resolved_database_url)
    with sessions() as db:
        from tabrl.jobs.models import Approach

        approach = db.query(Approach).filter_by(session_id=session["id"]).first()
        job = Job(session_id=session["id"], approach_id=approach.id, total_steps=2000, video_seconds=1.0)
        db.add(job)
        db.flush()
        store.record_event(db, job, "queued", {})
        store.record_event(db, job, "started", {"total_steps": 2000})
        db.commit()
        job_id = job.id
    with studio(data_dir, **ray_settings(ray_cluster)) as client:
        job = client.get(f"/api/jobs/{job_id}").json()
        assert job["status"] == "interrupted" and "restart" in job["error"]
        assert client.post(f"/api/jobs/{job_id}/restart").json()["status"] == "queued"
        done = wait_job(client, job_id, {"done"})
        assert client.get(done["video_url"]).status_code == 200
        assert attempt_folders(data_dir, session["id"], job_id) == ["a2"]


@pytest.mark.slow
def test_without_an_address_a_private_ray_instance_trains_and_stops_with_the_studio(tmp_path, ray_cluster):
    # The module's cluster runs on this machine too: the private instance must not join it.
    data_dir = tmp_path / "data"
    with studio(data_dir, executor="ray", ray_address=None) as client:
        gcs_port = ray.get_runtime_context().gcs_address.rsplit(":", 1)[1]
        assert gcs_port != str(ray_cluster.port) and len(ray.nodes()) == 1  # its own single node
        # started as `ray start --head` in a session of its own (a fork of this threaded process can hang)
        head = client.app.state.executor._head
        assert head is not None and head.address.endswith(f":{gcs_port}") and head.root.is_dir()
        head_pid = head.process.pid
        session = configure(client)
        (job,) = train(client, session)
        done = wait_job(client, job["id"], {"done"})
        assert client.get(done["video_url"]).status_code == 200
    assert not ray.is_initialized()
    assert not head.root.exists()  # its temp folder is gone, and its processes with it
    deadline = time.monotonic() + 30
    while _live_in_session(head_pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _live_in_session(head_pid)


def _live_in_session(sid: int) -> list[int]:
    """Processes of session ``sid`` that still run (zombies waiting for their reaper do not)."""
    live = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            if os.getsid(int(entry.name)) == sid and state != "Z":
                live.append(int(entry.name))
        except OSError:
            continue
    return live


def stored_events(client, session_id: str) -> list[dict]:
    """The session's events stored so far, straight from the studio's database."""
    with client.app.state.sessions() as db:
        return [
            {"job_id": e.job_id, "attempt": e.attempt, "type": e.type, "data": e.data}
            for e in store.events_after(db, 0, session_id, limit=100_000)
        ]


def started_on(client, session_id: str, job_id: int) -> list[str]:
    return [
        e["data"].get("node_id")
        for e in stored_events(client, session_id)
        if e["job_id"] == job_id and e["type"] == "started"
    ]


@pytest.mark.slow
def test_worker_node_killed_mid_job_retries_or_fails_cleanly(tmp_path, ray_cluster):
    data_dir = tmp_path / "data"
    try:
        with studio(data_dir, **ray_settings(ray_cluster)) as client:
            session = configure(client, steps=30_000)
            jobs = train(client, session, count=2)  # one on each node: each node has one CPU
            worker_node = ray_cluster.worker_node_id()
            deadline = time.monotonic() + 300
            victim = None
            while victim is None:  # the job the worker node trains, once it has made progress
                assert time.monotonic() < deadline, "no job trained on the worker node"
                for job in jobs:
                    if (
                        started_on(client, session["id"], job["id"])[-1:] == [worker_node]
                        and client.get(f"/api/jobs/{job['id']}").json()["steps_done"] > 0
                    ):
                        victim = job
                time.sleep(0.25)
            assert ray_cluster.worker.kill()  # every process of that node, at once

            finals = {job["id"]: wait_job(client, job["id"], {"done", "failed"}, timeout=400) for job in jobs}
            listed = client.get(f"/api/sessions/{session['id']}").json()["jobs"]
            assert sorted(j["id"] for j in listed) == sorted(finals)  # no job record lost
            assert not set(ACTIVE) & {j["status"] for j in listed}  # none stuck
            lost = finals[victim["id"]]
            if lost["status"] == "done":  # Ray ran it again, on the head node
                nodes = started_on(client, session["id"], victim["id"])
                assert len(nodes) == 2 and nodes[0] == worker_node and nodes[1] != worker_node
                retried = [
                    e
                    for e in stored_events(client, session["id"])
                    if e["job_id"] == victim["id"] and e["type"] == "started"
                ][-1]
                assert retried["data"]["retry"] == 1
                assert client.get(lost["video_url"]).status_code == 200
            else:
                assert "Ray worker was lost" in lost["error"], lost["error"]
            for job in jobs:  # one attempt folder per finished job, nothing half-unpacked beside it
                expected = ["a1"] if finals[job["id"]]["status"] == "done" else []
                assert attempt_folders(data_dir, session["id"], job["id"]) == expected
            assert client.app.state.executor.runs() == {}
    finally:
        ray_cluster.restart_worker()  # later tests get their two nodes back
