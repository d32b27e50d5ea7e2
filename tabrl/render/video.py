"""Offscreen rendering to H.264 MP4 (yuv420p, faststart) plus a poster JPEG.

Rendering uses ``mujoco.Renderer`` on EGL (Mesa's llvmpipe without a GPU). Shadows and
reflections are turned off: on a CPU they cost more than the rest of the frame. The renderer
draws a copy of the model whose big meshes are decimated (Go1's 206k triangles -> 41k): llvmpipe
pays per triangle, and at 640x360 most of them are smaller than a pixel (mean pixel difference
of a Go1 frame 0.2 of 255; the physics model is untouched). Frames are handed to ffmpeg by a
separate thread, so rendering never waits on the encoder's pipe.
"""

from __future__ import annotations

import atexit
import collections
import copy
import os
import queue
import threading
from collections.abc import Generator
from pathlib import Path

import imageio_ffmpeg
import mujoco
import numpy as np
from PIL import Image

from tabrl.render import lighting
from tabrl.robots.model import Robot

# imageio-ffmpeg starts ffmpeg with a Python preexec_fn (os.setpgrp, to keep Ctrl-C from it); a fork with Python
# code in the child, from a process with running threads (JAX's, two filming threads starting ffmpeg at once), can
# wait forever on a lock: a clean-clone `make test` hung there (py-spy: two forked children in
# Popen._execute_child under VideoWriter). Its own switch turns the preexec_fn off: a plain fork and exec.
os.environ.setdefault("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", "1")

# A mesh keeps at least this share of its triangles, and is left alone below MIN_FACES.
KEEP_FRACTION = 0.2
MIN_FACES = 2000
_render_models: collections.OrderedDict[int, tuple[mujoco.MjModel, mujoco.MjModel]] = (
    collections.OrderedDict()
)
_render_models_lock = threading.Lock()


def decimated_model(
    model: mujoco.MjModel, keep: float = KEEP_FRACTION, min_faces: int = MIN_FACES
) -> mujoco.MjModel:
    """A copy of ``model`` for drawing only: meshes above ``min_faces`` triangles simplified to ``keep``
    of them (quadric decimation), in place in the copy's mesh arrays, so the copy has the same sizes
    and takes the physics model's MjData. Meshes with texture coordinates are kept as they are."""
    try:
        import fast_simplification
    except ImportError:  # optional speed-up: draw the full meshes
        return model
    out = copy.copy(model)
    for i in range(out.nmesh):
        nf, nv = int(out.mesh_facenum[i]), int(out.mesh_vertnum[i])
        if nf < min_faces or out.mesh_texcoordnum[i] or out.mesh_normalnum[i] != nv:
            continue
        va, fa, na = out.mesh_vertadr[i], out.mesh_faceadr[i], out.mesh_normaladr[i]
        verts = out.mesh_vert[va : va + nv].astype(np.float64)
        faces = out.mesh_face[fa : fa + nf]
        verts, faces = _welded(verts, faces)
        try:
            v2, f2 = fast_simplification.simplify(
                verts, faces, target_reduction=1.0 - max(keep, min_faces / nf)
            )
        except Exception:  # a mesh the simplifier cannot take is drawn in full
            continue
        if not len(f2) or len(v2) > nv or len(f2) > nf:
            continue
        v2, f2 = v2.astype(np.float32), f2.astype(np.int32)
        # Smooth per-vertex normals (area weighted), as MuJoCo gives a mesh with one normal per vertex.
        face_n = np.cross(v2[f2[:, 1]] - v2[f2[:, 0]], v2[f2[:, 2]] - v2[f2[:, 0]])
        vert_n = np.zeros_like(v2)
        for k in range(3):
            np.add.at(vert_n, f2[:, k], face_n)
        vert_n /= np.maximum(np.linalg.norm(vert_n, axis=1, keepdims=True), 1e-12)
        out.mesh_vert[va : va + len(v2)] = v2
        out.mesh_normal[na : na + len(v2)] = vert_n
        out.mesh_face[fa : fa + len(f2)] = f2
        out.mesh_facenormal[fa : fa + len(f2)] = f2
        out.mesh_vertnum[i] = out.mesh_normalnum[i] = len(v2)
        out.mesh_facenum[i] = len(f2)
    return out


def _welded(verts: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One vertex per position. Meshes exported flat-shaded (Panda, UR5e: three vertices of its own per
    triangle) are otherwise a triangle soup the simplifier can only punch holes in."""
    unique, inverse = np.unique(np.round(verts, 7), axis=0, return_inverse=True)
    faces = inverse.reshape(-1)[faces]
    keep = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])
    return unique, faces[keep]


def render_model(robot: Robot) -> mujoco.MjModel:
    """The drawing copy of a robot's model (made once per model; a warm worker keeps the last few)."""
    key = id(robot.mj_model)
    # Built under the lock: the videos of a batch are filmed in threads, and two simplifying the same
    # meshes at once drew Go1's calves out of place (measured: 38 of 255 mean pixel error, 2.3 when built once).
    with _render_models_lock:
        hit = _render_models.get(key)
        if hit is not None and hit[0] is robot.mj_model:
            _render_models.move_to_end(key)
            return hit[1]
        drawn = lighting.studio_model(decimated_model(robot.mj_model), robot)
        _render_models[key] = (robot.mj_model, drawn)  # the physics model is kept alive with its copy
        while len(_render_models) > 8:
            _render_models.popitem(last=False)
    return drawn


# Creating GL contexts from several threads at once races in mujoco.egl (its display is made on the
# first context), so renderers are created one at a time.
_gl_setup_lock = threading.Lock()


def make_renderer(robot: Robot, width: int, height: int, *, full_meshes: bool = False) -> mujoco.Renderer:
    """An offscreen renderer for the robot's scene (``full_meshes``: the simulated meshes, studio-lit alike)."""
    model = lighting.studio_model(robot.mj_model, robot) if full_meshes else render_model(robot)
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
    model.vis.global_.offheight = max(model.vis.global_.offheight, height)
    # Multisampling is what llvmpipe pays most for (Go1 640x360: ~120 -> ~50 ms/frame).
    model.vis.quality.offsamples = 0
    with _gl_setup_lock:
        renderer = mujoco.Renderer(model, height=height, width=width)
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
    return renderer


# Kept renderers, per thread: a GL context is current in one thread at a time, so a batch's videos
# filmed side by side (tabrl.render.film.film_threads) each keep their own.
_kept = threading.local()
_every_kept: list[mujoco.Renderer] = []  # all threads' kept renderers, closed at exit
_KEPT_RENDERERS = 2


def shared_renderer(robot: Robot, width: int, height: int) -> mujoco.Renderer:
    """A renderer kept for this thread's next video of the same robot and size: creating one (GL context,
    meshes uploaded) costs 1-2 s on llvmpipe, which a warm worker then pays once."""
    kept: collections.OrderedDict[tuple[int, int, int], tuple[mujoco.MjModel, mujoco.Renderer]]
    kept = _kept.__dict__.setdefault("renderers", collections.OrderedDict())
    key = (id(robot.mj_model), width, height)
    hit = kept.get(key)
    if hit is not None and hit[0] is robot.mj_model:
        kept.move_to_end(key)
        return hit[1]
    renderer = make_renderer(robot, width, height)
    kept[key] = (robot.mj_model, renderer)
    with _gl_setup_lock:
        _every_kept.append(renderer)
    while len(kept) > _KEPT_RENDERERS:
        _, (_, old) = kept.popitem(last=False)
        with _gl_setup_lock:
            _every_kept.remove(old)
        old.close()
    return renderer


@atexit.register
def close_shared_renderers() -> None:
    """Closes the kept renderers (at exit, while their GL libraries are still loaded)."""
    with _gl_setup_lock:
        while _every_kept:
            renderer = _every_kept.pop()
            try:
                renderer.close()
            except Exception:
                pass


class VideoWriter:
    """Streams RGB frames to an MP4 written under a temporary name, renamed on close.

    ``write`` only queues the frame (no copy: the renderer returns a fresh array per frame); a
    thread feeds ffmpeg, which encodes in its own process meanwhile."""

    QUEUE_FRAMES = 8  # ~5.5 MB at 640x360: enough to ride out an encoder hiccup

    def __init__(self, path: Path, width: int, height: int, fps: int):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.part")
        gen: Generator[None, np.ndarray | None, None] = imageio_ffmpeg.write_frames(
            str(self.tmp),
            (width, height),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,
            bitrate=None,
            macro_block_size=1,
            output_params=["-movflags", "+faststart", "-crf", "23", "-preset", "veryfast", "-f", "mp4"],
            ffmpeg_log_level="error",
        )
        gen.send(None)
        self._gen: Generator[None, np.ndarray | None, None] | None = gen  # None once closed
        self.frames = 0
        self._queue: queue.Queue = queue.Queue(maxsize=self.QUEUE_FRAMES)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._feed, name="tabrl-video-encode", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            if self._error is not None:
                continue  # keep draining so the renderer never blocks on a dead encoder
            try:
                gen = self._gen
                assert gen is not None  # closed only after this thread has ended
                gen.send(frame)
            except BaseException as exc:
                self._error = exc

    def write(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise RuntimeError(f"video encoder failed: {self._error}") from self._error
        self._queue.put(np.ascontiguousarray(frame))
        self.frames += 1

    def _join(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def close(self) -> Path:
        self._join()
        if self._error is not None:
            self.abort()
            raise RuntimeError(f"video encoder failed: {self._error}") from self._error
        if self._gen is not None:
            self._gen.close()
            self._gen = None
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        self._join()
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
