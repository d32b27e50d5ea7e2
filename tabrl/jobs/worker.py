"""What runs inside a warm worker process: heavy imports once, then one job after another.

A worker is spawned by the local executor, imports JAX, MuJoCo, Playground and the training
pipeline, turns on JAX's persistent compilation cache under the data directory, says ``Ready``
and then waits for work on its pipe. It never touches the database: everything it has to say goes
back over the same pipe as typed messages (``tabrl/jobs/messages.py``): a job's events as
``JobUpdate``, its own state as ``Ready``, ``Idle``, ``Calibration`` or ``Broken``. A cancel request
is the job's run id written into its slot of a few shared integers (one per job of a batch), so a
flag meant for one job can never stop the next one.

A ``RunBatch`` is several training jobs of one robot (a Train All's approaches): they train as one
physics batch with one vmapped PPO update, then each is filmed (``run_batch``).

Robot models stay compiled between jobs (``load_robot`` keeps the last few), so a second job
on the same robot starts training within a second or two of being handed over.
"""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import shutil
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import JsonValue

from tabrl import __version__
from tabrl.jobs import events, layout
from tabrl.jobs.estimate import calibrate
from tabrl.jobs.messages import (
    Broken,
    Calibrate,
    Calibration,
    Exit,
    FromWorker,
    Idle,
    JobUpdate,
    Ready,
    RunBatch,
    RunJob,
    ToWorker,
)
from tabrl.jobs.specs import JobSpec
from tabrl.jobs.states import EventType
from tabrl.robots import catalog
from tabrl.robots.catalog import loaded_models

if TYPE_CHECKING:  # the pipeline (JAX, MuJoCo) is imported by the warm-up, not with this module
    from tabrl.pipeline import RunResult

# How long an idle worker waits on its pipe before checking that the server is still alive.
_PARENT_POLL_S = 1.0


# XLA:CPU logs two screens of "machine feature" errors for every program it loads from the
# persistent cache (tuning flags it cannot verify on the machine that compiled them); absl ignores
# TF_CPP_MIN_LOG_LEVEL, so those lines are dropped from the worker's stderr here.
_NOISE = (b"cpu_aot_loader.cc", b"pjrt_executable.cc:642")


def _filter_stderr() -> None:
    import threading

    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        with os.fdopen(read_end, "rb", buffering=0) as src:
            pending = b""
            while True:
                chunk = src.read(65536)
                if not chunk:
                    return
                pending += chunk
                *lines, pending = pending.split(b"\n")
                kept = b"".join(line + b"\n" for line in lines if not any(n in line for n in _NOISE))
                if kept:
                    os.write(original, kept)

    threading.Thread(target=pump, name="tabrl-stderr-filter", daemon=True).start()


def rss_mb() -> float | None:
    """This process's resident memory in MB (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


def configure_jax_cache(cache_dir: Path) -> Path:
    """Compiled XLA programs are kept on disk, so a job with the same network shapes loads its
    update step instead of compiling it again (also across worker restarts and server restarts)."""
    import jax

    cache = Path(cache_dir) / "jax"
    cache.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(cache))
    # The defaults skip programs that compile in under a second; the PPO update is 1-3 s and the
    # small ones (act, init, the deterministic policy) add up to seconds more per job.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    return cache


# A small program every robot with a floating base or not can score (what the warm-up trains).
_WARM_PROGRAM: dict[str, JsonValue] = {
    "name": "Warm-up",
    "summary": "compiles the training and render path once",
    "terms": [{"term": "upright", "weight": 1.0}, {"term": "action_rate", "weight": -0.01}],
}


def warm_up(cache_dir: Path, models: list[str], batch: int = 1) -> Ready:
    """The heavy imports a job needs, then one tiny job per warm model (robot compiled and kept, PPO's
    jitted steps traced and loaded, the drawing model made) and, with ``batch`` > 1, one tiny batch of
    that many (the vmapped steps a Train All uses): returns what it took, as the worker reports it."""
    start = time.perf_counter()
    configure_jax_cache(cache_dir)
    import tabrl.pipeline  # noqa: F401  (jax, brax, mujoco, the reward compiler, rendering)

    catalog.playground_registry()  # Playground itself: the slowest import of all
    imported = time.perf_counter() - start
    warmed = [m for m in models if _warm_model(m, batch)]
    return Ready(
        pid=os.getpid(),
        rss_mb=rss_mb(),
        warm_s=round(time.perf_counter() - start, 2),
        import_s=round(imported, 2),
        warmed=warmed,
    )


def _warm_model(model_id: str, batch: int) -> bool:
    """One tiny job on ``model_id`` (and a tiny batch of ``batch``): robot compiled and kept, PPO's jitted
    steps traced and stored in the compilation cache, the drawing model made. False if it failed."""
    import tempfile

    import tabrl.pipeline  # JAX: in the worker process only (the web process imports this module)

    try:
        with tempfile.TemporaryDirectory(prefix="tabrl-warm-") as tmp:
            tabrl.pipeline.run_training_job(
                model_id, _WARM_PROGRAM, 1024, Path(tmp) / "job", render_seconds=0.5
            )
            if batch > 1:
                tabrl.pipeline.run_training_batch(
                    model_id,
                    [_WARM_PROGRAM] * batch,
                    1024,
                    [Path(tmp) / f"batch-{k}" for k in range(batch)],
                    render_seconds=0.1,
                )
        return True
    except Exception:  # a model that cannot warm up is compiled by its first job instead
        traceback.print_exc()
        return False


def _warm_marker(cache_dir: Path, model_id: str, batch: int) -> Path:
    """Where a finished idle warm-up of ``model_id`` is recorded: per machine cache and the versions of
    what compiles it (JAX keys its own entries; this only says whether they were made)."""
    from importlib import metadata

    versions = [__version__, str(batch)]
    for package in ("jax", "jaxlib", "brax", "mujoco", "playground"):
        try:
            versions.append(metadata.version(package))
        except metadata.PackageNotFoundError:
            versions.append("-")
    digest = hashlib.sha1("|".join(versions).encode()).hexdigest()[:12]
    return Path(cache_dir) / "warmed" / f"{model_id}-{digest}"


def warm_when_idle(cache_dir: Path, model_id: str, batch: int) -> bool:
    """Fills the compilation cache for one more model while the worker has nothing to do, once per
    machine and versions: skipped when done before, or while another process is doing it. True if
    it trained the tiny job here."""
    import fcntl

    marker = _warm_marker(cache_dir, model_id, batch)
    if marker.exists():
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    with open(marker.with_suffix(".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # another worker or studio is warming it now
        if marker.exists():
            return False
        if _warm_model(model_id, batch):
            marker.write_text(model_id)
        return True


def worker_main(conn: Connection, cancel: Sequence[int], env: dict[str, str]) -> None:
    """Entry point of a warm worker process (spawned). ``cancel``: shared ints holding the run ids to stop."""
    os.environ.update(env)
    _filter_stderr()
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    parent = os.getppid()
    cache_dir = Path(os.environ.get("TABRL_CACHE_DIR") or Path(os.environ["TABRL_DATA_DIR"]) / "cache")

    def send(message: FromWorker) -> None:
        conn.send(message)

    try:
        ready = warm_up(
            cache_dir,
            [m for m in os.environ.get("TABRL_WARM_MODELS", "").split(",") if m.strip()],
            batch=int(os.environ.get("TABRL_WARM_BATCH", "1")),
        )
    except Exception as exc:  # the executor fails the queued job with this reason, not silently
        send(Broken(f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=8)))
        return
    send(ready)
    # The other featured robots: their programs go into the compilation cache between jobs, one tiny job
    # at a time (a job handed meanwhile waits for at most one), so their first Train All compiles nothing.
    idle_warm = [m for m in os.environ.get("TABRL_WARM_IDLE_MODELS", "").split(",") if m.strip()]
    idle_batch = int(os.environ.get("TABRL_WARM_BATCH", "1"))
    jobs = 0
    while True:
        try:
            if idle_warm and not conn.poll(0):
                warm_when_idle(cache_dir, idle_warm.pop(0), idle_batch)
                continue
            if not conn.poll(_PARENT_POLL_S):
                if os.getppid() != parent:
                    return  # the server died without telling us: a worker never outlives it
                continue
            message: ToWorker | None = conn.recv()
        except (EOFError, OSError):
            return
        try:
            match message:
                case None | Exit():
                    return
                case Calibrate():  # the machine's own speed, for the page's time estimate
                    send(_calibration())
                    continue
                case RunJob(spec=spec):
                    specs: tuple[JobSpec, ...] = (spec,)
                case RunBatch(specs=specs):  # the approaches of one Train All
                    pass
            jobs += len(specs)
            worker = events.StartedData(
                worker_pid=os.getpid(),
                worker_jobs=jobs,
                worker_warm_s=ready.warm_s,
                worker_warmed=ready.warmed,
            )
            _run(specs, send, lambda spec: spec.run_id in cancel[:] or os.getppid() != parent, worker)

            send(Idle(pid=os.getpid(), rss_mb=rss_mb(), jobs=jobs, models=loaded_models()))
        except (BrokenPipeError, EOFError, OSError):
            return  # the server is gone
        if os.getppid() != parent:
            return


def _calibration() -> Calibration:
    try:
        return Calibration(figures=calibrate())
    except Exception as exc:
        return Calibration(error=f"{type(exc).__name__}: {exc}")


def _run(
    specs: tuple[JobSpec, ...],
    send: Callable[[FromWorker], None],
    should_stop: Callable[[JobSpec], bool],
    worker: events.StartedData,
) -> None:
    """Runs what the worker was handed (one job, or a batch); each job's events go out as ``JobUpdate``.
    ``should_stop``: a killed server cannot cancel us, so a worker whose parent is gone stops by itself."""

    def send_job(spec: JobSpec, event: events.JobEvent, trace: str | None = None) -> None:
        send(JobUpdate(spec.job_id, spec.attempt, event, trace))

    if len(specs) > 1:
        run_batch(list(specs), send_job, should_stop, worker=worker)
    else:
        (spec,) = specs
        run_job(
            spec,
            functools.partial(send_job, spec),
            functools.partial(should_stop, spec),
            worker=worker,
        )


class Send(Protocol):
    """Where one job's events go (the executor's pipe, or a Ray task's pusher); ``trace``: a failure's."""

    def __call__(self, event: events.JobEvent, trace: str | None = None) -> None: ...


class SendFor(Protocol):
    """Where the events of a batch's jobs go, each with its own spec."""

    def __call__(self, spec: JobSpec, event: events.JobEvent, trace: str | None = None) -> None: ...


def _event_handler(
    spec: JobSpec, send: Send, worker: events.StartedData
) -> Callable[[events.JobEvent], None]:
    """What the engine's events become: hand-over time and the worker on "started", render time left,
    paths relative to the data dir."""
    render_clock: dict[str, float | None] = {"start": None}

    def on_event(event: events.JobEvent) -> None:
        match event:
            case events.Started(data=data):
                update = worker.model_dump()  # only the fields the worker set
                if spec.dequeued_at is not None:  # wall time from the executor's hand-over to training
                    update["handover_s"] = round(time.time() - spec.dequeued_at, 3)
                event = events.Started(type=EventType.STARTED, data=data.model_copy(update=update))
            case events.Rendering(data=data):
                # The engine reports a fraction; the page wants time left, so estimate it here.
                now = time.monotonic()
                start = render_clock["start"]
                if start is None or data.fraction == 0.0:
                    start = render_clock["start"] = now
                eta = (now - start) * (1 - data.fraction) / data.fraction if data.fraction > 0.02 else None
                event = events.Rendering(
                    type=EventType.RENDERING, data=data.model_copy(update={"eta_s": eta})
                )
            case events.Checkpoint(data=data):
                path = _relative(Path(data.path), spec.data_dir)
                event = events.Checkpoint(type=EventType.CHECKPOINT, data=events.CheckpointData(path=path))
        send(event)

    return on_event


def _fresh_dir(out_dir: Path) -> None:
    if out_dir.exists():  # this attempt's own folder: a fresh start
        shutil.rmtree(out_dir)
    for _ in range(3):  # an old attempt's cleanup may remove the (then empty) job folder meanwhile
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            break
        except FileNotFoundError:
            continue


def _done(spec: JobSpec, result: RunResult) -> events.Done:
    """The "done" event of a finished job: its files (relative to the data dir), metrics and timings."""
    rel = functools.partial(_relative, root=spec.data_dir)
    artifacts = {
        layout.VIDEO.key: rel(result.video),
        layout.POSTER.key: rel(result.poster),
        layout.TRAJECTORY.key: rel(result.trajectory),
        layout.METRICS.key: rel(spec.out_dir / layout.METRICS.name),
    }
    if result.sheet:  # ten frames in one image, beside the poster
        artifacts[layout.SHEET.key] = rel(result.sheet)
    if spec.kind == "train":
        artifacts[layout.POLICY.key] = rel(result.checkpoint)
        if result.curves is not None:
            artifacts[layout.CURVES.key] = rel(result.curves)
    else:  # a new video of the same policy: it still offers that policy for download
        assert spec.checkpoint is not None, "a render job names the policy it films"
        artifacts[layout.POLICY.key] = rel(spec.checkpoint)
    metrics: dict[str, JsonValue] = {
        k: v for k, v in result.metrics.items() if isinstance(v, (int, float, bool, str))
    }
    metrics["verdict"] = result.metrics.get("verdict")  # the success check's result, shown under the video
    if result.start_vs_trained:  # whether the trained policy or its start was kept, and why
        from tabrl.render.beat_start import as_json  # JAX: as above

        metrics["start_vs_trained"] = as_json(result.start_vs_trained)
    done = events.DoneData(
        artifacts=artifacts,
        metrics=metrics,
        steps=result.steps,
        wall_s=result.wall_s,
        train_wall_s=result.train_wall_s,
    )
    if result.batch:  # trained in one batch with this many approaches (for the time estimate)
        done.batch = result.batch
    return events.Done(type=EventType.DONE, data=done)


DISK_FULL = (
    "the data directory's disk is full ({error}); nothing of this attempt is kept. Free space "
    "(delete old sessions: the page, tabrl sessions rm, or TABRL_MAX_DATA_GB) and restart the job"
)


def _disk_full(exc: BaseException) -> BaseException | None:
    """The error (in ``exc``'s chain) that says the disk is full; a writer such as ffmpeg only says it in words."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return current
        if "No space left on device" in str(current):
            return current
        current = current.__cause__ or current.__context__
    return None


def _ended(spec: JobSpec, send: Send, outcome: RunResult | BaseException) -> None:
    """Reports a job's end: done, cancelled (its folder removed) or failed (the reason to the page, the
    trace to the server's log)."""
    if not isinstance(outcome, BaseException):
        send(_done(spec, outcome))
        return
    from tabrl.pipeline import Cancelled  # JAX: as above

    layout.remove_attempt_dir(spec.out_dir)
    if isinstance(outcome, Cancelled):
        send(events.Cancelled(type=EventType.CANCELLED, data=events.EndData(reason="cancelled by the user")))
        return
    full = _disk_full(outcome)
    reason = DISK_FULL.format(error=full) if full is not None else f"{type(outcome).__name__}: {outcome}"
    trace = "".join(traceback.format_exception(outcome, limit=8))
    send(events.Failed(type=EventType.FAILED, data=events.EndData(reason=reason)), trace)


def run_job(
    spec: JobSpec,
    send: Send,
    should_stop: Callable[[], bool],
    worker: events.StartedData | None = None,
) -> None:
    """One training or render job, reported through ``send(event)``."""
    on_event = _event_handler(spec, send, worker or events.StartedData())
    try:
        from tabrl.pipeline import Cancelled, run_render_job, run_training_job  # JAX: as above

        _fresh_dir(spec.out_dir)
        if should_stop():  # cancelled while it was being handed over
            raise Cancelled()
        if spec.kind == "train":
            result = run_training_job(
                spec.model_id,
                spec.program,
                spec.steps,
                spec.out_dir,
                render_seconds=spec.seconds,
                on_event=on_event,
                should_stop=should_stop,
                from_base=spec.from_base_option,
                model_store_dir=spec.model_store,
            )
        else:
            assert spec.checkpoint is not None, "a render job names the policy it films"
            on_event(events.Started(type=EventType.STARTED, data=events.StartedData(total_steps=spec.steps)))
            result = run_render_job(
                spec.checkpoint,
                spec.out_dir,
                seconds=spec.seconds,
                on_event=on_event,
                should_stop=should_stop,
            )
    except (BrokenPipeError, EOFError):
        raise
    except Exception as exc:  # Cancelled, or a failure: the reason goes to the page
        _ended(spec, send, exc)
        return
    _ended(spec, send, result)


def run_batch(
    specs: list[JobSpec],
    send: SendFor,
    should_stop: Callable[[JobSpec], bool],
    worker: events.StartedData | None = None,
) -> None:
    """Training jobs of one robot, steps and start trained as one batch (``pipeline.run_training_batch``),
    each reported as its own job through ``send(spec, event, trace)``: its events, and its own end (done,
    failed, or cancelled at once while the others go on). The executor groups only jobs whose settings
    match (``specs.batch_key``)."""
    from tabrl.pipeline import run_training_batch  # JAX: as above

    first = specs[0]
    sends: list[Send] = [functools.partial(send, spec) for spec in specs]
    handlers = [
        _event_handler(spec, s, worker or events.StartedData()) for spec, s in zip(specs, sends, strict=True)
    ]
    ended = [False] * len(specs)

    def on_outcome(k: int, outcome: RunResult | BaseException) -> None:
        ended[k] = True
        _ended(specs[k], sends[k], outcome)

    for spec in specs:
        _fresh_dir(spec.out_dir)
    try:
        run_training_batch(
            first.model_id,
            [spec.program for spec in specs],
            first.steps,
            [spec.out_dir for spec in specs],
            render_seconds=first.seconds,
            from_base=first.from_base_option,
            on_event=lambda k, e: handlers[k](e),
            should_stop=lambda k: should_stop(specs[k]),
            on_outcome=on_outcome,
            model_store_dir=first.model_store,
        )
    except (BrokenPipeError, EOFError):
        raise
    except Exception as exc:  # the batch itself broke (e.g. the robot failed to load): every job left fails
        for k, spec in enumerate(specs):
            if not ended[k]:
                ended[k] = True
                _ended(spec, sends[k], exc)


def _relative(path: Path, root: Path) -> str:
    return str(path.resolve().relative_to(root.resolve()))
