"""The public behavior suites: does a sentence become the behavior it names, on each seed robot?

For each prompt the built-in designer's three approaches are trained and their 10 s rollouts
measured; a prompt passes when at least one approach meets the suite's check. Suite checks are
written in the success-check language (``tabrl/rewards/checks.py``) over the metrics measured
from the trajectory, independent of the check each approach carries itself (both are reported).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tabrl.design.builtin import design_approaches
from tabrl.pipeline import run_training_batch, run_training_job
from tabrl.render.metrics import metric_values
from tabrl.render.rehearsal import rehearse
from tabrl.rewards import checks
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot
from tabrl.robots.observables import observables_of

MODEL = "Go1JoystickFlatTerrain"

# A check that passes on a video which does not show the behavior is a wrong check: each one
# names the motion itself and that the robot did not fall or wander off doing it.
SUITES: dict[str, dict[str, str]] = {
    "Go1JoystickFlatTerrain": {
        "walk forward": "forward_speed >= 0.3 and falls < 1",
        "spin in place": "abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1",
        "keep shaking your hips aloha dude!": "hip_abduction_amplitude >= 0.15 and hip_abduction_frequency >= 0.5 and "
        "hip_abduction_frequency <= 4 and drift <= 0.5 and upright >= 0.9 and "
        "falls < 1",
        # Tumbling varies the height too: no falls, and every foot off the ground several times.
        "jump up and down": "base_height_std >= 0.03 and airborne_moments >= 3 and falls < 1",
        "lie down": "height_ratio <= 0.6 and upright >= 0.9 and falls < 1",
    },
    "AnymalC": {
        "walk forward": "forward_speed >= 0.3 and falls < 1",
        "spin in place": "abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1",
        "shake your hips": "hip_abduction_amplitude >= 0.1 and hip_abduction_frequency >= 0.5 and drift <= 0.5 and "
        "upright >= 0.9 and falls < 1",
        "sit": "pitch >= 0.2 and height_ratio <= 0.9 and falls < 1",
    },
    "UR5e": {
        "wave": "ee_extent >= 0.15 and ee_path_length >= 1.5",
        "draw a circle in the air": "ee_extent >= 0.15 and ee_extent2 >= 0.1 and ee_path_length >= 1.0",
        "reach up high": "ee_dz >= 0.15",
    },
    "PandaPickCube": {
        "draw a circle": "ee_extent >= 0.15 and ee_extent2 >= 0.1 and ee_path_length >= 1.0",
        "reach forward": "ee_dx >= 0.1",
        "open and close the gripper": "gripper_amplitude >= 0.01 and gripper_frequency >= 0.2",
    },
    "AllegroHand": {
        "open and close the hand": "knuckles_amplitude >= 0.3 and knuckles_frequency >= 0.2",
        "wiggle the fingers": "non_thumb_amplitude >= 0.1 and non_thumb_frequency >= 1.0",
        "point with the index finger": "middle_offset >= 0.4 and ring_offset >= 0.4 and index_offset <= 0.2",
    },
}
SUITE = SUITES[MODEL]  # the Go1 suite, as before

# The public suites beyond the seed's robots: the same everyday prompts for every body of a kind. A
# threshold written ``0.2*h`` is a fraction of the robot's standing height (its base above the floor), so
# one check fits a 0.24 m OP3 and a 1 m H1; " or " joins alternatives (either paw). A prompt a body cannot
# do (a head turn without a neck) is left out of that model's suite, as ``BODY_NEEDS`` says.
BODY_SUITES: dict[str, dict[str, str]] = {
    "humanoid": {
        # a hand raised and waved: the tip rises and sweeps, the arm's joints swing back and forth
        "wave with your left hand": "left_arm_rise >= 0.15*h and left_arm_sweep >= 0.15*h and "
        "left_arm_frequency >= 0.4 and falls < 1",
        # the hands meet (their tips within 20 % of the standing height: 19 cm on H1), again and again
        "clap your hands": "hands_gap <= 0.2*h and arms_frequency >= 0.4 and falls < 1",
        # the hips fold (the pelvis pitches) and the hands come down towards the feet
        "bend forward and touch your toes": "pitch >= 0.3 and ee_dz <= -0.15*h and falls < 1",
        "look left and right": "head_amplitude >= 0.3 and head_frequency >= 0.1 and falls < 1",
        # a fist thrust forward again and again, with either arm (a boxer's jab is one arm)
        "punch like a boxer": "left_arm_reach >= 0.1*h and arms_frequency >= 0.5 and falls < 1 or "
        "right_arm_reach >= 0.1*h and arms_frequency >= 0.5 and falls < 1",
        "dance": "arms_amplitude >= 0.15 and legs_amplitude >= 0.05 and falls < 1",
        # both arms held out level, each hand well out to its side (35 % of the standing height: 37 cm on H1) and up
        # near the shoulders (the height part added after Apollo's arms, held 45 degrees down, passed without it)
        "hold your arms out to the sides like an airplane": "left_arm_at_y >= 0.35*h and "
        "right_arm_at_y <= -0.35*h and left_arm_at_z >= 0.15*h and right_arm_at_z >= 0.15*h and falls < 1",
        # each hand across the body's midline, onto the other side
        "hug yourself": "left_arm_at_y <= 0 and right_arm_at_y >= 0 and falls < 1",
    },
    "quadruped": {
        "sit down": "pitch >= 0.2 and height_ratio <= 0.9 and falls < 1",
        "give me your paw": "front_left_leg_rise >= 0.25*h and upright >= 0.9 and falls < 1 or "
        "front_right_leg_rise >= 0.25*h and upright >= 0.9 and falls < 1",
        "walk sideways to the right": "lateral_speed <= -0.15 and falls < 1",
        # a play bow: the chest lowered, the rear up, held in place
        "stretch like a cat": "pitch >= 0.15 and drift <= 0.5 and falls < 1",
        "hop forward": "airborne_moments >= 3 and forward_speed >= 0.1 and falls < 1",
    },
    # fingertips, in the palm's frame: a curled finger's tip moves 3+ cm and stays there (shift), one that
    # goes up and down sweeps
    "hand": {
        "thumbs up": "index_shift >= 0.03 and middle_shift >= 0.03 and ring_shift >= 0.03 and thumb_shift <= 0.03",
        "pinch with thumb and index": "index_shift >= 0.02 and thumb_shift >= 0.02",
        "count to three": "index_sweep >= 0.02 and middle_sweep >= 0.02 and ring_sweep >= 0.02",
    },
    "arm": {
        "draw a square in the air": "ee_extent >= 0.15 and ee_extent2 >= 0.1 and ee_path_length >= 1.0",
        "wave goodbye": "ee_extent >= 0.15 and ee_path_length >= 1.5",
        "point to the left": "ee_dy >= 0.1",
    },
    # two arms (Aloha, no end-effector sites): their tips, either arm
    "two_arms": {
        "draw a square in the air": "left_arm_sweep >= 0.15 and left_arm_loop >= 0.1 or "
        "right_arm_sweep >= 0.15 and right_arm_loop >= 0.1",
        "wave goodbye": "left_arm_sweep >= 0.15 and all_frequency >= 0.3 or "
        "right_arm_sweep >= 0.15 and all_frequency >= 0.3",
    },
    # dm_control bodies: each its own task words
    "runner": {"run forward fast": "forward_speed >= 1.0 and falls < 1"},
    "swimmer": {"swim forward": "forward_speed >= 0.05"},
    # the chain's tip (its last link's centre) from hanging to well above the pivot: an acrobot's from 1.5 m below
    # its shoulder to 0.75 m above it, a cart-pole's from 0.5 m below its hinge to 0.25 m above it (both swing-ups
    # start hanging, the profiles' starts). The first thresholds (3.0 and 1.5 m) were written for tips at the
    # links' ends, which the tips are not: no rollout could reach them.
    # and kept up: the tip's median (where it is held) above the pivot by half the way to upright, which a pole
    # spun round and round (measured: 11-19 turns in 10 s, half its time below the hinge) does not reach
    "acrobot": {"swing up": "chain_rise >= 2.25 and chain_at_z >= 2.75"},
    "cartpole": {"swing up": "chain_rise >= 0.75 and chain_at_z >= 1.25"},
}
BODY_SUITE_MODELS: dict[str, str] = {
    **dict.fromkeys(
        ["H1InplaceGaitTracking", "G1JoystickFlatTerrain", "T1JoystickFlatTerrain", "Op3Joystick"], "humanoid"
    ),
    "ApolloJoystickFlatTerrain": "humanoid",
    **dict.fromkeys(
        ["SpotJoystickGaitTracking", "BarkourJoystick", "AnymalC", "Go1JoystickFlatTerrain"], "quadruped"
    ),
    **dict.fromkeys(["LeapCubeReorient", "AeroCubeRotateZAxis", "AllegroHand"], "hand"),
    **dict.fromkeys(["UR5e", "PandaPickCube"], "arm"),
    "AlohaHandOver": "two_arms",
    **dict.fromkeys(["WalkerRun", "CheetahRun"], "runner"),
    **dict.fromkeys(["SwimmerSwimmer6", "FishSwim"], "swimmer"),
    "AcrobotSwingup": "acrobot",
    "CartpoleSwingup": "cartpole",
}
# prompt -> the joint group a model must have for it (left out of the suite of a model without one)
BODY_NEEDS: dict[str, str] = {"look left and right": "head"}
SUITE_KINDS = ("own", "body")


def suite_for(model_id: str, kind: str = "own", spec: Any = None) -> dict[str, str]:
    """A model's suite: ``own`` (the seed robots' suites; for any other model its body suite) or ``body`` (the
    public suite of its body's kind). ``spec`` (the robot's RobotSpec) drops prompts its body cannot do."""
    if kind not in SUITE_KINDS:
        raise ValueError(f"unknown suite kind '{kind}'; allowed: {', '.join(SUITE_KINDS)}")
    if kind == "own" and model_id in SUITES:
        return SUITES[model_id]
    if model_id not in BODY_SUITE_MODELS:
        known = sorted(set(SUITES) | set(BODY_SUITE_MODELS))
        raise ValueError(f"no behavior suite for '{model_id}'; suites exist for: {', '.join(known)}")
    suite = BODY_SUITES[BODY_SUITE_MODELS[model_id]]
    if spec is None:
        return dict(suite)
    return {p: c for p, c in suite.items() if BODY_NEEDS.get(p) is None or BODY_NEEDS[p] in spec.groups}


def _scaled(check: str, spec: Any) -> str:
    """``0.2*h`` written as metres: the fraction times the robot's standing height."""
    height = float(getattr(spec, "standing_height", 0.0) or 0.0)
    return re.sub(r"([0-9.]+)\*h\b", lambda m: f"{float(m.group(1)) * height:.4g}", check)


def check_metrics(spec: Any, check: str, metrics: dict[str, Any]) -> tuple[bool, str]:
    """(passed, the measured figures) of a suite check on an approach's rollout metrics; of alternatives
    joined by " or ", the first that passes (else every one's figures)."""
    values = metric_values(metrics)
    units = {k: unit for k, (unit, _) in checks.metric_names(spec).items()}
    details = []
    for alternative in _scaled(check, spec).split(" or "):
        conditions = [checks.Condition.model_validate(c) for c in checks.parse_text(alternative)]
        v = checks.verdict(conditions, values, units)
        if v["passed"]:
            return True, v["summary"][2:]
        details.append(v["summary"][2:])
    return False, " | ".join(details)


def check_conditions(check: str, robot: Robot) -> list[checks.Condition]:
    """Every condition of a suite check, validated against the robot, its limbs included (raises CheckError on
    a metric it lacks)."""
    out = []
    for alternative in _scaled(check, robot.spec).split(" or "):
        conditions = [checks.Condition.model_validate(c) for c in checks.parse_text(alternative)]
        checks.check_conditions(conditions, robot.spec, observables_of(robot))
        out += conditions
    return out


@dataclasses.dataclass
class ApproachResult:
    prompt: str
    approach: int
    name: str
    passed: bool
    detail: str
    wall_s: float
    out_dir: str
    own_check: str = ""  # the approach's own success check and its verdict
    own_passed: bool | None = None


def run_suite(
    steps: int,
    out_root: Path,
    *,
    prompts: list[str] | None = None,
    seed: int = 0,
    model: str = MODEL,
    on_result: Callable[[ApproachResult], None] | None = None,
    from_base: bool | None = None,
    batch: bool = True,
    suite_kind: str = "own",
) -> dict[str, Any]:
    """Trains each prompt's three approaches, rehearsed as the studio rehearses them before training (their
    priors scaled where the robot falls, their start chosen), and checks them. ``batch``: as the page's Train
    All does (one physics batch, ``pipeline.run_training_batch``); else one job after another, as "Train
    This"."""
    robot = load_robot(model)
    spec = robot.spec
    suite = suite_for(model, suite_kind, spec)
    chosen = prompts or list(suite)
    for p in chosen:
        if p not in suite:
            raise ValueError(f"unknown suite prompt '{p}' for {model}; allowed: {', '.join(suite)}")
    results: list[ApproachResult] = []
    start = time.perf_counter()
    for prompt in chosen:
        programs = [rehearse(robot, p) for p in design_approaches(model, prompt)]
        outs = [
            Path(out_root) / model / prompt.replace(" ", "_").strip("!") / f"approach-{i}"
            for i in range(1, len(programs) + 1)
        ]
        t0 = time.perf_counter()
        if batch:
            trained = run_training_batch(
                model, programs, steps, outs, seeds=[seed] * len(programs), from_base=from_base
            )
        for i, (program, out) in enumerate(zip(programs, outs, strict=True), start=1):
            if batch:
                res = trained[i - 1]
                if isinstance(res, BaseException):
                    raise res
            else:
                t0 = time.perf_counter()
                res = run_training_job(model, program, steps, out, seed=seed, from_base=from_base)
            metrics: dict[str, Any] = res.metrics  # the rollout's figures (JSON)
            ok, detail = check_metrics(spec, suite[prompt], metrics)
            own = metrics.get("verdict")
            r = ApproachResult(
                prompt,
                i,
                program.name,
                ok,
                detail,
                time.perf_counter() - t0,  # batched: the batch's wall time so far
                str(out),
                own_check=own["summary"] if own else "",
                own_passed=own["passed"] if own else None,
            )
            results.append(r)
            if on_result is not None:
                on_result(r)
    by_prompt = {p: any(r.passed for r in results if r.prompt == p) for p in chosen}
    return {
        "model": model,
        "suite": suite_kind,
        "steps": steps,
        "seed": seed,
        "from_base": from_base,
        "batch": batch,
        "wall_s": time.perf_counter() - start,
        "passed": sum(by_prompt.values()),
        "prompts": len(by_prompt),
        "by_prompt": by_prompt,
        "checks": {p: suite[p] for p in chosen},
        "approaches": [dataclasses.asdict(r) for r in results],
    }
