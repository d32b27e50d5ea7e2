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
from pathlib import Path
from typing import Any

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


def _path(data_dir: Path) -> Path:
    return Path(data_dir) / "cache" / "estimate.json"


def load(data_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads(_path(data_dir).read_text())
        return data if isinstance(data, dict) else {}
    except (OSError, json.JSONDecodeError):
        return {}


def _save(data_dir: Path, data: dict[str, Any]) -> None:
    path = _path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def _ema(old: float | None, new: float) -> float:
    return new if old is None else (1 - ALPHA) * old + ALPHA * new


def record_calibration(data_dir: Path, calibration: dict[str, Any]) -> None:
    with _lock:
        data = load(data_dir)
        data["machine"] = {**calibration, "measured_at": time.time()}
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
    with _lock:
        data = load(data_dir)
        slot = data.setdefault("models", {}).setdefault(model_id, {}).setdefault(k, {})
        slot["train_steps_per_s"] = _ema(slot.get("train_steps_per_s"), steps / train_s)
        slot["video_ms_per_frame"] = _ema(slot.get("video_ms_per_frame"), 1000 * video_s / frames)
        overhead_s = max(0.0, overhead_s)
        if slot.get("overhead_s") is None or overhead_s < 3 * slot["overhead_s"] + 2:
            slot["overhead_s"] = _ema(
                slot.get("overhead_s"), overhead_s
            )  # else a one-off compile: not typical
        slot["jobs"] = slot.get("jobs", 0) + 1
        machine = data.get("machine") or {}
        if k == "1" and model_id == machine.get("model"):  # how jobs compare to the calibration
            ratios = data.setdefault("ratios", {})
            if machine.get("physics_steps_per_s"):
                ratios["train_to_physics"] = _ema(
                    ratios.get("train_to_physics"), (steps / train_s) / machine["physics_steps_per_s"]
                )
            if machine.get("bare_render_ms"):
                ratios["video_to_bare"] = _ema(
                    ratios.get("video_to_bare"), (1000 * video_s / frames) / machine["bare_render_ms"]
                )
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
    with _lock:
        data = load(data_dir)
        # Kept apart from "models" (keyed by jobs at once): a batch is one worker training ``size`` jobs.
        slot = data.setdefault("batches", {}).setdefault(model_id, {}).setdefault(str(size), {})
        rate = size * steps / train_s
        slot["train_steps_per_s"] = _ema(slot.get("train_steps_per_s"), rate)
        slot["video_ms_per_frame"] = _ema(slot.get("video_ms_per_frame"), 1000 * video_s / (size * frames))
        slot["overhead_s"] = _ema(slot.get("overhead_s"), max(0.0, overhead_s))
        slot["batches"] = slot.get("batches", 0) + 1
        single = ((data.get("models") or {}).get(model_id) or {}).get("1")
        if single and single.get("train_steps_per_s"):
            ratios = data.setdefault("ratios", {})
            ratios["batch_to_single"] = _ema(
                ratios.get("batch_to_single"), rate / single["train_steps_per_s"]
            )
        _save(data_dir, data)


def batch_seconds(
    data: dict[str, Any],
    model_id: str,
    steps: int,
    frames: int,
    size: int,
    fallback_steps_per_s: float = 7000.0,
) -> tuple[float, str]:
    """Wall time of ``size`` approaches trained as one batch on one worker, and what it is based on."""
    batches = (data.get("batches") or {}).get(model_id) or {}
    slot = batches.get(str(size))
    if slot is not None:
        basis = f"{model_id} batches of {size}"
    elif batches:  # measured with another batch size: its aggregate speed, per-frame cost and overhead
        near = min(batches, key=lambda b: abs(int(b) - size))
        slot, basis = batches[near], f"{model_id} batches of {near}, scaled to {size}"
    else:
        one, basis, scale = _job_slot(data, model_id, 1, fallback_steps_per_s)
        factor = (data.get("ratios") or {}).get("batch_to_single", DEFAULT_BATCH_TO_SINGLE)
        # Its videos are filmed side by side where the worker films them so (render.film).
        side_by_side = film.SIDE_BY_SIDE_COST if film.film_threads(size) > 1 else 1.0
        slot = {  # one job alone, its training sped up by the batch
            "overhead_s": one["overhead_s"] * scale,
            "train_steps_per_s": one["train_steps_per_s"] / scale * factor,
            "video_ms_per_frame": one["video_ms_per_frame"] * scale * side_by_side,
        }
        basis = f"{basis}; one batch of {size} (x{factor:.2f} training speed)"
    seconds = (
        slot["overhead_s"]
        + size * steps / slot["train_steps_per_s"]
        + size * frames * slot["video_ms_per_frame"] / 1000
    )
    return seconds, basis


def _slowdown(data: dict[str, Any], k: int) -> float:
    """How much longer one job takes with ``k`` running at once (learned where both were measured)."""
    if k <= 1:
        return 1.0
    seen = []
    for per_k in (data.get("models") or {}).values():
        one, many = per_k.get("1"), per_k.get(str(k))
        if one and many:
            t1 = 1 / one["train_steps_per_s"] + one["video_ms_per_frame"] / 1000
            tk = 1 / many["train_steps_per_s"] + many["video_ms_per_frame"] / 1000
            seen.append(tk / t1)
    if seen:
        return float(sum(seen) / len(seen))
    return k / DEFAULT_PARALLEL_SPEEDUP


def job_seconds(
    data: dict[str, Any], model_id: str, steps: int, frames: int, k: int, fallback_steps_per_s: float = 7000.0
) -> tuple[float, str]:
    """One job's wall time with ``k`` jobs at once, and what it is based on."""
    slot, basis, scale = _job_slot(data, model_id, k, fallback_steps_per_s)
    seconds = (
        slot["overhead_s"] + steps / slot["train_steps_per_s"] + frames * slot["video_ms_per_frame"] / 1000
    )
    return seconds * scale, basis


def _job_slot(
    data: dict[str, Any], model_id: str, k: int, fallback_steps_per_s: float
) -> tuple[dict[str, float], str, float]:
    """(speeds of one job with ``k`` at once, basis, slowdown still to apply): measured, else calibrated."""
    per_k = (data.get("models") or {}).get(model_id) or {}
    slot, basis, scale = per_k.get(str(k)), f"{model_id} jobs, {k} at once", 1.0
    if slot is None and per_k:  # measured on this model, but at another concurrency
        near = min(per_k, key=lambda c: abs(int(c) - k))
        slot, basis = per_k[near], f"{model_id} jobs, {near} at once, scaled"
        scale = _slowdown(data, k) / _slowdown(data, int(near))
    if slot is None:
        machine = data.get("machine") or {}
        ratios = data.get("ratios") or {}
        if machine.get("physics_steps_per_s") and machine.get("bare_render_ms"):
            slot = {
                "train_steps_per_s": machine["physics_steps_per_s"]
                * ratios.get("train_to_physics", DEFAULT_TRAIN_TO_PHYSICS),
                "video_ms_per_frame": machine["bare_render_ms"]
                * ratios.get("video_to_bare", DEFAULT_VIDEO_TO_BARE),
                "overhead_s": DEFAULT_OVERHEAD_S,
            }
            basis = (
                f"calibration on {machine.get('model', CALIBRATION_MODEL)} (no {model_id} job finished yet)"
            )
        else:
            slot = {
                "train_steps_per_s": fallback_steps_per_s,
                "video_ms_per_frame": 60.0,
                "overhead_s": DEFAULT_OVERHEAD_S,
            }
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
) -> dict[str, Any]:
    """Wall time for ``approaches`` jobs of ``steps`` each with ``workers`` running at once, or, with
    ``batch_max`` > 1, trained in batches of up to ``batch_max`` on one worker each."""
    data = load(data_dir)
    frames = int(round(video_seconds * FPS))
    workers = max(1, workers)
    total, left, waves = 0.0, approaches, []
    basis = None
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
        "calibrated": bool(data.get("machine")),
    }


def calibrate(model_id: str = CALIBRATION_MODEL, seconds: float = 0.6, frames: int = 12) -> dict[str, Any]:
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
