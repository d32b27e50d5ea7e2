"""Reads a robot's body plan from its compiled MuJoCo model at the default pose.

The kinematic tree already says what a robot is: chains of joints from the base to each foot, hand,
fingertip and head. A limb is such a chain, from the body where it branches off the trunk to its end;
its kind (leg, arm, head, finger, chain) comes from where its end sits, its side and end (left/right,
front/back) from its position in the base frame, and each joint's role (flexion, abduction, rotation,
slide) from its axis. Profiles correct the plan only where the geometry misleads
(``RobotProfile.joint_roles``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import mujoco
import numpy as np

from tabrl.robots.body_plan import BodyPlan, End, Limb, LimbKind, Role, Side
from tabrl.robots.model import Robot, per_robot

# Leaves closer together than this share of the robot's size end one limb (a hand's fingertips, a
# gripper's two fingers); farther apart they are limbs of their own (a dexterous hand's fingers).
HAND_SPAN = 0.12
# A limb of a free or planar body whose end sits below this share of the base's height above the floor
# is a leg.
LEG_END = 0.3
# Within this share of the robot's width of the midline, a limb or end is central.
MIDLINE = 0.15
# An axis this close to the limb's own direction is a rotation (twist) joint.
TWIST = 0.75
_FINGER_NAMES = ("index", "middle", "ring", "little")


def _name(model: mujoco.MjModel, obj: mujoco.mjtObj, i: int) -> str:
    return mujoco.mj_id2name(model, obj, i) or f"{obj.name.lower().removeprefix('mjobj_')}{i}"


_LEFT = re.compile(r"(^|[^a-z])(left|l)([^a-z]|$)", re.IGNORECASE)
_RIGHT = re.compile(r"(^|[^a-z])(right|r)([^a-z]|$)", re.IGNORECASE)


def side_of_name(name: str) -> Side | None:
    """'left' or 'right' where a name says so ('right_wrist', 'l_hip', 'LL_HFE' does not), else None."""
    left, right = bool(_LEFT.search(name)), bool(_RIGHT.search(name))
    if left == right:
        return None
    return "left" if left else "right"


class _Tree:
    """The robot's bodies at the default pose, in the base frame."""

    def __init__(self, robot: Robot):
        model = self.model = robot.mj_model
        data = mujoco.MjData(model)
        data.qpos[:] = robot.spec.default_qpos
        mujoco.mj_kinematics(model, data)
        mujoco.mj_comPos(model, data)
        self.robot_joints = set(robot.spec.joint_names)
        base = robot.profile.base_body
        self.root = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, base) if base != "world" else 0
        self.children: dict[int, list[int]] = {b: [] for b in range(model.nbody)}
        for b in range(1, model.nbody):
            self.children[int(model.body_parentid[b])].append(b)
        # The base frame: a body's frame where the robot has one, else the world's.
        frame = data.xmat[self.root].reshape(3, 3) if self.root else np.eye(3)
        origin = data.xpos[self.root] if self.root else np.zeros(3)
        self.pos = (data.xipos - origin) @ frame  # body centres of mass, base frame
        self.joint_pos = (data.xanchor - origin) @ frame
        self.axis = data.xaxis @ frame
        self.names = {b: _name(model, mujoco.mjtObj.mjOBJ_BODY, b) for b in range(model.nbody)}
        self.geom_pos = (data.geom_xpos - origin) @ frame
        self.body_origin = (data.xpos - origin) @ frame
        self.geom_height = data.geom_xpos[:, 2] - model.geom_rbound  # world heights of geoms' lowest reach
        self.base_height = float(data.xpos[self.root][2]) if self.root else 0.0
        self.up = frame[2]  # world up in the base frame
        self.frame, self.origin = frame, origin
        self.body_xpos, self.body_xmat = data.xpos.copy(), data.xmat.reshape(-1, 3, 3).copy()

    def lowest(self, body: int) -> float:
        """The lowest world height a geom of ``body``'s subtree (a foot reaches the floor)."""
        m = self.model
        heights = [
            float(self.geom_height[g])
            for b in self.subtree(body)
            for g in range(int(m.body_geomadr[b]), int(m.body_geomadr[b] + m.body_geomnum[b]))
        ]
        return min(heights, default=float("inf"))

    def leaf_tip(self, leaf: int) -> np.ndarray:
        """The geom of ``leaf`` farthest from its joint (a foot, a fingertip), else its centre of mass."""
        m = self.model
        geoms = range(int(m.body_geomadr[leaf]), int(m.body_geomadr[leaf] + m.body_geomnum[leaf]))
        if not len(geoms):
            return self.pos[leaf]
        anchor = self.body_origin[leaf]
        return max((self.geom_pos[g] for g in geoms), key=lambda p: float(np.linalg.norm(p - anchor)))

    def tip(self, body: int) -> np.ndarray:
        """Where a limb ending at ``body`` ends: the mean of its leaves' tips."""
        return np.mean([self.leaf_tip(leaf) for leaf in self.leaves(body)], axis=0)

    def joints(self, body: int) -> list[int]:
        """The joints on ``body`` that bend the robot (free joints excluded; passive ones included, so a
        coupled gripper finger or a tendon-driven hand still shows its structure)."""
        m = self.model
        ids = range(int(m.body_jntadr[body]), int(m.body_jntadr[body] + m.body_jntnum[body]))
        return [j for j in ids if m.jnt_type[j] != mujoco.mjtJoint.mjJNT_FREE]

    def subtree(self, body: int) -> Iterator[int]:
        yield body
        for c in self.children[body]:
            yield from self.subtree(c)

    def moves(self, body: int) -> bool:
        """Whether ``body``'s subtree holds a robot joint."""
        return any(self.joints(b) for b in self.subtree(body))

    def moving_leaves(self, body: int) -> list[int]:
        """The last moving bodies of ``body``'s subtree (a fixed camera or head mount is not an end)."""
        moving = [c for c in self.children[body] if self.moves(c)]
        if not moving:
            return [body]
        return [leaf for c in moving for leaf in self.moving_leaves(c)]

    def leaves(self, body: int) -> list[int]:
        """The ends of ``body``'s subtree: bodies with no moving child below them."""
        if not self.children[body]:
            return [body]
        return [leaf for c in self.children[body] for leaf in self.leaves(c)]


def read_body_plan(robot: Robot) -> BodyPlan:
    """The body plan of a compiled robot (a few milliseconds)."""
    tree = _Tree(robot)
    m = tree.model
    jname = {j: _name(m, mujoco.mjtObj.mjOBJ_JOINT, j) for j in range(m.njnt)}
    actuated = {int(m.actuator_trnid[a, 0]) for a in range(m.nu) if m.actuator_trntype[a] <= 1}
    free = any(
        m.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE and m.jnt_bodyid[j] == tree.root for j in range(m.njnt)
    )
    passive_root = [j for j in tree.joints(tree.root) if j not in actuated] if tree.root else []
    # A planar model (walker, cheetah, swimmer) moves its base through unactuated slides and a hinge.
    planar = any(m.jnt_type[j] == mujoco.mjtJoint.mjJNT_SLIDE for j in passive_root)
    root_joints = passive_root if planar else []
    floating = free or planar
    robot_bodies = [b for b in tree.subtree(tree.root) if tree.root or tree.moves(b)]
    size = float(np.ptp(tree.pos[robot_bodies], axis=0).max()) or 1.0
    width = max(float(np.ptp(tree.pos[robot_bodies, 1])), 0.3 * size)

    # Limbs: walk the tree from the root; a moving child whose ends lie within a hand's span starts a
    # limb, one whose ends spread out continues the trunk (a waist) down to where it branches again.
    trunk: list[int] = [j for j in tree.joints(tree.root) if j not in root_joints]
    chains: list[tuple[list[int], list[int], int]] = []  # (chain joints, finger joints, end body)

    def spread(body: int) -> float:
        ends = tree.pos[tree.moving_leaves(body)]
        return float(np.ptp(ends, axis=0).max()) if len(ends) > 1 else 0.0

    def walk(body: int) -> None:
        for child in tree.children[body]:
            if not tree.moves(child):
                continue
            if spread(child) <= HAND_SPAN * size:
                chains.append(_chain(tree, child))
                continue
            at = child  # a trunk segment: its joints until the tree branches
            while True:
                trunk.extend(tree.joints(at))
                moving = [c for c in tree.children[at] if tree.moves(c)]
                if len(moving) != 1 or spread(moving[0]) <= HAND_SPAN * size:
                    break
                at = moving[0]
            walk(at)

    if not floating and tree.joints(tree.root):  # a fixed chain that starts at its root (cartpole, acrobot)
        trunk = []
        chains.append(_chain(tree, tree.root))
    else:
        walk(tree.root)
    limbs = [_limb(tree, robot, jname, c, f, e, floating, (size, width)) for c, f, e in chains]
    _name_limbs(tree, limbs)
    lacks = []
    kinds = {lb.kind for lb in limbs}
    if robot.profile.category in ("humanoid", "quadruped") or (floating and "leg" in kinds):
        if "head" not in kinds:
            lacks.append("head")
        if "arm" not in kinds:
            lacks.append("arms")
    if "arm" in kinds and not any(lb.fingers for lb in limbs if lb.kind == "arm"):
        lacks.append("hands")
    if "arm" not in kinds and "finger" not in kinds and "arms" not in lacks:
        lacks.append("arms")
    if "leg" not in kinds:
        lacks.append("legs")
    if not trunk:
        lacks.append("waist")
    return BodyPlan(
        model_id=robot.model_id,
        floating_base=floating,
        root_joints=[jname[j] for j in root_joints],
        trunk=[jname[j] for j in trunk],
        limbs=limbs,
        lacks=lacks,
    )


def _chain(tree: _Tree, start: int) -> tuple[list[int], list[int], int]:
    """A limb from ``start``: its joints down to where it branches into fingers, then the finger joints."""
    joints: list[int] = []
    at = start
    while True:
        joints.extend(tree.joints(at))
        moving = [c for c in tree.children[at] if tree.moves(c)]
        if len(moving) != 1:
            break
        at = moving[0]
    fingers = [j for c in tree.children[at] if tree.moves(c) for b in tree.subtree(c) for j in tree.joints(b)]
    return joints, fingers, at


def _limb(
    tree: _Tree,
    robot: Robot,
    jname: dict[int, str],
    joints: list[int],
    fingers: list[int],
    end_body: int,
    floating: bool,
    extent: tuple[float, float],
) -> Limb:
    _size, width = extent
    start = tree.joint_pos[joints[0]] if joints else tree.pos[end_body]
    tip = tree.tip(end_body)
    direction = tip - start
    direction /= np.linalg.norm(direction) or 1.0
    y = tip[1]
    side: Side = "center" if abs(y) < MIDLINE * width else ("left" if y > 0 else "right")
    start_body = int(tree.model.jnt_bodyid[joints[0]]) if joints else end_body
    named = side_of_name(f"{jname[joints[0]] if joints else ''} {tree.names[start_body]}")
    if named and (side == "center" or tree.root == 0):  # planar twins, or arms placed on a world frame
        side = named
    x = tip[0]
    end: End = "middle" if abs(x) < MIDLINE * width or tree.root == 0 else ("front" if x > 0 else "back")
    category = robot.profile.category
    kind: LimbKind
    if category == "hand":
        kind = "finger"
    elif (
        floating
        and tree.base_height > 0
        and tree.lowest(end_body) < LEG_END * tree.base_height
        # and hangs down to it (a swimmer's body lies on the floor without standing on it)
        and float(start @ tree.up) + tree.base_height - tree.lowest(end_body)
        > 0.5 * np.linalg.norm(tip - start)
    ):
        kind = "leg"
    elif category in ("humanoid", "quadruped") and side == "center" and tip[2] > 0:
        kind = "head"
    elif category in ("humanoid", "arm") or (category == "quadruped" and tip[2] > 0):
        kind = "arm"
    else:
        kind = "chain"
    roles = _roles(tree, joints, direction, floating, robot.profile.category == "hand")
    # Report the joints the studio drives (actuated or named by the profile); a limb moved only through
    # tendons or couplings keeps its structural joints, so the plan still names its parts.
    roles.update(
        {j: robot.profile.joint_roles[jname[j]] for j in joints if jname[j] in robot.profile.joint_roles}
    )
    driven = [j for j in joints if jname[j] in tree.robot_joints] or joints
    driven_fingers = [j for j in fingers if jname[j] in tree.robot_joints]
    return Limb(
        name=kind,
        kind=kind,
        side=side,
        end=end,
        joints=[jname[j] for j in driven],
        roles={jname[j]: roles[j] for j in driven},
        fingers=[jname[j] for j in driven_fingers],
        end_body=tree.names[end_body],
    )


def _roles(
    tree: _Tree, joints: list[int], direction: np.ndarray, floating: bool, hand: bool
) -> dict[int, Role]:
    """Each joint's role from its axis: a twist about the limb is a rotation; on a free or planar body,
    an axis across the body (base y) bends the limb in the sagittal plane (flexion) and one along it
    (base x) swings it out (abduction); on a fixed base, whose frame says little, the axis most joints
    of the limb share is the flexion (a hand's curl, an arm's lift-elbow-wrist)."""
    m = tree.model
    roles: dict[int, Role] = {}
    bending = []
    for j in joints:
        axis = tree.axis[j]
        if m.jnt_type[j] == mujoco.mjtJoint.mjJNT_SLIDE:
            roles[j] = "slide"
        elif abs(float(axis @ direction)) > TWIST:
            roles[j] = "rotation"
        else:
            bending.append(j)
    if floating or not hand:
        for j in bending:
            if not floating:  # a fixed arm: horizontal axes lift, vertical ones pan
                roles[j] = "flexion" if abs(tree.axis[j][2]) < 0.5 else "abduction"
                continue
            ax = np.abs(tree.axis[j])
            roles[j] = (
                "flexion"
                if ax[1] >= ax[0] and ax[1] >= ax[2]
                else ("abduction" if ax[0] >= ax[2] else "rotation")
            )
    elif bending:
        shared = max(
            bending, key=lambda j: sum(abs(float(tree.axis[j] @ tree.axis[k])) > 0.9 for k in bending)
        )
        for j in bending:
            roles[j] = "flexion" if abs(float(tree.axis[j] @ tree.axis[shared])) > 0.9 else "abduction"
    return roles


def _name_limbs(tree: _Tree, limbs: list[Limb]) -> None:
    """Names each limb by kind, end and side: 'front_left_leg', 'right_arm', 'thumb', 'index'."""
    fingers = [lb for lb in limbs if lb.kind == "finger"]
    if len(fingers) >= 4:
        _name_fingers(tree, fingers)
    for kind in ("leg", "arm", "head", "chain"):
        same = [lb for lb in limbs if lb.kind == kind]
        ends = {lb.end for lb in same}
        for i, lb in enumerate(same):
            if len(same) == 1:
                lb.name = kind
                continue
            parts: list[str] = []
            if len(ends) > 1 and lb.end != "middle":
                parts.append(lb.end)
            if lb.side != "center":
                parts.append(lb.side)
            lb.name = "_".join([*parts, kind]) if parts else f"{kind}_{i + 1}"
        names = [lb.name for lb in same]
        for i, lb in enumerate(same):
            if names.count(lb.name) > 1:
                lb.name = f"{lb.name}_{i + 1}"


def _name_fingers(tree: _Tree, fingers: list[Limb]) -> None:
    """The thumb is the finger whose base lies off the line of the others'; the rest are named from it."""
    m = tree.model
    bases = []
    for lb in fingers:
        j = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_JOINT, lb.joints[0]) if lb.joints else -1
        bases.append(tree.joint_pos[j] if j >= 0 else np.zeros(3))
    base_arr = np.array(bases)

    def off_line(points: np.ndarray) -> float:
        centred = points - points.mean(axis=0)
        return float(np.linalg.svd(centred, compute_uv=False)[1:].sum())

    thumb = min(range(len(fingers)), key=lambda k: off_line(np.delete(base_arr, k, axis=0)))
    fingers[thumb].name = "thumb"
    # The others lie along a line across the palm; the index is at the end of it nearer the thumb.
    others = [k for k in range(len(fingers)) if k != thumb]
    centre = base_arr[others].mean(axis=0)
    along = np.linalg.svd(base_arr[others] - centre)[2][0]
    if float((base_arr[thumb] - centre) @ along) < 0:
        along = -along
    others.sort(key=lambda k: -float((base_arr[k] - centre) @ along))
    for name, k in zip(_FINGER_NAMES, others, strict=False):
        fingers[k].name = name


@per_robot
def body_plan_of(robot: Robot) -> BodyPlan:
    """``read_body_plan``, once per compiled robot."""
    return read_body_plan(robot)


def limb_tips(robot: Robot) -> dict[str, tuple[int, np.ndarray]]:
    """Each limb's tip (a hand, a foot, a fingertip, the head's far end) as (end body id, offset in that
    body's frame): where a success check looks for what the limb did."""
    tree = _Tree(robot)
    out = {}
    for limb in body_plan_of(robot).limbs:
        body = mujoco.mj_name2id(tree.model, mujoco.mjtObj.mjOBJ_BODY, limb.end_body)
        if body < 0:
            continue
        world = tree.origin + tree.frame @ tree.tip(body)
        out[limb.name] = (body, tree.body_xmat[body].T @ (world - tree.body_xpos[body]))
    return out


def finger_tips(robot: Robot) -> dict[str, list[tuple[int, np.ndarray]]]:
    """For each limb ending in a hand or gripper with fingers: each fingertip as (body id, offset in that
    body's frame). How far apart they are says whether the hand is open or closed."""
    tree = _Tree(robot)
    out = {}
    for limb in body_plan_of(robot).limbs:
        body = mujoco.mj_name2id(tree.model, mujoco.mjtObj.mjOBJ_BODY, limb.end_body)
        leaves = tree.leaves(body) if body >= 0 and limb.fingers else []
        if len(leaves) < 2:
            continue
        out[limb.name] = [
            (
                leaf,
                tree.body_xmat[leaf].T
                @ (tree.origin + tree.frame @ tree.leaf_tip(leaf) - tree.body_xpos[leaf]),
            )
            for leaf in leaves
        ]
    return out


def ee_limb_joints(robot: Robot, index: int) -> list[int] | None:
    """Indices (into ``robot.spec.joint_names``) of the limb that carries end effector ``index``: on a
    body with legs, the arm on the end effector's side, so a hand's prior never moves a leg or the waist.
    None where the body has no such arm (a fixed arm's joints all serve its one end effector)."""
    plan = body_plan_of(robot)
    arms = plan.of_kind("arm")
    if not plan.of_kind("leg") or not arms or index >= len(robot.spec.ee):
        return None
    side = side_of_name(robot.spec.ee[index])
    limb = (
        next((lb for lb in arms if lb.side == side), None) if side else (arms[0] if len(arms) == 1 else None)
    )
    if limb is None:
        return None
    names = robot.spec.joint_names
    return [names.index(j) for j in limb.joints + limb.fingers if j in names]


def trunk_axes(robot: Robot) -> dict[str, str]:
    """Each trunk (waist, torso) joint -> the turn it makes: 'yaw' (twist), 'roll' (lean sideways) or 'pitch'
    (bend forward), from its axis in the base frame at the default pose."""
    tree = _Tree(robot)
    out = {}
    for name in body_plan_of(robot).trunk:
        joint = mujoco.mj_name2id(tree.model, mujoco.mjtObj.mjOBJ_JOINT, name)
        axis = np.abs(tree.axis[joint])
        out[name] = ("roll", "pitch", "yaw")[int(np.argmax(axis))]
    return out


def chest_body(robot: Robot) -> int:
    """The body that carries the upper body: the body of the trunk's last joint (G1's torso above its waist);
    on a free biped without a waist (OP3), its base, which its hips turn and tilt; -1 for any other body."""
    plan = body_plan_of(robot)
    model = robot.mj_model
    if plan.trunk:
        joint = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, plan.trunk[-1])
        return int(model.jnt_bodyid[joint]) if joint >= 0 else -1
    if plan.floating_base and not plan.root_joints and len(plan.of_kind("leg")) == 2:
        return mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, robot.profile.base_body)
    return -1
