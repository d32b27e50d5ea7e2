"""Training must beat its own start: the starting policy and the trained one measured alike, the better kept.

The start is what training began from (the base policy with the approach's motion prior and a zero residual,
or the zero action under the prior where there is no base: the rehearsal's start). Both are rolled out
deterministically for the video's length without filming (metrics only); the trained policy is kept unless

1. it falls where its start stood, or
2. it fails the approach's success check where its start passed, or
3. neither of those decides and it does not raise the mean per-step reward.

Where the start wins, the studio keeps the start's policy (video, metrics, verdict and export).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

from pydantic import JsonValue

from tabrl.render import metrics as behavior_metrics_mod
from tabrl.render import rollout as rollout_mod
from tabrl.rewards.checks import Condition
from tabrl.rewards.motion import Motion
from tabrl.robots.model import Robot
from tabrl.robots.observables import observables_of
from tabrl.sim import behavior

START: Literal["start"] = "start"
TRAINED: Literal["trained"] = "trained"


class PolicyFigures(TypedDict):
    """What the comparison reads from one policy's rollout (``api.schemas.PolicyFiguresOut``)."""

    falls: int
    passed: bool | None  # the success check's verdict; None without a check
    mean_step_reward: float


class StartVsTrained(TypedDict):
    """The comparison as the job's result, its metrics.json and its policy's metadata carry it
    (``api.schemas.StartVsTrainedOut`` validates it at the HTTP boundary)."""

    kept: Literal["start", "trained"]  # which policy the video, metrics and download are of
    start_label: str  # what training started from: "base policy", "zero action", ...
    reason: str | None  # why the start was kept; None when the trained one was
    note: str  # the card's line
    start: PolicyFigures
    trained: PolicyFigures


class MeasureCancelled(Exception):
    pass


def measure(
    robot: Robot,
    policy: rollout_mod.Policy,
    *,
    seconds: float,
    reward_fn: behavior.RewardFn,
    clock_hz: float,
    motion: Motion | None,
    success: list[Condition] | None,
    should_stop: Callable[[], bool] | None = None,
) -> PolicyFigures:
    """The figures a video of ``policy`` would show (the same deterministic rollout), without filming it."""

    def on_step(step: int, _data: Any) -> None:
        if step % 25 == 0 and should_stop is not None and should_stop():
            raise MeasureCancelled()

    traj = rollout_mod.rollout(
        robot, policy, seconds, reward_fn=reward_fn, on_control_step=on_step, clock_hz=clock_hz, motion=motion
    )
    metrics = behavior_metrics_mod.behavior_metrics(robot, traj)
    metrics["verdict"] = behavior_metrics_mod.evaluate_success(
        robot.spec, metrics, success, observables_of(robot)
    )
    return figures(metrics)


def figures(metrics: Mapping[str, Any]) -> PolicyFigures:
    """What the comparison reads from a rollout's metrics: falls, the success check, mean per-step reward."""
    verdict = metrics.get("verdict")
    return {
        "falls": int(metrics["falls"]),
        "passed": bool(verdict["passed"]) if verdict else None,
        "mean_step_reward": float(metrics["mean_reward"]),
    }


def _start_wins(start: PolicyFigures, trained: PolicyFigures) -> str | None:
    """Why the start is kept (the card's words), or None when the trained policy is."""
    start_fell, trained_fell = start["falls"] > 0, trained["falls"] > 0
    if trained_fell != start_fell:
        return "training fell (start stood)" if trained_fell else None
    if start["passed"] is not None and start["passed"] != trained["passed"]:
        return "training failed the success check (start passed)" if start["passed"] else None
    # Anything but a finite rise (NaN included) keeps the start, which training began from.
    before, after = start["mean_step_reward"], trained["mean_step_reward"]
    if math.isfinite(after) and after > before:
        return None
    verb = "lowered" if after < before else "did not raise"
    return f"training {verb} the reward {before:.2f} → {after:.2f}"


def _trained_wins(start: PolicyFigures, trained: PolicyFigures) -> str:
    """What made the trained policy better (``_start_wins`` found no reason to keep the start): its reward
    may have fallen where it stood or passed and the start did not, so the card says which."""
    if start["falls"] > 0 and trained["falls"] == 0:
        return "it stood where the start fell"
    if start["passed"] is False and trained["passed"]:
        return "it passed the success check, the start did not"
    return "it raised the reward"


def choose(start: PolicyFigures, trained: PolicyFigures, start_label: str) -> StartVsTrained:
    """The comparison of the start's and the trained policy's figures (``measure``), as the job's result and
    the card carry it (``start_label``: e.g. "base policy")."""
    why = _start_wins(start, trained)
    kept: Literal["start", "trained"]
    rewards = f"{start['mean_step_reward']:.2f} → {trained['mean_step_reward']:.2f}"
    if why is not None:
        kept, note = START, f"Kept the starting policy ({start_label}): {why}."
    else:
        because = _trained_wins(start, trained)
        kept, note = (
            TRAINED,
            f"Training beat its start ({start_label}): {because}; mean reward per step {rewards}.",
        )
    return {
        "kept": kept,
        "start_label": start_label,
        "reason": why,
        "note": note,
        "start": start,
        "trained": trained,
    }


def as_json(comparison: StartVsTrained) -> dict[str, JsonValue]:
    """The comparison as JSON data (the "done" event's metrics): the same keys and values."""

    def policy(f: PolicyFigures) -> dict[str, JsonValue]:
        return {"falls": f["falls"], "passed": f["passed"], "mean_step_reward": f["mean_step_reward"]}

    c = comparison
    return {
        "kept": c["kept"],
        "start_label": c["start_label"],
        "reason": c["reason"],
        "note": c["note"],
        "start": policy(c["start"]),
        "trained": policy(c["trained"]),
    }
