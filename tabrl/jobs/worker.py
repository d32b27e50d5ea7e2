"""What runs inside a job's worker process: one training or render job, reported as events.

The worker never touches the database; it sends ``(job_id, type, data)`` tuples to the server,
which stores them in order. A cancel request arrives as a set ``multiprocessing.Event``.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from pathlib import Path
from typing import Any


def run_job(spec: dict[str, Any], events, cancel) -> None:
    """Entry point of the worker process. ``spec``: job_id, kind, model_id, program, steps,
    out_dir, seconds, checkpoint (render jobs), data_dir, menagerie_path."""
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    os.environ["TABRL_DATA_DIR"] = spec["data_dir"]
    if spec.get("menagerie_path"):
        os.environ["TABRL_MENAGERIE_PATH"] = spec["menagerie_path"]
    job_id = spec["job_id"]
    out_dir = Path(spec["out_dir"])
    data_dir = Path(spec["data_dir"])

    def send(type_: str, data: dict[str, Any]) -> None:
        events.put((job_id, type_, data))

    render_clock = {"start": None}
    parent = os.getppid()

    def should_stop() -> bool:
        # A killed server cannot cancel us, so a worker whose parent is gone stops by itself.
        return cancel.is_set() or os.getppid() != parent

    def on_event(event: dict[str, Any]) -> None:
        event = dict(event)
        type_ = event.pop("type")
        if type_ == "rendering":
            # The engine reports a fraction; the page wants time left, so estimate it here.
            now = time.monotonic()
            if render_clock["start"] is None or event.get("fraction", 0.0) == 0.0:
                render_clock["start"] = now
            fraction = event.get("fraction", 0.0)
            elapsed = now - render_clock["start"]
            event["eta_s"] = elapsed * (1 - fraction) / fraction if fraction > 0.02 else None
        if type_ == "checkpoint":
            event["path"] = _relative(Path(event["path"]), data_dir)
        send(type_, event)

    try:
        from tabrl.train.pipeline import Cancelled, run_render_job, run_training_job

        if out_dir.exists():  # a restarted job starts from nothing
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        if spec["kind"] == "train":
            result = run_training_job(spec["model_id"], spec["program"], spec["steps"], out_dir,
                                      render_seconds=spec["seconds"], on_event=on_event, should_stop=should_stop)
        else:
            send("started", {"total_steps": spec["steps"]})
            result = run_render_job(Path(spec["checkpoint"]), out_dir, seconds=spec["seconds"], on_event=on_event,
                                    should_stop=should_stop)
    except Cancelled:
        shutil.rmtree(out_dir, ignore_errors=True)
        send("cancelled", {"reason": "cancelled by the user"})
        return
    except Exception as exc:  # the reason goes to the page; the trace to the server log
        shutil.rmtree(out_dir, ignore_errors=True)
        send("failed", {"reason": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc(limit=8)})
        return
    artifacts = {name: _relative(Path(result[name]), data_dir) for name in ("video", "poster", "trajectory")}
    artifacts["metrics"] = _relative(out_dir / "metrics.json", data_dir)
    if spec["kind"] == "train":
        artifacts["policy"] = _relative(Path(result["checkpoint"]), data_dir)
    else:  # a new video of the same policy: it still offers that policy for download
        artifacts["policy"] = _relative(Path(spec["checkpoint"]), data_dir)
    metrics = {k: v for k, v in result["metrics"].items() if isinstance(v, (int, float, bool, str))}
    send("done", {"artifacts": artifacts, "metrics": metrics, "steps": result.get("steps"),
                  "wall_s": result.get("wall_s")})


def _relative(path: Path, root: Path) -> str:
    return str(path.resolve().relative_to(root.resolve()))
