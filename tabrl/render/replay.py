"""A finished video filmed again from its trajectory: the same frame times, camera rig and trace.

``trajectory.npz`` holds the state after every control step, which is when the video's frames are
drawn, so setting it back into an MjData gives each frame's scene (to float rounding); the rig and trace are
built by the same function as the video's (``artifacts.video_rig``) and moved frame by frame in the
same order. What a video shows can then be measured with segmentation renders (which pixels are the
robot, which the trace), and a re-rendered frame compared with the decoded one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import mujoco
import numpy as np

from tabrl.render import trace as trace_mod
from tabrl.render.artifacts import frames_due, video_rig
from tabrl.render.camera import CameraRig
from tabrl.robots.model import Robot


class Frame(NamedTuple):
    number: int  # the frame's index in the video
    data: mujoco.MjData  # the scene at this frame (reused: read it before the next frame)
    camera: mujoco.MjvCamera
    rig: CameraRig
    trace: trace_mod.Trace | None  # its history already holds this frame's point


def frame_states(
    robot: Robot, trajectory, *, frames: int, fps: float = 30.0
) -> Iterator[tuple[int, mujoco.MjData]]:
    """(frame index, the scene the video drew it from), from ``trajectory.npz`` as loaded by numpy.
    The MjData is reused: read it before the next frame."""
    model = robot.mj_model
    qpos, qvel, times = (np.asarray(trajectory[k]) for k in ("qpos", "qvel", "time"))
    data = mujoco.MjData(model)
    done = 0
    for step in range(len(qpos)):
        data.qpos[:], data.qvel[:], data.time = qpos[step], qvel[step], float(times[step])
        # The video drew the MjData just after mj_step, whose positions (xpos, sensors) are those of
        # the last substep's start: qpos before its position update (qpos_new = qpos + dt * qvel_new).
        mujoco.mj_integratePos(model, data.qpos, data.qvel, -model.opt.timestep)
        mujoco.mj_forward(model, data)
        for _ in range(frames_due(done, frames, (step + 1) * robot.ctrl_dt, fps)):
            yield done, data
            done += 1


def refilm(
    robot: Robot,
    trajectory,
    *,
    frames: int,
    fps: float = 30.0,
    width: int = 640,
    height: int = 360,
    terms: list | None = None,
) -> Iterator[Frame]:
    """The video's ``frames`` frames, from ``trajectory`` (``trajectory.npz`` as loaded by numpy), each
    with the camera moved and the trace recorded for it. ``terms`` are the program's reward terms
    (they choose the trace, as for the video)."""
    rig, trace = video_rig(robot, width, height, fps, terms)
    for index, data in frame_states(robot, trajectory, frames=frames, fps=fps):
        cam = rig.update(data)
        if trace is not None:
            trace.record(data)
        yield Frame(index, data, cam, rig, trace)
