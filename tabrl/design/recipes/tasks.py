"""Task recipes: the words of a task environment's own task ("pick up the cube", "open the drawer",
"push the cube", "hand the object over", "spin the cube") on a robot whose scene has the thing.

The approaches are built from the scene: the object's start (or the drawer handle's), the arm whose
gripper is nearest to it, and a scripted reference solved on the compiled model as the motion prior. The
reference is staged in time with slow sines (a prior has no keyframes): the arm comes down to the object
during the ramp, the gripper closes while the arm dwells at the bottom of its swing, then the arm carries
the object (up, back, across) while the gripper stays shut. Played with the zero action, PandaPickCube's
prior lifts the cube about 0.13 m. The three approaches differ in kind: staged terms (reach, then lift),
dense shaping of the whole task, and expressions over the object features; the success check is the
task's outcome (``rewards.outcome_checks.TASKS``: object_rise, object_moved, object_turn, opening).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import mujoco
import numpy as np

from tabrl.design.drafting import RATE, Ctx, Draft, E, T, clamp, num
from tabrl.design.vocabulary import Intent, Recipe
from tabrl.rewards.kinematics import solve_damped
from tabrl.rewards.motion import Motion, MotionError, compile_motion, fitted
from tabrl.rewards.outcome_checks import TASKS
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot
from tabrl.robots.observables import fingertip_spread, observables_of

__all__ = ["scene_task", "task_drafts"]

# The staged reference's timing (s) and pace: the arm's slow swing is lowest at REACH_S, the gripper is
# half shut (touching a 4 cm cube) at GRIP_S and shut at GRIP_S + half its period, while the arm carries.
SWING_HZ = 0.05  # one swing in 20 s: over a 10 s video the arm goes down, dwells, then carries
REACH_S = 3.0
GRIP_S = 0.5
RAMP_S = 1.0
LIFT_M = 0.25  # how far the reference carries a lifted object (the check asks 0.05)
PULL_M = 0.2  # how far it pulls a drawer
PUSH_M = 0.15  # how far it pushes an object
BEHIND_M = 0.07  # a push starts this far behind the object's centre
ARM_RESIDUAL = (
    0.2  # the policy's share around the staged reference (a 50k-step policy nudged off the handle at 0.3)
)
GRIP_RESIDUAL = 0.15  # small: a policy that opens the gripper mid-lift undoes the task (seen on the drawer)


def scene_task(ctx: Ctx, task: str) -> str | None:
    """``task`` where this robot's scene has what it acts on (a free object; a drawer or door for 'open'),
    else None (the words then mean what they mean on the body alone)."""
    spec = _spec(ctx)
    if spec is None:
        return None
    if task == "open":
        return task if spec.has_passive else None
    return task if spec.has_objects else None


def _spec(ctx: Ctx) -> Any:
    if ctx.spec is not None:
        return ctx.spec
    robot = _robot(ctx.model_id)
    return robot.spec if robot is not None else None


def _robot(model_id: str) -> Robot | None:  # the catalog keeps the last few compiled
    try:
        return load_robot(model_id)
    except Exception:  # noqa: BLE001 - no assets here: no scene, so no task recipe
        return None


# --------------------------------------------------------------------------- the scene


@dataclasses.dataclass(frozen=True)
class Scene:
    """Where the task's thing is and how it moves: read from the compiled model at its start."""

    target: np.ndarray  # world point the gripper goes to (the object's centre, the handle)
    pull: np.ndarray | None  # world direction a drawer opens (unit), None for objects
    # what a push moves the object along (world xy, unit): away from the robot's base
    away: np.ndarray


def read_scene(robot: Robot) -> Scene:
    model, spec = robot.mj_model, robot.spec
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    mujoco.mj_kinematics(model, data)
    base = (
        data.xpos[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, robot.profile.base_body)].copy()
        if (robot.profile.base_body != "world")
        else np.zeros(3)
    )
    pull = None
    if spec.has_objects:
        target = spec.default_qpos[spec.object_qpos_adr[0][:3]].copy()
    else:
        adr = int(spec.passive_qpos_adr[0])
        joint = int(np.flatnonzero(model.jnt_qposadr == adr)[0])
        body = int(model.jnt_bodyid[joint])
        target = data.xpos[body].copy()
        axis = data.xmat[body].reshape(3, 3) @ model.jnt_axis[joint]
        lo, hi = model.jnt_range[joint] if model.jnt_limited[joint] else (-1.0, 1.0)
        q0 = spec.default_qpos[adr]
        # a drawer opens towards the far end of its range from where it starts
        pull = axis * (1.0 if hi - q0 >= q0 - lo else -1.0)
        if int(model.jnt_type[joint]) == int(mujoco.mjtJoint.mjJNT_HINGE):
            pull = None  # a door swings: its handle is pulled back towards the robot
    flat = target[:2] - base[:2]
    away = np.array([1.0, 0.0]) if np.linalg.norm(flat) < 1e-6 else flat / np.linalg.norm(flat)
    if pull is None and not spec.has_objects:
        pull = np.array([-away[0], -away[1], 0.0])
    return Scene(target=target, pull=pull, away=away)


# --------------------------------------------------------------------------- the staged reference


def _grip_limb(robot: Robot, target: np.ndarray) -> tuple[Any, tuple[tuple[int, Any], ...]] | None:
    """The arm (body-plan limb) with a hand or gripper whose shoulder is nearest to ``target``, and its
    fingertips: on a two-armed robot the arm on the object's side picks it up."""
    obs = observables_of(robot)
    limbs = {limb.name: limb for limb in body_plan_of(robot).limbs}
    model = robot.mj_model
    data = mujoco.MjData(model)
    data.qpos[:] = robot.spec.default_qpos
    mujoco.mj_kinematics(model, data)

    def shoulder(name: str) -> float:
        joint = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, limbs[name].joints[0])
        return float(np.linalg.norm(data.xpos[model.jnt_bodyid[joint]] - target))

    grips = [(limbs[name], tips) for name, tips in obs.grips if name in limbs and limbs[name].joints]
    return min(grips, key=lambda g: shoulder(g[0].name)) if grips else None


def _driven(robot: Robot, names: list[str]) -> list[int]:
    """Indices into the spec's joints of ``names`` that a position actuator drives."""
    spec = robot.spec
    actuated = set(int(a) for a in spec.actuator_qvel_adr)
    return [
        spec.joint_names.index(n)
        for n in names
        if n in spec.joint_names and int(spec.joint_qvel_adr[spec.joint_names.index(n)]) in actuated
    ]


def staged_motion(
    robot: Robot,
    target: np.ndarray,
    carry: np.ndarray,
    *,
    approach: np.ndarray,
    grip: bool = True,
    fingers_along: np.ndarray | None = None,
) -> Motion | None:
    """A prior that brings the nearest gripper's fingertips to ``target`` with the hand pointing along
    ``approach``, closes the gripper there (``grip``; else holds it shut from the start, a pushing fist)
    and carries the fingertips by ``carry`` (m, world). Solved by damped least squares on the compiled
    model; None where the robot has no position-driven gripper arm or the pose cannot be reached."""
    spec = robot.spec
    if not spec.position_control:
        return None
    found = _grip_limb(robot, target)
    if found is None:
        return None
    limb, tips = found
    arm, fingers = _driven(robot, list(limb.joints)), _driven(robot, list(limb.fingers))
    if not arm or not fingers:
        return None
    model = robot.mj_model
    data = mujoco.MjData(model)
    bodies = np.asarray([b for b, _ in tips], dtype=np.int64)
    offsets = np.asarray([o for _, o in tips], dtype=np.float64)
    hand = int(model.body_parentid[bodies[0]])
    adr = spec.joint_qpos_adr[arm]
    lo = np.maximum(spec.joint_range[arm, 0], -math.pi)
    hi = np.minimum(spec.joint_range[arm, 1], math.pi)
    home = np.clip(spec.default_joint_pos[arm], lo, hi)

    def frame(q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        data.qpos[:] = spec.default_qpos
        data.qpos[adr] = q
        mujoco.mj_kinematics(model, data)
        points = data.xpos[bodies] + np.einsum("lij,lj->li", data.xmat[bodies].reshape(-1, 3, 3), offsets)
        centre = points.mean(axis=0)
        pointing = centre - data.xpos[hand]
        across = points[0] - points[-1]
        return centre, pointing / (np.linalg.norm(pointing) + 1e-9), across / (np.linalg.norm(across) + 1e-9)

    _, _, across0 = frame(home)
    along = fingers_along if fingers_along is not None else across0
    along = along * (1.0 if float(np.dot(along, across0)) >= 0 else -1.0)  # the nearer of the two ways

    def pose(q: np.ndarray) -> np.ndarray:
        centre, pointing, across = frame(q)
        # a direction weighs as much as 0.3 m of position: reaching the point matters most
        return np.concatenate([centre, 0.3 * pointing, 0.3 * across if fingers_along is not None else []])

    def solve(goal_point: np.ndarray, start: np.ndarray) -> np.ndarray | None:
        goal = np.concatenate([goal_point, 0.3 * approach, 0.3 * along if fingers_along is not None else []])
        q = solve_damped(
            pose,
            start,
            goal,
            lo,
            hi,
            iterations=80,
            max_step=0.2,
            damping=1e-4,
            reached=lambda err: bool(np.linalg.norm(err) < 0.003),
        )
        return q if np.linalg.norm(frame(q)[0] - goal_point) < 0.03 else None

    at = solve(target, home)
    if at is None:
        return None
    away = solve(target + carry, at)
    if away is None:
        return None
    parts: list[dict[str, Any]] = []
    for k, j in enumerate(arm):
        down, swing = float(at[k] - home[k]), float(away[k] - at[k])
        if abs(down) < 0.005 and abs(swing) < 0.005:
            continue
        sign = 1.0 if swing >= 0 else -1.0
        # (1 - cos) / 2 of the swing, lowest at REACH_S: offset + amplitude * sin(w t - pi/2 - w REACH_S)
        parts.append(
            {
                "joint": spec.joint_names[j],
                "offset": round((down + swing / 2) * sign, 4),
                "amplitude": round(abs(swing) / 2, 4),
                "frequency_hz": SWING_HZ,
                "phase": round(-SWING_HZ * REACH_S - 0.25, 4),
                "joint_scale": [sign],
                "residual": ARM_RESIDUAL,
            }
        )
    for j in fingers:
        low, high = (float(v) for v in spec.joint_range[j])
        q0 = float(np.clip(spec.default_joint_pos[j], low, high))
        # which end of the finger's range shuts the hand: the one where the fingertips are closer together
        spread = {}
        for end in (low, high):
            data.qpos[:] = spec.default_qpos
            data.qpos[spec.joint_qpos_adr[j]] = end
            mujoco.mj_kinematics(model, data)
            spread[end] = fingertip_spread(data, tips)
        shut, open_ = (low, high) if spread[low] <= spread[high] else (high, low)
        span = 0.99 * (shut - open_)
        sign = 1.0 if span >= 0 else -1.0
        part: dict[str, Any] = {
            "joint": spec.joint_names[j],
            "joint_scale": [sign],
            "residual": GRIP_RESIDUAL,
        }
        if (
            grip
        ):  # open during the reach, shut from GRIP_S + a quarter period on: (1 - cos) / 2 of the closing
            middle = (open_ + 0.005 * (shut - open_)) + span / 2 - q0
            part.update(
                offset=round(middle * sign, 5),
                amplitude=round(abs(span) / 2, 5),
                frequency_hz=SWING_HZ,
                phase=round(-SWING_HZ * GRIP_S - 0.25, 4),
            )
        elif abs(shut - q0) > 1e-3:
            part.update(offset=round((shut - q0) * 0.99 * sign, 5))
        else:
            continue
        parts.append(part)
    if len(parts) > 12:
        return None
    try:
        motion = Motion.model_validate(
            {"parts": parts, "residual": ARM_RESIDUAL, "other_residual": ARM_RESIDUAL, "ramp_s": RAMP_S}
        )
        compile_motion(motion, spec)
    except (MotionError, ValueError):
        return None
    return motion


# --------------------------------------------------------------------------- approaches


def _support() -> list[dict[str, Any]]:
    return [T("action_rate", RATE), T("joint_limits", -0.1)]


def _check(task: str) -> str:
    metric, value = TASKS[task]
    return f"{metric} >= {value:g}"


def task_drafts(ctx: Ctx, _intent: Intent, recipe: Recipe) -> list[Draft]:
    """Three approaches to the scene's task: 'lift', 'push', 'turn' or 'open' (``recipe.params['task']``)."""
    task = str(recipe.params["task"])
    robot = _robot(ctx.model_id)
    spec = robot.spec if robot is not None else None
    if robot is None or spec is None:
        raise LookupError(f"{ctx.model_id}: the task '{task}' needs the compiled scene")
    scene = read_scene(robot)
    drafts = {"lift": _lift, "push": _push, "turn": _turn, "open": _open}[task](ctx, robot, scene)
    reach = "object_reach" in {t["term"] for d in drafts for t in d.main}
    ctx.note(
        f"Task: '{task}' on the scene's {'drawer' if task == 'open' else 'object'} "
        f"(starting at {', '.join(f'{v:.2f}' for v in scene.target)} m); success is {_check(task)}."
        + ("" if reach or task == "open" else f" {ctx.robot} has no end effector to aim, so no reach term.")
    )
    for d in drafts:
        d.success = d.success or _check(task)
    return drafts


def _with_prior(draft: Draft, motion: Motion | None, what: str) -> Draft:
    if motion is not None:
        draft.motion = motion.model_dump(mode="json", exclude_none=True)
        draft.note += f" Motion prior: a scripted reference solved on the model ({what})."
    return draft


def _lift(ctx: Ctx, robot: Robot, scene: Scene) -> list[Draft]:
    spec = robot.spec
    height = clamp(0.1 * ctx.mods.size, 0.05, 0.3)
    prior = staged_motion(
        robot, scene.target, np.array([0.0, 0.0, LIFT_M]), approach=np.array([0.0, 0.0, -1.0])
    )
    aim = [T("object_reach", 1.0, sigma=0.1)] if len(spec.ee) else []
    staged = Draft(
        "Reach, Grasp and Lift",
        f"Bring the gripper to the object, close on it and lift it {height * 100:.0f} cm",
        aim + [T("object_lift", 3.0, height=height)],
        _support(),
        note="Main terms: object_reach (the gripper to the object) and object_lift (its height gained).",
    )
    dense = Draft(
        "Dense Pick Shaping",
        "A dense reward along the whole pick: near the object, the object rising, held steady",
        ([T("object_reach", 0.5, sigma=0.05, above=0.0)] if len(spec.ee) else [])
        + [
            T("object_lift", 2.0, height=0.5 * height),
            T("object_lift", 2.0, height=2 * height),
            E("exp(-norm(object_vel) ** 2 / 0.04)", 0.3),
        ],
        _support(),
        note="Main terms: object_lift at two heights (a pull from the first centimetres on) and a calm object.",
    )
    near = "exp(-object_dist ** 2 / 0.01)" if len(spec.ee) else "1"
    expr = Draft(
        "Lift Expression",
        "Expressions over the object's features: its rise, and staying close to the hand while it rises",
        [
            E(f"clip(object_rise / {num(height)}, -1, 1)", 3.0),
            E(f"{near} * clip(object_rise / 0.02, 0, 1)", 1.0),
            E("clip(object_up[2], 0, 1)", 0.3),
        ],
        _support(),
        note="Main terms: expressions over object_rise, object_dist and object_up (kept upright).",
    )
    return [_with_prior(d, prior, "reach the object, close the gripper, lift") for d in (staged, dense, expr)]


def _push(ctx: Ctx, robot: Robot, scene: Scene) -> list[Draft]:
    spec = robot.spec
    way = scene.away
    distance = clamp(0.15 * ctx.mods.size, 0.05, 0.5)
    across = len(observables_of(robot).grips) > 1  # two grippers: one hands the object to the other
    if across:
        # two arms: hand the object from one gripper towards the other, lifted on the way
        return _hand_over(ctx, robot, scene)
    start = scene.target - np.array([way[0], way[1], 0.0]) * BEHIND_M
    prior = staged_motion(
        robot,
        start,
        np.array([way[0], way[1], 0.0]) * PUSH_M,
        approach=np.array([0.0, 0.0, -1.0]),
        grip=False,
    )
    direction = [round(float(way[0]), 3), round(float(way[1]), 3)]
    aim = [T("object_reach", 0.5, sigma=0.1)] if len(spec.ee) else []
    staged = Draft(
        "Reach and Push",
        f"Come up behind the object and push it {distance * 100:.0f} cm away from the robot",
        aim + [T("object_push", 3.0, direction=direction, distance=distance)],
        _support(),
        note="Main terms: object_reach and object_push (displacement along the push direction).",
    )
    dense = Draft(
        "Dense Push Shaping",
        "The object's speed away from the robot and its displacement, both rewarded from the first push",
        [
            T("object_push", 2.0, direction=direction, distance=0.5 * distance),
            E(f"clip(({num(way[0])} * object_vel[0] + {num(way[1])} * object_vel[1]) / 0.2, -1, 1)", 1.0),
            E("exp(-object_offset[2] ** 2 / 0.0004)", 0.3),
        ],
        _support(),
        note="Main terms: object_push and an expression over the object's velocity (kept on the table).",
    )
    expr = Draft(
        "Move the Object",
        "Expressions over the object's features: how far it moved, in any direction on the table",
        [
            E(f"clip(object_moved / {num(distance)}, 0, 1)", 3.0),
            E("clip(1 - object_turn, 0, 1)", 0.3),
        ],
        _support(),
        note="Main terms: expressions over object_moved and object_turn (slid, not tumbled).",
    )
    return [_with_prior(d, prior, "behind the object, then push through it") for d in (staged, dense, expr)]


def _hand_over(_ctx: Ctx, robot: Robot, scene: Scene) -> list[Draft]:
    flat = scene.target[:2]
    toward = -flat / (np.linalg.norm(flat) + 1e-9)  # towards the middle of the table, between the arms
    carry = np.array([toward[0] * 0.15, toward[1] * 0.15, 0.12])
    prior = staged_motion(robot, scene.target, carry, approach=np.array([0.0, 0.0, -1.0]))
    direction = [round(float(toward[0]), 3), round(float(toward[1]), 3)]
    staged = Draft(
        "Pick and Pass",
        "Pick the object up with the nearer gripper and carry it towards the other",
        [T("object_lift", 2.0, height=0.08), T("object_push", 2.0, direction=direction, distance=0.15)],
        _support(),
        note="Main terms: object_lift and object_push towards the other arm.",
    )
    dense = Draft(
        "Dense Hand-over Shaping",
        "The object lifted and moving across, rewarded from the first centimetre",
        [
            T("object_lift", 1.0, height=0.03),
            T("object_push", 1.0, direction=direction, distance=0.05),
            E(
                f"clip(({num(toward[0])} * object_vel[0] + {num(toward[1])} * object_vel[1]) / 0.2, -1, 1)",
                0.5,
            ),
        ],
        _support(),
        note="Main terms: object_lift, object_push and the object's velocity across.",
    )
    expr = Draft(
        "Carry Across",
        "Expressions over the object's features: how far it moved, while off the table",
        [E("clip(object_moved / 0.15, 0, 1) * (0.5 + 0.5 * clip(object_rise / 0.05, 0, 1))", 3.0)],
        _support(),
        note="Main term: an expression over object_moved and object_rise.",
    )
    return [_with_prior(d, prior, "grasp with the nearer arm, carry across") for d in (staged, dense, expr)]


def _turn(ctx: Ctx, robot: Robot, _scene: Scene) -> list[Draft]:
    sign = ctx.mods.rotation or 1
    rate = clamp(1.0 * ctx.mods.speed, 0.3, 4.0) * sign
    fingers = ctx.group("non_thumb", "fingers", "all") or "all"
    thumb = ctx.group("thumb")
    hz = clamp(1.0 * ctx.mods.speed, 0.3, 3.0)
    # a finger gait: the fingers roll over the object in a travelling wave, the thumb pushing against them
    prior_parts: list[dict[str, Any]] = [
        {"group": fingers, "amplitude": 0.3, "frequency_hz": hz, "pattern": "wave"}
    ]
    if thumb:
        prior_parts.append(
            {"group": thumb, "amplitude": 0.25, "frequency_hz": hz, "pattern": "wave", "phase": 0.5}
        )
    motion: Motion | None = None
    if robot.spec.position_control:
        try:
            motion = fitted(
                Motion.model_validate({"parts": prior_parts, "residual": 0.6, "ramp_s": 0.5}), robot.spec
            )
        except (MotionError, ValueError):
            motion = None
    way = "counter-clockwise" if sign > 0 else "clockwise"
    near = [T("object_reach", 0.5, sigma=0.05)] if len(robot.spec.ee) else []
    spin = Draft(
        "Spin the Object",
        f"Keep the object turning {way} about the vertical at {abs(rate):.2g} rad/s, held in the hand",
        [T("object_turn", 3.0, mode="yaw_rate", target=rate)] + near,
        _support(),
        note="Main terms: object_turn (yaw rate) and object_reach (kept in the hand).",
    )
    angle = Draft(
        "Reorient",
        "Turn the object a quarter turn or more from how it started, without dropping it",
        [
            T("object_turn", 3.0, mode="angle", target=1.57),
            E("exp(-clip(-object_rise, 0, 1) ** 2 / 0.0004)", 1.0),
        ],
        _support(),
        note="Main terms: object_turn (angle from the start) and an expression keeping it at its height.",
    )
    expr = Draft(
        "Turning Expression",
        "Expressions over the object's features: its spin rate and its tilt away from the start",
        [
            E(f"clip({num(sign)} * object_ang_vel[2] / {num(abs(rate))}, -1, 1)", 2.0),
            E("clip(object_turn / 1.57, 0, 1)", 1.0),
            E("clip(1 + object_rise / 0.05, 0, 1)", 0.5),
        ],
        _support(),
        note="Main terms: expressions over object_ang_vel, object_turn and object_rise.",
    )
    drafts = [spin, angle, expr]
    if motion is not None:
        for d in drafts:
            d.motion = motion.model_dump(mode="json", exclude_none=True)
            d.note += " Motion prior: a finger gait (travelling waves over the fingers, the thumb opposite)."
    return drafts


def _open(ctx: Ctx, robot: Robot, scene: Scene) -> list[Draft]:
    pull = scene.pull if scene.pull is not None else np.array([-1.0, 0.0, 0.0])
    distance = clamp(0.15 * ctx.mods.size, 0.05, 0.4)
    # come down on the handle from above with the fingers closing along the pull (across a horizontal bar)
    prior = staged_motion(
        robot, scene.target, pull * PULL_M, approach=np.array([0.0, 0.0, -1.0]), fingers_along=pull
    )
    staged = Draft(
        "Grasp and Pull",
        f"Grip the handle and pull the drawer {distance * 100:.0f} cm open",
        [T("joint_open", 3.0, distance=distance)],
        _support(),
        note="Main term: joint_open (how far the drawer or door opened).",
    )
    dense = Draft(
        "Dense Opening Shaping",
        "The opening rewarded from the first millimetre, and its speed while it opens",
        [
            T("joint_open", 1.0, distance=0.02),
            T("joint_open", 2.0, distance=2 * distance),
        ],
        _support(),
        note="Main terms: joint_open at two scales (a pull from the first millimetres on).",
    )
    expr = Draft(
        "Opening Expression",
        "Expressions over the scene's passive joint: how far it opened",
        [E(f"clip(opening / {num(distance)}, 0, 1) ** 0.5", 3.0)],
        _support(),
        note="Main term: an expression over opening.",
    )
    return [_with_prior(d, prior, "grip the handle, pull") for d in (staged, dense, expr)]
