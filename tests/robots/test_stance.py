"""Default controls that hold a low-gain humanoid's standing weight (profile ``hold_weight``)."""

from __future__ import annotations

import mujoco
import numpy as np

from tabrl.robots.catalog import load_robot
from tabrl.robots.model import holding_offsets_at


def _sag_after(robot, ctrl: np.ndarray, seconds: float) -> float:
    """The largest joint deviation from the default pose after ``seconds`` holding ``ctrl`` from rest there."""
    model, spec = robot.mj_model, robot.spec
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    data.ctrl[:] = ctrl
    for _ in range(int(seconds / model.opt.timestep)):
        mujoco.mj_step(model, data)
    return float(np.max(np.abs(data.qpos[spec.joint_qpos_adr] - spec.default_joint_pos)))


def test_held_weight_keeps_the_knees_where_the_pose_puts_them():
    g1 = load_robot("G1JoystickFlatTerrain")
    held = holding_offsets_at(g1, g1.spec.default_qpos)
    plain = np.clip(g1.default_ctrl - held, g1.ctrl_range[:, 0], g1.ctrl_range[:, 1])
    assert np.abs(g1.default_ctrl - plain).max() > 0.05  # the profile asks for it, and it is not nothing
    # the targets at the pose itself: the knees sag under the weight; held: they stay within a few hundredths
    assert _sag_after(g1, plain, 0.3) > 0.15
    assert _sag_after(g1, g1.default_ctrl, 0.3) < 0.5 * _sag_after(g1, plain, 0.3)


def test_robots_that_stand_on_stiff_legs_keep_plain_targets():
    h1 = load_robot("H1InplaceGaitTracking")
    assert not h1.profile.hold_weight
    targets = h1.spec.default_qpos[h1.spec.joint_qpos_adr][h1.actuator_joint]
    np.testing.assert_allclose(h1.default_ctrl, targets)
