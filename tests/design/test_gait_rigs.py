"""Measured gait rigs, played back open-loop in MuJoCo with a zero policy: the scaffolds' priors move the robot."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from tabrl.design.builtin import design_approaches
from tabrl.render.metrics import behavior_metrics, evaluate_success
from tabrl.render.rollout import rollout
from tabrl.rewards.motion import compile_motion
from tabrl.robots.catalog import load_robot
from tabrl.robots.observables import observables_of
from tabrl.robots.profiles import GaitRig, get_profile


@pytest.fixture(scope="module")
def anymal():
    return load_robot("AnymalC")


def _play(robot, program, seconds=10.0):
    assert program.motion is not None, program.name
    zero = np.zeros(robot.action_size)
    return behavior_metrics(robot, rollout(robot, lambda _obs: zero, seconds, motion=program.motion))


def test_anymal_rig_trots_forward_without_falling(anymal):
    trot = next(p for p in design_approaches("AnymalC", "walk forward") if p.name == "Trot Rhythm")
    m = _play(anymal, trot)
    # the generic 2 Hz trot with one knee sign for every leg tipped it over within 3-5 s
    assert m["forward_speed_mps"] >= 0.3 and m["falls"] == 0 and m["upright_fraction"] > 0.95, m


@pytest.mark.parametrize("prompt,sign", [("spin in place", 1), ("spin clockwise", -1)])
def test_anymal_rig_turns_the_asked_way_on_the_spot(anymal, prompt, sign):
    turn = next(p for p in design_approaches("AnymalC", prompt) if p.name == "Trot Turn")
    m = _play(anymal, turn)
    assert sign * m["yaw_rate_radps"] >= 1.0 and m["falls"] == 0 and m["drift_m"] < 1.0, m


def test_anymal_generic_priors_walk_backwards_and_turn(anymal):
    """Approaches without a rig prior get the generic one (rewards.shapes), measured for ANYmal too."""
    back = design_approaches("AnymalC", "trot backwards")[0]
    m = _play(anymal, back)
    assert m["forward_speed_mps"] <= -0.3 and m["falls"] == 0, (
        m
    )  # the walk's 4.5 Hz with lagging knees: +0.10 m/s, fell
    spin = next(p for p in design_approaches("AnymalC", "spin in place") if p.name == "Spin Tracker")
    m = _play(anymal, spin)
    assert m["yaw_rate_radps"] >= 1.0 and m["falls"] == 0, m


def test_gait_frequencies_follow_the_robots_measured_trot(anymal):
    def contact_hz(model, prompt):
        gait = next(p for p in design_approaches(model, prompt) if p.name == "Trotting Gait")
        return gait, next(t.params.frequency_hz for t in gait.terms if t.term == "foot_contact_pattern")

    assert contact_hz("Go1JoystickFlatTerrain", "walk forward and turn left")[1] == 2.0
    gait, hz = contact_hz("AnymalC", "walk forward and turn left")
    assert hz == 4.5 and gait.motion.first_frequency() == 4.5  # one clock for the reward and the prior
    m = _play(anymal, gait)
    assert m["forward_speed_mps"] >= 0.3 and m["falls"] == 0, m  # at 2 Hz: -0.31 m/s, fell


def test_anymal_pronk_prior_hops_without_falling(anymal):
    pronk = design_approaches("AnymalC", "jump up and down")[0]
    m = _play(anymal, pronk)
    # Go1's pronk prior (knees 0.25, thighs 0.1 at 3 Hz) tipped ANYmal over
    assert m["feet"]["all_feet_off_moments"] >= 10 and m["falls"] == 0, m


def test_rig_signs_flip_only_the_named_legs_and_are_validated():
    anymal = get_profile("anymal_c").gait_rig
    assert anymal.sign("calf", "RR") == anymal.sign("calf", "RL") == -1
    assert anymal.sign("calf", "FR") == anymal.sign("thigh", "RR") == 1
    assert anymal.sign("calf", "RR", anymal.wave_turn) == 1  # the wave was measured with its own (none)
    assert get_profile("go1").gait_rig.signs == {}  # Go1's rhythms are unchanged
    data = anymal.model_dump()
    for bad in ({"calf": {"RR": 2}}, {"knee": {"RR": -1}}, {"calf": {"XX": -1}}):
        with pytest.raises(ValidationError):
            GaitRig.model_validate(data | {"signs": bad})


@pytest.mark.parametrize("side, sign", [("right", 1.0), ("left", -1.0)])
def test_a_sideways_lean_folds_the_legs_on_that_side(side, sign):
    """'lean to the right' on a four-legged body: the prior folds the legs on the right (knee and thigh), the
    left ones stay nearly straight, and ANYmal C held at that prior by its actuators alone (no policy) leans to
    the named side in real physics and stays up. Before, a lean had no prior at all."""
    robot = load_robot("AnymalC")
    program = design_approaches("AnymalC", f"lean to the {side}")[0]
    offsets = dict(zip(robot.spec.joint_names, _offsets(robot, program), strict=True))
    folded = {j for j, o in offsets.items() if abs(o) > 0.3}
    assert folded and all(j.startswith("R" if side == "right" else "L") for j in folded), offsets
    traj = rollout(robot, lambda _obs: np.zeros(robot.action_size), 4.0, motion=program.motion)
    w, x, y, z = traj.base_quat[-1]
    roll = float(np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)))
    assert sign * roll > 0.15, roll  # > 0: the right side down
    metrics = behavior_metrics(robot, traj)
    assert metrics["falls"] == 0
    # The check has a side: this rollout passes the named side's check and fails the other side's.
    other = design_approaches("AnymalC", f"lean to the {'left' if side == 'right' else 'right'}")[0]
    assert program.success[0].metric == "lean_right"
    assert evaluate_success(robot.spec, metrics, program.success, observables_of(robot))["passed"]
    assert not evaluate_success(robot.spec, metrics, other.success, observables_of(robot))["passed"]


def _offsets(robot, program) -> np.ndarray:
    """The prior's pose offset per joint of the spec (0 where no actuator drives it)."""
    per_actuator = np.asarray(compile_motion(program.motion, robot.spec).offset)
    out = np.zeros(len(robot.spec.joint_names))
    for a, j in enumerate(robot.actuator_joint):
        if j >= 0:
            out[j] = per_actuator[a]
    return out
