"""Success checks of outcomes: what a person sees (a limb's tip, an object, the feet, a fall), measured on
real rollouts, and never a check made only of the joints a prior drives itself."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tabrl.design import design_approaches
from tabrl.design.vocabulary import INTENTS
from tabrl.render.metrics import behavior_metrics, evaluate_success, metric_values
from tabrl.render.outcomes import turns
from tabrl.render.rollout import load_trajectory, rollout
from tabrl.rewards import checks
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.motion import moved_joints
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.robots.observables import observables_of

pytestmark = pytest.mark.slow  # real rollouts on several robots


def _robot(model_id: str):
    return load_robot(model_id)  # the catalog keeps the last few compiled robots; no test keeps them all


def _still(robot, seconds=3.0, motion=None):
    return rollout(robot, lambda _obs: np.zeros(robot.action_size), seconds, motion=motion)


def test_a_prior_only_check_is_refused_and_named():
    go1 = _robot("Go1JoystickFlatTerrain")
    data = {
        "name": "hips",
        "terms": [{"term": "upright"}],
        "motion": {"parts": [{"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0}]},
        "success": "hip_abduction_amplitude >= 0.15 and falls < 1 and drift <= 0.5",
    }
    with pytest.raises(ProgramError, match="hip_abduction_amplitude ≥ 0.15 and falls < 1 and drift ≤ 0.5"):
        compile_program(RewardProgram.parse(data), go1.spec, np)
    data["success"] = "rock >= 0.05 and hip_abduction_amplitude >= 0.15 and falls < 1"
    compile_program(RewardProgram.parse(data), go1.spec, np)  # an outcome beside it: accepted
    data["success"] = "drift >= 1.0 and falls < 1"  # moving away is an outcome, staying near a guard
    compile_program(RewardProgram.parse(data), go1.spec, np)


@pytest.mark.parametrize(
    "model_id",
    [
        "Go1JoystickFlatTerrain",
        "H1JoystickGaitTracking",
        "Op3Joystick",
        "UR5e",
        "PandaPickCube",
        "AllegroHand",
        "LeapCubeReorient",
        "AlohaHandOver",
        "HopperHop",
    ],
)
def test_every_recipe_checks_an_outcome(model_id):
    """Every behavior of the vocabulary, on a robot of each category: a program whose prior drives joints
    carries a check with an outcome condition, and it compiles (validation refuses prior-only checks)."""
    robot = _robot(model_id)
    checked = 0
    for intent in INTENTS.values():
        for program in design_approaches(model_id, intent.label):
            driven = moved_joints(program.motion, robot.spec)
            if program.success:
                checked += 1
                assert any(checks.is_outcome(c, robot.spec, driven) or not driven for c in program.success), (
                    f"{intent.label}: {[c.label() for c in program.success]}"
                )
                checks.check_conditions(program.success, robot.spec, observables_of(robot))
                compile_program(program, robot.spec, np)
    assert checked >= 150


def test_a_limb_tip_is_measured_in_the_body_frame():
    """H1 waving its right arm under the prior: the right hand's tip sweeps, the left hand's does not."""
    h1 = _robot("H1JoystickGaitTracking")
    program = design_approaches("H1JoystickGaitTracking", "wave your right hand")[1]
    values = metric_values(behavior_metrics(h1, _still(h1, 4.0, program.motion)))
    assert values["right_arm_sweep"] > 0.15
    assert values["left_arm_sweep"] < 0.03
    verdict = evaluate_success(
        h1.spec, behavior_metrics(h1, _still(h1, 4.0)), program.success, observables_of(h1)
    )
    assert verdict is not None and not verdict["passed"]  # standing still is no wave
    assert any("right arm's tip" in r["text"] and not r["passed"] for r in verdict["checks"])


def test_a_clap_asks_for_the_hands_to_meet():
    """H1 standing still: the hands stay a shoulder width apart, and no clap check passes; the same rollout
    with the arms brought forward and in (hands together) meets the clap's hands_gap condition."""
    h1 = _robot("H1JoystickGaitTracking")
    program = design_approaches("H1JoystickGaitTracking", "clap your hands")[0]
    assert program.success and program.success[0].metric == "hands_gap"  # the outcome comes first
    traj = _still(h1, 2.0)
    apart = behavior_metrics(h1, traj)
    assert metric_values(apart)["hands_gap"] > 0.5
    verdict = evaluate_success(h1.spec, apart, program.success, observables_of(h1))
    assert verdict is not None and not verdict["passed"]
    assert verdict["checks"][0]["text"].startswith("the hands came within 6")  # 60-odd cm
    adr = {n: h1.spec.joint_qpos_adr[h1.spec.joint_names.index(n)] for n in h1.spec.joint_names}
    together = traj.qpos.copy()
    for side, sign in (("left", 1.0), ("right", -1.0)):
        together[len(together) // 2 :, adr[f"{side}_shoulder_pitch"]] = -0.75
        together[len(together) // 2 :, adr[f"{side}_shoulder_roll"]] = -0.2 * sign
        together[len(together) // 2 :, adr[f"{side}_elbow"]] = 0.5
    met = behavior_metrics(h1, dataclasses.replace(traj, qpos=together))
    assert metric_values(met)["hands_gap"] < 0.05
    verdict = evaluate_success(h1.spec, met, program.success[:1], observables_of(h1))
    assert verdict is not None and verdict["passed"]


def test_an_object_lifted_and_turned_is_measured_and_said():
    """A cube on the table stays put; the same rollout with the cube carried 8 cm up and turned 90° reads so."""
    panda = _robot("PandaPickCube")
    obs = observables_of(panda)
    traj = _still(panda, 2.0)
    adr = obs.objects[0]
    still = metric_values(behavior_metrics(panda, traj))
    assert abs(still["object_rise"]) < 0.01 and still["object_turn"] < 0.1
    lifted = traj.qpos.copy()
    lifted[len(lifted) // 2 :, adr + 2] += 0.08
    lifted[len(lifted) // 2 :, adr + 3 : adr + 7] = [np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)]
    moved = metric_values(behavior_metrics(panda, dataclasses.replace(traj, qpos=lifted)))
    assert moved["object_rise"] == pytest.approx(0.08, abs=0.01)
    assert moved["object_turn"] == pytest.approx(np.pi / 2, abs=0.05)
    program = design_approaches("PandaPickCube", "pick up the cube")[0]
    assert program.success and program.success[0].metric == "object_rise"
    verdict = evaluate_success(panda.spec, behavior_metrics(panda, traj), program.success, obs)
    assert verdict is not None and not verdict["passed"]
    assert verdict["checks"][0]["text"].startswith("the object rose 0")
    assert "(need ≥ 5 cm)" in verdict["checks"][0]["text"]


def test_a_planar_walker_that_topples_has_fallen():
    hopper = _robot("HopperHop")
    values = metric_values(behavior_metrics(hopper, _still(hopper, 4.0)))
    assert values["falls"] >= 1 and values["fallen_fraction"] > 0.3
    program = design_approaches("HopperHop", "hop forward")[0]
    assert any(c.metric == "falls" for c in program.success or [])


def test_a_circle_goes_round_and_a_swing_does_not():
    t = np.linspace(0, 4 * np.pi, 200)
    circle = np.stack([np.cos(t), np.sin(t), 0 * t], -1) * 0.1
    arc = np.stack([np.cos(0.5 * np.sin(t)), np.sin(0.5 * np.sin(t)), 0 * t], -1) * 0.3  # to and fro
    assert turns(circle) == pytest.approx(2.0, abs=0.05)
    assert turns(arc) < 0.3


def test_slowly_has_an_upper_bound_and_in_place_a_drift_bound():
    turn = design_approaches("Go1JoystickFlatTerrain", "turn left slowly")[0]
    bounds = {(c.metric, c.op) for c in turn.success or []}
    assert ("yaw_rate", ">=") in bounds and ("yaw_rate", "<=") in bounds
    trot = design_approaches("AnymalC", "trot in place")[0]
    assert any(c.metric == "drift" and c.op == "<=" for c in trot.success or [])


def test_a_saved_rollout_reads_back_to_the_same_figures(tmp_path):
    go1 = _robot("Go1JoystickFlatTerrain")
    program = design_approaches("Go1JoystickFlatTerrain", "shake your hips")[0]
    traj = _still(go1, 3.0, program.motion)
    traj.save_npz(tmp_path / "trajectory.npz")
    again = load_trajectory(go1, tmp_path / "trajectory.npz")
    a, b = metric_values(behavior_metrics(go1, traj)), metric_values(behavior_metrics(go1, again))
    for name in ("rock", "forward_speed", "front_left_leg_sweep", "least_foot_air", "falls"):
        assert b[name] == pytest.approx(a[name], rel=0.02, abs=1e-3), name


def test_the_llm_prompt_teaches_outcome_checks_with_this_robots_names():
    from tabrl.design.prompting import system_prompt

    text = system_prompt(_robot("H1JoystickGaitTracking"))
    assert "Check the OUTCOME the words ask for" in text
    assert "- right_arm_sweep [m]" in text and "- rock [rad]" in text
    panda = system_prompt(_robot("PandaPickCube"))
    assert "- object_rise [m]" in panda and "- arm_grip [m]" in panda


def test_a_torso_twist_is_measured_on_the_chest():
    """H1 standing still: its chest does not turn; the same rollout with the waist turned 0.3 rad reads a
    0.3 rad turn of the upper body, which meets a twist's check, said in degrees."""
    h1 = _robot("H1JoystickGaitTracking")
    program = design_approaches("H1JoystickGaitTracking", "twist your torso left and right")[0]
    assert program.success and program.success[0].metric == "torso_turn"
    traj = _still(h1, 2.0)
    still = metric_values(behavior_metrics(h1, traj))
    assert still["torso_turn"] < 0.05
    waist = h1.spec.joint_qpos_adr[h1.spec.joint_names.index("torso")]
    turned = traj.qpos.copy()
    turned[len(turned) // 2 :, waist] += 0.3
    met = behavior_metrics(h1, dataclasses.replace(traj, qpos=turned))
    assert metric_values(met)["torso_turn"] == pytest.approx(0.3, abs=0.03)
    verdict = evaluate_success(h1.spec, met, program.success[:1], observables_of(h1))
    assert verdict is not None and verdict["passed"]
    assert verdict["checks"][0]["text"].startswith("the upper body turned 1")  # 17-odd degrees
