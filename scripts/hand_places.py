"""How close each hand's prior brings it to its point, followed exactly (no physics): the hand-placement
designs on the humanoids with arms.

    python scripts/hand_places.py [MODEL,MODEL,...] ["PROMPT|PROMPT|..."]

Prints, per model and prompt, approach 1's name and for each hand its distance to its point at the prior's
held pose, beside its distance at the standing pose (cm). A rub's or a pat's point is its path's centre.
"""

from __future__ import annotations

import sys

import mujoco
import numpy as np

from tabrl.design import design
from tabrl.rewards.motion import compile_motion
from tabrl.robots import catalog

MODELS = (
    "H1JoystickGaitTracking,G1JoystickFlatTerrain,T1JoystickFlatTerrain,Op3Joystick,ApolloJoystickFlatTerrain"
)
PROMPTS = (
    "put your hands on your hips|hug yourself|arms out like an airplane|cover your eyes|hands behind your head"
    "|hands on your head|hands behind your back|rub your belly"
)


def main() -> None:
    models = (sys.argv[1] if len(sys.argv) > 1 else MODELS).split(",")
    prompts = (sys.argv[2] if len(sys.argv) > 2 else PROMPTS).split("|")
    for model_id in models:
        robot = catalog.load_robot(model_id)
        spec, model = robot.spec, robot.mj_model
        data = mujoco.MjData(model)
        joints = np.asarray(robot.actuator_joint)
        driven = joints >= 0
        adr = np.asarray(spec.joint_qpos_adr)[joints[driven]]
        lo, hi = spec.joint_range[joints[driven], 0], spec.joint_range[joints[driven], 1]
        for prompt in prompts:
            program = design(model_id, prompt).programs[0]
            points = {
                t.params.index: np.asarray(t.params.target if t.term == "ee_target" else t.params.center)
                for t in program.terms
                if t.term in ("ee_target", "ee_path")
                and (t.term == "ee_target" or t.params.center is not None)
            }
            if not points or program.motion is None:
                print(f"{model_id:28s} {prompt:30s} {program.name:26s} no hand prior")  # noqa: T201
                continue
            held = compile_motion(program.motion, spec).offset  # the prior's pose once ramped in (its mean)
            data.qpos[:] = spec.default_qpos
            data.qpos[adr] = np.clip(spec.default_joint_pos[joints[driven]] + held[driven], lo, hi)
            mujoco.mj_forward(model, data)
            gaps = [
                f"hand {i}: {100 * np.linalg.norm(data.sensordata[spec.ee_pos_adr[i]] - p):.1f} cm "
                f"(standing {100 * np.linalg.norm(spec.default_ee_pos[i] - p):.0f})"
                for i, p in points.items()
            ]
            print(f"{model_id:28s} {prompt:30s} {program.name:26s} " + "; ".join(gaps))  # noqa: T201


if __name__ == "__main__":
    main()
