"""Motion priors and success checks read from a program's terms, played back open-loop in MuJoCo."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from tabrl.render.metrics import behavior_metrics, evaluate_success
from tabrl.render.rollout import rollout
from tabrl.rewards.leg_priors import leg_rhythms
from tabrl.rewards.program import RewardProgram
from tabrl.rewards.shape_checks import success_from_terms
from tabrl.rewards.shapes import motion_from_terms
from tabrl.robots.catalog import load_robot
from tabrl.robots.profiles import GaitRig, get_profile


def _terms(*terms) -> list:
    return RewardProgram.parse({"name": "x", "terms": list(terms)}).terms


def _play(robot, motion, seconds=5.0):
    return behavior_metrics(
        robot, rollout(robot, lambda _obs: np.zeros(robot.action_size), seconds, motion=motion)
    )


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


def test_a_rewarded_hip_rhythm_becomes_the_prior_and_the_check(go1):
    terms = _terms(
        {
            "term": "joint_sine",
            "weight": 2.0,
            "params": {"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0},
        },
        {"term": "upright"},
        {"term": "stay_in_place", "params": {"radius": 0.2}},
    )
    motion = motion_from_terms(terms, go1.spec, robot="go1")
    assert [(p.group, p.amplitude, p.frequency_hz) for p in motion.parts] == [("hip_abduction", 0.3, 2.0)]
    check = success_from_terms(terms, go1.spec, motion)
    assert [c.label() for c in check] == [
        "hip_abduction_amplitude ≥ 0.15",
        "falls < 1",
        "drift ≤ 0.5",
        "upright ≥ 0.8",
    ]
    verdict = evaluate_success(go1.spec, _play(go1, motion), check)
    assert verdict["passed"], verdict["summary"]  # the prior alone already shows the shake


# Each robot's trot at its measured frequency (ANYmal's soft actuators need quick steps: at 2 Hz it tips over).
@pytest.mark.parametrize(
    "model,robot,hz", [("Go1JoystickFlatTerrain", "go1", 2.0), ("AnymalC", "anymal_c", None)]
)
def test_measured_trot_walks_forward_and_crouch_lowers_the_body(model, robot, hz):
    r = load_robot(model)
    clock = (
        [{"term": "foot_contact_pattern", "params": {"pattern": "trot", "frequency_hz": hz}}] if hz else []
    )
    walk = motion_from_terms(
        _terms({"term": "forward_speed", "params": {"target": 0.5}}, *clock),
        r.spec,
        robot=robot,
    )
    assert {p.group for p in walk.parts} == {"hip", "knee"} and walk.residual == 0.4
    assert _play(r, walk, 3.0)["forward_speed_mps"] > 0.12  # open-loop, no policy: it already moves forward
    lie = motion_from_terms(_terms({"term": "base_height", "params": {"ratio": 0.45}}), r.spec, robot=robot)
    m = _play(r, lie, 3.0)
    assert m["base_height_mean_m"] < 0.6 * m["standing_height_m"] and m["falls"] == 0


def test_sit_folds_the_rear_legs(go1):
    terms = _terms(
        {"term": "base_height", "params": {"ratio": 0.75}},
        {"term": "base_orientation", "params": {"pitch": -0.35}},
    )
    m = _play(go1, motion_from_terms(terms, go1.spec, robot="go1"), 3.0)
    check = success_from_terms(terms, go1.spec)
    assert evaluate_success(go1.spec, m, check)["passed"]
    assert m["pitch_mean_abs_rad"] > 0.2


def test_arm_path_and_hand_pose_priors_fit_their_robots():
    ur5e = load_robot("UR5e")
    circle = motion_from_terms(
        _terms({"term": "ee_path", "params": {"shape": "circle", "radius": 0.15, "frequency_hz": 0.5}}),
        ur5e.spec,
    )
    assert [p.joint for p in circle.parts] == ["shoulder_pan_joint", "shoulder_lift_joint"]
    assert circle.parts[1].phase == 0.25
    m = _play(ur5e, circle, 4.0)
    assert m["end_effectors"][0]["path_length_m"] > 0.3
    hand = load_robot("AllegroHand")
    close = motion_from_terms(
        _terms({"term": "joint_pose", "params": {"group": "knuckles", "offset": 1.0}}), hand.spec
    )
    assert close.parts[0].offset == pytest.approx(1.0)
    # Motor-driven robots get no prior (they have no position targets to move).
    assert (
        motion_from_terms(
            _terms({"term": "joint_sine", "params": {"group": "cart"}}), load_robot("CartpoleBalance").spec
        )
        is None
    )


def test_priors_stay_inside_joint_ranges(go1):
    big = motion_from_terms(
        _terms({"term": "joint_sine", "params": {"group": "knee", "amplitude": 1.5, "frequency_hz": 1.0}}),
        go1.spec,
    )
    knees = go1.spec.groups["knee"]
    room = np.min(
        np.minimum(
            go1.spec.default_joint_pos[knees] - go1.spec.joint_range[knees, 0],
            go1.spec.joint_range[knees, 1] - go1.spec.default_joint_pos[knees],
        )
    )
    assert 0 < big.parts[0].amplitude <= room


@pytest.mark.parametrize("yaw", [1.5, -1.5])
@pytest.mark.parametrize("model,robot", [("Go1JoystickFlatTerrain", "go1"), ("AnymalC", "anymal_c")])
def test_turning_prior_turns_the_asked_way(model, robot, yaw):
    r = load_robot(model)  # ANYmal's abduction joints are mirrored left/right: its phases differ from Go1's
    motion = motion_from_terms(_terms({"term": "spin", "params": {"yaw_rate": yaw}}), r.spec, robot=robot)
    m = _play(r, motion, 5.0)
    assert m["yaw_rate_radps"] * np.sign(yaw) > 0.25 and m["falls"] == 0, m["yaw_rate_radps"]


def test_the_leg_prior_plays_the_rhythms_its_profiles_gait_rig_names():
    anymal = get_profile("anymal_c").gait_rig
    r = load_robot("AnymalC")
    walk = motion_from_terms(
        _terms({"term": "forward_speed", "params": {"target": 0.5}}), r.spec, robot="anymal_c"
    )
    hip, knee = (next(p for p in walk.parts if p.group == g) for g in ("hip", "knee"))
    assert (hip.frequency_hz, hip.amplitude, knee.amplitude) == (
        anymal.trot.hz,
        anymal.trot.thigh,
        anymal.trot.calf,
    )
    back = leg_rhythms(anymal).back  # measured on its own: the trot with lagging knees went forwards
    assert (back.hz, back.thigh, back.knee, back.lead) == (anymal.back.hz, 0.15, 0.25, 0.5)
    assert leg_rhythms(anymal).jump_thigh == anymal.pronk.thigh == 0.0
    # A rig the prior does not follow leaves the defaults: Go1's turn and hop, and every unmeasured quadruped's.
    go1, default = leg_rhythms(get_profile("go1").gait_rig), leg_rhythms(None)
    assert go1.walk.hz == get_profile("go1").gait_rig.trot.hz and go1.turn == default.turn
    assert (
        (go1.jump_knee, go1.jump_thigh)
        == (default.jump_knee, None)
        != (get_profile("go1").gait_rig.pronk.calf, 0.2)
    )
    with pytest.raises(ValidationError):  # a rhythm the rig does not measure cannot drive the prior
        GaitRig.model_validate(anymal.model_dump() | {"back": None})
