"""What of a robot's scene a success check can measure besides its base and joints: the tips of its
limbs (from the body plan), the free objects it handles (a cube) and the passive joints of its scene
(a cabinet's door or drawer). Read once from the compiled model."""

from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

from tabrl.robots.anatomy import body_plan_of, finger_tips, limb_tips
from tabrl.robots.model import Robot, per_robot


@dataclasses.dataclass(frozen=True)
class Observables:
    limbs: tuple[str, ...]  # body-plan limb names, e.g. 'right_arm', 'front_left_leg', 'index'
    tips: tuple[tuple[int, tuple[float, float, float]], ...]  # per limb: (end body id, tip offset in it)
    objects: tuple[int, ...]  # qpos addresses of free objects' joints (not the robot's own base)
    passive: tuple[int, ...]  # qpos addresses of unactuated scene hinges/slides (a door, a drawer)
    planar: bool  # the base moves through unactuated planar root joints (hopper, walker, cheetah)
    # limbs ending in a hand or gripper: (limb, ((fingertip body, offset), ...)); their spread is its grip
    grips: tuple[tuple[str, tuple[tuple[int, tuple[float, float, float]], ...]], ...] = ()

    @property
    def has_objects(self) -> bool:
        return bool(self.objects)

    @property
    def has_passive(self) -> bool:
        return bool(self.passive)


NONE = Observables((), (), (), (), False, ())


@per_robot
def observables_of(robot: Robot) -> Observables:
    m = robot.mj_model
    plan = body_plan_of(robot)
    tips = limb_tips(robot)
    robot_joints = set(robot.spec.joint_names) | set(plan.root_joints)
    for limb in plan.limbs:
        robot_joints.update(limb.joints + limb.fingers)
    robot_joints.update(plan.trunk)
    actuated = {int(m.actuator_trnid[a, 0]) for a in range(m.nu) if m.actuator_trntype[a] <= 1}
    # Joints tied to another by an equality (a parallel gripper's second finger) belong to the robot.
    coupled = {
        int(j)
        for e in range(m.neq)
        if m.eq_type[e] == mujoco.mjtEq.mjEQ_JOINT
        for j in (m.eq_obj1id[e], m.eq_obj2id[e])
    }
    base_body = robot.profile.base_body
    base = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, base_body) if base_body != "world" else 0
    objects, passive = [], []
    for j in range(m.njnt):
        name = mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_JOINT, j) or ""
        kind = int(m.jnt_type[j])
        if kind == mujoco.mjtJoint.mjJNT_FREE:
            if int(m.jnt_bodyid[j]) != base:
                objects.append(int(m.jnt_qposadr[j]))
        elif (
            kind in (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))
            and j not in actuated
            and j not in coupled
            and name not in robot_joints
        ):
            passive.append(int(m.jnt_qposadr[j]))
    return Observables(
        limbs=tuple(tips),
        tips=tuple((body, (float(o[0]), float(o[1]), float(o[2]))) for body, o in tips.values()),
        objects=tuple(objects),
        passive=tuple(passive),
        planar=bool(plan.root_joints),
        grips=tuple(
            (limb, tuple((body, (float(o[0]), float(o[1]), float(o[2]))) for body, o in tips))
            for limb, tips in finger_tips(robot).items()
        ),
    )


def tip_offsets(obs: Observables) -> np.ndarray:
    return np.asarray([o for _, o in obs.tips], dtype=np.float64).reshape(-1, 3)


def fingertip_spread(data: mujoco.MjData, tips: tuple[tuple[int, tuple[float, float, float]], ...]) -> float:
    """Mean distance of the fingertips from their centre (m), in a posed ``MjData``: open hands spread."""
    bodies = np.asarray([b for b, _ in tips], dtype=np.int64)
    offsets = np.asarray([o for _, o in tips], dtype=np.float64)
    points = data.xpos[bodies] + np.einsum("lij,lj->li", data.xmat[bodies].reshape(-1, 3, 3), offsets)
    return float(np.mean(np.linalg.norm(points - points.mean(axis=0), axis=-1)))
