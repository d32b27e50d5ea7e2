"""A policy filmed: its video, poster, contact sheet, trajectory and metrics as a job's result, for a
trained policy (from the parameters in memory) and for a render job (from its checkpoint)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np
from pydantic import JsonValue

from tabrl.render import beat_start
from tabrl.render.artifacts import RenderCancelled, render_policy
from tabrl.rewards.compiler import CompiledReward
from tabrl.rewards.program import RewardProgram
from tabrl.robots.model import Robot
from tabrl.run_events import JobEvent, Rendering, RenderingData
from tabrl.sim import behavior
from tabrl.train import checkpoint, ppo, residual
from tabrl.train.ppo import Cancelled, Params

EventFn = Callable[[JobEvent], None]
StopFn = Callable[[], bool]
Policy = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class RunResult:
    """What a finished job leaves: its files, the video's rollout figures and (training jobs) how it trained."""

    video: Path
    poster: Path
    sheet: Path | None  # ten frames in one image (None: too short a video for one)
    trajectory: Path
    metrics: dict[str, JsonValue]  # the rollout's figures and the success check's verdict (metrics.json)
    checkpoint: Path  # the policy folder filmed (a render job's is its source job's)
    # The kept policy, trained or its start, and why:
    start_vs_trained: beat_start.StartVsTrained | None = None
    # Training jobs only:
    curves: Path | None = None  # the learning curve (curves.csv)
    curve_summary: str | None = None
    train_wall_s: float | None = None
    wall_s: float | None = None
    backend: str | None = None
    steps: int | None = None  # environment steps trained
    init: str | None = None  # where training started (the "started" event's note)
    batch: int | None = None  # trained in one batch with this many approaches


def noop_event(event: JobEvent) -> None:
    pass


def never() -> bool:
    return False


def policy_of(robot: Robot, params: Params) -> Policy:
    """The deterministic policy a checkpoint of ``params`` holds (folded, as numpy, on networks of the
    saved widths), without reading the checkpoint back: the video films exactly what was saved."""
    folded = jax.tree_util.tree_map(np.asarray, residual.fold(params))
    widths = checkpoint.network_of(folded)
    obs_size = behavior.observation_size(robot)
    networks = ppo.make_networks(obs_size, robot.action_size, widths["policy_hidden"], widths["value_hidden"])
    act = ppo.make_deterministic_policy(networks)
    return lambda obs: np.asarray(act(folded, obs))


def film(
    robot: Robot,
    program: RewardProgram,
    policy: Policy,
    policy_dir: Path,
    out_dir: Path,
    *,
    seconds: float,
    clock_hz: float,
    reward_fn: CompiledReward,
    on_event: EventFn,
    should_stop: StopFn,
) -> RunResult:
    """Films ``policy`` (the one in ``policy_dir``): its video, poster, contact sheet, trajectory and
    metrics, into ``out_dir``."""
    on_event(Rendering(data=RenderingData(fraction=0.0)))
    try:
        files = render_policy(
            robot,
            policy,
            out_dir,
            seconds=seconds,
            reward_fn=reward_fn,
            clock_hz=clock_hz,
            motion=program.motion,
            success=program.success,
            terms=program.terms,
            on_progress=lambda f: on_event(Rendering(data=RenderingData(fraction=f))),
            should_stop=should_stop,
        )
    except RenderCancelled:
        raise Cancelled() from None
    return RunResult(
        video=Path(files["video"]),
        poster=Path(files["poster"]),
        sheet=Path(files["sheet"]) if files["sheet"] else None,
        trajectory=Path(files["trajectory"]),
        metrics=files["metrics"],
        checkpoint=policy_dir,
    )
