"""The end effector's recent path, and the program's target, drawn into the video.

For arms (always) and hands (when the program names a fingertip), each frame adds scene geoms after
``update_scene``: the last ``TRACE_SECONDS`` of the end effector's path as a fading line, and where
the program has a target — an ``ee_target`` point or an ``ee_path`` reference (circle, line, figure
eight) — that target, in a second colour, with the moving point the path term asks for now. So
"draw a circle in the air" shows both the circle asked for and the one drawn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import mujoco
import numpy as np

from tabrl.robots.model import Robot

TRACE_RGB = (1.0, 0.5, 0.0)  # orange: apart from the studio floors (blue checker, white, brown)
TARGET_RGB = (1.0, 0.15, 0.85)  # magenta
TRACE_SECONDS = 2.5
PATH_SEGMENTS = 64
# Lines (width in pixels) cost next to nothing on llvmpipe; 140 capsules with alpha doubled Panda's frame time.
SEGMENT_GEOM = mujoco.mjtGeom.mjGEOM_LINE
TRACE_PX, PATH_PX = 4.0, 2.0
_EE_INDEX = re.compile(r"ee_pos\s*\[\s*(\d+)")


def _term_fields(term: Any) -> tuple[str, Any]:
    name = getattr(term, "term", None) or (term.get("term") if isinstance(term, dict) else "")
    params = getattr(term, "params", None) if not isinstance(term, dict) else term.get("params")
    return str(name or ""), params


def _get(params: Any, key: str, default: Any = None) -> Any:
    if isinstance(params, dict):
        return params.get(key, default)
    return getattr(params, key, default)


def reference_path(spec, params: Any, samples: int = PATH_SEGMENTS) -> np.ndarray:
    """(samples + 1, 3) points of an ``ee_path`` term's whole reference, as the term computes it."""
    w = np.linspace(0.0, 2 * np.pi, samples + 1)
    return path_point(spec, params, w)


def path_point(spec, params: Any, w: np.ndarray | float) -> np.ndarray:
    """The ``ee_path`` target at phase ``w`` (radians): the same formula as rewards.terms.ee_path."""
    shape, radius = _get(params, "shape", "circle"), float(_get(params, "radius", 0.15))
    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}[_get(params, "plane", "xz")]
    index = int(_get(params, "index", 0))
    center = _get(params, "center")
    if center is not None:
        center = np.asarray(center, np.float64)
    else:
        center = np.array(spec.default_ee_pos[index], np.float64)
        if shape == "circle":
            center[axes[0]] -= radius
    w = np.asarray(w, np.float64)
    if shape == "circle":
        a, b = radius * np.cos(w), radius * np.sin(w)
    elif shape == "line":
        a, b = radius * np.sin(w), 0.0 * w
    else:
        a, b = radius * np.sin(w), 0.5 * radius * np.sin(2 * w)
    out = np.broadcast_to(center, np.shape(w) + (3,)).copy()
    out[..., axes[0]] += a
    out[..., axes[1]] += b
    return out


class Trace:
    """Per-frame drawing of end-effector paths and targets into a renderer's scene."""

    def __init__(
        self,
        robot: Robot,
        ee_indices: Iterable[int],
        targets: list[np.ndarray],
        paths: list[tuple[Any, np.ndarray]],
        *,
        fps: float,
        scale: float,
    ):
        spec = robot.spec
        self.adr = [spec.ee_pos_adr[i] for i in ee_indices if 0 <= i < len(spec.ee)]
        self.history = [np.zeros((0, 3)) for _ in self.adr]
        self.keep = max(2, int(round(TRACE_SECONDS * fps)))
        self.targets, self.paths, self.spec = targets, paths, spec
        self.radius = 0.006 * scale  # metres: markers a few pixels across at the framing distance
        self._mat = np.eye(3).reshape(-1)

    @classmethod
    def for_program(
        cls, robot: Robot, terms: Iterable[Any] | None, *, fps: float, scale: float
    ) -> Trace | None:
        """The trace for this robot and program, or None when there is nothing to draw.

        ``scale``: the camera's distance (m), so the line is as thick on screen for a hand as for an arm."""
        spec = robot.spec
        if not len(spec.ee) or robot.profile.category not in ("arm", "hand"):
            return None
        used: list[int] = []
        targets, paths = [], []
        for term in terms or ():
            name, params = _term_fields(term)
            if name == "ee_target":
                used.append(int(_get(params, "index", 0)))
                targets.append(np.asarray(_get(params, "target"), np.float64))
            elif name == "ee_path":
                used.append(int(_get(params, "index", 0)))
                paths.append((params, reference_path(spec, params)))
            elif name == "expr":
                expr = (
                    getattr(term, "expr", None) or (term.get("expr") if isinstance(term, dict) else "") or ""
                )
                used.extend(int(m) for m in _EE_INDEX.findall(expr))
        used = [i for i in dict.fromkeys(used) if 0 <= i < len(spec.ee)]
        if not used and robot.profile.category == "arm":
            used = [0]  # an arm's behaviour shows in its end effector's path
        if not used:
            return None
        return cls(robot, used, targets, paths, fps=fps, scale=scale)

    def draw(self, scene: mujoco.MjvScene, data: mujoco.MjData) -> None:
        """Records this frame's end-effector points and adds the geoms (after update_scene)."""
        self.record(data)
        self.add_geoms(scene, data)

    def record(self, data: mujoco.MjData) -> None:
        """This frame's end-effector points, into the fading history (once per video frame)."""
        for k, adr in enumerate(self.adr):
            self.history[k] = np.vstack([self.history[k], data.sensordata[adr][None]])[-self.keep :]

    def add_geoms(self, scene: mujoco.MjvScene, data: mujoco.MjData) -> None:
        """The history, paths and targets as scene geoms (after update_scene)."""
        for h in self.history:
            n = len(h) - 1
            for i in range(n):
                fade = (i + 1) / n  # newest segment opaque, oldest almost gone
                self._connector(scene, h[i], h[i + 1], TRACE_PX, (*TRACE_RGB, 0.15 + 0.85 * fade))
        for params, pts in self.paths:
            for i in range(len(pts) - 1):
                self._connector(scene, pts[i], pts[i + 1], PATH_PX, (*TARGET_RGB, 0.8))
            hz = float(_get(params, "frequency_hz", 0.5))
            self._sphere(
                scene,
                path_point(self.spec, params, 2 * math.pi * hz * data.time),
                1.5 * self.radius,
                (*TARGET_RGB, 1.0),
            )
        for target in self.targets:
            self._sphere(scene, target, 2.0 * self.radius, (*TARGET_RGB, 1.0))

    def _new_geom(self, scene: mujoco.MjvScene) -> mujoco.MjvGeom | None:
        if scene.ngeom >= scene.maxgeom:
            return None
        geom = scene.geoms[scene.ngeom]
        scene.ngeom += 1
        return geom

    def _connector(self, scene, a, b, width, rgba) -> None:
        if np.linalg.norm(b - a) < 1e-6:
            return
        geom = self._new_geom(scene)
        if geom is None:
            return
        mujoco.mjv_initGeom(
            geom, SEGMENT_GEOM, np.zeros(3), np.zeros(3), self._mat, np.asarray(rgba, np.float32)
        )
        mujoco.mjv_connector(geom, SEGMENT_GEOM, width, np.asarray(a, np.float64), np.asarray(b, np.float64))
        geom.emission = 0.5

    def _sphere(self, scene, pos, radius, rgba) -> None:
        geom = self._new_geom(scene)
        if geom is None:
            return
        mujoco.mjv_initGeom(
            geom,
            mujoco.mjtGeom.mjGEOM_SPHERE,
            np.array([radius, radius, radius]),
            np.asarray(pos, np.float64),
            self._mat,
            np.asarray(rgba, np.float32),
        )
        geom.emission = 0.5
