"""How long training and filming N approaches takes here, from this machine's own measurements.

Two sources, both kept in ``<data dir>/cache/estimate.json``:

* a *calibration* a warm worker makes when the server starts: raw MuJoCo physics of Go1
  (``mujoco.rollout``, control steps/s) and a bare ``mujoco.Renderer`` frame of the same scene;
* *finished jobs*: per model and per number of jobs running at once (1, 2, ...), training
  steps/s, all-in video cost per frame and the time besides both (hand-over, set-up, saving),
  as running averages that favour recent jobs.

A model with finished jobs is estimated from them; one without from the calibration, scaled by
how fast jobs ran relative to it (PPO vs raw physics, our video vs the bare renderer), learned
from whichever jobs have finished. Separate jobs run in waves of at most ``workers`` at once.

Approaches trained as one batch on one worker (the local executor's Train All, ``train_batch_max``)
are estimated from finished batches of that size (aggregate training steps/s, video cost per frame
with the videos filmed one after another, overhead); before any, from single jobs of the model
(or the calibration) times how much faster a batch trains than one job alone (``batch_to_single``,
learned from finished batches).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tabrl.render import film
from tabrl.robots.catalog import load_robot

FPS = 30
ALPHA = 0.5  # weight of the newest job in the running averages
# Before any job has finished, from this project's measurements (2-core machine, Go1):
DEFAULT_TRAIN_TO_PHYSICS = 0.45  # PPO env-steps/s over raw rollout control steps/s
DEFAULT_VIDEO_TO_BARE = 0.45  # our all-in video ms/frame (decimated meshes) over the bare renderer's
DEFAULT_OVERHEAD_S = 2.0
DEFAULT_PARALLEL_SPEEDUP = 1.3  # two jobs at once on two cores finish 1.3x sooner than one by one
# A batch of three Go1 approaches trains 1.2x as many env-steps per CPU-second as one job alone (measured
# side by side in one process on the 2-core machine, 3,072 steps each: 5,215-5,517 vs 4,377-4,401).
DEFAULT_BATCH_TO_SINGLE = 1.2
CALIBRATION_MODEL = "Go1JoystickFlatTerrain"

_lock = threading.Lock()


class _Stored(BaseModel):
    # Keys this version does not know (a newer one's) are kept when the file is written back.
    model_config = ConfigDict(extra="allow")


class Speeds(_Stored):
    """How fast jobs ran: running averages (or, before any finished, what they are estimated from)."""

    train_steps_per_s: float  # training env-steps/s (a batch's: all its jobs together)
    video_ms_per_frame: float  # all-in video cost: rollout, render, encode, save
    overhead_s: float  # the rest of the wall time: hand-over, set-up, compile, saving


class JobSpeeds(Speeds):
    jobs: int = 0  # finished jobs averaged


class BatchSpeeds(Speeds):
    batches: int = 0  # finished batches averaged


class Machine(_Stored):
    """The calibration (``calibrate``): raw physics and a bare renderer on this machine."""

    model: str | None = None
    physics_steps_per_s: float | None = None
    bare_render_ms: float | None = None
    measured_at: float | None = None  # time.time()


class Ratios(_Stored):
    """How finished work compared to the calibration, and batches to single jobs (None: not measured yet)."""

    train_to_physics: float | None = None
    video_to_bare: float | None = None
    batch_to_single: float | None = None


class Measurements(_Stored):
    """``<data dir>/cache/estimate.json``."""

    machine: Machine | None = None
    # model id -> jobs running at once ("1", "2", ...) -> their speeds
    models: dict[str, dict[str, JobSpeeds]] = Field(default_factory=dict)
    # model id -> batch size ("3", ...) -> the batch's speeds (a batch is one worker training its jobs)
    batches: dict[str, dict[str, BatchSpeeds]] = Field(default_factory=dict)
    ratios: Ratios = Field(default_factory=Ratios)


class Wave(TypedDict):
    """Jobs running at once (or, batched, ``batches``: the sizes of the batches running at once)."""

    jobs: int
    seconds: float
    batches: NotRequired[list[int]]


class TimeEstimate(TypedDict):
    """``GET /api/estimate`` (``api.schemas.BatchEstimate``)."""

    model_id: str
    steps: int
    approaches: int
    workers: int
    seconds: float
    per_approach_s: float
    waves: list[Wave]
    basis: str | None  # what it is measured from (None: no approaches)
    calibrated: bool


def _path(data_dir: Path) -> Path:
    return Path(data_dir) / "cache" / "estimate.json"


def load(data_dir: Path) -> Measurements:
    try:
        return Measurements.model_validate_json(_path(data_dir).read_bytes())
    except (OSError, ValidationError):  # none yet, or unreadable: the estimate starts afresh
        return Measurements()


def _save(data_dir: Path, data: Measurements) -> None:
    path = _path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    # Unmeasured figures are left out, as they always were in this file.
    tmp.write_text(json.dumps(data.model_dump(exclude_none=True), indent=1))
    tmp.replace(path)


def _ema(old: float | None, new: float) -> float:
    return new if old is None else (1 - ALPHA) * old + ALPHA * new


def record_calibration(data_dir: Path, calibration: Mapping[str, float | str]) -> None:
    machine = Machine.model_validate({**calibration, "measured_at": time.time()})
    with _lock:
        data = load(data_dir)
        data.machine = machine
        _save(data_dir, data)


def record_job(
    data_dir: Path,
    model_id: str,
    *,
    concurrency: int,
    steps: int,
    train_s: float,
    video_s: float,
    frames: int,
    overhead_s: float,
) -> None:
    """One finished training job: ``train_s`` training, ``video_s`` rollout+render+save, ``overhead_s`` the rest."""
    if steps <= 0 or train_s <= 0 or frames <= 0:
        return
    k = str(max(1, concurrency))
    rate, frame_ms, overhead_s = steps / train_s, 1000 * video_s / frames, max(0.0, overhead_s)
    with _lock:
        data = load(data_dir)
        per_k = data.models.setdefault(model_id, {})
        slot = per_k.get(k)
        if slot is None:  # the first job: each average starts at it
            slot = per_k[k] = JobSpeeds(
                train_steps_per_s=rate, video_ms_per_frame=frame_ms, overhead_s=overhead_s
            )
        else:
            slot.train_steps_per_s = _ema(slot.train_steps_per_s, rate)
            slot.video_ms_per_frame = _ema(slot.video_ms_per_frame, frame_ms)
            if overhead_s < 3 * slot.overhead_s + 2:  # else a one-off compile: not typical
                slot.overhead_s = _ema(slot.overhead_s, overhead_s)
        slot.jobs += 1
        machine, ratios = data.machine, data.ratios
        if k == "1" and machine is not None and model_id == machine.model:  # how jobs compare to it
            if machine.physics_steps_per_s:
                ratios.train_to_physics = _ema(ratios.train_to_physics, rate / machine.physics_steps_per_s)
            if machine.bare_render_ms:
                ratios.video_to_bare = _ema(ratios.video_to_bare, frame_ms / machine.bare_render_ms)
        _save(data_dir, data)


def record_batch(
    data_dir: Path,
    model_id: str,
    *,
    size: int,
    steps: int,
    train_s: float,
    video_s: float,
    frames: int,
    overhead_s: float,
) -> None:
    """One finished batch of ``size`` jobs of ``steps`` each: ``train_s`` training them all, ``video_s`` filming
    and saving all of them (``frames`` each), ``overhead_s`` the rest of its wall time."""
    if size <= 0 or steps <= 0 or train_s <= 0 or frames <= 0:
        return
    rate, frame_ms, overhead_s = (
        size * steps / train_s,
        1000 * video_s / (size * frames),
        max(0.0, overhead_s),
    )
    with _lock:
        data = load(data_dir)
        # Kept apart from "models" (keyed by jobs at once): a batch is one worker training ``size`` jobs.
        per_size = data.batches.setdefault(model_id, {})
        slot = per_size.get(str(size))
        if slot is None:  # the first batch: each average starts at it
            slot = per_size[str(size)] = BatchSpeeds(
                train_steps_per_s=rate, video_ms_per_frame=frame_ms, overhead_s=overhead_s
            )
        else:
            slot.train_steps_per_s = _ema(slot.train_steps_per_s, rate)
            slot.video_ms_per_frame = _ema(slot.video_ms_per_frame, frame_ms)
            slot.overhead_s = _ema(slot.overhead_s, overhead_s)
        slot.batches += 1
        single = data.models.get(model_id, {}).get("1")
        if single is not None and single.train_steps_per_s:
            data.ratios.batch_to_single = _ema(data.ratios.batch_to_single, rate / single.train_steps_per_s)
        _save(data_dir, data)


def batch_seconds(
    data: Measurements,
    model_id: str,
    steps: int,
    frames: int,
    size: int,
    fallback_steps_per_s: float = 7000.0,
) -> tuple[float, str]:
    """Wall time of ``size`` approaches trained as one batch on one worker, and what it is based on."""
    batches = data.batches.get(model_id) or {}
    slot: Speeds | None = batches.get(str(size))
    if slot is not None:
        basis = f"{model_id} batches of {size}"
    elif batches:  # measured with another batch size: its aggregate speed, per-frame cost and overhead
        near = min(batches, key=lambda b: abs(int(b) - size))
        slot, basis = batches[near], f"{model_id} batches of {near}, scaled to {size}"
    else:
        one, basis, scale = _job_slot(data, model_id, 1, fallback_steps_per_s)
        factor = data.ratios.batch_to_single
        factor = DEFAULT_BATCH_TO_SINGLE if factor is None else factor
        # Its videos are filmed side by side where the worker films them so (render.film).
        side_by_side = film.SIDE_BY_SIDE_COST if film.film_threads(size) > 1 else 1.0
        slot = Speeds(  # one job alone, its training sped up by the batch
            overhead_s=one.overhead_s * scale,
            train_steps_per_s=one.train_steps_per_s / scale * factor,
            video_ms_per_frame=one.video_ms_per_frame * scale * side_by_side,
        )
        basis = f"{basis}; one batch of {size} (x{factor:.2f} training speed)"
    seconds = (
        slot.overhead_s
        + size * steps / slot.train_steps_per_s
        + size * frames * slot.video_ms_per_frame / 1000
    )
    return seconds, basis


def _slowdown(data: Measurements, k: int) -> float:
    """How much longer one job takes with ``k`` running at once (learned where both were measured)."""
    if k <= 1:
        return 1.0
    seen = []
    for per_k in data.models.values():
        one, many = per_k.get("1"), per_k.get(str(k))
        if one is not None and many is not None:
            t1 = 1 / one.train_steps_per_s + one.video_ms_per_frame / 1000
            tk = 1 / many.train_steps_per_s + many.video_ms_per_frame / 1000
            seen.append(tk / t1)
    if seen:
        return float(sum(seen) / len(seen))
    return k / DEFAULT_PARALLEL_SPEEDUP


def job_seconds(
    data: Measurements, model_id: str, steps: int, frames: int, k: int, fallback_steps_per_s: float = 7000.0
) -> tuple[float, str]:
    """One job's wall time with ``k`` jobs at once, and what it is based on."""
    slot, basis, scale = _job_slot(data, model_id, k, fallback_steps_per_s)
    seconds = slot.overhead_s + steps / slot.train_steps_per_s + frames * slot.video_ms_per_frame / 1000
    return seconds * scale, basis


def _job_slot(
    data: Measurements, model_id: str, k: int, fallback_steps_per_s: float
) -> tuple[Speeds, str, float]:
    """(speeds of one job with ``k`` at once, basis, slowdown still to apply): measured, else calibrated."""
    per_k = data.models.get(model_id) or {}
    slot: Speeds | None = per_k.get(str(k))
    basis, scale = f"{model_id} jobs, {k} at once", 1.0
    if slot is None and per_k:  # measured on this model, but at another concurrency
        near = min(per_k, key=lambda c: abs(int(c) - k))
        slot, basis = per_k[near], f"{model_id} jobs, {near} at once, scaled"
        scale = _slowdown(data, k) / _slowdown(data, int(near))
    if slot is None:
        machine, ratios = data.machine, data.ratios
        if machine is not None and machine.physics_steps_per_s and machine.bare_render_ms:
            train_to_physics, video_to_bare = ratios.train_to_physics, ratios.video_to_bare
            slot = Speeds(
                train_steps_per_s=machine.physics_steps_per_s
                * (DEFAULT_TRAIN_TO_PHYSICS if train_to_physics is None else train_to_physics),
                video_ms_per_frame=machine.bare_render_ms
                * (DEFAULT_VIDEO_TO_BARE if video_to_bare is None else video_to_bare),
                overhead_s=DEFAULT_OVERHEAD_S,
            )
            basis = f"calibration on {machine.model or CALIBRATION_MODEL} (no {model_id} job finished yet)"
        else:
            slot = Speeds(
                train_steps_per_s=fallback_steps_per_s, video_ms_per_frame=60.0, overhead_s=DEFAULT_OVERHEAD_S
            )
            basis = "defaults (not calibrated yet)"
        scale = _slowdown(data, k)
    return slot, basis, scale


def estimate_batch(
    data_dir: Path,
    model_id: str,
    steps: int,
    approaches: int,
    workers: int,
    video_seconds: float,
    fallback_steps_per_s: float = 7000.0,
    batch_max: int = 1,
) -> TimeEstimate:
    """Wall time for ``approaches`` jobs of ``steps`` each with ``workers`` running at once, or, with
    ``batch_max`` > 1, trained in batches of up to ``batch_max`` on one worker each."""
    data = load(data_dir)
    frames = int(round(video_seconds * FPS))
    workers = max(1, workers)
    total, left = 0.0, approaches
    waves: list[Wave] = []
    basis: str | None = None
    if batch_max > 1 and approaches > 1:
        sizes = [min(batch_max, approaches - i) for i in range(0, approaches, batch_max)]
        while sizes:  # waves of batches, one per worker
            wave, sizes = sizes[:workers], sizes[workers:]
            timed = [batch_seconds(data, model_id, steps, frames, b, fallback_steps_per_s) for b in wave]
            seconds = max(t for t, _ in timed) * _slowdown(data, len(wave))
            basis = basis or timed[0][1]
            waves.append({"jobs": sum(wave), "batches": wave, "seconds": round(seconds, 1)})
            total += seconds
        left = 0
    while left > 0:  # waves of jobs: the last may run fewer at once (and so faster each)
        k = min(left, workers)
        seconds, b = job_seconds(data, model_id, steps, frames, k, fallback_steps_per_s)
        basis = basis or b
        waves.append({"jobs": k, "seconds": round(seconds, 1)})
        total += seconds
        left -= k
    one, _ = job_seconds(data, model_id, steps, frames, 1, fallback_steps_per_s)
    return {
        "model_id": model_id,
        "steps": steps,
        "approaches": approaches,
        "workers": workers,
        "seconds": round(total, 1),
        "per_approach_s": round(one, 1),
        "waves": waves,
        "basis": basis,
        "calibrated": data.machine is not None,
    }


def calibrate(
    model_id: str = CALIBRATION_MODEL, seconds: float = 0.6, frames: int = 12
) -> dict[str, float | str]:
    """Raw physics and bare-renderer speed of one robot on this machine (runs in a warm worker)."""
    import mujoco
    import numpy as np
    from mujoco import rollout

    from tabrl.render import video  # the renderer: only the worker's calibration draws
    from tabrl.render.camera import make_camera

    robot = load_robot(model_id)
    model = robot.mj_model
    nthread, num_envs, nsub = 2, 64, robot.n_substeps
    datas = [mujoco.MjData(model) for _ in range(nthread)]
    data = mujoco.MjData(model)
    data.qpos[:] = robot.spec.default_qpos
    mujoco.mj_forward(model, data)
    state = np.zeros((num_envs, mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS)))
    for i in range(num_envs):
        mujoco.mj_getState(model, data, state[i], mujoco.mjtState.mjSTATE_FULLPHYSICS)
    ctrl = np.zeros((num_envs, 8 * nsub, model.nu))
    runner = rollout.Rollout(nthread=nthread)
    runner.rollout(model, datas, state, ctrl, nstep=8 * nsub)
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        runner.rollout(model, datas, state, ctrl, nstep=8 * nsub)
        n += num_envs * 8
    physics = n / (time.perf_counter() - start)
    renderer = video.make_renderer(robot, 640, 360, full_meshes=True)
    camera = make_camera(robot)
    renderer.update_scene(data, camera)
    renderer.render()
    start = time.perf_counter()
    for _ in range(frames):
        renderer.update_scene(data, camera)
        renderer.render()
    bare_ms = (time.perf_counter() - start) / frames * 1000
    renderer.close()
    return {"model": model_id, "physics_steps_per_s": physics, "bare_render_ms": bare_ms}
