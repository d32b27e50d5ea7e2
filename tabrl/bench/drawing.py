"""`tabrl bench`'s drawing figures: our whole video step beside a bare renderer of the same scene, and the
video camera and the end-effector trace beside a fixed camera."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from tabrl.bench.engine import BENCH_MODEL, design_program
from tabrl.config import VIDEO_SECONDS
from tabrl.render import replay, video
from tabrl.render.artifacts import render_policy, video_rig
from tabrl.render.camera import make_camera
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior

RENDER_MODELS = ("AnymalC", "PandaPickCube", "AllegroHand")


def _random_policy(robot):
    """A freshly initialised PPO policy: the same network and inference cost as a trained one."""
    import jax

    from tabrl.train import ppo  # JAX: only the figures with a policy

    obs = behavior.observation_size(robot)
    cfg = ppo.PPOConfig()
    networks = ppo.make_networks(obs, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    state = ppo.init_state(networks, obs, cfg, jax.random.PRNGKey(0))
    act = ppo.make_deterministic_policy(networks)
    params = (state.normalizer, state.params.policy, state.params.value)
    policy = lambda o: np.asarray(act(params, o))  # noqa: E731
    policy(np.zeros(obs, np.float32))  # compile outside the timing
    return policy


def bare_render_ms(
    robot, qpos: np.ndarray, frames: int, width: int, height: int, full_meshes: bool = True
) -> float:
    """A bare ``mujoco.Renderer`` (same scene options as ours) drawing ``frames`` recorded poses."""
    renderer = video.make_renderer(robot, width, height, full_meshes=full_meshes)
    camera = make_camera(robot)
    data = mujoco.MjData(robot.mj_model)
    poses = [qpos[min(i * len(qpos) // frames, len(qpos) - 1)] for i in range(frames)]
    data.qpos[:] = poses[0]
    mujoco.mj_forward(robot.mj_model, data)
    for _ in range(3):
        renderer.update_scene(data, camera)
        renderer.render()
    start = time.perf_counter()
    for pose in poses:
        data.qpos[:] = pose
        mujoco.mj_kinematics(robot.mj_model, data)
        renderer.update_scene(data, camera)
        renderer.render()
    ms = (time.perf_counter() - start) / frames * 1000
    renderer.close()
    return ms


def render_ms_per_frame(
    model_id: str = BENCH_MODEL, seconds: float = VIDEO_SECONDS, width: int = 640, height: int = 360
) -> dict[str, Any]:
    """Our whole video step (rollout + render + encode + poster/trajectory/metrics) per frame, beside a bare
    renderer on the same scene and size measured just before and just after it (their mean is the floor)."""
    robot = load_robot(model_id)
    policy = _random_policy(robot)
    frames = int(round(seconds * 30))
    with tempfile.TemporaryDirectory() as tmp:
        warm = render_policy(robot, policy, Path(tmp) / "warm", seconds=1.0, width=width, height=height)
        qpos = np.load(Path(tmp) / "warm" / "trajectory.npz")["qpos"]
        before = bare_render_ms(robot, qpos, frames, width, height)
        start = time.perf_counter()
        render_policy(robot, policy, Path(tmp) / "video", seconds=seconds, width=width, height=height)
        ours = (time.perf_counter() - start) / frames * 1000
        qpos = np.load(Path(tmp) / "video" / "trajectory.npz")["qpos"]
        after = bare_render_ms(robot, qpos, frames, width, height)
        decimated = bare_render_ms(robot, qpos, frames, width, height, full_meshes=False)
    del warm
    bare = (before + after) / 2
    return {
        "model": model_id,
        "width": width,
        "height": height,
        "frames": frames,
        "ours_ms_per_frame": ours,
        "bare_renderer_ms_per_frame": bare,
        "bare_renderer_runs_ms": [before, after],
        "bare_renderer_decimated_ms_per_frame": decimated,
        "ratio_ours_to_bare": ours / bare,
        "ratio_floor_lowered": decimated / bare,
        "gl": os.environ.get("MUJOCO_GL", ""),
        "note": "ours = rollout + render + encode + poster/trajectory/metrics; bare = update_scene + render "
        "of the full meshes; decimated = the drawing model our renderer uses",
    }


TRACE_MODELS = (("UR5e", "wave hello"), ("PandaPickCube", "draw a circle in the air"))


def camera_trace_ms_per_frame(
    model_id: str, prompt: str, seconds: float = 4.0, width: int = 640, height: int = 360
) -> dict[str, Any]:
    """Per-frame drawing cost of the video camera and the end-effector trace, side by side: the same
    recorded frames (the designer's first approach for ``prompt``, its motion prior played) drawn three
    ways, interleaved frame by frame — a fixed camera alone, the video's rig, the rig plus the trace."""
    robot = load_robot(model_id)
    program = design_program(model_id, prompt)
    zero = lambda _obs: np.zeros(robot.action_size)  # noqa: E731
    frames = int(round(seconds * 30))
    with tempfile.TemporaryDirectory() as tmp:
        render_policy(
            robot, zero, Path(tmp), seconds=seconds, width=width, height=height, motion=program.motion
        )
        trajectory = dict(np.load(Path(tmp) / "trajectory.npz"))
    renderer = video.make_renderer(robot, width, height)
    fixed = make_camera(robot, width, height)
    rig_only, _ = video_rig(robot, width, height, 30, None)
    rig, trace = video_rig(robot, width, height, 30, program.terms)
    totals = {"fixed_camera": 0.0, "video_camera": 0.0, "video_camera_and_trace": 0.0}
    geoms = 0
    for _, data in replay.frame_states(robot, trajectory, frames=frames):
        t0 = time.perf_counter()
        renderer.update_scene(data, fixed)
        renderer.render()
        t1 = time.perf_counter()
        renderer.update_scene(data, rig_only.update(data))
        renderer.render()
        t2 = time.perf_counter()
        renderer.update_scene(data, rig.update(data))  # what render_policy does per frame
        if trace is not None:
            trace.draw(renderer.scene, data)
        renderer.render()
        t3 = time.perf_counter()
        geoms = max(geoms, renderer.scene.ngeom)
        totals["fixed_camera"] += t1 - t0
        totals["video_camera"] += t2 - t1
        totals["video_camera_and_trace"] += t3 - t2
    renderer.close()
    ms = {k: v / frames * 1000 for k, v in totals.items()}
    return {
        "model": model_id,
        "prompt": prompt,
        "frames": frames,
        "width": width,
        "height": height,
        **{f"{k}_ms_per_frame": v for k, v in ms.items()},
        "trace_drawn": trace is not None,
        "scene_geoms_with_trace": geoms,
        "ratio_trace_to_camera": ms["video_camera_and_trace"] / ms["video_camera"],
        "ratio_camera_and_trace_to_fixed": ms["video_camera_and_trace"] / ms["fixed_camera"],
    }


def camera_trace_all(seconds: float = 4.0) -> list[dict[str, Any]]:
    """``camera_trace_ms_per_frame`` for the arms (the robots that get a trace)."""
    out = []
    for model_id, prompt in TRACE_MODELS:
        try:
            out.append(camera_trace_ms_per_frame(model_id, prompt, seconds))
        except Exception as e:  # a robot whose assets are missing here
            out.append({"model": model_id, "error": f"{type(e).__name__}: {e}"})
    return out
