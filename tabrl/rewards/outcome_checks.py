"""The outcome conditions of a success check: what a person would look for in the video.

A motion prior drives joints with sines, so "did that joint move" is nearly always yes and says nothing.
A check therefore states the outcome the words ask for, measured on the rollout
(``tabrl/render/outcomes.py``): the named hand's or foot's tip sweeping and rising, an object lifted or
turned, a drawer opened, the feet stepping; and the robot still up. Conditions on the prior's own joints
may stand beside these, never alone (``checks.require_outcome``).

How far a tip should move is read from the prior itself, by kinematics (no physics): the tip's path
while the joints follow the prior exactly. A rollout tracks it with lag and a smaller swing, so the check
asks for a share of it, and never less than a part's visible minimum.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import mujoco
import numpy as np

from tabrl.rewards import checks
from tabrl.rewards.checks import Condition
from tabrl.rewards.kinematics import quat_angle
from tabrl.rewards.motion import CompiledMotion, Motion, compile_motion, moved_joints
from tabrl.rewards.shape_checks import SPEED_SHARE, TURN_SHARE
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.model import Robot
from tabrl.robots.observables import fingertip_spread, observables_of, tip_points

SHARE = 0.3  # of the prior's kinematic sweep / rise that a rollout must show
FLOOR = {"finger": 0.01, "arm": 0.04, "leg": 0.04, "head": 0.03, "chain": 0.04}  # m: a visible move
RISE_SHARE = 0.5  # a prior whose tip rises by this share of its sweep (and FLOOR) is a raise: check the rise
RAISED = 0.1  # m: a hand or paw the words raise (a wave, a salute, a paw) goes up at least this far
THRUST = 0.4  # of the arm's length: a punch or a point moves the hand forward at least this far
TURNS = 1.0  # a circle the words ask for goes round at least once in the video
TOGETHER = 0.35  # of the hands' gap at the default pose: a clap brings them at least this close
ROCK = 0.05  # rad: a standing body whose legs the prior swings visibly rocks (hips shaking, swaying)
TORSO_TURN = 0.06  # rad: a visible twist, lean or bend of the upper body
IN_PLACE = 0.5  # m: "in place" ends within this of the start
SAMPLES = 48
# Task outcomes, with the figure a person would call done: a cube off the table, turned a quarter, a
# drawer or door opened a little, an object pushed a hand's width.
TASKS: dict[str, tuple[str, float]] = {
    "lift": ("object_rise", 0.05),
    "push": ("object_moved", 0.05),
    "turn": ("object_turn", 1.57),
    "open": ("opening", 0.05),
}


@dataclasses.dataclass(frozen=True)
class Ask:
    """What the words ask to see, beyond the terms: a named limb, a task on an object, the pace."""

    limb_kind: str | None = None  # 'arm' | 'leg' | 'head' | 'finger'
    side: str | None = None  # 'left' | 'right'
    task: str | None = None  # a key of TASKS
    both: bool = False  # "both arms": each limb of the kind
    raised: bool = False  # a wave, a salute, a paw, a kick: the named tip goes up (on a body that stands)
    thrust: bool = False  # a punch, a point, a reach: the named tip goes forward
    loop: bool = False  # a circle, a figure eight: the tip's path spans two directions
    together: bool = False  # a clap: the two hands come together
    in_place: bool = False  # "in place", "on the spot": the body stays where it started
    fast: bool = False  # "fast": no upper bound on speeds
    placed: bool = False  # hands put somewhere on the body and kept there: where each hand is held
    held_up: bool = False  # a swing-up: the chain's tip brought up from where the task starts, and kept up


def _cond(metric: str, op: str, value: float) -> Condition:
    return Condition.model_validate({"metric": metric, "op": op, "value": float(f"{value:.3g}")})


def _poser(robot: Robot) -> Callable[[np.ndarray], mujoco.MjData]:
    """Poses the robot kinematically with its driven joints at the default pose plus an actuator offset
    (a prior's reference), clipped to their ranges, the base held at its default pose."""
    spec, model = robot.spec, robot.mj_model
    data = mujoco.MjData(model)
    joints = np.asarray(robot.actuator_joint)
    driven = joints >= 0
    adr = np.asarray(spec.joint_qpos_adr)[joints[driven]]
    lo, hi = spec.joint_range[joints[driven], 0], spec.joint_range[joints[driven], 1]
    home = spec.default_joint_pos[joints[driven]]

    def pose(offset: np.ndarray) -> mujoco.MjData:
        data.qpos[:] = spec.default_qpos
        data.qpos[adr] = np.clip(home + offset[driven], lo, hi)
        mujoco.mj_kinematics(model, data)
        return data

    return pose


def _compiled(robot: Robot, motion: Motion | None) -> CompiledMotion | None:
    if motion is None:
        return None
    try:
        return compile_motion(motion, robot.spec)
    except ValueError:
        return None


def _cycle_times(compiled: CompiledMotion, samples: int) -> np.ndarray:
    """``samples`` times over two of the prior's slowest cycles, after its ramp."""
    slowest = float(compiled.omega.min()) if len(compiled.omega) else 2 * np.pi
    return compiled.ramp_s + np.linspace(0.0, 2 * (2 * np.pi) / max(slowest, 1e-3), samples)


def prior_tip_paths(
    robot: Robot, motion: Motion | None
) -> dict[str, tuple[float, float, float, float, float]]:
    """limb -> (sweep, rise, shift, loop, reach) in metres of its tip while the joints follow ``motion`` exactly, over
    two of its slowest cycles after the ramp (the base held at its default pose)."""
    obs = observables_of(robot)
    compiled = _compiled(robot, motion) if obs.limbs else None
    if compiled is None:
        return {}
    reference = compiled.reference(np, np.concatenate([[0.0], _cycle_times(compiled, SAMPLES)]))  # (S+1, nu)
    pose = _poser(robot)
    tips = np.stack([tip_points(pose(ref), obs.tips) for ref in reference])
    start, later = tips[0], tips[1:]
    extents = np.sort(later.max(axis=0) - later.min(axis=0), axis=-1)  # (limbs, 3), smallest first
    rise = later[..., 2].max(axis=0) - start[:, 2]
    shift = np.linalg.norm(later.mean(axis=0) - start, axis=-1)
    reach = later[..., 0].max(axis=0) - start[:, 0]
    return {
        name: (float(extents[i, 2]), float(rise[i]), float(shift[i]), float(extents[i, 1]), float(reach[i]))
        for i, name in enumerate(obs.limbs)
    }


GRIP = 0.005  # m: fingertips that close or open by this much on average are seen to


def prior_grips(robot: Robot, motion: Motion | None) -> dict[str, float]:
    """limb -> the change of its fingertips' spread when the joints hold the prior's mean pose (m)."""
    obs = observables_of(robot)
    compiled = _compiled(robot, motion) if obs.grips else None
    if compiled is None:
        return {}
    pose = _poser(robot)
    spreads = [
        [fingertip_spread(pose(offset), tips) for _, tips in obs.grips]
        for offset in (np.zeros_like(compiled.offset), compiled.offset)
    ]
    out = {}
    for i, (limb, _) in enumerate(obs.grips):
        out[limb] = float(spreads[1][i] - spreads[0][i])
    return out


def grip_conditions(robot: Robot, motion: Motion | None) -> list[Condition]:
    """A hand or gripper the prior closes or opens: its fingertips' spread, closing or opening."""
    out = []
    for limb, change in prior_grips(robot, motion).items():
        if change <= -GRIP:
            out.append(_cond(f"{limb}_grip", "<=", 0.5 * change))
        elif change >= GRIP:
            out.append(_cond(f"{limb}_grip", ">=", 0.5 * change))
    return out


def limb_length(robot: Robot, limb: str) -> float:
    """From the limb's first joint to its tip, at the default pose (m)."""
    found = body_plan_of(robot).limb(limb)
    obs = observables_of(robot)
    if found is None or limb not in obs.limbs or not found.joints:
        return 0.0
    model, data = robot.mj_model, mujoco.MjData(robot.mj_model)
    data.qpos[:] = robot.spec.default_qpos
    mujoco.mj_kinematics(model, data)
    body, offset = obs.tips[obs.limbs.index(limb)]
    tip = tip_points(data, ((body, offset),))[0]
    root = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, found.joints[0])
    anchor = data.xanchor[root] if root >= 0 else data.xpos[body]
    return float(np.linalg.norm(tip - anchor))


def _limb_kind(robot: Robot, limb: str) -> str:
    found = body_plan_of(robot).limb(limb)
    return found.kind if found is not None else "chain"


def _target_limbs(robot: Robot, paths: Mapping[str, tuple[float, ...]], ask: Ask) -> list[str]:
    """The limbs the words name (on their side; both for "both"), else the one the prior moves most."""
    plan = body_plan_of(robot)

    def shown(name: str) -> float:
        return max(paths.get(name, (0.0,))[:3])

    if ask.limb_kind:
        kind = ask.limb_kind
        named = plan.of_kind(kind, ask.side) or plan.of_kind(kind)  # type: ignore[arg-type]
        ranked = sorted((lb.name for lb in named), key=shown, reverse=True)
        if ranked:
            return ranked[:2] if ask.both else ranked[:1]
    moving = [name for name in paths if shown(name) >= FLOOR.get(_limb_kind(robot, name), 0.04)]
    return sorted(moving, key=shown, reverse=True)[:1]


def limb_conditions(robot: Robot, motion: Motion | None, ask: Ask) -> list[Condition]:
    """The named (or most moved) limb's tip: its sweep where the prior swings it, its rise or reach
    where the prior holds it raised or forward, and a sweep at least where the prior does neither."""
    paths = prior_tip_paths(robot, motion)
    if not paths:  # no prior: nothing says how far a tip should go
        return []
    out = []
    for limb in _target_limbs(robot, paths, ask):
        kind = _limb_kind(robot, limb)
        floor = FLOOR.get(kind, 0.04)
        sweep, rise, shift, loop, reach = paths.get(limb, (0.0, 0.0, 0.0, 0.0, 0.0))
        mine = []
        if sweep >= floor:
            mine.append(_cond(f"{limb}_sweep", ">=", max(floor, SHARE * sweep)))
        # "up" is the world's up for a limb of a body (a raised arm, a lifted paw); a finger curls every
        # way as the hand is turned, so its sweep or shift says it all
        if kind != "finger" and rise >= floor and rise >= RISE_SHARE * sweep:
            mine.append(_cond(f"{limb}_rise", ">=", max(floor, SHARE * rise)))
        elif shift >= floor and sweep < floor:  # a held pose: the tip is somewhere else
            mine.append(_cond(f"{limb}_shift", ">=", max(floor, SHARE * shift)))
        if ask.raised and robot.spec.floating_base and not any(c.metric == f"{limb}_rise" for c in mine):
            mine.append(_cond(f"{limb}_rise", ">=", max(RAISED, SHARE * rise)))
        if ask.thrust and kind == "arm":
            mine.append(_cond(f"{limb}_reach", ">=", max(THRUST * limb_length(robot, limb), SHARE * reach)))
        if ask.loop:
            mine.append(_cond(f"{limb}_loop", ">=", max(floor, SHARE * loop)))
            mine.append(_cond(f"{limb}_turns", ">=", TURNS))
        out += mine or [_cond(f"{limb}_sweep", ">=", floor)]
    return out


PLACED_SHARE = 0.5  # of the way from where a hand starts to where the prior holds it, along each axis shown
PLACED_AXES = 2  # per hand: the axes along which the prior moves it most


def prior_tip_places(robot: Robot, motion: Motion | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """limb -> (start, held) of its tip in the base's frame (m): at the default pose, and the median while the
    joints follow ``motion`` exactly over two of its slowest cycles after the ramp."""
    obs = observables_of(robot)
    compiled = _compiled(robot, motion) if obs.limbs else None
    if compiled is None:
        return {}
    base = robot.mj_model.body(robot.profile.base_body).id
    pose = _poser(robot)

    def in_base(data: mujoco.MjData) -> np.ndarray:
        return np.asarray((tip_points(data, obs.tips) - data.xpos[base]) @ data.xmat[base].reshape(3, 3))

    start = in_base(pose(np.zeros_like(compiled.offset)))
    held = np.median(
        [in_base(pose(ref)) for ref in compiled.reference(np, _cycle_times(compiled, SAMPLES))], axis=0
    )
    return {name: (start[i], held[i]) for i, name in enumerate(obs.limbs)}


def placed_conditions(robot: Robot, motion: Motion | None, ask: Ask) -> list[Condition]:
    """Hands placed on the body (on the hips, out wide, across the chest): each arm's tip held at least half of
    the way from its start to where the prior holds it, along the (at most two) axes it moves most."""
    if not ask.placed:
        return []
    plan = body_plan_of(robot)
    arms = {lb.name for lb in plan.of_kind("arm")}
    out = []
    for limb, (start, held) in prior_tip_places(robot, motion).items():
        if limb not in arms:
            continue
        moved = held - start
        for k in np.argsort(-np.abs(moved))[:PLACED_AXES]:
            if abs(moved[k]) < FLOOR["arm"]:
                continue
            bound = float(start[k] + PLACED_SHARE * moved[k])
            out.append(_cond(f"{limb}_at_{'xyz'[k]}", ">=" if moved[k] > 0 else "<=", bound))
    return out


HELD_UP = 0.75  # of the way from the start's tip height to the default pose's (upright) that the tip's median must be


def held_up_conditions(robot: Robot, ask: Ask) -> list[Condition]:
    """A swing-up (a pole, a pendulum, an acrobot): the chain's tip held up, its median height at least 3/4 of the
    way from where the task starts (hanging) to the upright default pose; a pole spun round and round spends
    half its time low and fails it. Bodies whose tips are measured in the world (no free or planar base) only."""
    obs = observables_of(robot)
    spec = robot.spec
    if not ask.held_up or not obs.limbs or spec.floating_base or obs.planar or not len(spec.start_qpos):
        return []
    data = mujoco.MjData(robot.mj_model)
    heights = []
    for qpos in (spec.start, spec.default_qpos):
        data.qpos[:] = qpos
        mujoco.mj_kinematics(robot.mj_model, data)
        heights.append(tip_points(data, obs.tips)[:, 2])
    start, up = heights
    out = []
    for i, limb in enumerate(obs.limbs):
        if up[i] - start[i] >= 0.1:
            out.append(_cond(f"{limb}_at_z", ">=", float(start[i] + HELD_UP * (up[i] - start[i]))))
    return out


def hands_gap_at_rest(robot: Robot) -> float | None:
    """The distance between the two hands (``Observables.hands``) at the default pose (m); None without two arms."""
    hands = observables_of(robot).hands
    if not hands:
        return None
    data = mujoco.MjData(robot.mj_model)
    data.qpos[:] = robot.spec.default_qpos
    mujoco.mj_kinematics(robot.mj_model, data)
    points = tip_points(data, hands)
    return float(np.linalg.norm(points[0] - points[1]))


def prior_hands_gap(robot: Robot, motion: Motion | None) -> float | None:
    """The closest the two hands (``Observables.hands``) come while the joints follow ``motion`` exactly, over
    two of its slowest cycles after the ramp (the base held at its default pose); None without two arms or a
    prior."""
    hands = observables_of(robot).hands
    compiled = _compiled(robot, motion) if hands else None
    if compiled is None:
        return None
    pose = _poser(robot)
    gaps = []
    for reference in compiled.reference(np, _cycle_times(compiled, 4 * SAMPLES)):
        points = tip_points(pose(reference), hands)
        gaps.append(float(np.linalg.norm(points[0] - points[1])))
    return min(gaps)


def together_conditions(robot: Robot, ask: Ask) -> list[Condition]:
    """A clap: the hands come within a share of their resting gap (a body with two arms)."""
    rest = hands_gap_at_rest(robot) if ask.together else None
    return [_cond("hands_gap", "<=", TOGETHER * rest)] if rest else []


def body_conditions(robot: Robot, motion: Motion | None, ask: Ask) -> list[Condition]:
    """A standing body whose prior swings only its legs, with no limb named: the body rocks (the hips a
    person sees shaking), since the feet stay planted."""
    plan = body_plan_of(robot)
    driven = moved_joints(motion, robot.spec)
    legs = {j for lb in plan.of_kind("leg") for j in lb.joints}
    if ask.limb_kind or not robot.spec.floating_base or not driven or not driven <= legs:
        return []
    if motion is None or not any(p.amplitude > 0 for p in motion.parts):
        return []
    return [_cond("rock", ">=", ROCK)]


def prior_torso_turn(robot: Robot, motion: Motion | None) -> float | None:
    """The most the chest (``Observables.chest``) turns from the default pose while the joints follow
    ``motion`` exactly, over two of its slowest cycles (the base held); None without a waist or a prior."""
    chest = observables_of(robot).chest
    compiled = _compiled(robot, motion) if chest >= 0 else None
    if compiled is None:
        return None
    pose = _poser(robot)
    rest = pose(np.zeros(len(robot.actuator_joint))).xquat[chest].copy()
    quats = [
        pose(reference).xquat[chest].copy()
        for reference in compiled.reference(np, _cycle_times(compiled, SAMPLES))
    ]
    return float(quat_angle(np.asarray(quats), rest).max())


def trunk_conditions(robot: Robot, motion: Motion | None, ask: Ask) -> list[Condition]:
    """A prior that turns the upper body with no limb named (twist the torso, rock it): on the waist, or on
    a biped without one on its hips' rotation joints alone; the chest (``Observables.chest``) turns a share
    of what the prior turns it, and never less than a visible turn."""
    plan = body_plan_of(robot)
    driven = moved_joints(motion, robot.spec)
    twisting_hips = {j for lb in plan.of_kind("leg") for j in lb.with_role("rotation")}
    turns = driven & set(plan.trunk) if plan.trunk else (driven and driven <= twisting_hips)
    if ask.limb_kind or not turns:
        return []
    turn = prior_torso_turn(robot, motion)
    if turn is None:
        return []
    return [_cond("torso_turn", ">=", max(TORSO_TURN, SHARE * turn))]


def task_conditions(robot: Robot, ask: Ask) -> list[Condition]:
    if ask.task not in TASKS:
        return []
    metric, value = TASKS[ask.task]
    obs = observables_of(robot)
    have = obs.has_passive if metric == "opening" else obs.has_objects
    return [_cond(metric, ">=", value)] if have else []


def speed_bounds(conditions: list[Condition], ask: Ask) -> list[Condition]:
    """An upper bound beside each speed's lower bound: "slowly" is not "as fast as it can"."""
    if ask.fast:
        return []
    out = []
    for c in conditions:
        if c.metric in ("forward_speed", "lateral_speed", "yaw_rate") and c.value != 0:
            # the lower bound is a share of the term's target; allow up to twice the target
            upper = 2.0 * abs(c.value) / (SPEED_SHARE if c.metric != "yaw_rate" else TURN_SHARE)
            if c.op in (">=", ">") and c.value > 0:
                out.append(_cond(c.metric, "<=", upper))
            elif c.op in ("<=", "<") and c.value < 0:
                out.append(_cond(c.metric, ">=", -upper))
    return out


def guards(robot: Robot, conditions: list[Condition]) -> list[Condition]:
    """Every robot that can fall is checked for it (free bases and planar walkers alike)."""
    spec = robot.spec
    can_fall = spec.floating_base or (observables_of(robot).planar and spec.standing_height > 0.1)
    if not can_fall or any(c.metric in ("falls", "fallen_fraction") for c in conditions):
        return []
    return [_cond("falls", "<", 1)]


def complete(
    conditions: list[Condition] | None, motion: Motion | None, robot: Robot, ask: Ask
) -> list[Condition]:
    """``conditions`` with the outcome the words ask for, speed bounds and a fall guard added; an outcome
    of the task or the named limb comes first, so it is what the page and refine read first."""
    own = list(conditions or [])
    spec = robot.spec
    driven = moved_joints(motion, spec)
    has_outcome = any(checks.is_outcome(c, spec, driven) for c in own)
    outcome = (
        task_conditions(robot, ask)
        + together_conditions(robot, ask)
        + placed_conditions(robot, motion, ask)
        + held_up_conditions(robot, ask)
    )
    if (ask.limb_kind or not has_outcome) and not ((ask.placed or ask.held_up) and outcome):
        outcome += (
            trunk_conditions(robot, motion, ask)
            or body_conditions(robot, motion, ask)
            or grip_conditions(robot, motion)
            or limb_conditions(robot, motion, ask)
        )
    if ask.in_place and spec.floating_base and not any(c.metric == "drift" for c in own):
        outcome.append(_cond("drift", "<=", IN_PLACE))
    if not any(checks.is_outcome(c, spec, driven) for c in outcome + own):
        return []  # nothing shows the behavior: a sibling's check, or guards alone, judge it
    merged: list[Condition] = []
    bounded: list[Condition] = []
    for c in own:  # each speed's upper bound right after its lower bound: one band on the page
        bounded += [c, *speed_bounds([c], ask)]
    for c in outcome + bounded + guards(robot, own):
        if not any(m.metric == c.metric and m.op == c.op and c.metric for m in merged):
            merged.append(c)
    # The prior's own joints beside an outcome add nothing a person sees (a joint the prior drives moves
    # less under load while the tip still shows the motion): the outcome and the guards judge.
    shown = [c for c in merged if checks.is_outcome(c, spec, driven) or checks.is_guard(c)]
    return shown[: checks.MAX_CONDITIONS]
