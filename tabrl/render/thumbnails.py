"""Model thumbnails: a still of each catalog robot in its default pose."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import mujoco
from PIL import Image

from tabrl.render import video
from tabrl.robots import catalog


def render_thumbnail(model_id: str, width: int = 320, height: int = 240) -> Path:
    robot = catalog.load_robot(model_id)
    renderer = video.make_renderer(robot, width, height)
    try:
        data = mujoco.MjData(robot.mj_model)
        data.qpos[:] = robot.spec.default_qpos
        mujoco.mj_forward(robot.mj_model, data)
        renderer.update_scene(data, video.make_camera(robot))
        frame = renderer.render()
    finally:
        renderer.close()
    path = catalog.thumbnail_path(model_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    Image.fromarray(frame).save(tmp, format="PNG")
    tmp.replace(path)
    return path


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
