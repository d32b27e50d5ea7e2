"""Helpers for the studio service tests: a real app on a private data directory, and waiting on jobs."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from tabrl.api.app import create_app
from tabrl.api.served import ServedStudio
from tabrl.config import Settings
from tabrl.jobs.states import ENDED

FAST_MODEL = "CartpoleBalance"  # trains and films in seconds on a CPU


def studio_settings(data_dir: Path, **overrides) -> Settings:
    """Small limits so a real job (train + film) takes seconds, not minutes."""
    values = {"data_dir": data_dir, "steps_min": 1000, "video_seconds": 1.0, "max_workers": 1}
    values.update(overrides)
    return Settings(**values)


def studio(data_dir: Path, **overrides) -> TestClient:
    return TestClient(create_app(studio_settings(data_dir, **overrides)))


def wait_catalog_ready(get, timeout: float = 1200) -> dict:
    """``/api/warm-up`` once the catalog is complete (built in the background at the server's start, or
    read from the machine cache). ``get``: a TestClient's or httpx's ``get``."""
    deadline = time.monotonic() + timeout
    while True:
        status = get("/api/warm-up").json()
        if status["catalog"]["state"] == "ready":
            return status
        assert status["catalog"]["state"] != "failed", status
        assert time.monotonic() < deadline, f"the catalog was not ready after {timeout} s: {status}"
        time.sleep(0.5)


def catalog_models(client: TestClient) -> list[dict]:
    """The whole model list (waits for the background build on a new machine cache)."""
    wait_catalog_ready(client.get)
    return client.get("/api/models/playground").json()


def configure(client: TestClient, prompt: str = "balance the pole", steps: int = 2000, **extra) -> dict:
    r = client.post(
        "/api/training/configure",
        json={"model_id": FAST_MODEL, "prompt": prompt, "num_steps": steps, **extra},
    )
    assert r.status_code == 200, r.text
    return r.json()


def rehearsed(client: TestClient, session_id: str, timeout: float = 600.0) -> dict:
    """The session once no approach is rehearsing (rehearsals run after the configure answers)."""
    deadline = time.monotonic() + timeout
    while True:
        session = client.get(f"/api/sessions/{session_id}").json()
        if not any(a["rehearsing"] for d in session["designs"] for a in d["approaches"]):
            return session
        assert time.monotonic() < deadline, f"session {session_id} still rehearsing after {timeout} s"
        time.sleep(0.2)


def train(client: TestClient, session: dict, count: int = 1, steps: int | None = None) -> list[dict]:
    ids = [a["id"] for a in session["designs"][0]["approaches"][:count]]
    body = {"session_id": session["id"], "approach_ids": ids}
    if steps is not None:
        body["num_steps"] = steps
    r = client.post("/api/training/batch", json=body)
    assert r.status_code == 200, r.text
    return r.json()["jobs"]


def wait_job(
    client: TestClient, job_id: int, statuses: set[str], timeout: float = 900.0, predicate=None
) -> dict:
    """Polls until the job's status is one of ``statuses`` (and ``predicate(job)`` holds). ``timeout`` only
    guards against a hang: a test is not a benchmark, and on a busy machine (CI beside other work, load 8) the
    first job of a full-disk test was still filming after 240 s."""
    deadline = time.monotonic() + timeout
    job = None
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in statuses and (predicate is None or predicate(job)):
            return job
        if job["status"] in ENDED and job["status"] not in statuses:
            raise AssertionError(f"job {job_id} ended {job['status']}: {job['error']}")
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} still {job and job['status']} after {timeout} s")


class ServerProcess(ServedStudio):
    """``tabrl serve`` with the tests' small limits on a private data dir; ``kill()`` is a crash."""

    def __init__(self, data_dir: Path, **env: str):
        limits = {"TABRL_STEPS_MIN": "1000", "TABRL_MAX_WORKERS": "1", "TABRL_VIDEO_SECONDS": "1"}
        super().__init__(
            {"TABRL_DATA_DIR": str(data_dir), **limits, **env}, Path(data_dir).parent, ready_s=120
        )

    def wait_catalog(self, timeout: float = 1200) -> list[dict]:
        """The model list, once the server has all of it: on a new machine cache the server builds the
        catalog in the background (minutes on a loaded machine), so page tests wait for it here rather
        than letting the page's first gallery load race their own timeouts."""
        import httpx

        with httpx.Client(base_url=self.url, timeout=60) as http:
            wait_catalog_ready(http.get, timeout)
        response = httpx.get(f"{self.url}/api/models/playground", timeout=60)
        response.raise_for_status()
        return response.json()
