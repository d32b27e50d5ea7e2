"""The catalog's facts: per model, its sizes, time steps, body plan and whether its assets load. Each
needs the model compiled, so the web process builds what is missing in the background
(``start_building``; featured models first, in child processes that exit so the server's memory stays
small) and says how far it got (``build_status``); the facts are cached beside the index
(``catalog_index``), keyed like it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any, Literal, cast

from pydantic import BaseModel

from tabrl.config import get_settings
from tabrl.robots.cache_lock import CacheFileLock
from tabrl.robots.catalog_index import (
    all_ids,
    cache_dir,
    compute_index,
    current_key,
    facts_path,
    index_path,
    read_cache,
    write_cache,
)
from tabrl.robots.catalog_robots import forget_loaded_models, load_robot, loaded_models
from tabrl.robots.catalog_sources import FEATURED


def entry_facts(model_id: str) -> dict:
    from tabrl.robots.anatomy import read_body_plan  # imports MuJoCo: kept out of the catalog's start-up
    from tabrl.robots.model import observation_size

    kept = set(loaded_models())
    try:
        robot = load_robot(model_id)
    except FileNotFoundError as e:
        return {"assets_available": False, "assets_reason": str(e)}
    except Exception as e:  # a model that fails to compile is reported, not fatal to the list
        return {"assets_available": False, "assets_reason": f"{type(e).__name__}: {e}"}
    finally:
        forget_loaded_models(keep=kept)  # building the list must not keep 57 models in memory
    return {
        "assets_available": True,
        "body_plan": read_body_plan(robot).model_dump(),
        "action_size": robot.action_size,
        "observation_size": observation_size(robot.spec, robot.action_size),
        "ctrl_dt": robot.ctrl_dt,
        "sim_dt": robot.sim_dt,
    }


class BuildStatus(BaseModel):
    """How far the catalog's facts are: what the page shows while the models compile."""

    state: Literal["idle", "indexing", "building", "ready", "failed"]
    done: int = 0  # models whose facts are known
    total: int = 0  # models in the catalog (0 until the index is read)
    current: list[str] = []  # the models being compiled now
    error: str | None = None
    seconds: float | None = None  # since the build began (while building) or what it took


class _Build:
    """The facts build's progress, shared by the thread that builds and the requests that read it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: str = "idle"
        self.total = 0
        self.partial: dict[str, dict] = {}  # facts known so far
        self.current: list[str] = []
        self.error: str | None = None
        self.started: float | None = None
        self.took: float | None = None
        self.thread: threading.Thread | None = None

    def begin(self, state: str, total: int = 0) -> None:
        with self.lock:
            if self.started is None or self.state in ("idle", "ready", "failed"):
                self.started, self.took, self.error = time.monotonic(), None, None
                self.partial = {}
            self.state, self.total = state, total or self.total

    def add(self, facts: dict[str, dict]) -> None:
        with self.lock:
            self.partial.update(facts)
            self.current = [m for m in self.current if m not in facts]

    def end(self, state: str, error: str | None = None) -> None:
        with self.lock:
            self.state, self.error, self.current = state, error, []
            if self.started is not None:
                self.took = round(time.monotonic() - self.started, 1)

    def status(self) -> BuildStatus:
        with self.lock:
            seconds = self.took
            if seconds is None and self.started is not None:
                seconds = round(time.monotonic() - self.started, 1)
            return BuildStatus(
                state=cast(Any, self.state),
                done=len(self.partial) if self.state != "ready" else self.total,
                total=self.total,
                current=list(self.current),
                error=self.error,
                seconds=seconds,
            )


_build = _Build()
_facts_lock = threading.Lock()  # one build at a time in this process (the file lock: across processes)
_facts_memo: tuple[str, dict[str, dict]] | None = None


def all_facts() -> dict[str, dict]:
    """Per-model facts, from the cache when it matches this installation (computed once at a time)."""
    global _facts_memo
    key = current_key()
    memo = _facts_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    with _facts_lock:
        facts = _load_or_compute_facts(key)
        _facts_memo = (key, facts)
        return facts


def ready_facts() -> dict[str, dict] | None:
    """The complete facts if they are known now (memory or the cache file), without building anything."""
    global _facts_memo
    key = current_key()
    memo = _facts_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    index = read_cache(index_path(), key)
    if not isinstance(index, dict) or not index:
        return None
    facts = read_cache(facts_path(), key)
    if not isinstance(facts, dict) or set(facts) != set(index):
        return None
    _facts_memo = (key, facts)
    return facts


def facts_so_far() -> dict[str, dict]:
    """The facts a running build has found so far (model id -> facts)."""
    with _build.lock:
        return dict(_build.partial)


def start_building() -> None:
    """Builds whatever of the catalog is missing in a background thread (no-op when it is complete or
    a build is running): the server calls it at start, and a request that finds the catalog incomplete."""
    with _build.lock:
        if _build.thread is not None and _build.thread.is_alive():
            return
        _build.thread = threading.Thread(target=_build_in_background, name="tabrl-catalog-build", daemon=True)
        _build.thread.start()


def _build_in_background() -> None:
    try:
        facts = all_facts()
    except Exception as e:  # the status says why; a later request starts another try
        logging.getLogger(__name__).exception("could not build the model catalog")
        _build.end("failed", f"{type(e).__name__}: {e}")
        return
    with _build.lock:
        _build.total = len(facts)
    _build.end("ready")


def build_status() -> BuildStatus:
    """Where the catalog stands now: ready, or how many models of how many are known."""
    status = _build.status()
    if status.state in ("idle", "ready") and (facts := ready_facts()) is not None:
        return status.model_copy(update={"state": "ready", "done": len(facts), "total": len(facts)})
    return status


def _cached_facts(key: str) -> dict[str, dict] | None:
    facts = read_cache(facts_path(), key)
    return facts if isinstance(facts, dict) and set(facts) == set(all_ids()) else None


def _build_order(ids: list[str]) -> list[str]:
    """Featured models first: the page opens on them."""
    return [m for m in FEATURED if m in ids] + [m for m in ids if m not in FEATURED]


def _load_or_compute_facts(key: str) -> dict[str, dict]:
    facts = _cached_facts(key)
    if facts is not None:
        return facts
    with CacheFileLock(cache_dir()):
        facts = _cached_facts(key)  # another process may have built it while we waited
        if facts is not None:
            return facts
        _build.begin("indexing")
        # Compiling every model takes seconds each and leaves gigabytes behind (Playground, JAX): child
        # processes do it and exit, so the server's own memory stays small.
        if not _build_in_child(key):
            ids = _build_order(all_ids())
            _build.begin("building", len(ids))
            facts = {}
            for model_id in ids:
                _build.current = [model_id]
                facts[model_id] = entry_facts(model_id)
                _build.add({model_id: facts[model_id]})
            write_cache(facts_path(), key, facts)
        facts = _cached_facts(key)
        if facts is None:
            raise RuntimeError("the model catalog could not be built (see the log)")
        return facts


_CHILD_CHUNK = 12  # models per child process: each compiled model leaves memory behind until the child exits
_FACT_LINE = "TABRL-FACT "  # how a child reports one model's facts on its stdout (the rest is ignored)


def _child_env() -> dict[str, str]:
    settings = get_settings()
    env = {
        **os.environ,
        "TABRL_DATA_DIR": str(settings.data_dir),
        "TABRL_CACHE_DIR": str(settings.resolved_cache_dir),
        "TABRL_CATALOG_CHILD": "1",
    }
    if settings.menagerie_path:
        env["TABRL_MENAGERIE_PATH"] = str(settings.menagerie_path)
    return env


def _run_child(args: list[str], on_line: Callable[[str], None], timeout: float) -> None:
    """``python -m tabrl.robots.catalog_build ARGS`` (it lowers its own priority), each stdout
    line handed to ``on_line``; CalledProcessError (with its stderr) when it fails or overruns."""
    with tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tabrl.robots.catalog_build", *args],
            env=_child_env(),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line)
            code = process.wait()
        finally:
            timer.cancel()
        if code != 0:
            err.seek(0)
            raise subprocess.CalledProcessError(code, args, stderr=err.read()[-4000:])


def _build_in_child(key: str) -> bool:
    """Builds both caches in ``python -m tabrl.robots.catalog_build`` children; False if they could not run."""
    if os.environ.get("TABRL_CATALOG_CHILD"):
        return False  # we are such a child
    log = logging.getLogger(__name__)
    index = read_cache(index_path(), key)
    facts: dict[str, dict] = {}

    def take(line: str) -> None:
        if line.startswith(_FACT_LINE):
            fact = json.loads(line[len(_FACT_LINE) :])
            facts.update(fact)
            _build.add(fact)

    try:
        if not isinstance(index, dict) or not index:
            lines: list[str] = []
            _run_child(["index"], lines.append, timeout=600)
            index = json.loads(next(x for x in lines if x.startswith(_FACT_LINE))[len(_FACT_LINE) :])
            write_cache(index_path(), key, index)  # at once: listing the ids need not wait for the facts
        ids = _build_order(list(index))
        _build.begin("building", len(ids))
        chunks = [ids[: len(FEATURED)]] + [
            ids[n : n + _CHILD_CHUNK] for n in range(len(FEATURED), len(ids), _CHILD_CHUNK)
        ]
        for chunk in chunks:
            _build.current = list(chunk)
            _run_child(["facts", *chunk], take, timeout=1800)
    except (OSError, ValueError, StopIteration, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", None) or e
        log.warning("building the catalog in child processes failed; building here:\n%s", str(detail)[-2000:])
        return False
    write_cache(facts_path(), key, facts)
    return True


def _report(value: Any) -> None:
    """A child's result line (on a line of its own, whatever a library printed before it)."""
    sys.stdout.write(f"\n{_FACT_LINE}{json.dumps(value)}\n")
    sys.stdout.flush()


if __name__ == "__main__":  # a child process building part of the caches (see _build_in_child)
    os.nice(10)  # a lower priority than the studio's own work: a Train All comes first
    what, *model_ids = sys.argv[1:]
    if what == "index":
        _report(compute_index())
    for model_id in model_ids:  # one line per model, as soon as it is known: the build's progress
        _report({model_id: entry_facts(model_id)})
