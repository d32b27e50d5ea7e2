"""A task's episodes start where the task does: a swing-up hangs (the profile's ``starts``), a balance task
starts upright, in training, in the rehearsal and in the filmed rollout alike."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tabrl.render.rollout import rollout
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import RewardProgram
from tabrl.robots import catalog
from tabrl.robots.model import ProfileMismatch, _start_qpos
from tabrl.sim.native import NativeBatchEnv

ALIVE = RewardProgram.parse({"name": "Alive", "terms": [{"term": "alive", "weight": 1.0}]})


@pytest.mark.parametrize(
    ("model_id", "joint", "start"),
    [
        ("CartpoleSwingup", "hinge_1", math.pi),
        ("CartpoleBalance", "hinge_1", 0.0),
        ("AcrobotSwingup", "shoulder", math.pi),
        ("PendulumSwingup", "hinge", math.pi),
    ],
)
def test_episodes_start_where_the_task_does(model_id, joint, start):
    robot = catalog.load_robot(model_id)
    spec = robot.spec
    k = spec.joint_names.index(joint)
    assert spec.start[spec.joint_qpos_adr[k]] == pytest.approx(start, abs=1e-4)
    env = NativeBatchEnv(robot, compile_program(ALIVE, spec, np), 4, seed=0)
    env.reset()
    assert np.allclose(env.qpos[:, spec.joint_qpos_adr[k]], start, atol=0.06)  # the reset noise: 0.05 rad
    still = rollout(robot, lambda _obs: np.zeros(robot.action_size), 0.1)
    assert abs(still.qpos[0, spec.joint_qpos_adr[k]] - start) < 0.1  # the film's first frame: barely moved


def test_a_start_naming_a_joint_the_model_lacks_is_refused():
    robot = catalog.load_robot("CartpoleSwingup")
    profile = robot.profile.model_copy(update={"starts": {"CartpoleSwingup": {"no_such_joint": 1.0}}})
    with pytest.raises(ProfileMismatch, match="no_such_joint"):
        _start_qpos(robot.mj_model, "CartpoleSwingup", profile, robot.spec.default_qpos)
