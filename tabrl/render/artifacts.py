"""A policy's 10-second show: MP4, poster, trajectory and behavior metrics in one folder."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tabrl.config import VIDEO_SECONDS
from tabrl.render import camera as camera_mod
from tabrl.render import files, video
from tabrl.render import metrics as behavior_metrics_mod
from tabrl.render import rollout as rollout_mod
from tabrl.render import sheet as sheet_mod
from tabrl.render import trace as trace_mod
from tabrl.rewards.checks import Condition
from tabrl.rewards.motion import Motion
from tabrl.robots.model import Robot
from tabrl.robots.observables import observables_of
from tabrl.sim import behavior


class RenderCancelled(Exception):
    pass


def video_rig(
    robot: Robot, width: int, height: int, fps: float, terms: list | None
) -> tuple[camera_mod.CameraRig, trace_mod.Trace | None]:
    """The camera and trace of a video: every video of a robot gets its camera from the robot alone
    (so a session's three videos are filmed alike); only the trace follows the program's terms."""
    rig = camera_mod.CameraRig(robot, width, height, fps)
    return rig, trace_mod.Trace.for_program(robot, terms, fps=fps, scale=rig.shot.distance or 1.0)


def frames_due(done: int, total: int, t: float, fps: float) -> int:
    """How many video frames fall due once the rollout reaches time ``t`` (frame k shows time (k+1)/fps)."""
    due = 0
    while done + due < total and (done + due + 1) / fps <= t + 1e-9:
        due += 1
    return due


def render_policy(
    robot: Robot,
    policy: rollout_mod.Policy,
    out_dir: Path,
    *,
    seconds: float = VIDEO_SECONDS,
    fps: int = 30,
    width: int = 640,
    height: int = 360,
    reward_fn: behavior.RewardFn | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    clock_hz: float = 1.0,
    motion: Motion | None = None,
    success: list[Condition] | None = None,
    terms: list | None = None,
) -> dict[str, Any]:
    """Rolls the policy out for ``seconds`` and writes video.mp4, poster.jpg, trajectory.npz, metrics.json.

    ``success`` is the program's success check; metrics.json's ``verdict`` holds its result. ``terms``
    (the program's reward terms) choose the end-effector trace and target drawn in the video; sheet.jpg
    holds ten of its frames.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    renderer = video.shared_renderer(robot, width, height)  # kept for the next video (a warm worker's)
    rig, trace = video_rig(robot, width, height, fps, terms)
    writer = video.VideoWriter(out_dir / files.VIDEO, width, height, fps)
    total_frames = int(round(seconds * fps))
    poster_frame = total_frames // 3
    sheet = sheet_mod.ContactSheet(total_frames, fps)
    state: dict[str, Any] = {"frames": 0, "poster": None}
    n_steps = int(round(seconds / robot.ctrl_dt))

    def on_step(step: int, data) -> None:
        t = (step + 1) * robot.ctrl_dt
        for _ in range(frames_due(state["frames"], total_frames, t, fps)):
            renderer.update_scene(data, rig.update(data))
            if trace is not None:
                trace.draw(renderer.scene, data)
            frame = renderer.render()
            writer.write(frame)
            sheet.offer(state["frames"], frame)
            if state["frames"] == poster_frame:
                state["poster"] = frame  # a fresh array per frame: no copy needed
            state["frames"] += 1
        if step % 25 == 0:
            if should_stop is not None and should_stop():
                raise RenderCancelled()
            if on_progress is not None:
                on_progress((step + 1) / n_steps)

    try:
        traj = rollout_mod.rollout(
            robot,
            policy,
            seconds,
            reward_fn=reward_fn,
            on_control_step=on_step,
            clock_hz=clock_hz,
            motion=motion,
        )
        video_path = writer.close()
    except BaseException:
        writer.abort()
        raise
    poster = state["poster"] if state["poster"] is not None else np.zeros((height, width, 3), np.uint8)
    poster_path = video.save_poster(poster, out_dir / files.POSTER)
    sheet_path = sheet.save(out_dir / files.SHEET)
    traj_tmp = out_dir / ".trajectory.part.npz"
    traj.save_npz(traj_tmp)
    os.replace(traj_tmp, out_dir / files.TRAJECTORY)
    metrics = behavior_metrics_mod.behavior_metrics(robot, traj)
    metrics.update({"video_frames": writer.frames, "fps": fps, "width": width, "height": height})
    # The approach's own success check, measured on this rollout: the verdict under its video.
    metrics["verdict"] = behavior_metrics_mod.evaluate_success(
        robot.spec, metrics, success, observables_of(robot)
    )
    tmp = out_dir / f".{files.METRICS}.part"
    tmp.write_text(json.dumps(metrics, indent=2))
    os.replace(tmp, out_dir / files.METRICS)
    if on_progress is not None:
        on_progress(1.0)
    return {
        "video": str(video_path),
        "poster": str(poster_path),
        "sheet": str(sheet_path) if sheet_path else None,
        "trajectory": str(out_dir / files.TRAJECTORY),
        "metrics": metrics,
    }
