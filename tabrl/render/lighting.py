"""Studio lighting for the drawing model: dark robots stay readable on dark and bright floors.

Three changes, to the drawing copy only (the physics model and its exported ``model.mjb`` keep their
colours): the headlight is raised to at least a studio level, and the robot's surface colours darker
than ``MIN_ALBEDO`` are lifted to it, hue kept. More light alone cannot show a near-black robot
(measured: Go1 on the rough terrain, robot pixels' mean luma 34 -> 65 of 255 with a headlight twice
as bright, while bright robots like the Panda already clip); lifting its albedo does. And a flat floor
drawn as a white grid (Playground's locomotion and Menagerie scenes) becomes a grey-blue checker, so
ground contact, height and travel read at a glance (dm_control's own checker floors are kept).
"""

from __future__ import annotations

import copy

import mujoco
import numpy as np

from tabrl.render import segment
from tabrl.robots.model import Robot

HEADLIGHT = {"ambient": 0.3, "diffuse": 0.6, "specular": 0.3}  # at least this much, per channel
MIN_ALBEDO = 0.3  # luma (0-1) of the darkest robot colour drawn
MIN_ROBOT_LUMA = 60.0  # of 255: the thumbnail check (tests/render/test_framing.py)
_LUMA = np.array([0.2126, 0.7152, 0.0722])
# The checker drawn over a bright grid floor texture: two tones a grey robot (luma >= MIN_ALBEDO, lit)
# stands out from, two squares a side per texture repeat, and the repeat's edge as a light line.
CHECKER_RGB = ((0.62, 0.66, 0.71), (0.50, 0.54, 0.60))
CHECKER_LINE_RGB = (0.80, 0.82, 0.85)
GRID_MIN_LUMA = 0.6  # a floor texture brighter than this on average is a white grid


def _lift_rgb(rgb: np.ndarray) -> np.ndarray:
    """Colours (n, 3) in 0-1 with luma raised to MIN_ALBEDO: scaled up (hue kept), and where a channel
    would pass 1 (a saturated red), clipped and blended towards white for the rest."""
    rgb = np.asarray(rgb, np.float64)
    luma = rgb @ _LUMA
    k = np.where(luma < MIN_ALBEDO, MIN_ALBEDO / np.maximum(luma, 1e-3), 1.0)
    out = np.clip(rgb * k[:, None], 0.0, 1.0)
    short = MIN_ALBEDO - out @ _LUMA
    mix = np.clip(short / np.maximum(1.0 - out @ _LUMA, 1e-6), 0.0, 1.0)
    return out + mix[:, None] * (1.0 - out)


def _lift_rgba(rgba: np.ndarray) -> np.ndarray:
    out = rgba.copy()
    out[:, :3] = _lift_rgb(rgba[:, :3])
    return out


def _lift_texture(model: mujoco.MjModel, tex: int) -> None:
    """Scales a dark colour texture's texels so its mean luma reaches MIN_ALBEDO."""
    n = int(model.tex_nchannel[tex])
    size = int(model.tex_width[tex]) * int(model.tex_height[tex]) * n
    adr = int(model.tex_adr[tex])
    texels = model.tex_data[adr : adr + size].reshape(-1, n)
    rgb = texels[:, :3].astype(np.float64) / 255.0
    mean = float((rgb @ _LUMA).mean())
    if n < 3 or mean >= MIN_ALBEDO:
        return
    rgb = np.clip(rgb * (MIN_ALBEDO / max(mean, 1e-3)), 0.0, 1.0)
    texels[:, :3] = np.round(rgb * 255).astype(np.uint8)
    model.tex_data[adr : adr + size] = texels.reshape(-1)


def _checker_texels(width: int, height: int, channels: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    odd = ((2 * x // width) + (2 * y // height)) % 2
    rgb = np.where(odd[..., None] == 1, CHECKER_RGB[1], CHECKER_RGB[0])
    line = max(1, width // 100)
    edge = (x < line) | (y < line) | (x >= width - line) | (y >= height - line)
    rgb[edge] = CHECKER_LINE_RGB
    out = np.full((height, width, channels), 255, np.uint8)
    out[..., :3] = np.round(rgb * 255).astype(np.uint8)
    return out.reshape(-1)


def checker_floor(model: mujoco.MjModel) -> None:
    """Redraws, in place, a bright grid texture on a world plane as a grey-blue checker (same size)."""
    rgb_role = int(mujoco.mjtTextureRole.mjTEXROLE_RGB)
    planes = (model.geom_bodyid == 0) & (model.geom_type == int(mujoco.mjtGeom.mjGEOM_PLANE))
    for mat in np.unique(model.geom_matid[planes]):
        tex = int(model.mat_texid[mat, rgb_role]) if mat >= 0 else -1
        if tex < 0 or int(model.tex_type[tex]) != int(mujoco.mjtTexture.mjTEXTURE_2D):
            continue
        n, w, h = (int(v[tex]) for v in (model.tex_nchannel, model.tex_width, model.tex_height))
        adr = int(model.tex_adr[tex])
        texels = model.tex_data[adr : adr + w * h * n].reshape(-1, n)
        if n < 3 or float((texels[:, :3] / 255.0 @ _LUMA).mean()) < GRID_MIN_LUMA:
            continue
        model.tex_data[adr : adr + w * h * n] = _checker_texels(w, h, n)


def studio_model(model: mujoco.MjModel, robot: Robot) -> mujoco.MjModel:
    """``model`` (a drawing copy of ``robot.mj_model``) with studio lighting; copied first if it is
    the physics model itself."""
    if model is robot.mj_model:
        model = copy.copy(model)
    head = model.vis.headlight
    for name, level in HEADLIGHT.items():
        value = getattr(head, name)
        value[:] = np.maximum(value, level)
    geoms = segment.robot_geoms(robot)
    matids = model.geom_matid[geoms]
    plain = np.flatnonzero(geoms)[matids < 0]
    model.geom_rgba[plain] = _lift_rgba(model.geom_rgba[plain])
    mats = np.unique(matids[matids >= 0])
    if len(mats):
        model.mat_rgba[mats] = _lift_rgba(model.mat_rgba[mats])
        rgb_role = int(mujoco.mjtTextureRole.mjTEXROLE_RGB)
        for tex in np.unique(model.mat_texid[mats, rgb_role]):
            if tex >= 0:
                _lift_texture(model, int(tex))
    checker_floor(model)
    return model
