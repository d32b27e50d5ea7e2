"""Hands placed on the body (issue 21: composition on the body plan; issue 23: a check of the outcome): the
words' place ("hands on your hips", "hug yourself", "arms out wide") is read from the sentence's shape, put on
each humanoid's own shoulders, hips and arm length, solved as a pose of each arm, and checked as where each hand
was held."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from tabrl.design import design
from tabrl.design.placements import placement_of
from tabrl.render.outcomes import outcome_metrics, outcome_values
from tabrl.render.rollout import Trajectory
from tabrl.rewards import checks
from tabrl.rewards.motion import compile_motion, moved_joints
from tabrl.rewards.outcome_checks import prior_tip_paths, prior_tip_places
from tabrl.robots import catalog
from tabrl.robots.anatomy import body_plan_of


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("put your hands on your hips", ("hips", "hold", True)),
        ("Hands on hips, please!", ("hips", "hold", True)),
        ("stand with both of your hands on top of your head", ("head", "hold", True)),
        ("hands behind your head and relax", ("behind_head", "hold", True)),
        ("put your right hand on your heart", ("chest", "hold", False)),
        ("rub your belly", ("belly", "rub", False)),
        ("pat your head", ("head", "pat", False)),
        ("cover your eyes", ("face", "hold", True)),
        ("hug yourself", ("hug", "hold", True)),
        ("cross your arms", ("hug", "hold", True)),
        ("give yourself a big hug", ("hug", "hold", True)),
        ("stretch your arms out to the sides", ("out", "hold", True)),
        ("fly like an airplane", ("out", "hold", True)),
        ("hands up over your head", ("overhead", "hold", True)),
        ("put your hands behind your back", ("back", "hold", True)),
        ("put the cube on the table", None),
        ("hold your head high", None),
        ("touch your toes", None),
        ("wave your right hand", None),
    ],
)
def test_where_the_words_put_the_hands(prompt, expected):
    found = placement_of(prompt)
    assert (None if found is None else (found.at, found.motion, found.both)) == expected


HUMANOIDS = ["H1JoystickGaitTracking", "G1JoystickFlatTerrain", "Op3Joystick"]


@pytest.mark.parametrize("model_id", HUMANOIDS)
@pytest.mark.parametrize(
    "prompt", ["put your hands on your hips", "hold your arms out wide like an airplane"]
)
def test_hands_are_placed_by_each_arm_and_checked_where_they_are_held(model_id, prompt):
    """Every approach gives each hand its own point and a prior on the arms alone; followed exactly (no
    physics) the prior holds each hand where the check asks, and the standing pose does not pass it."""
    robot = catalog.load_robot(model_id)
    plan = body_plan_of(robot)
    arm_joints = {j for arm in plan.of_kind("arm") for j in arm.joints + arm.fingers}
    arms = {arm.name for arm in plan.of_kind("arm")}
    for program in design(model_id, prompt).programs:
        points = [t for t in program.terms if t.term == "ee_target"]
        assert {t.params.index for t in points} == {0, 1}, program.name
        # the arms move; the legs only hold the posed body's weight (static torque / kp: milliradians)
        assert moved_joints(program.motion, robot.spec) & arm_joints, program.name
        legs = [p for p in program.motion.parts if p.group == "legs"]
        assert all(abs(p.offset) < 0.05 for p in legs), program.name
        placed = [c for c in program.success or [] if c.metric and "_at_" in c.metric]
        assert {c.metric.rsplit("_at_", 1)[0] for c in placed} == arms, program.name
        places = prior_tip_places(robot, program.motion)
        held = {f"{limb}_at_{'xyz'[k]}": float(v[k]) for limb, (_, v) in places.items() for k in range(3)}
        rest = {f"{limb}_at_{'xyz'[k]}": float(s[k]) for limb, (s, _) in places.items() for k in range(3)}
        assert checks.verdict(placed, held)["passed"], program.name
        assert not checks.verdict(placed, rest)["passed"], program.name


def test_where_a_hand_is_held_is_measured_in_the_frame_the_check_predicts():
    """The rollout's figure (render/outcomes.py) and the check's prediction (a prior followed exactly) agree: a
    recorded pose holding the prior reads the same hand positions, to the millimetre."""
    model_id = "H1JoystickGaitTracking"
    robot = catalog.load_robot(model_id)
    program = design(model_id, "put your hands on your hips").programs[0]
    spec, model = robot.spec, robot.mj_model
    compiled = compile_motion(program.motion, spec)
    data = mujoco.MjData(model)
    joints = np.asarray(robot.actuator_joint)
    driven = joints >= 0
    adr = np.asarray(spec.joint_qpos_adr)[joints[driven]]
    frames, bases, quats = [], [], []
    for t in np.linspace(0.0, 4.0, 41):
        data.qpos[:] = spec.default_qpos
        offset = compiled.reference(np, np.array([t]))[0] if t > 0 else np.zeros(len(joints))
        data.qpos[adr] = np.clip(
            spec.default_joint_pos[joints[driven]] + offset[driven],
            spec.joint_range[joints[driven], 0],
            spec.joint_range[joints[driven], 1],
        )
        mujoco.mj_forward(model, data)
        frames.append(data.qpos.copy())
        bases.append(data.sensordata[spec.base_pos_adr].copy())
        quats.append(data.sensordata[spec.base_quat_adr].copy())
    n = len(frames)
    traj = Trajectory(
        time=np.arange(n) * 0.1,
        qpos=np.asarray(frames),
        qvel=np.zeros((n, model.nv)),
        base_pos=np.asarray(bases),
        base_quat=np.asarray(quats),
        actions=np.zeros((n, model.nu)),
        features={},
        reward=np.zeros(n),
        terms={},
    )
    values = outcome_values(outcome_metrics(robot, traj, settle=n // 2))
    for limb, (_, held) in prior_tip_places(robot, program.motion).items():
        measured = [values[f"{limb}_at_{axis}"] for axis in "xyz"]
        assert np.allclose(measured, held, atol=0.005), (limb, measured, held)


def test_a_body_without_hands_is_told_and_a_clap_above_the_head_stays_a_clap():
    go1 = design("Go1JoystickFlatTerrain", "put your hands on your hips")
    assert any("has no hands" in note for note in go1.programs[0].notes)
    clap = design("H1JoystickGaitTracking", "clap your hands above your head")
    assert any("Clap" in p.name for p in clap.programs)
    assert not any(t.term == "ee_target" for p in clap.programs for t in p.terms)


GESTURE_BODIES = [
    "H1JoystickGaitTracking",
    "G1JoystickFlatTerrain",
    "T1JoystickFlatTerrain",
    "Op3Joystick",
    "ApolloJoystickFlatTerrain",
]


@pytest.mark.parametrize("model_id", GESTURE_BODIES)
def test_a_humanoid_waves_with_the_hand_raised_and_punches_forward(model_id):
    """One-hand gestures placed on the body: followed exactly, the wave's prior raises the hand from the hip to
    beside the head and sweeps it side to side (a wave from the hip rose 1-3 cm), and a punch's hand path
    reaches forward, each fist in turn in the one-two (a side-to-side line never reached forward). Thresholds
    as the humanoid public suite's, in standing heights."""
    robot = catalog.load_robot(model_id)
    h = float(robot.spec.standing_height)
    tracer = next(p for p in design(model_id, "wave with your left hand").programs if p.name == "Wave Tracer")
    sweep, rise, *_ = prior_tip_paths(robot, tracer.motion)["left_arm"]
    assert rise >= 0.15 * h and sweep >= 0.15 * h, (rise, sweep, h)
    punches = {p.name: p for p in design(model_id, "punch like a boxer").programs}
    assert {"Hand Path Punch", "One-Two Punch"} <= set(punches), sorted(punches)
    *_, reach = prior_tip_paths(robot, punches["Hand Path Punch"].motion)["right_arm"]
    assert reach >= 0.1 * h, (reach, h)
    both = prior_tip_paths(robot, punches["One-Two Punch"].motion)
    assert min(both["left_arm"][4], both["right_arm"][4]) >= 0.1 * h, both
    two = next(p for p in design(model_id, "wave both hands").programs if p.name == "Wave Tracer")
    raised = prior_tip_paths(robot, two.motion)
    assert min(raised["left_arm"][1], raised["right_arm"][1]) >= 0.15 * h, raised
