"""Priors solved from the robot's own kinematics and ranges: arm paths, finger rhythms, hand shapes.

Each is played back open-loop (zero policy) in MuJoCo: the prior alone must already show the shape.
"""

from __future__ import annotations

import numpy as np
import pytest

from tabrl.design.builtin import design
from tabrl.render.metrics import behavior_metrics, evaluate_success
from tabrl.render.rollout import rollout
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.motion import compile_motion, sine_centre
from tabrl.robots.catalog import load_robot


def _play(robot, motion, seconds):
    return rollout(robot, lambda _obs: np.zeros(robot.action_size), seconds, motion=motion)


@pytest.fixture(scope="module")
def ur5e():
    return load_robot("UR5e")


@pytest.fixture(scope="module")
def allegro():
    return load_robot("AllegroHand")


def test_an_arm_path_prior_moves_the_end_effector_along_the_asked_axis(ur5e):
    # "wave" traces a line along y (the yz plane's first axis): the solved prior must move the end
    # effector mostly along y, not swing the base joint (which moved it along x and was fought).
    wave = design("UR5e", "wave").programs[0]
    assert wave.terms[0].term == "ee_path" and wave.terms[0].params.plane == "yz"
    assert "shoulder_pan_joint" not in [p.joint for p in wave.motion.parts]
    ee = _play(ur5e, wave.motion, 4.0).features["ee_pos"][:, 0, :]
    span = ee[30:].max(axis=0) - ee[30:].min(axis=0)
    assert np.argmax(span) == 1 and span[1] > 0.15, span


def test_a_circle_prior_spans_both_axes_of_its_plane(ur5e):
    circle = design("UR5e", "draw a circle").programs[0]
    m = behavior_metrics(ur5e, _play(ur5e, circle.motion, 6.0))
    verdict = evaluate_success(ur5e.spec, m, circle.success)
    assert verdict["passed"], verdict["summary"]
    extent = sorted(m["end_effectors"][0]["extent_m"])
    assert extent[-2] > 0.6 * extent[-1], extent  # round, not a flat ellipse


def test_a_finger_rhythm_swings_inside_the_range(allegro):
    spec = allegro.spec
    fingers = spec.groups["fingers"]
    shift, amp = sine_centre(spec, fingers, 0.3)
    lo, hi = spec.joint_range[fingers, 0], spec.joint_range[fingers, 1]
    home = spec.default_joint_pos[fingers]
    assert np.all(home + shift - amp >= lo - 1e-9) and np.all(home + shift + amp <= hi + 1e-9)
    assert np.all(amp > 0.25)  # straight fingers sit at their range's edge: the swing moved inside it
    assert shift[1] > 0 and shift[0] == 0  # a bending joint moves in, a spreading one keeps its centre
    go1 = load_robot("Go1JoystickFlatTerrain").spec  # robots on legs keep the default as the centre
    assert not np.any(sine_centre(go1, go1.groups["hip_abduction"], 0.3)[0])
    wiggle = design("AllegroHand", "wiggle the fingers").programs[0]
    compile_motion(wiggle.motion, spec)
    m = behavior_metrics(allegro, _play(allegro, wiggle.motion, 4.0))
    assert m["joint_groups"]["non_thumb"]["amplitude_rad"] > 0.12, m["joint_groups"]["non_thumb"]


@pytest.mark.parametrize(
    "prompt,straight",
    [("point with the index finger", ["index"]), ("give a thumbs up", ["thumb"]), ("point", ["index"])],
)
def test_hand_shapes_curl_every_finger_but_the_named_ones(allegro, prompt, straight):
    d = design("AllegroHand", prompt)
    for p in d.programs:
        compile_program(p, allegro.spec, np)
        assert p.success and p.motion, p.name
    first = d.programs[0]
    m = behavior_metrics(allegro, _play(allegro, first.motion, 3.0))
    verdict = evaluate_success(allegro.spec, m, first.success)
    assert verdict["passed"], verdict["summary"]
    offsets = {g: m["joint_groups"][g]["mean_rad"] for g in ("index", "middle", "ring", "thumb")}
    for g in ("index", "middle", "ring"):
        assert (offsets[g] < 0.2) == (g in straight), offsets


def test_grab_and_lift_on_the_cube_scene_is_its_pick_and_a_reach_runs_its_line_out():
    panda = load_robot("PandaPickCube")
    # the scene has a cube: the words are its task (design/recipes/tasks.py), a grip and a solved lift
    first = design("PandaPickCube", "grab the cube and lift it").programs[0]
    compile_program(first, panda.spec, np)
    assert {c.metric for c in first.success} >= {"object_rise"}  # the cube lifted
    moved = {p.group or p.joint for p in first.motion.parts}
    assert "finger_joint1" in moved and moved & {"joint2", "joint4", "joint6"}  # the grip and the solved lift
    # "reach and return" along x runs its line out the asked way: the end effector is out there on average
    back = design("PandaPickCube", "reach forward").programs[1]
    m = behavior_metrics(panda, _play(panda, back.motion, 6.0))
    assert evaluate_success(panda.spec, m, back.success)["passed"]
