"""Rehearsal: an approach's motion prior played in MuJoCo before any training.

The starting policy (the robot's base policy where training would start from one, else the zero action)
drives a few noisy copies of the robot for the video's length with the prior as it would train. A prior
the robot cannot stand under is scaled down (amplitude and pose offset together) a few times; what
changed is recorded with the approach, and an approach whose prior cannot be made to stand says so
instead of training blind. The figures are the start a trained policy must beat.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from tabrl.config import STEPS_DEFAULT, VIDEO_SECONDS
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.motion import compile_motion
from tabrl.rewards.program import Rehearsal, RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import base, finetune, numpy_policy, ppo

COPIES = 3  # noisy starts (each env's reset draws its own initial noise)
SCALES = (1.0, 0.7, 0.45, 0.25)  # the prior's share kept at each try
MAX_FALLS = 0  # a prior stands when no copy falls


def _moved_joints(robot: Robot, program: RewardProgram) -> np.ndarray:
    """Indices of the joints the prior drives with a sine (the figure the card quotes)."""
    if program.motion is None:
        return np.zeros(0, dtype=int)
    compiled = compile_motion(program.motion, robot.spec)
    amplitude = np.asarray(compiled.amplitude)  # (K, nu): per actuator
    if not amplitude.size:
        return np.zeros(0, dtype=int)
    joints = np.asarray(robot.actuator_joint)[np.flatnonzero(amplitude.max(axis=0) > 0)]
    return np.unique(joints[joints >= 0])


def scaled(program: RewardProgram, share: float) -> RewardProgram:
    """``program`` with its motion prior's amplitudes and pose offsets times ``share``."""
    if program.motion is None or share == 1.0:
        return program
    parts = [
        p.model_copy(update={"amplitude": p.amplitude * share, "offset": p.offset * share})
        for p in program.motion.parts
    ]
    return program.model_copy(update={"motion": program.motion.model_copy(update={"parts": parts})})


def _zero_action(robot: Robot) -> Any:
    return lambda obs: np.zeros((len(obs), robot.action_size), np.float32)


def _starting_policy(robot: Robot, program: RewardProgram) -> tuple[str, Any]:
    """("base", act) with the base policy training would start from, else ("zero action", act)."""
    zero = ("zero action", _zero_action(robot))
    if not base.wants_base(robot, None):
        return zero
    cfg = ppo.ppo_config_for(STEPS_DEFAULT, robot.spec.category)  # the networks a default job trains
    try:
        params, _note = finetune.init_from_base(robot, program.motion, cfg)
    except base.BaseError:
        return zero
    if params is None:
        return zero
    return "base policy", numpy_policy.deterministic_policy(params)


def _play(
    robot: Robot,
    program: RewardProgram,
    policy: Any,
    seconds: float,
    seed: int,
    *,
    reward: Any = None,
    moved: np.ndarray | None = None,
) -> tuple[int, dict[str, float]]:
    """(copies that fell, figures) for one play of ``program``'s prior under ``policy``. ``reward`` (the
    compiled terms) and ``moved`` (the prior's swinging joints) stay the same when only the prior's scale
    changes: a rehearsal computes them once for all its plays."""
    cfg = behavior.default_config()
    cfg.terminate_on_fall = False  # count falls, keep going
    env = NativeBatchEnv(
        robot,
        compile_program(program, robot.spec, np) if reward is None else reward,
        COPIES,
        seed=seed,
        config=cfg,
        clock_hz=behavior.program_clock_hz(program),
        motion=program.motion,
        nthread=1,  # three envs: threads cost more than they give
    )
    obs = env.reset()
    n = int(round(seconds / robot.ctrl_dt))
    fell = np.zeros(COPIES, bool)
    moved = _moved_joints(robot, program) if moved is None else moved
    q, xy, rewards = [], [], []
    for _ in range(n):
        obs, reward, _, _, info = env.step(policy(obs))
        f = info["features"]
        fell |= np.asarray(behavior.fallen(np, robot, f)) > 0
        q.append(np.asarray(f["q"])[:, moved])
        xy.append(np.asarray(f["base_pos"])[:, :2])
        rewards.append(reward)
    half = np.asarray(q[n // 2 :])  # after the prior's ramp
    figures = {"mean_step_reward": round(float(np.mean(rewards)), 4)}
    if moved.size:
        swing = 0.5 * (half.max(axis=0) - half.min(axis=0))  # (copies, joints)
        figures["prior_swing_rad"] = round(float(np.median(swing.max(axis=-1))), 3)
    if robot.spec.floating_base:
        track = np.asarray(xy)
        figures["drift_m"] = round(float(np.median(np.linalg.norm(track[-1] - track[0], axis=-1))), 3)
    return int(fell.sum()), figures


@dataclasses.dataclass
class _Search:
    """The shares of the prior tried under one starting policy, and how the last one went."""

    kept: RewardProgram
    tried: list[float]
    falls: int
    figures: dict[str, float]
    still_falls: int  # falls with the prior off (played only when the full prior falls)
    plays: int


def _search(
    robot: Robot,
    program: RewardProgram,
    policy: Any,
    seconds: float,
    seed: int,
    reward: Any,
    moved: np.ndarray,
) -> _Search:
    """The prior played at shrinking shares under ``policy`` until no copy falls (or the start cannot stand
    even without the prior)."""
    can_fall = robot.spec.floating_base and program.motion is not None
    found = _Search(program, [], COPIES, {}, 0, 0)
    for share in SCALES if can_fall else (1.0,):
        candidate = scaled(program, share)
        found.falls, found.figures = _play(
            robot, candidate, policy, seconds, seed, reward=reward, moved=moved
        )
        found.plays += 1
        found.tried.append(share)
        found.kept = candidate
        if not can_fall or found.falls <= MAX_FALLS:
            break
        if share == 1.0:
            found.still_falls, _ = _play(
                robot, scaled(program, 0.0), policy, seconds, seed, reward=reward, moved=moved
            )
            found.plays += 1
            if found.still_falls:  # no smaller prior can help a start that cannot stand by itself
                break
    return found


def rehearse(
    robot: Robot, program: RewardProgram, *, seconds: float = VIDEO_SECONDS, seed: int = 0
) -> RewardProgram:
    """``program`` rehearsed: its prior scaled down if the robot cannot stand under it, with the rehearsal
    (and its line for the card) recorded on it. Programs without a prior, or on a robot that cannot fall,
    are rehearsed as they are (the figures are still the start to beat). Where the base policy falls under
    every share of the prior, the zero action is rehearsed too, and where it stands, the approach starts
    from it (``Rehearsal.start``: training then starts from scratch, ``train/start.py``)."""
    start, policy = _starting_policy(robot, program)
    reward, moved = compile_program(program, robot.spec, np), _moved_joints(robot, program)  # for every play
    found = _search(robot, program, policy, seconds, seed, reward, moved)
    switched = ""
    if start == "base policy" and robot.spec.floating_base and found.falls > MAX_FALLS:
        # H1's base fights both arms held forward (a clap) and falls at every share, where the zero action,
        # the default pose held by the actuators with the prior on top, stands.
        zero = _search(robot, program, _zero_action(robot), seconds, seed, reward, moved)
        if zero.falls <= MAX_FALLS:
            fell_at = f"{found.falls}/{COPIES} at {found.tried[-1]:.0%} of the prior"
            switched = f" (the base policy fell, {fell_at}: training starts from scratch)"
            zero.plays += found.plays
            start, found = "zero action", zero
        else:
            found.plays += zero.plays
    tried, falls, figures, still_falls, plays, kept = (
        found.tried,
        found.falls,
        found.figures,
        found.still_falls,
        found.plays,
        found.kept,
    )
    stands = not robot.spec.floating_base or falls <= MAX_FALLS
    upright = COPIES - falls
    swing = f", prior swing {figures['prior_swing_rad']:.2f} rad" if "prior_swing_rad" in figures else ""
    if not stands:
        cause = (
            f"the {start} alone does not keep {robot.profile.name} upright ({still_falls}/{COPIES} fall "
            "without any prior)"
            if still_falls
            else f"it falls in {falls}/{COPIES} noisy starts even at {tried[-1]:.0%} of the prior"
        )
        note = f"Rehearsed with the {start}: {cause}; training starts from the full prior, unlikely to stand."
        kept = program
    elif tried[-1] < 1.0:
        note = (
            f"Rehearsed with the {start}{switched}: the prior's amplitude reduced to {tried[-1]:.0%} to stay "
            f"upright ({upright}/{COPIES}{swing})."
        )
    elif robot.spec.floating_base:
        note = f"Rehearsed with the {start}{switched}: upright {upright}/{COPIES}{swing}."
    else:
        note = f"Rehearsed with the {start}{swing or ''}."
    rehearsal = Rehearsal(
        start=start,
        copies=COPIES,
        upright=upright if robot.spec.floating_base else COPIES,
        share=tried[-1] if stands else 1.0,
        tries=len(tried),
        plays=plays,
        stands=stands,
        figures=figures,
        note=note,
    )
    return kept.model_copy(update={"rehearsal": rehearsal})  # the card shows its note (ApproachOut.rehearsal)


def rehearse_all(model_id: str, programs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Programs as stored (JSON) rehearsed on catalog model ``model_id``; one that cannot be rehearsed
    (a program the robot cannot run) is kept as it was, for validation to refuse with its own words."""
    robot = load_robot(model_id)
    out = []
    for data in programs:
        try:
            program = RewardProgram.parse(data)
            out.append(rehearse(robot, program).model_dump(mode="json"))
        except (ValueError, KeyError):
            out.append(data)
    return out
