"""Offscreen rendering to H.264 MP4 (yuv420p, faststart) plus a poster JPEG.

Rendering uses ``mujoco.Renderer`` on EGL (Mesa's llvmpipe without a GPU). Shadows and
reflections are turned off: on a CPU they cost more than the rest of the frame.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import imageio_ffmpeg
import mujoco
import numpy as np
from PIL import Image

from tabrl.robots.model import Robot


def make_renderer(robot: Robot, width: int, height: int) -> mujoco.Renderer:
    model = robot.mj_model
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
    model.vis.global_.offheight = max(model.vis.global_.offheight, height)
    # Multisampling is what llvmpipe pays most for (Go1 640x360: ~120 -> ~50 ms/frame).
    model.vis.quality.offsamples = 0
    renderer = mujoco.Renderer(model, height=height, width=width)
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
    return renderer


def make_camera(robot: Robot) -> mujoco.MjvCamera:
    """A camera that follows the robot's base (floating-base robots) or frames it (fixed)."""
    model = robot.mj_model
    cam = mujoco.MjvCamera()
    base_id = model.body(robot.profile.base_body).id if robot.profile.base_body != "world" else 0
    extent = float(model.stat.extent)
    if robot.spec.floating_base or robot.profile.category in ("classic",):
        cam.type = mujoco.mjtCamera.mjCAMERA_TRACKING
        cam.trackbodyid = base_id
        cam.distance = max(0.8, 1.6 * robot.spec.standing_height + 0.9) if robot.spec.floating_base else 1.2 * extent
    else:
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = model.stat.center
        cam.distance = 1.5 * extent
    if robot.profile.category == "classic" and not robot.spec.floating_base:
        cam.azimuth, cam.elevation = 90.0, -10.0
    else:
        cam.azimuth, cam.elevation = 135.0, -20.0
    for key, value in robot.profile.camera.items():  # per-robot framing from the profile
        setattr(cam, key, value)
    return cam


class VideoWriter:
    """Streams RGB frames to an MP4 written under a temporary name, renamed on close."""

    def __init__(self, path: Path, width: int, height: int, fps: int):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.part")
        self._gen: Iterator | None = imageio_ffmpeg.write_frames(
            str(self.tmp), (width, height), fps=fps, codec="libx264", pix_fmt_out="yuv420p", quality=None,
            bitrate=None, macro_block_size=1, output_params=["-movflags", "+faststart", "-crf", "23", "-preset", "veryfast",
                                                             "-f", "mp4"],
            ffmpeg_log_level="error",
        )
        self._gen.send(None)
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        self._gen.send(np.ascontiguousarray(frame))
        self.frames += 1

    def close(self) -> Path:
        self._gen.close()
        self._gen = None
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        if self._gen is not None:
            try:
                self._gen.close()
            except Exception:
                pass
            self._gen = None
        self.tmp.unlink(missing_ok=True)


def save_poster(frame: np.ndarray, path: Path) -> Path:
    tmp = Path(path).with_name(f".{Path(path).name}.part")
    Image.fromarray(frame).save(tmp, format="JPEG", quality=88)
    os.replace(tmp, path)
    return Path(path)
