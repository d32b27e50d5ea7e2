"""The built-in designer gives approaches a motion prior and a success check that fit the robot."""

from __future__ import annotations

import numpy as np
import pytest

from tabrl.design.builtin import design_approaches
from tabrl.rewards.compiler import compile_program
from tabrl.robots.catalog import load_robot

PROMPTS = {
    "Go1JoystickFlatTerrain": [
        "walk forward",
        "spin in place",
        "keep shaking your hips aloha dude!",
        "lie down",
        "sit",
        "wag your tail",
        "wave hello with your paw",
        "jump up and down",
        "bow",
    ],
    "AnymalC": ["walk forward", "shake your hips", "sit"],
    "UR5e": ["wave", "draw a circle in the air", "reach up high"],
    "PandaPickCube": ["open and close the gripper", "reach forward"],
    "AllegroHand": ["open and close the hand", "wiggle the fingers"],
}


@pytest.mark.parametrize("model", list(PROMPTS))
def test_every_approach_has_a_valid_prior_and_check(model):
    robot = load_robot(model)
    for prompt in PROMPTS[model]:
        programs = design_approaches(model, prompt)
        for p in programs:
            compile_program(p, robot.spec, np)  # prior and check validated against the robot
            assert p.success, (prompt, p.name)
        assert any(p.motion for p in programs), prompt  # every behavior here has a shape


def test_open_and_close_is_one_rhythm_not_two_poses():
    hand = design_approaches("AllegroHand", "open and close the hand")
    assert hand[0].name == "Open-Close Rhythm"
    part = hand[0].motion.parts[0]
    assert part.amplitude > 0.3 and part.offset > 0.3 and part.frequency_hz > 0
    assert any(
        c.metric.endswith("_sweep") for c in hand[0].success
    )  # the fingertips move, not just the joints
    gripper = design_approaches("PandaPickCube", "open and close the gripper")
    assert gripper[0].motion.parts[0].group == "gripper" and gripper[0].motion.parts[0].amplitude > 0.01


def test_reaching_gets_a_solved_pose_and_a_displacement_check():
    up = design_approaches("UR5e", "reach up high")[0]
    assert up.motion and all(p.joint and p.offset for p in up.motion.parts)
    assert [(c.metric, c.op) for c in up.success] == [("ee_dz", ">=")]


def test_motor_driven_robots_get_checks_but_no_prior():
    programs = design_approaches("CartpoleBalance", "swing the pole")
    assert all(p.motion is None for p in programs)


@pytest.mark.parametrize("prompt", ["bounce up and down on all four legs", "pronk", "jump up and down"])
def test_a_jump_is_checked_for_every_foot_off_at_once(prompt):
    """A jump, pronk or bounce rewards moments with every foot in the air (``air_time`` with ``all_feet``): its
    check asks for such moments, never for feet that alternate (stepping), which a jump cannot show."""
    for program in design_approaches("Go1JoystickFlatTerrain", prompt):
        metrics = [c.metric for c in program.success or []]
        assert "feet_alternation" not in metrics, (program.name, metrics)
        if any(t.term == "air_time" and t.params.all_feet for t in program.terms):
            assert "airborne_moments" in metrics, (program.name, metrics)
