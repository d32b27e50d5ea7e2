"""Task words on task environments: "pick up the cube" on PandaPickCube is a pick of the scene's cube,
not a closed gripper; every approach compiles, passes the smoke test and carries the task's outcome check,
and the scripted reference played with the zero action already does the task where the arm can script it."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from tabrl.design.builtin import design
from tabrl.rewards.outcome_checks import TASKS
from tabrl.rewards.validate import validate_program
from tabrl.robots.catalog import load_robot
from tabrl.sim.behavior import ActionMap

CASES = [
    ("PandaPickCube", "pick up the cube", "lift"),
    ("PandaOpenCabinet", "open the drawer", "open"),
    ("PandaRobotiqPushCube", "push the cube", "push"),
    ("AlohaHandOver", "hand the object over", "push"),
    ("LeapCubeRotateZAxis", "spin the cube", "turn"),
    ("LeapCubeReorient", "turn the cube over", "turn"),
]


@pytest.mark.parametrize(("model_id", "prompt", "task"), CASES, ids=[c[0] for c in CASES])
def test_task_words_give_three_task_approaches_that_compile_with_the_outcome_check(model_id, prompt, task):
    robot = load_robot(model_id)
    programs = design(model_id, prompt).programs
    assert len(programs) == 3
    assert len({p.name for p in programs}) == 3
    metric, value = TASKS[task]
    object_terms = {"object_reach", "object_lift", "object_push", "object_turn", "joint_open"}
    for p in programs:
        validate_program(p, robot)  # schema, compile for this robot, smoke test
        assert any(
            c.metric == metric and c.op == ">=" and c.value == pytest.approx(value) for c in p.success or []
        )
        assert any(n.startswith(f"Task: '{task}'") for n in p.notes)
        # each approach rewards the scene's object (a term or an expression over its features)
        assert any(
            t.term in object_terms or (t.term == "expr" and ("object" in t.expr or "opening" in t.expr))
            for t in p.terms
        )
    kinds = [frozenset(t.term for t in p.terms) for p in programs]
    assert len(set(kinds)) == 3  # staged terms, dense shaping, expressions: different in kind


def _play(robot, motion, steps=500):
    """The prior played with the zero action from the start state: the qpos of every control step."""
    model, spec = robot.mj_model, robot.spec
    actions = ActionMap.for_robot(robot, -1.0, motion)
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    data.ctrl[:] = robot.default_ctrl
    mujoco.mj_forward(model, data)
    out = np.zeros((steps, model.nq))
    for k in range(steps):
        data.ctrl[:] = actions.ctrl(np, np.zeros(model.nu), k * robot.ctrl_dt)
        mujoco.mj_step(model, data, robot.n_substeps)
        out[k] = data.qpos
    return out


def test_the_pick_prior_alone_lifts_the_cube():
    """Reach down, close while the arm dwells at the bottom of its swing, then lift: scripted on the model,
    the reference lifts PandaPickCube's cube with no policy at all."""
    robot = load_robot("PandaPickCube")
    program = design("PandaPickCube", "pick up the cube").programs[0]
    assert program.motion is not None
    qpos = _play(robot, program.motion)
    z = qpos[:, robot.spec.object_qpos_adr[0][2]]
    assert np.percentile(z, 95) - z[0] > 0.05


def test_the_drawer_prior_alone_opens_the_drawer():
    robot = load_robot("PandaOpenCabinet")
    program = design("PandaOpenCabinet", "open the drawer").programs[0]
    assert program.motion is not None
    qpos = _play(robot, program.motion)
    adr = robot.spec.passive_qpos_adr[0]
    assert np.max(np.abs(qpos[:, adr] - robot.spec.default_qpos[adr])) > 0.05


def test_without_an_object_in_the_scene_the_words_keep_their_body_meaning():
    """Go1 walks on a floor without a cube: the task words do not turn into object terms."""
    programs = design("Go1JoystickFlatTerrain", "pick up the cube").programs
    for p in programs:
        assert not any(t.term.startswith("object_") for t in p.terms)
        assert not any(n.startswith("Task:") for n in p.notes)


def test_object_nouns_are_understood_words():
    notes = design("PandaPickCube", "pick up the cube").programs[0].notes
    assert not any("'cube'" in n and "Not understood" in n for n in notes)


def test_the_llm_prompt_lists_the_scene_features_and_terms_only_where_the_scene_has_them():
    from tabrl.design.prompting import _features_text, _terms_text

    pick, go1 = load_robot("PandaPickCube"), load_robot("Go1JoystickFlatTerrain")
    assert "- object_rise (scalar)" in _features_text(pick) and "- ee_to_object [3]" in _features_text(pick)
    assert "- object_lift [objects]" in _terms_text(pick) and "joint_open" not in _terms_text(pick)
    assert "object_rise" not in _features_text(go1) and "object_lift" not in _terms_text(go1)
    drawer = load_robot("PandaOpenCabinet")
    assert "- passive_q [1]" in _features_text(drawer) and "- joint_open [objects]" in _terms_text(drawer)
