"""How each robot sits in its video's frames (issue 24's framing bars), per robot category.

Plays the built-in designer's first approach for a behavior prompt, films it with the video's rig and
measures every frame with MuJoCo's segmentation render at 320x180 (the same camera path as a 640x360
video): the share of frames in which the robot touches the frame's border (bar: <= 2 %) or leaves the
central 90 %, the share of the frame it covers (bar: 10-60 %) and its bounding box covers, and its
height in the frame (a legged robot's: 40-60 %).

Two policies: ``prior``, the motion prior with a zero residual (an early policy's motion), and
``flail``, the prior plus a random residual held for 0.2 s (an untrained policy: stumbles, falls, rolls).

    python scripts/video_coverage.py [MODEL ...] [--seconds 6] [--policy prior flail]
    python scripts/video_coverage.py --cost [MODEL ...]   # ms per frame, ours beside a bare renderer
"""

from __future__ import annotations

import argparse
import copy
import json
import time

import mujoco
import numpy as np

from tabrl.design import design_approaches
from tabrl.render import rollout as rollout_mod
from tabrl.render import segment, video
from tabrl.render.artifacts import frames_due, video_rig
from tabrl.robots.catalog import load_robot

# One or more robots of every category the public suites hold, each with a prompt of its own.
PROMPTS = {
    "Go1JoystickFlatTerrain": "walk forward",  # quadruped
    "SpotGetup": "lie down",
    "AnymalC": "trot in place",
    "H1JoystickGaitTracking": "walk forward",  # humanoid
    "Op3Joystick": "wave hello",
    "UR5e": "wave hello",  # arm
    "PandaPickCube": "draw a circle in the air",
    "AllegroHand": "open and close your hand",  # hand
    "LeapCubeReorient": "wiggle your fingers",
    "CheetahRun": "run forward",  # classic (dm_control)
    "WalkerWalk": "walk forward",
    "CartpoleSwingup": "swing up",
}
W, H, FPS = 320, 180, 30
HOLD_S = 0.2  # the flailing residual's hold time


def flail_policy(action_size: int, hold: int, seed: int = 0):
    """A random action in [-1, 1], drawn anew every ``hold`` control steps."""
    rng = np.random.default_rng(seed)
    state = {"n": 0, "a": np.zeros(action_size)}

    def policy(_obs):
        if state["n"] % hold == 0:
            state["a"] = rng.uniform(-1.0, 1.0, action_size)
        state["n"] += 1
        return state["a"]

    return policy


def coverage(model_id: str, prompt: str, seconds: float, policy_name: str = "prior") -> dict:
    robot = load_robot(model_id)
    program = design_approaches(model_id, prompt)[0]
    whole = segment.robot_geoms(robot)
    rig, _ = video_rig(robot, W, H, FPS, program.terms)
    renderer = video.make_renderer(robot, W, H)
    total = int(round(seconds * FPS))
    frames: list[dict] = []
    if policy_name == "flail":
        policy = flail_policy(robot.action_size, max(1, round(HOLD_S / robot.ctrl_dt)))
    else:

        def policy(_obs):
            return np.zeros(robot.action_size)

    def on_step(step, data):
        for _ in range(frames_due(len(frames), total, (step + 1) * robot.ctrl_dt, FPS)):
            frames.append(segment.silhouette_stats(segment.segment(renderer, data, rig.update(data), whole)))

    try:
        rollout_mod.rollout(robot, policy, seconds, on_control_step=on_step, motion=program.motion)
    finally:
        renderer.close()
    shares = [f["share"] for f in frames]
    heights = [f["height"] for f in frames]
    return {
        "model": model_id,
        "category": robot.profile.category,
        "policy": policy_name,
        "view": rig.shot.view,
        "frames": len(frames),
        "touch": round(float(np.mean([f["touches"] for f in frames])), 3),
        "outside90": round(float(np.mean([f["outside"] for f in frames])), 3),
        "share_min": round(min(shares), 3),
        "share_mean": round(float(np.mean(shares)), 3),
        "share_max": round(max(shares), 3),
        "box_mean": round(float(np.mean([f["box"] for f in frames])), 3),
        "height_mean": round(float(np.mean(heights)), 3),
    }


def frame_cost(model_id: str, seconds: float, width: int = 640, height: int = 360) -> dict:
    """Per-frame cost of our frame (drawing copy: decimated, studio-lit, checker floor; the rig moved
    per frame) beside a bare ``mujoco.Renderer`` on the physics model from a fixed camera, with our scene
    options (no shadows, reflections or multisampling) and with MuJoCo's defaults (shadows on),
    interleaved frame by frame over the same recorded states in one run."""
    robot = load_robot(model_id)
    program = design_approaches(model_id, PROMPTS.get(model_id, "move around happily"))[0]
    states: list[tuple[np.ndarray, np.ndarray]] = []
    total = int(round(seconds * FPS))

    def on_step(step, data):
        for _ in range(frames_due(len(states), total, (step + 1) * robot.ctrl_dt, FPS)):
            states.append((data.qpos.copy(), data.qvel.copy()))

    zero = lambda _obs: np.zeros(robot.action_size)  # noqa: E731
    rollout_mod.rollout(robot, zero, seconds, on_control_step=on_step, motion=program.motion)
    ours = video.make_renderer(robot, width, height)
    rig, _ = video_rig(robot, width, height, FPS, None)
    plain = copy.copy(robot.mj_model)
    plain.vis.quality.offsamples = 0
    bare = mujoco.Renderer(plain, height=height, width=width)
    bare.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = 0
    bare.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = 0
    shadowed = mujoco.Renderer(robot.mj_model, height=height, width=width)
    fixed = mujoco.MjvCamera()
    fixed.type = mujoco.mjtCamera.mjCAMERA_FREE
    fixed.lookat[:], fixed.distance = rig.camera.lookat, rig.camera.distance
    fixed.azimuth, fixed.elevation = rig.camera.azimuth, rig.camera.elevation
    data = mujoco.MjData(robot.mj_model)
    spent = {"ours": 0.0, "bare": 0.0, "bare_shadows": 0.0}
    for qpos, qvel in states:
        data.qpos[:], data.qvel[:] = qpos, qvel
        mujoco.mj_forward(robot.mj_model, data)
        t0 = time.perf_counter()
        bare.update_scene(data, fixed)
        bare.render()
        t1 = time.perf_counter()
        ours.update_scene(data, rig.update(data))
        ours.render()
        t2 = time.perf_counter()
        shadowed.update_scene(data, fixed)
        shadowed.render()
        spent["bare"] += t1 - t0
        spent["ours"] += t2 - t1
        spent["bare_shadows"] += time.perf_counter() - t2
    for renderer in (ours, bare, shadowed):
        renderer.close()
    ms = {k: round(v / len(states) * 1000, 2) for k, v in spent.items()}
    return {
        "model": model_id,
        "frames": len(states),
        "size": f"{width}x{height}",
        "ours_ms": ms["ours"],
        "bare_ms": ms["bare"],
        "bare_shadows_ms": ms["bare_shadows"],
        "ratio": round(ms["ours"] / ms["bare"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(PROMPTS))
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--policy", nargs="+", default=["prior", "flail"], choices=["prior", "flail"])
    parser.add_argument("--cost", action="store_true", help="per-frame cost beside a bare renderer")
    args = parser.parse_args()
    if args.cost:
        for model_id in args.models:
            print(json.dumps(frame_cost(model_id, args.seconds)), flush=True)
        return
    for model_id in args.models:
        for name in args.policy:
            row = coverage(model_id, PROMPTS.get(model_id, "move around happily"), args.seconds, name)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
