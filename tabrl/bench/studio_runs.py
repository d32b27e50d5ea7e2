"""`tabrl bench`'s figures through a real ``tabrl serve``: job start (cold and warm), the CLI's latency,
and whole Train Alls (first after a fresh start, warm, batched and as separate jobs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tabrl.api.served import ServedStudio
from tabrl.bench.engine import BENCH_MODEL, BENCH_PROMPT
from tabrl.config import STEPS_DEFAULT
from tabrl.jobs.db import open_database
from tabrl.jobs.models import Event
from tabrl.jobs.states import ENDED
from tabrl.rewards.limits import N_APPROACHES


def approaches_cli_latency(data_dir: Path, runs: int = 2) -> dict[str, Any]:
    """Wall time of ``tabrl approaches --model Go1JoystickFlatTerrain "spin in place"`` as a fresh process."""
    env = {**os.environ, "TABRL_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "tabrl.cli", "approaches", "--model", BENCH_MODEL, "spin in place"]
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
        walls.append(time.perf_counter() - start)
    return {
        "command": " ".join(cmd[2:]),
        "first_s": walls[0],
        "warm_s": min(walls[1:] or walls),
        "runs_s": walls,
    }


class _Studio(ServedStudio):
    """``tabrl serve`` on a fresh data directory; the catalog, compiled robots and XLA programs come from
    the machine's cache (``TABRL_CACHE_DIR``), as for any new data directory."""

    def __init__(self, data_dir: Path, **env: str):
        super().__init__({"TABRL_DATA_DIR": str(data_dir), **env}, data_dir, stop_s=60)
        self.data_dir = data_dir


def _wait_jobs(http, job_ids: list[int], timeout: float = 900.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [http.get(f"/api/jobs/{i}").json() for i in job_ids]
        if all(j["status"] in ENDED for j in jobs):
            bad = [j for j in jobs if j["status"] != "done"]
            if bad:
                raise RuntimeError(f"job {bad[0]['id']} ended {bad[0]['status']}: {bad[0]['error']}")
            return jobs
        time.sleep(0.25)
    raise RuntimeError(f"jobs {job_ids} not done after {timeout} s")


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _first_progress(data_dir: Path, job_id: int) -> dict[str, Any]:
    """From the job's stored events: hand-over -> started -> first progress, and queued -> first progress."""
    sessions = open_database(f"sqlite:///{data_dir / 'tabrl.db'}")
    with sessions() as db:
        events = list(db.query(Event).filter(Event.job_id == job_id).order_by(Event.id))
    at: dict[str, Any] = {}
    for e in events:
        at.setdefault(e.type, e)
    started, progress, queued = at["started"], at["progress"], at["queued"]
    to_progress = (progress.created_at - started.created_at).total_seconds()
    handover = float(started.data.get("handover_s") or 0.0)
    return {
        "job": job_id,
        "worker_pid": started.data.get("worker_pid"),
        "worker_jobs": started.data.get("worker_jobs"),
        "worker_warm_up_s": started.data.get("worker_warm_s"),
        "worker_warmed": started.data.get("worker_warmed"),
        "dequeue_to_first_progress_s": handover + to_progress,
        "queued_to_first_progress_s": (progress.created_at - queued.created_at).total_seconds(),
        "started_to_first_progress_s": to_progress,
    }


def _probe_jobs(http, data_dir: Path, session: dict[str, Any], approaches: list[int]) -> list[dict[str, Any]]:
    """Two small jobs one after the other: the first is a worker's first real job (its warm-up compiled Go1
    once: worker_warm_up_s), the second runs on a worker that trained already."""
    probes = []
    for _ in range(2):
        (job,) = http.post(
            "/api/training/batch",
            json={"session_id": session["id"], "approach_ids": approaches[:1], "num_steps": 10_000},
        ).json()["jobs"]
        _wait_jobs(http, [job["id"]])
        probes.append(_first_progress(data_dir, job["id"]))
    return probes


def _train_all(
    http, session: dict[str, Any], approaches: list[int], floor_rates: tuple[float | None, float | None]
) -> dict[str, Any]:
    """One Train All of three Go1 approaches at 50k steps: its wall time beside the page's estimate and the floor."""
    estimate = http.get(
        "/api/estimate", params={"model_id": BENCH_MODEL, "steps": STEPS_DEFAULT, "approaches": N_APPROACHES}
    ).json()
    load_before = os.getloadavg()
    start = time.perf_counter()
    jobs = http.post(
        "/api/training/batch",
        json={"session_id": session["id"], "approach_ids": approaches, "num_steps": STEPS_DEFAULT},
    ).json()["jobs"]
    done = _wait_jobs(http, [j["id"] for j in jobs])
    wall = time.perf_counter() - start
    steps = sum(j["steps_done"] for j in done)
    frames = 3 * 300
    raw_physics, bare_ms = floor_rates
    floor = steps / raw_physics + frames * bare_ms / 1000 if raw_physics and bare_ms else None
    return {
        "model": BENCH_MODEL,
        "approaches": 3,
        "steps_each": STEPS_DEFAULT,
        "steps_trained": steps,
        "video_frames": frames,
        "wall_s": wall,
        "raw_physics_s": steps / raw_physics if raw_physics else None,
        "bare_render_s": frames * bare_ms / 1000 if bare_ms else None,
        "ratio_wall_to_physics_plus_bare_render": wall / floor if floor else None,
        "estimate_before_s": estimate.get("seconds"),
        "estimate_basis": estimate.get("basis"),
        "estimate_error": (estimate["seconds"] - wall) / wall if estimate.get("seconds") else None,
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
    }


def wait_warm(http, timeout: float = 600.0) -> dict[str, Any]:
    """Polls ``/api/warm-up`` until the server says ready (catalog complete, a worker warm)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = http.get("/api/warm-up").json()
        if status["ready"]:
            return dict(status)
        time.sleep(0.5)
    raise RuntimeError(f"the server was not warm after {timeout} s: {status}")


def first_and_warm_train_all(
    raw_physics_steps_per_s: float | None = None, bare_render_ms: float | None = None
) -> dict[str, Any]:
    """What a person meets on a new data directory: ``tabrl serve`` started, the first configure sent as
    soon as the server answers, the first Train All (three Go1 approaches, 50k steps, 10 s videos) sent
    when ``/api/warm-up`` says ready, then a second Train All of the same approaches (warm)."""
    import httpx

    configure = {"model_id": BENCH_MODEL, "prompt": BENCH_PROMPT, "num_steps": STEPS_DEFAULT}
    floor_rates = (raw_physics_steps_per_s, bare_render_ms)
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-first-"))
    out: dict[str, Any] = {}
    try:
        start = time.perf_counter()
        with _Studio(data_dir) as server, httpx.Client(base_url=server.url, timeout=300) as http:
            out["server_answers_s"] = time.perf_counter() - start
            t = time.perf_counter()
            session = http.post("/api/training/configure", json=configure).raise_for_status().json()
            out["first_configure_s"] = time.perf_counter() - t
            warm = wait_warm(http)
            out["start_to_warm_s"] = time.perf_counter() - start
            out["catalog_build_s"] = warm["catalog"]["seconds"]
            t = time.perf_counter()
            http.post("/api/training/configure", json=configure).raise_for_status()
            out["configure_when_warm_s"] = time.perf_counter() - t
            approaches = [a["id"] for a in session["designs"][0]["approaches"]]
            out["first"] = _train_all(http, session, approaches, floor_rates)
            out["warm"] = _train_all(http, session, approaches, floor_rates)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    out["ratio_first_to_warm"] = out["first"]["wall_s"] / out["warm"]["wall_s"]
    return out


def studio(
    train_all: bool, raw_physics_steps_per_s: float | None, bare_render_ms: float | None
) -> dict[str, Any]:
    """Through a real ``tabrl serve``: cold and warm job start, the CLI, and optionally a whole Train All,
    trained as one batch (the default) and then, on a second fresh server with batching off, as three jobs."""
    import httpx

    out: dict[str, Any] = {}
    floor_rates = (raw_physics_steps_per_s, bare_render_ms)
    configure = {"model_id": BENCH_MODEL, "prompt": BENCH_PROMPT, "num_steps": STEPS_DEFAULT}
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-"))
    try:
        with _Studio(data_dir) as server, httpx.Client(base_url=server.url, timeout=120) as http:
            out["approaches_cli"] = approaches_cli_latency(data_dir)
            session = http.post("/api/training/configure", json=configure).json()
            approaches = [a["id"] for a in session["designs"][0]["approaches"]]
            probes = _probe_jobs(http, data_dir, session, approaches)
            out["job_start"] = {
                "first_job": probes[0],
                "second_job": probes[1],
                "warm_dequeue_to_first_progress_s": probes[1]["dequeue_to_first_progress_s"],
                "same_worker": probes[0]["worker_pid"] == probes[1]["worker_pid"],
            }
            out["worker_rss_mb_after_go1_jobs"] = {
                pid: _rss_mb(pid) for pid in {p["worker_pid"] for p in probes}
            }
            if train_all:
                out["train_all"] = {"batched": True, **_train_all(http, session, approaches, floor_rates)}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if not train_all:
        return out
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-separate-"))
    try:
        with (
            _Studio(data_dir, TABRL_TRAIN_BATCH_MAX="1") as server,
            httpx.Client(base_url=server.url, timeout=120) as http,
        ):
            session = http.post("/api/training/configure", json=configure).json()
            approaches = [a["id"] for a in session["designs"][0]["approaches"]]
            _probe_jobs(http, data_dir, session, approaches)  # the same warm state and estimate data as above
            out["train_all_separate_jobs"] = {
                "batched": False,
                **_train_all(http, session, approaches, floor_rates),
            }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    out["train_all"]["ratio_to_separate_jobs"] = (
        out["train_all"]["wall_s"] / out["train_all_separate_jobs"]["wall_s"]
    )
    return out
