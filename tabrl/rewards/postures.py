"""Posture priors read off the body plan: a lower stance for a robot standing on two legs.

A squat or a crouch lowers the pelvis with the feet flat on the floor beneath it. For each leg of the
body plan the flexion joints (hip pitch, knee, ankle pitch) are solved on the compiled model by damped
least squares so the foot rises towards the pelvis by the asked drop, stays under it, and keeps its
pitch; the other joints hold the default pose. Works for any biped the plan reads (H1, G1, T1, OP3,
Apollo, Berkeley Humanoid), with no per-robot table.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from tabrl.rewards.kinematics import solve_damped
from tabrl.robots.anatomy import body_plan_of

MAX_DROP_SHARE = 0.35  # of the standing height: deeper squats tip the robots measured here
ITERATIONS = 25
MAX_FOOT_PITCH = 0.3  # rad the solved foot may stay tilted


def _foot_pose(data: Any, root: int, foot: int, rest: np.ndarray) -> np.ndarray:
    """(x, z, pitch) of ``foot`` in the base frame; the pitch is measured from its orientation ``rest``
    (in the base frame) so a foot frame at any angle reads 0 at the default pose."""
    frame = data.xmat[root].reshape(3, 3)
    rel = frame.T @ (data.xpos[foot] - data.xpos[root])
    turn = (frame.T @ data.xmat[foot].reshape(3, 3)) @ rest.T  # the foot's rotation since rest, base frame
    pitch = float(np.arctan2(turn[0, 2], turn[2, 2]))
    return np.array([rel[0], rel[2], pitch])


def squat_offsets(robot: Any, drop: float) -> dict[str, float]:
    """Joint offsets (rad, by name) that lower a biped's pelvis by ``drop`` metres (or the deepest of
    3/4 and 1/2 of it the legs can fold to) with its feet flat and under it; {} where the body has not two
    legs with three flexion joints or no depth can be solved."""
    for share in (1.0, 0.75, 0.5):
        offsets = _squat(robot, share * drop)
        if offsets:
            return offsets
    return {}


def _squat(robot: Any, drop: float) -> dict[str, float]:
    plan = body_plan_of(robot)
    legs = plan.of_kind("leg")
    spec = robot.spec
    if len(legs) != 2 or not spec.floating_base or drop <= 0:
        return {}
    drop = min(drop, MAX_DROP_SHARE * float(spec.standing_height))
    model = robot.mj_model
    data = mujoco.MjData(model)
    base = robot.profile.base_body
    root = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, base)
    names = spec.joint_names
    out: dict[str, float] = {}
    for leg in legs:
        joints = [names.index(j) for j in leg.with_role("flexion") if j in names]
        foot = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, leg.end_body)
        if len(joints) < 3 or foot < 0:
            return {}
        adr = spec.joint_qpos_adr[joints]
        lo = np.maximum(spec.joint_range[joints, 0], -np.pi)  # an unlimited joint (OP3): within a turn
        hi = np.minimum(spec.joint_range[joints, 1], np.pi)
        home = np.clip(spec.default_joint_pos[joints], lo, hi)

        data.qpos[:] = spec.default_qpos
        data.qpos[adr] = home
        mujoco.mj_kinematics(model, data)
        rest = data.xmat[root].reshape(3, 3).T @ data.xmat[foot].reshape(3, 3)

        def pose(
            q: np.ndarray, adr: np.ndarray = adr, foot: int = foot, rest: np.ndarray = rest
        ) -> np.ndarray:
            data.qpos[:] = spec.default_qpos
            data.qpos[adr] = q
            mujoco.mj_kinematics(model, data)
            return _foot_pose(data, root, foot, rest)

        start = pose(home)
        goal = start + np.array([0.0, drop, 0.0])  # the foot rises towards the pelvis: the pelvis lowers
        q = solve_damped(
            pose,
            home,
            goal,
            lo,
            hi,
            iterations=ITERATIONS,
            max_step=0.2,
            damping=1e-4,
            reached=lambda err: bool(np.linalg.norm(err[:2]) < 0.003 and abs(err[2]) < 0.02),
        )
        reached = pose(q)
        # A foot that cannot stay quite flat (H1's ankle stops at 0.3 rad) is left to the policy's residual.
        if abs(reached[1] - start[1]) < 0.5 * drop or abs(reached[2] - start[2]) > MAX_FOOT_PITCH:
            return {}  # the leg cannot fold that way within its ranges
        out.update(
            {names[j]: round(float(d), 4) for j, d in zip(joints, q - home, strict=True) if abs(d) > 0.01}
        )
    return out
