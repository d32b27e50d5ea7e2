"""Rehearsal before training (issue 21): each approach's prior played with the starting policy in MuJoCo,
scaled down where the robot cannot stand under it, and recorded with the approach."""

from __future__ import annotations

import pytest

from tabrl.design import design
from tabrl.render import rehearsal
from tabrl.rewards.program import RewardProgram
from tabrl.robots import catalog
from tabrl.train import base

pytestmark = pytest.mark.slow


def test_a_prior_the_base_stands_under_is_kept_and_its_figures_recorded():
    robot = catalog.load_robot("Go1JoystickFlatTerrain")
    program = design("Go1JoystickFlatTerrain", "keep shaking your hips").programs[0]
    done = rehearsal.rehearse(robot, program)
    r = done.rehearsal
    assert r is not None and r.start == "base policy"
    assert r.stands and r.upright == r.copies == 3 and r.share == 1.0
    assert done.motion == program.motion  # unchanged
    assert r.figures["prior_swing_rad"] > 0.1  # the hips swing under the base
    assert done.notes == program.notes and r.note.startswith("Rehearsed with the base policy: upright 3/3")


def test_a_prior_the_robot_falls_under_is_scaled_down_or_flagged():
    robot = catalog.load_robot("Go1JoystickFlatTerrain")
    wild = RewardProgram.parse(
        {
            "name": "Wild",
            "summary": "every joint thrown about",
            "terms": [{"term": "upright", "weight": 1.0}],
            "motion": {"parts": [{"group": "all", "amplitude": 0.5, "frequency_hz": 3.0}], "residual": 0.5},
        }
    )
    start, policy = rehearsal._starting_policy(robot, wild)
    falls, _ = rehearsal._play(robot, wild, policy, 10.0, 0)
    assert falls >= 1  # the full prior topples the robot
    done = rehearsal.rehearse(robot, wild)
    r = done.rehearsal
    assert r is not None and r.tries >= 2
    if r.stands:  # scaled to a share it stands under: the kept prior is that share of the design
        assert r.share < 1.0 and "reduced to" in r.note
        assert done.motion is not None and done.motion.parts[0].amplitude == pytest.approx(r.share * 0.5)
        assert r.upright == 3
    else:  # shown as such, with the prior as designed
        assert "unlikely to stand" in r.note and done.motion == wild.motion


def test_a_start_that_cannot_stand_by_itself_is_said(tmp_path, monkeypatch):
    """Apollo on an install without base policies: the zero action does not hold it up, and no smaller prior can
    help."""
    monkeypatch.setattr(
        base, "BASE_DIR", tmp_path
    )  # an empty folder of bases: training would start from scratch
    robot = catalog.load_robot("ApolloJoystickFlatTerrain")
    program = design("ApolloJoystickFlatTerrain", "wave your right hand").programs[0]
    r = rehearsal.rehearse(robot, program).rehearsal
    assert r is not None and r.start == "zero action" and not r.stands
    assert "the zero action alone does not keep Apptronik Apollo upright" in r.note
    assert r.tries == 1  # the full prior, then the prior off: no scaled tries


def test_a_fixed_arm_is_rehearsed_without_falls():
    robot = catalog.load_robot("UR5e")
    program = design("UR5e", "draw a circle").programs[0]
    r = rehearsal.rehearse(robot, program).rehearsal
    assert r is not None and r.stands and r.share == 1.0 and r.tries == 1
    assert "prior_swing_rad" in r.figures


def _height_ratio_under(robot, program) -> float:
    """Mean base height (share of standing) over the second half of 10 s, base policy, 3 noisy starts."""
    import numpy as np

    from tabrl.rewards.compiler import compile_program
    from tabrl.sim import behavior
    from tabrl.sim.native import NativeBatchEnv

    _start, policy = rehearsal._starting_policy(robot, program)
    cfg = behavior.default_config()
    cfg.terminate_on_fall = False
    env = NativeBatchEnv(
        robot,
        compile_program(program, robot.spec, np),
        3,
        seed=0,
        config=cfg,
        clock_hz=behavior.program_clock_hz(program),
        motion=program.motion,
        nthread=1,
    )
    obs, heights = env.reset(), []
    for _ in range(int(round(10.0 / robot.ctrl_dt))):
        obs, _, _, _, info = env.step(policy(obs))
        heights.append(np.asarray(info["features"]["base_height"]))
    return float(np.mean(heights[len(heights) // 2 :]) / robot.spec.standing_height)


def test_a_crouch_composes_under_a_quadruped_gait():
    """'sneak forward, low to the ground': the gait's prior swings around bent legs, so before any
    training Go1 walks lower than under the plain walk's prior (the crouch was lost under the gait)."""
    robot = catalog.load_robot("Go1JoystickFlatTerrain")
    low = design("Go1JoystickFlatTerrain", "sneak forward, low to the ground").programs[2]
    plain = design("Go1JoystickFlatTerrain", "walk forward").programs[2]
    knee = next(p for p in low.motion.parts if p.group == "knee")
    assert knee.amplitude > 0 and knee.offset != 0  # one part: the rhythm around the bent pose
    assert _height_ratio_under(robot, low) < _height_ratio_under(robot, plain) - 0.05


def test_where_the_base_falls_and_the_zero_action_stands_training_starts_from_the_zero_action():
    """H1's base fights both arms held forward: under a clap in front it falls at every share of the prior,
    where the default pose held by the actuators, with the prior on top, stands. The rehearsal says so and the
    approach trains from scratch (the start that stood), unless the user asks for the base."""
    from tabrl.config import STEPS_DEFAULT
    from tabrl.train import ppo
    from tabrl.train.start import starting_point

    robot = catalog.load_robot("H1InplaceGaitTracking")
    program = next(
        p for p in design("H1InplaceGaitTracking", "clap your hands").programs if p.name == "Clap in Front"
    )
    _, base_policy = rehearsal._starting_policy(robot, program)
    falls, _ = rehearsal._play(robot, rehearsal.scaled(program, 0.25), base_policy, 10.0, 0)
    assert falls >= 1  # the base falls even under a quarter of the prior
    done = rehearsal.rehearse(robot, program)
    r = done.rehearsal
    assert r is not None and r.start == "zero action" and r.stands and r.upright == 3
    assert "the base policy fell" in r.note and "training starts from scratch" in r.note
    cfg = ppo.ppo_config_for(STEPS_DEFAULT, robot.spec.category)
    start = starting_point(robot, done, cfg, None, None)
    assert start.params is None and start.label == "zero action" and "rehearsal" in start.note
    asked = starting_point(robot, done, cfg, None, True)  # --from-base: the user's word wins
    assert asked.params is not None and asked.label == "base policy"
