"""A full disk (issue 25, item 5): the data directory on a small tmpfs, filled while a studio runs.

A real job fails with a reason that says the disk is full; none of its half-written files is served;
the database, the shared models and another session's files stay whole; the studio keeps answering,
and once space is freed the same job trains again. A studio stopped while its disk is full and a job
runs stops cleanly, and the next start marks that job interrupted.

The disk is filled at a chosen moment, not raced: the job's worker is paused (SIGSTOP) while it
trains, before it has written any of its policy, the disk is filled, and the worker goes on (SIGCONT).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tabrl.export import model_store
from tabrl.jobs import layout
from tests.helpers.studio import configure, studio, train, wait_job

STEPS = 1000  # the fewest these studios allow: the first session's job
# The job that meets the full disk (and its restart): long enough (~5 s of training here) that its worker,
# paused once the job is seen running, is still training. Paused too late, the test says so.
FULL_STEPS = 30_000
ENDLESS = 1_000_000  # the job the studio stops on: it trains until then
DISK_MB = 24  # the database, two small sessions and one shared CartpoleBalance model (~2 MB) fit with room
SETTINGS = {
    "calibrate_at_start": False,
    "rehearse": False,
    "train_batch_max": 1,
    "steps_min": STEPS,
    "steps_max": ENDLESS,
    "video_seconds": 0.5,
}
URLS = ("video_url", "poster_url", "sheet_url", "curves_url", "policy_url")


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MB}m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


@contextlib.contextmanager
def full(disk: Path) -> Iterator[None]:
    """``disk`` with nothing free (a ballast file written until ENOSPC) until the block ends."""
    ballast = disk / "ballast"
    with open(ballast, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        while True:  # the last megabyte's remainder too
            try:
                f.write(b"\0" * 4096)
            except OSError:
                break
    try:
        yield
    finally:
        ballast.unlink()


@contextlib.contextmanager
def paused_worker(client: TestClient, job_id: int) -> Iterator[None]:
    """The worker that runs ``job_id`` stopped (SIGSTOP) until the block ends."""
    (worker,) = [w for w in client.app.state.executor.workers() if job_id in w["job_ids"]]
    os.kill(worker["pid"], signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(worker["pid"], signal.SIGCONT)


def digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def wait_gone(folder: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not folder.exists(), f"{folder} is still there after {timeout} s"


@pytest.mark.slow
def test_a_job_on_a_full_disk_fails_clearly_and_harms_nothing_else(small_disk):
    data_dir = small_disk / "data"
    disk_full = contextlib.ExitStack()  # the ballast of the last step, freed after the studio stopped
    with disk_full, studio(data_dir, **SETTINGS) as client:
        first = configure(client, steps=STEPS)
        (done,) = train(client, first)
        wait_job(client, done["id"], {"running"})
        done = wait_job(client, done["id"], {"done"})
        kept = data_dir / layout.SESSIONS / first["id"]
        before = digests(kept)
        store = layout.model_store_dir(data_dir)
        models = dict(model_store.stored(store))
        assert len(models) == 1

        second = configure(client, prompt="keep the pole up", steps=STEPS)
        (job,) = train(client, second, steps=FULL_STEPS)
        attempt = layout.job_root(data_dir, second["id"], job["id"]) / "a1"
        wait_job(client, job["id"], {"running"})
        with contextlib.ExitStack() as filled:
            with paused_worker(client, job["id"]):
                assert attempt.is_dir() and not (attempt / layout.POLICY.name).exists(), "paused too late"
                filled.enter_context(full(small_disk))
            # The studio keeps answering reads while nothing can be written.
            assert {s["id"] for s in client.get("/api/sessions").json()} == {first["id"], second["id"]}
            wait_gone(attempt)  # the worker fails on writing its policy and removes the attempt's files
        # Space freed: the job's end is stored as soon as the database can be written.
        failed = wait_job(client, job["id"], {"failed"})
        assert "disk is full" in failed["error"] and "No space left on device" in failed["error"], failed[
            "error"
        ]
        assert "restart the job" in failed["error"]

        # Nothing half-written is served: no files, no policy, no metrics.
        assert not [k for k in URLS if failed[k]] and failed["metrics"] is None, failed
        assert client.get(f"/api/jobs/{job['id']}/policy.zip").status_code in (404, 409)
        # Nothing else is harmed: the first session's files, the shared model.
        assert digests(kept) == before
        assert model_store.stored(store) == models and not [
            p for p in store.iterdir() if p.name.startswith(".")
        ]
        for sha in models:
            model_store.read(store, sha)  # whole: its content matches its name
        # The studio keeps serving, the whole first session included.
        assert client.get("/api/info").status_code == 200
        assert client.get(f"/api/jobs/{done['id']}").json()["status"] == "done"
        policy = client.get(f"/api/jobs/{done['id']}/policy.zip")
        assert policy.status_code == 200
        with zipfile.ZipFile(io.BytesIO(policy.content)) as zf:
            assert hashlib.sha256(zf.read("policy/model.mjb")).hexdigest() in models

        # Space freed: the same job trains again.
        assert client.post(f"/api/jobs/{job['id']}/restart").status_code == 200
        wait_job(client, job["id"], {"done"})

        # The studio stops while its disk is full and a job trains: the stop cannot record that job's end.
        (last,) = train(client, first, steps=ENDLESS)
        wait_job(client, last["id"], {"running"})
        with paused_worker(client, last["id"]):
            disk_full.enter_context(full(small_disk))

    # The next start marks it interrupted; the database is whole.
    with studio(data_dir, **SETTINGS, prewarm_workers=False) as client:
        interrupted = client.get(f"/api/jobs/{last['id']}").json()
        assert interrupted["status"] == "interrupted", interrupted
        assert client.get(f"/api/jobs/{job['id']}").json()["status"] == "done"
    with contextlib.closing(sqlite3.connect(data_dir / "tabrl.db")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
