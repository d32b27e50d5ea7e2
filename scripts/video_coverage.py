"""How much of each video frame the robot's moving parts cover (issue 16's 15 % bar), per robot.

Plays the built-in designer's first approach for a behavior prompt with a zero residual (its motion
prior moves the robot as an early policy does), films it with the video's rig and measures every
frame with MuJoCo's segmentation render at 320x180 (the same camera path as a 640x360 video).

    python scripts/video_coverage.py [MODEL ...] [--seconds 6]
"""

from __future__ import annotations

import argparse

import numpy as np

from tabrl.design import design_approaches
from tabrl.render import rollout as rollout_mod
from tabrl.render import segment, video
from tabrl.render.artifacts import frames_due, video_rig
from tabrl.robots.catalog import load_robot

PROMPTS = {
    "Go1JoystickFlatTerrain": "walk forward",
    "AnymalC": "trot in place",
    "UR5e": "wave hello",
    "PandaPickCube": "draw a circle in the air",
    "AllegroHand": "open and close your hand",
    "LeapCubeReorient": "wiggle your fingers",
}
W, H, FPS = 320, 180, 30


def coverage(model_id: str, prompt: str, seconds: float) -> dict:
    robot = load_robot(model_id)
    program = design_approaches(model_id, prompt)[0]
    moving = segment.robot_geoms(robot, moving_only=True)
    rig, _ = video_rig(robot, W, H, FPS, program.terms)
    renderer = video.make_renderer(robot, W, H)
    total = int(round(seconds * FPS))
    shares: list[float] = []

    def on_step(step, data):
        for _ in range(frames_due(len(shares), total, (step + 1) * robot.ctrl_dt, FPS)):
            shares.append(float(segment.segment(renderer, data, rig.update(data), moving).mean()))

    try:
        rollout_mod.rollout(
            robot,
            lambda _obs: np.zeros(robot.action_size),
            seconds,
            on_control_step=on_step,
            motion=program.motion,
        )
    finally:
        renderer.close()
    shot = rig.shot
    return {
        "model": model_id,
        "prompt": prompt,
        "view": f"{shot.view} az {shot.azimuth:.0f} el {shot.elevation:.0f}",
        "min": round(min(shares), 3),
        "mean": round(float(np.mean(shares)), 3),
        "frames": len(shares),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(PROMPTS))
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    for model_id in args.models:
        print(coverage(model_id, PROMPTS.get(model_id, "move around happily"), args.seconds), flush=True)


if __name__ == "__main__":
    main()
