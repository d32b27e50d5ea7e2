"""Posture priors read off the body plan: a lower stance, or a bow, for a robot standing on two legs.

A squat or a crouch lowers the pelvis with the feet flat on the floor beneath it. For each leg of the
body plan the flexion joints (hip pitch, knee, ankle pitch) are solved on the compiled model by damped
least squares so the foot rises towards the pelvis by the asked drop, stays under it, and keeps its
pitch; the other joints hold the default pose. Works for any biped the plan reads (H1, G1, T1, OP3,
Apollo, Berkeley Humanoid), with no per-robot table.

A bow (bend forward, touch the toes) folds at the hips: the pelvis pitches forward while the feet stay flat
on the floor and under the body's centre of mass, solved the same way: each foot's place in the pelvis frame
is where a flat foot under the tilted body would be.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from tabrl.rewards.kinematics import solve_damped
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.model import holding_offsets_at

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


MAX_BOW = 0.8  # rad of pelvis pitch: beyond it the robots' fall tilt (0.8-1.0 rad) counts a fall


def bow_offsets(robot: Any, pitch: float) -> dict[str, float]:
    """Joint offsets (rad, by name) that pitch a biped's pelvis forward by ``pitch`` (at most MAX_BOW) with its
    feet flat beneath its centre of mass; {} where the body has not two legs with three flexion joints or the
    legs cannot fold that far."""
    for share in (1.0, 0.75, 0.5):
        offsets = _bow(robot, share * min(pitch, MAX_BOW))
        if offsets:
            return offsets
    return {}


def _bow(robot: Any, pitch: float) -> dict[str, float]:
    plan = body_plan_of(robot)
    legs = plan.of_kind("leg")
    spec = robot.spec
    if len(legs) != 2 or not spec.floating_base or pitch <= 0:
        return {}
    model = robot.mj_model
    data = mujoco.MjData(model)
    root = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, robot.profile.base_body)
    names = spec.joint_names
    tilt = np.array(
        [[np.cos(pitch), 0.0, np.sin(pitch)], [0.0, 1.0, 0.0], [-np.sin(pitch), 0.0, np.cos(pitch)]]
    )
    solved: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (joints, adr, q) per leg
    shift = 0.0  # how far back the pelvis goes (world x) so the centre of mass stays over the feet ...
    # ... where it is over them standing (a foot body's origin is its ankle: the standing centre of mass is
    # ahead of it, over the middle of the sole)
    standing = _com_ahead_of_feet(robot, data, root, legs, [], 0.0)
    for _ in range(2):  # solve, see where the centre of mass went, solve again with the pelvis moved back
        solved = []
        for leg in legs:
            joints = np.array([names.index(j) for j in leg.with_role("flexion") if j in names])
            foot = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, leg.end_body)
            if len(joints) < 3 or foot < 0:
                return {}
            adr = spec.joint_qpos_adr[joints]
            lo = np.maximum(spec.joint_range[joints, 0], -np.pi)
            hi = np.minimum(spec.joint_range[joints, 1], np.pi)
            home = np.clip(spec.default_joint_pos[joints], lo, hi)
            data.qpos[:] = spec.default_qpos
            data.qpos[adr] = home
            mujoco.mj_kinematics(model, data)
            frame = data.xmat[root].reshape(3, 3)
            rest = frame.T @ data.xmat[foot].reshape(3, 3)
            world = frame @ (frame.T @ (data.xpos[foot] - data.xpos[root]))  # the foot from the pelvis, world
            world = world + np.array([shift, 0.0, 0.0])
            # the same world offset seen from a pelvis pitched forward, and the foot flat: pitched back by it
            rel = tilt.T @ (frame.T @ world)
            start = _foot_pose(data, root, foot, rest)
            goal = np.array([rel[0], rel[2], start[2] - pitch])

            def pose(
                q: np.ndarray, adr: np.ndarray = adr, foot: int = foot, rest: np.ndarray = rest
            ) -> np.ndarray:
                data.qpos[:] = spec.default_qpos
                data.qpos[adr] = q
                mujoco.mj_kinematics(model, data)
                return _foot_pose(data, root, foot, rest)

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
            err = goal - pose(q)
            if np.linalg.norm(err[:2]) > 0.15 * float(spec.standing_height) or abs(err[2]) > MAX_FOOT_PITCH:
                return {}  # the leg cannot fold that way within its ranges
            solved.append((joints, adr, q))
        shift += _com_ahead_of_feet(robot, data, root, legs, solved, pitch) - standing
    # The legs hold the leaning body's weight: their targets go past the pose by the static torque it needs
    # (torque / kp, as hold_weight does for standing), else the hips sag and a 0.5 rad bow falls on its face
    # (H1: 1.33 rad and down without it, 0.53 and standing with it).
    bowed = spec.default_qpos.copy()
    for _joints, adr, q in solved:
        bowed[adr] = q
    turn = np.array([np.cos(pitch / 2), 0.0, np.sin(pitch / 2), 0.0])
    mujoco.mju_mulQuat(bowed[3:7], spec.default_qpos[3:7].copy(), turn)
    hold = np.zeros(spec.n_joints)
    if robot.position_control and robot.profile.feet:
        extra = holding_offsets_at(robot, bowed) - holding_offsets_at(robot, spec.default_qpos)
        for a, j in enumerate(robot.actuator_joint):
            if j >= 0:
                hold[j] = extra[a]
    out: dict[str, float] = {}
    for joints, _adr, q in solved:
        home = np.clip(
            spec.default_joint_pos[joints], spec.joint_range[joints, 0], spec.joint_range[joints, 1]
        )
        moved = q - home + hold[joints]
        out.update(
            {names[j]: round(float(d), 4) for j, d in zip(joints, moved, strict=True) if abs(d) > 0.01}
        )
    return out


def _com_ahead_of_feet(robot: Any, data: Any, root: int, legs: Any, solved: Any, pitch: float) -> float:
    """With the pelvis pitched by ``pitch`` and the legs at ``solved``: how far (world x) the whole body's centre
    of mass is ahead of the feet's midpoint."""
    model, spec = robot.mj_model, robot.spec
    data.qpos[:] = spec.default_qpos
    for _joints, adr, q in solved:
        data.qpos[adr] = q
    # the default orientation turned by the pitch about its own y axis (the free joint's quaternion)
    quat = np.zeros(4)
    turn = np.array([np.cos(pitch / 2), 0.0, np.sin(pitch / 2), 0.0])
    mujoco.mju_mulQuat(quat, spec.default_qpos[3:7], turn)
    data.qpos[3:7] = quat
    mujoco.mj_kinematics(model, data)
    mujoco.mj_comPos(model, data)
    feet = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, leg.end_body) for leg in legs]
    mid = np.mean([data.xpos[f] for f in feet], axis=0)
    return float(data.subtree_com[root][0] - mid[0])
