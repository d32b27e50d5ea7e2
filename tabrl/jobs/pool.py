"""The local executor's bookkeeping: its workers, the runs they hold and the batches they train, and what a
finished run or batch tells the time estimate. Plain data: only the dispatcher thread changes it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from tabrl.config import Settings
from tabrl.jobs import estimate, events
from tabrl.jobs.events import DoneData
from tabrl.jobs.states import EventType
from tabrl.rewards.limits import N_APPROACHES
from tabrl.robots.catalog import FEATURED

log = logging.getLogger(__name__)

ENDED_TYPES = (EventType.DONE, EventType.FAILED, EventType.CANCELLED)  # what a worker may end a run with
# A worker's cancel flags: one shared int per job it runs at once (a batch's jobs), holding the run id to stop.
CANCEL_SLOTS = 8


@dataclass
class Group:
    """The jobs handed to one worker as one batch: what the time estimate learns from it."""

    size: int
    model_id: str
    seconds: float  # video length of each
    handed_at: float = field(default_factory=time.monotonic)
    first_progress: tuple[float, int] | None = None  # (time, steps of one slice)
    train_end: float | None = None  # when the first video began
    done: list[DoneData] = field(default_factory=list)  # the "done" data of each finished job


@dataclass
class Run:
    """One attempt of one job on one worker."""

    run_id: int
    job_id: int
    attempt: int
    model_id: str
    out_dir: Path
    kind: str = "train"
    slot: int = 0  # its cancel flag on the worker (its place in a batch)
    batch: int = 1  # how many jobs were handed to the worker with it
    group: Group | None = None  # the batch it trains in
    seconds: float = 10.0  # video length
    handed_at: float = field(default_factory=time.monotonic)
    concurrency: int = 1  # most jobs running at once while this one ran (for the time estimate)
    first_progress: tuple[float, int] | None = None  # (time, steps) of its first progress event
    render_start: float | None = None  # when training ended and filming began
    cancel_at: float | None = None
    outcome: str | None = None  # the terminal event type the worker sent


@dataclass
class Worker:
    wid: int
    process: BaseProcess
    conn: Connection
    cancel: Any  # shared ints (CANCEL_SLOTS): the run ids the worker must stop (a ctypes array)
    spawned_at: float = field(default_factory=time.monotonic)
    ready: bool = False
    pid: int | None = None
    runs: list[Run] = field(default_factory=list)  # its jobs not yet ended (several for a batch)
    busy: bool = False  # handed work, and not yet reported idle
    jobs: int = 0
    rss_mb: float | None = None
    warm_s: float | None = None
    models: list[str] = field(default_factory=list)
    retiring_at: float | None = None  # asked to exit (recycled or shutting down)
    calibrating: bool = False
    killed: bool = False
    broken: str | None = None  # why its warm-up failed
    closed: bool = False  # its pipe is at EOF


def summary(w: Worker) -> dict[str, int | float | bool | list[int] | None]:
    """One worker as /api/info, the bench and the tests see it."""
    return {
        "pid": w.pid,
        "ready": w.ready,
        "busy": w.busy,
        "jobs": w.jobs,
        "rss_mb": w.rss_mb,
        "warm_s": w.warm_s,
        "job_id": w.runs[0].job_id if w.runs else None,
        "job_ids": [r.job_id for r in w.runs],
    }


def record_calibration(settings: Settings, figures: dict[str, float | str]) -> None:
    """Feeds the time estimate with the machine's own speed."""
    try:
        estimate.record_calibration(settings.data_dir, figures)
        log.info("calibrated: %s", figures)
    except Exception:  # the estimate is a nicety: never let it stop the dispatcher
        log.exception("could not record the calibration for the estimate")


def record_run(settings: Settings, run: Run, data: DoneData) -> None:
    """Feeds the time estimate with a finished training job."""
    try:
        if run.batch > 1:
            return  # a batch's jobs share their training: record_group
        wall, train, steps = data.wall_s, data.train_wall_s, data.steps
        if not wall or not train or not steps or run.first_progress is None or run.render_start is None:
            return
        # Training speed from the first progress on (a compile before it is overhead, not speed).
        t0, s0 = run.first_progress
        if run.render_start - t0 <= 0 or int(steps) <= s0:
            return
        rate = (int(steps) - s0) / (run.render_start - t0)
        video = float(wall) - float(train)
        total = time.monotonic() - run.handed_at
        estimate.record_job(
            settings.data_dir,
            run.model_id,
            concurrency=run.concurrency,
            steps=int(steps),
            train_s=int(steps) / rate,
            video_s=video,
            frames=int(round(run.seconds * estimate.FPS)),
            overhead_s=total - int(steps) / rate - video,
        )
    except Exception:  # the estimate is a nicety: never let it stop the dispatcher
        log.exception("could not record a measurement for the estimate")


def record_group(settings: Settings, group: Group) -> None:
    """Feeds the time estimate with a batch whose jobs all finished."""
    try:
        steps = min(int(d.steps or 0) for d in group.done)
        if group.first_progress is None or group.train_end is None or steps <= 0:
            return
        t0, s0 = group.first_progress
        if group.train_end - t0 <= 0 or steps <= s0:
            return
        train_s = steps * (group.train_end - t0) / (steps - s0)  # its speed from the first progress on
        video_s = time.monotonic() - group.train_end
        estimate.record_batch(
            settings.data_dir,
            group.model_id,
            size=group.size,
            steps=steps,
            train_s=train_s,
            video_s=video_s,
            frames=int(round(group.seconds * estimate.FPS)),
            overhead_s=(time.monotonic() - group.handed_at) - train_s - video_s,
        )
    except Exception:  # the estimate is a nicety: never let it stop the dispatcher
        log.exception("could not record a batch for the estimate")


def follow(
    w: Worker, run: Run, event: events.JobEvent, finished: list[tuple[Run, events.DoneData]]
) -> list[Group]:
    """What a run's event tells the time estimate; an end takes the run off its worker. Returns the
    batch whose jobs have now all finished (if any)."""
    if isinstance(event, events.Progress) and run.first_progress is None:
        run.first_progress = (time.monotonic(), int(event.data.steps or 0))
        if run.group is not None and run.group.first_progress is None:
            run.group.first_progress = run.first_progress
    if isinstance(event, events.Rendering) and run.render_start is None:
        run.render_start = time.monotonic()
        if run.group is not None and run.group.train_end is None:
            run.group.train_end = run.render_start
    if event.type not in ENDED_TYPES:
        return []
    run.outcome = event.type
    w.runs.remove(run)  # ended: the worker may still be busy with the rest of its batch
    if not isinstance(event, events.Done):
        return []
    if run.kind == "train":
        finished.append((run, event.data))
    if run.group is not None:
        run.group.done.append(event.data)
        if len(run.group.done) == run.group.size:  # every job of the batch finished
            return [run.group]
    return []


def worker_env(settings: Settings) -> dict[str, str]:
    """What a spawned worker is told through its environment: where data and caches live, what to warm."""
    env = {
        "TABRL_DATA_DIR": str(settings.data_dir),
        "TABRL_CACHE_DIR": str(settings.resolved_cache_dir),
        "TABRL_WARM_MODELS": settings.warm_models,
        # A Train All is usually one batch of three approaches: warm its vmapped steps too.
        "TABRL_WARM_BATCH": str(min(settings.train_batch_max, N_APPROACHES)),
        "TABRL_WARM_IDLE_MODELS": ",".join(_idle_warm_models(settings)),
    }
    if settings.menagerie_path:
        env["TABRL_MENAGERIE_PATH"] = str(settings.menagerie_path)
    return env


def _idle_warm_models(settings: Settings) -> list[str]:
    """The featured robots a worker puts into the compilation cache between jobs (once per machine)."""
    if not settings.warm_featured:
        return []
    warm = {m.strip() for m in settings.warm_models.split(",")}
    return [m for m in FEATURED if m not in warm]
