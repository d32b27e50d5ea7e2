"""`tabrl bench --soak N`: N Train Alls back to back through a real `tabrl serve`, watching what grows.

Each round designs a session for the next robot of a mix (quadrupeds, an arm, a hand, a humanoid) with the
built-in designer, trains all its approaches as the page's Train All does, and in every third round cancels
one approach while the others train. After each round it records, from the outside (``/proc`` and the
files, so nothing in the server has to cooperate): each worker process's resident memory and open files,
the server's, the data directory's and the database's size, the rows in the event log, and the errors so
far (failed or interrupted jobs, refused requests, ERROR lines in the server's log).

Linux only (``/proc``). The server gets its own data directory; the catalog and compiled-program caches
are the caller's, so a soak does not rebuild them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from tabrl.api.served import ServedStudio
from tabrl.config import get_settings
from tabrl.jobs import retention

# The mix the issue names (Go1, ANYmal C, UR5e, Allegro, a humanoid), each with a behavior in its reach.
ROBOTS: tuple[tuple[str, str], ...] = (
    ("Go1JoystickFlatTerrain", "trot forward"),
    ("AnymalC", "walk in place"),
    ("UR5e", "reach up high"),
    ("AllegroHand", "wiggle the fingers"),
    ("H1JoystickGaitTracking", "march in place"),
)
CANCEL_EVERY = 3  # every third Train All cancels one of its approaches
ENDED = {"done", "failed", "cancelled", "interrupted"}
# What the "flat" bar compares: growth over the rounds after the first five (issue 25: <= 5 %).
WATCHED = (
    "server_rss_mb",
    "server_open_files",
    "worker_rss_mb",
    "worker_open_files",
    "data_mb",
    "db_mb",
    "wal_mb",
    "event_rows",
)
SETTLE = 5
LAST = 20


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _open_files(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def _children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
            if parent == pid:
                cmd = (
                    Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
                out.append((int(entry), cmd))
        except (OSError, ValueError, IndexError):
            continue
    return out


def workers(server_pid: int) -> list[dict[str, Any]]:
    """The server's job workers (spawned multiprocessing children, not its resource tracker)."""
    return [
        {"pid": pid, "rss_mb": _rss_mb(pid), "open_files": _open_files(pid)}
        for pid, cmd in _children(server_pid)
        if "multiprocessing.spawn" in cmd and "resource_tracker" not in cmd
    ]


def _file_mb(path: Path) -> float | None:
    try:
        return round(path.stat().st_size / 1e6, 3)
    except OSError:
        return None


def _event_rows(data_dir: Path) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{data_dir / 'tabrl.db'}?mode=ro", uri=True)) as db:
        rows: int = db.execute("SELECT count(*) FROM events").fetchone()[0]
        return rows


def _log_errors(log: Path) -> int:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return 0
    # uvicorn writes "ERROR:"; the studio's own log.error/log.exception lines reach stderr bare, with a trace.
    return sum(1 for line in text.splitlines() if line.startswith(("ERROR", "Traceback")))


class _Client:
    """The soak's requests; a refused one is counted as an error and raised."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=600)
        self.refused: list[str] = []

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 400:
            self.refused.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            r.raise_for_status()
        return r.json()


def _train_all(api: _Client, model_id: str, prompt: str, steps: int, cancel: bool, timeout: float) -> dict:
    session = api.call(
        "POST", "/api/training/configure", json={"model_id": model_id, "prompt": prompt, "num_steps": steps}
    )
    ids = [a["id"] for a in session["designs"][0]["approaches"]]
    jobs = api.call("POST", "/api/training/batch", json={"session_id": session["id"], "approach_ids": ids})[
        "jobs"
    ]
    job_ids = [j["id"] for j in jobs]
    cancelled: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        listed = api.call("GET", f"/api/sessions/{session['id']}")["jobs"]
        states = {j["id"]: j for j in listed if j["id"] in job_ids}
        if cancel and not cancelled and any(s["status"] == "running" for s in states.values()):
            cancelled.append(job_ids[-1])  # one slice of the running batch; the others go on
            api.call("POST", f"/api/jobs/{job_ids[-1]}/cancel")
        if all(s["status"] in ENDED for s in states.values()):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"Train All of {model_id} not ended after {timeout:.0f} s: {states}")
        time.sleep(1.0)
    return {
        "session": session["id"],
        "statuses": {j: s["status"] for j, s in states.items()},
        "errors": {j: s["error"] for j, s in states.items() if s["status"] in ("failed", "interrupted")},
        "cancelled": cancelled,
    }


@contextlib.contextmanager
def _data_dir(given: Path | None, keep: bool) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="tabrl-soak-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def run_soak(
    n: int,
    *,
    steps: int = 2_000,
    video_seconds: float = 1.0,
    robots: tuple[tuple[str, str], ...] = ROBOTS,
    keep_sessions: int = 5,
    data_dir: Path | None = None,
    keep: bool = False,
    round_timeout_s: float = 1800.0,
    on_round: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Runs the soak and returns its rows (one per Train All) and the growth of each watched figure.

    The server keeps the newest ``keep_sessions`` finished sessions (``TABRL_KEEP_SESSIONS``), as a studio
    meant to run for weeks would: without a cap its data and event log grow with every session by design.
    ``keep``: leave the soak's folder (data and server log) in place."""
    if n < 1:
        raise ValueError(f"--soak needs at least 1 Train All (got {n})")
    cache = get_settings().resolved_cache_dir
    rows: list[dict[str, Any]] = []
    with _data_dir(data_dir, keep) as folder:
        env = {
            "TABRL_DATA_DIR": str(folder / "data"),
            "TABRL_CACHE_DIR": str(cache),
            "TABRL_STEPS_MIN": str(min(steps, 10_000)),
            "TABRL_VIDEO_SECONDS": str(video_seconds),
            "TABRL_KEEP_SESSIONS": str(keep_sessions),
        }
        with ServedStudio(env, folder, ready_s=600) as server:
            assert server.process is not None
            api = _Client(server.url)
            data = folder / "data"
            for i in range(n):
                model_id, prompt = robots[i % len(robots)]
                cancel = i % CANCEL_EVERY == CANCEL_EVERY - 1
                start = time.monotonic()
                try:
                    outcome = _train_all(api, model_id, prompt, steps, cancel, round_timeout_s)
                except (httpx.HTTPError, TimeoutError) as exc:
                    outcome = {"statuses": {}, "errors": {"round": str(exc)}, "cancelled": []}
                pool = workers(server.process.pid)
                row = {
                    "round": i + 1,
                    "robot": model_id,
                    "wall_s": round(time.monotonic() - start, 1),
                    "statuses": outcome["statuses"],
                    "cancelled": outcome["cancelled"],
                    "workers": pool,
                    "worker_rss_mb": max((w["rss_mb"] or 0 for w in pool), default=None),
                    "worker_open_files": max((w["open_files"] or 0 for w in pool), default=None),
                    "server_rss_mb": _rss_mb(server.process.pid),
                    "server_open_files": _open_files(server.process.pid),
                    "data_mb": round(retention.tree_size(data) / 1e6, 2),
                    "db_mb": _file_mb(data / "tabrl.db"),
                    # Grows to SQLite's checkpoint size (~4 MB) and is reused from its start after that.
                    "wal_mb": _file_mb(data / "tabrl.db-wal"),
                    "event_rows": _event_rows(data),
                    "job_errors": outcome["errors"],
                    "errors": len(outcome["errors"]) + len(api.refused) + _log_errors(server.log),
                }
                rows.append(row)
                if on_round is not None:
                    on_round(row)
    return {
        "train_alls": n,
        "steps": steps,
        "video_seconds": video_seconds,
        "keep_sessions": keep_sessions,
        "rows": rows,
        "refused": api.refused,
        "growth": growth(rows),
    }


def growth(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each watched figure's change over the last 20 rounds (never the first five), as a fraction."""
    later = rows[max(SETTLE, len(rows) - LAST) :]
    out: dict[str, float | None] = {}
    for key in WATCHED:
        values = [r[key] for r in later if r[key] is not None]
        out[key] = round((values[-1] - values[0]) / values[0], 3) if len(values) > 1 and values[0] else None
    return out


def markdown_table(report: dict[str, Any]) -> str:
    head = (
        "| # | robot | jobs | worker RSS MB | worker open files | server RSS MB | server open files "
        "| data MB | DB MB | WAL MB | event rows | errors |"
    )
    lines = [head, "|" + "---|" * 12]
    for r in report["rows"]:
        jobs = ", ".join(sorted(r["statuses"].values()))
        lines.append(
            f"| {r['round']} | {r['robot']} | {jobs} | {r['worker_rss_mb']} | {r['worker_open_files']} "
            f"| {r['server_rss_mb']} | {r['server_open_files']} | {r['data_mb']} | {r['db_mb']} | {r['wal_mb']} "
            f"| {r['event_rows']} | {r['errors']} |"
        )
    return "\n".join(lines)
