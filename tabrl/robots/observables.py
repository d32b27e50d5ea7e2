"""What of a robot's scene a success check can measure besides its base and joints: the tips of its
limbs (from the body plan), the free objects it handles (a cube) and the passive joints of its scene
(a cabinet's door or drawer). Read once from the compiled model."""

from __future__ import annotations

import dataclasses

import mujoco
import numpy as np

from tabrl.robots.anatomy import body_plan_of, chest_body, finger_tips, limb_tips, side_of_name
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
    # a body's two hands, left then right: (body, offset) of the model's own hand site where the arm carries one
    # (an end effector), else the arm's tip; () without two arms. How close they come is a clap.
    hands: tuple[tuple[int, tuple[float, float, float]], ...] = ()
    chest: int = -1  # the body a waist carries (its turn is a torso twist, lean or bend); -1 without a waist

    @property
    def has_objects(self) -> bool:
        return bool(self.objects)

    @property
    def has_passive(self) -> bool:
        return bool(self.passive)


NONE = Observables((), (), (), (), False, ())


@per_robot
def observables_of(robot: Robot) -> Observables:
    plan = body_plan_of(robot)
    tips = limb_tips(robot)
    # the scene's free objects and passive joints, as the spec reads them (kinematic trees that hold
    # none of the robot's joints: a cube, a drawer; not a gripper's own linkage)
    objects = [int(row[0]) for row in np.asarray(robot.spec.object_qpos_adr).reshape(-1, 7)]
    passive = [int(a) for a in np.asarray(robot.spec.passive_qpos_adr).reshape(-1)]
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
        hands=_hands(robot, tips),
        chest=chest_body(robot),
    )


def _hands(
    robot: Robot, tips: dict[str, tuple[int, np.ndarray]]
) -> tuple[tuple[int, tuple[float, float, float]], ...]:
    """The two hands (left, right): the end-effector site on each arm's side where the model has one (the hand
    Playground defines: T1's arm tip by its geometry sits 8 cm behind it), else the arm's tip."""
    model = robot.mj_model
    hands = []
    for side in ("left", "right"):
        if f"{side}_arm" not in tips:
            return ()
        body, offset = tips[f"{side}_arm"]
        for name in robot.spec.ee:
            site = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_SITE, name)
            if site >= 0 and side_of_name(name) == side:
                body, offset = int(model.site_bodyid[site]), np.asarray(model.site_pos[site])
                break
        hands.append((int(body), (float(offset[0]), float(offset[1]), float(offset[2]))))
    return tuple(hands)


def tip_points(data: mujoco.MjData, tips: tuple[tuple[int, tuple[float, float, float]], ...]) -> np.ndarray:
    """(n, 3) world positions of ``(body id, offset in that body's frame)`` tips in a posed ``MjData``."""
    bodies = np.asarray([b for b, _ in tips], dtype=np.int64)
    offsets = np.asarray([o for _, o in tips], dtype=np.float64).reshape(-1, 3)
    return data.xpos[bodies] + np.einsum("lij,lj->li", data.xmat[bodies].reshape(-1, 3, 3), offsets)


def fingertip_spread(data: mujoco.MjData, tips: tuple[tuple[int, tuple[float, float, float]], ...]) -> float:
    """Mean distance of the fingertips from their centre (m), in a posed ``MjData``: open hands spread."""
    points = tip_points(data, tips)
    return float(np.mean(np.linalg.norm(points - points.mean(axis=0), axis=-1)))
