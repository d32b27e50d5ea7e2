"""Model thumbnails: a still of each catalog robot in its default pose, filmed by its video camera.

``thumbnail_check`` measures the still the way the gallery test does: from a segmentation render,
how much of it is the robot and how bright the robot's own pixels are (lighting.MIN_ROBOT_LUMA).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import mujoco
from PIL import Image

from tabrl.render import segment, video
from tabrl.render.camera import CameraRig
from tabrl.robots import catalog

WIDTH, HEIGHT = 320, 240


@dataclasses.dataclass(frozen=True)
class ThumbnailCheck:
    model_id: str
    robot_share: float  # of the still's pixels
    robot_luma: float  # mean luma (0-255) of the robot's pixels; nan when none shows


def _still(model_id: str, width: int, height: int, *, measure: bool = False):
    robot = catalog.load_robot(model_id)
    renderer = video.make_renderer(robot, width, height)
    try:
        data = mujoco.MjData(robot.mj_model)
        data.qpos[:] = robot.spec.default_qpos
        mujoco.mj_forward(robot.mj_model, data)
        rig = CameraRig(robot, width, height)
        renderer.update_scene(data, rig.camera)
        frame = renderer.render()
        mask = segment.segment(renderer, data, rig.camera, rig.geoms) if measure else None
    finally:
        renderer.close()
    return frame, mask


def render_thumbnail(model_id: str, width: int = WIDTH, height: int = HEIGHT) -> Path:
    frame, _ = _still(model_id, width, height)
    path = catalog.thumbnail_path(model_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    Image.fromarray(frame).save(tmp, format="PNG")
    tmp.replace(path)
    return path


def thumbnail_check(model_id: str, width: int = WIDTH, height: int = HEIGHT) -> ThumbnailCheck:
    """The robot's share of the thumbnail and its pixels' mean luma, from a segmentation render."""
    frame, mask = _still(model_id, width, height, measure=True)
    luma = float(segment.luminance(frame)[mask].mean()) if mask.any() else float("nan")
    return ThumbnailCheck(model_id, float(mask.mean()), luma)


def render_thumbnails(model_ids: list[str] | None = None) -> Iterator[tuple[str, Path | None, str | None]]:
    entries = {e.id: e for e in catalog.list_models()}
    for model_id in model_ids or list(entries):
        entry = entries.get(model_id)
        if entry is None:
            yield model_id, None, str(catalog.UnknownModel(model_id, list(entries)))
        elif not entry.assets_available:
            yield model_id, None, entry.assets_reason
        else:
            yield model_id, render_thumbnail(model_id), None
