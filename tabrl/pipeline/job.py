"""One job, end to end: a RewardProgram on a catalog robot → trained policy → video and metrics.

A program is validated, compiled and smoke-tested before any training starts; cancellation between
iterations (or render steps) raises ``Cancelled`` and leaves no half-written artifact. Events are made
here as ``tabrl.run_events`` models. ``_Approach`` and ``_finish`` are shared with a batch of them
(``tabrl/pipeline/batch.py``): one program's state, and its result built once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np
from pydantic import JsonValue

from tabrl.export import onnx as onnx_export
from tabrl.pipeline.film import EventFn, RunResult, StopFn, film, never, noop_event, policy_of
from tabrl.render import beat_start
from tabrl.rewards.compiler import MAX_REWARD, CompiledReward
from tabrl.rewards.program import RewardProgram
from tabrl.rewards.validate import check_program
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot
from tabrl.run_events import (
    Checkpoint,
    CheckpointData,
    Progress,
    ProgressData,
    Rendering,
    RenderingData,
    Started,
    StartedData,
)
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import batch, checkpoint, curves, ppo
from tabrl.train.checkpoint import TrainingFacts, load_policy
from tabrl.train.ppo import Cancelled, Params, PPOConfig
from tabrl.train.start import Start, start_params, starting_point


def choose_backend(backend: str) -> str:
    """``auto`` trains on MJX when JAX sees a GPU, else on the native CPU engine."""
    if backend not in ("auto", "native", "mjx"):
        raise ValueError(f"unknown backend '{backend}'; allowed: auto, native, mjx")
    if backend == "auto":
        return "mjx" if jax.default_backend() == "gpu" else "native"
    return backend


def prepare(
    model_id: str, program: RewardProgram | Mapping[str, JsonValue], robot: Robot | None = None
) -> tuple[Robot, RewardProgram, CompiledReward]:
    """Validates, compiles and smoke-tests a program for a robot (raises before any training)."""
    program = program if isinstance(program, RewardProgram) else RewardProgram.parse(dict(program))
    robot = robot or load_robot(model_id)
    # The one check path (compile for this robot, smoke test); the job trains on the reward it compiled.
    checked = check_program(program, robot)
    return robot, checked.program, checked.reward


def _ppo_config_for(steps: int, category: str = "classic") -> PPOConfig:
    return ppo.ppo_config_for(steps, category)


@dataclass
class _Approach:
    """One program being trained (alone, or as one approach of a batch): what it starts from, where it
    reports and writes, and its learning curve."""

    program: RewardProgram
    compiled: CompiledReward
    start: Start
    seed: int
    out_dir: Path
    on_event: EventFn
    should_stop: StopFn
    curve: curves.Curve = field(init=False)

    def __post_init__(self) -> None:
        self.curve = curves.Curve(labels=self.compiled.labels)

    def env(self, robot: Robot, cfg: PPOConfig, nthread: int | None = None) -> NativeBatchEnv:
        clock_hz = behavior.program_clock_hz(self.program)
        return NativeBatchEnv(
            robot,
            self.compiled,
            cfg.num_envs,
            seed=self.seed,
            nthread=nthread,
            clock_hz=clock_hz,
            motion=self.program.motion,
        )

    def report(self, p: ppo.Progress) -> None:
        """One training iteration: a row of the curve and a progress event."""
        self.curve.add(p)
        data = ProgressData(
            steps=p.steps,
            total_steps=p.total_steps,
            fraction=p.steps / p.total_steps,
            mean_reward=p.mean_episode_reward,  # None until a whole episode has ended
            mean_step_reward=p.mean_step_reward,
            episodes=p.episodes,
            terms=dict(p.term_shares),
            term_labels=self.compiled.labels,
            steps_per_s=p.steps_per_s,
            eta_s=p.eta_s,
        )
        clipped = self.compiled.clipped or p.reward_clipped
        if clipped:  # the run-time guard clipped values beyond ±MAX_REWARD (or NaN) rather than train on them
            data.reward_clipped = dict(clipped)
            data.reward_warning = clipped_warning(clipped)
        self.on_event(Progress(data=data))


def clipped_warning(clipped: Mapping[str, float]) -> str:
    """What a progress event says when the run-time guard clipped reward values: each term and how often."""
    return f"reward values beyond ±{MAX_REWARD:g} or not finite were clipped: " + ", ".join(
        f"{k} ×{n:g}" for k, n in clipped.items()
    )


def run_training_job(
    model_id: str,
    program: RewardProgram | Mapping[str, JsonValue],
    steps: int,
    out_dir: Path,
    *,
    seed: int = 0,
    backend: str = "auto",
    init_checkpoint: Path | None = None,
    from_base: bool | None = None,
    render_seconds: float = 10.0,
    on_event: EventFn = noop_event,
    should_stop: StopFn = never,
    model_store_dir: Path | None = None,
    ppo_overrides: Mapping[str, object] | None = None,
) -> RunResult:
    """Trains ``program`` on ``model_id`` and renders it (the trained policy, or its start where training
    did not beat it: ``tabrl/render/beat_start.py``).

    ``ppo_overrides``: PPO settings over the budget's (``PPOConfig`` fields; for experiments and tests).
    ``model_store_dir``: the shared store the policy's MuJoCo model goes to (the studio's ``models/``;
    ``tabrl/export/model_store.py``); None: into the policy folder itself. Starts from ``init_checkpoint``
    when given, else from the robot's packaged base policy when ``from_base`` (None: the robot category's
    default, ``base.FROM_BASE_DEFAULT``) and the layout matches; a missing or unusable base is noted in
    the events and training starts from scratch.
    """
    robot, program, compiled = prepare(model_id, program)
    backend = choose_backend(backend)
    cfg = _with_overrides(_ppo_config_for(steps, robot.spec.category), ppo_overrides or {})
    begun = starting_point(robot, program, cfg, init_checkpoint, from_base)
    a = _Approach(program, compiled, begun, seed, Path(out_dir), on_event, should_stop)
    t0 = time.perf_counter()
    on_event(Started(data=StartedData(backend=backend, total_steps=steps, init=begun.note)))
    params, trained_steps, final = _train(robot, cfg, a, steps, backend)
    train_wall = time.perf_counter() - t0
    if should_stop():
        raise Cancelled()
    checkpoint_name = str(init_checkpoint) if init_checkpoint else None
    facts = TrainingFacts(backend, trained_steps, seed, train_wall, final, checkpoint_name, begun.note)
    return _finish(robot, cfg, a, params, facts, render_seconds, model_store_dir, t0)


def _train(
    robot: Robot, cfg: PPOConfig, a: _Approach, steps: int, backend: str
) -> tuple[Params, int, ppo.FinalMetrics]:
    """One program trained on ``backend``: its parameters, the steps trained and the last figures."""
    if backend == "native":
        params, progress = batch.train(
            a.env(robot, cfg, nthread=1),  # the batch of one's rollout runs the threads
            steps,
            cfg,
            seed=a.seed,
            init_params=a.start.params,
            on_progress=a.report,
            should_stop=a.should_stop,
            critic_warmup_iters=a.start.critic_warmup,
        )
        return params, progress.steps, ppo.final_metrics(progress)
    from tabrl.train.mjx_ppo import train_mjx  # Brax's trainer and MJX: only on this backend

    params, final = train_mjx(
        robot,
        a.program,
        steps,
        cfg,
        seed=a.seed,
        init_params=a.start.params,
        on_progress=a.report,
        should_stop=a.should_stop,
    )
    return params, final["steps"], final


def _with_overrides(cfg: PPOConfig, overrides: Mapping[str, object]) -> PPOConfig:
    allowed = [f.name for f in dataclasses.fields(PPOConfig)]
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"unknown PPO setting(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    return dataclasses.replace(cfg, **overrides)  # type: ignore[arg-type]  # names checked above


def _finish(
    robot: Robot,
    cfg: PPOConfig,
    a: _Approach,
    params: Params,
    facts: TrainingFacts,
    seconds: float,
    model_store_dir: Path | None,
    t0: float,
    batch_size: int | None = None,
) -> RunResult:
    """Keeps the better of the trained policy and its start, writes it (with its export) and films it
    from the parameters in memory: the job's result."""
    a.on_event(Rendering(data=RenderingData(fraction=0.0)))
    start = start_params(robot, cfg, a.start, a.seed)
    comparison = _compare_with_start(robot, a, cfg, params, (start, a.start.label), seconds)
    kept = start if comparison["kept"] == beat_start.START else params
    meta = checkpoint.policy_metadata(robot, a.program, cfg, facts, comparison)
    # Every policy leaves the studio runnable without Brax: ONNX graph + sidecar + MuJoCo model.
    policy_dir = checkpoint.save(
        a.out_dir / "policy",
        kept,
        meta,
        write_extra=lambda tmp: onnx_export.write_export(tmp, robot, kept, meta, model_store_dir),
    )
    a.on_event(Checkpoint(data=CheckpointData(path=str(policy_dir))))
    filmed = film(
        robot,
        a.program,
        policy_of(robot, kept),
        policy_dir,
        a.out_dir,
        seconds=seconds,
        clock_hz=behavior.program_clock_hz(a.program),
        reward_fn=a.compiled,
        on_event=a.on_event,
        should_stop=a.should_stop,
    )
    return dataclasses.replace(
        filmed,
        start_vs_trained=comparison,
        curves=a.curve.write(a.out_dir),
        curve_summary=a.curve.summary(),
        train_wall_s=facts.wall_time_s,
        wall_s=time.perf_counter() - t0,
        backend=facts.backend,
        steps=facts.steps,
        init=facts.init,
        batch=batch_size,
    )


def _compare_with_start(
    robot: Robot, a: _Approach, cfg: PPOConfig, params: Params, start: tuple[Params, str], seconds: float
) -> beat_start.StartVsTrained:
    """The start and the trained policy rolled out as the video would be, without filming (beat_start)."""
    obs_size = behavior.observation_size(robot)
    act = ppo.make_deterministic_policy(
        ppo.make_networks(obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    )

    def measured(p: Params) -> beat_start.PolicyFigures:
        return beat_start.measure(
            robot,
            lambda obs: np.asarray(act(p, obs)),
            seconds=seconds,
            reward_fn=a.compiled,
            clock_hz=behavior.program_clock_hz(a.program),
            motion=a.program.motion,
            success=a.program.success,
            should_stop=a.should_stop,
        )

    try:
        return beat_start.choose(measured(start[0]), measured(params), start[1])
    except beat_start.MeasureCancelled:
        raise Cancelled() from None


def run_render_job(
    checkpoint_dir: Path,
    out_dir: Path,
    *,
    seconds: float = 10.0,
    on_event: EventFn = noop_event,
    should_stop: StopFn = never,
) -> RunResult:
    """A new video of a trained policy (its folder ``checkpoint_dir``), into ``out_dir``."""
    meta = checkpoint.load_metadata(checkpoint_dir)
    robot, program, compiled = prepare(meta["model_id"], meta["program"])  # with its motion prior
    policy, meta = load_policy(Path(checkpoint_dir))
    result = film(
        robot,
        program,
        policy,
        Path(checkpoint_dir),
        Path(out_dir),
        seconds=seconds,
        clock_hz=meta["clock_hz"],
        reward_fn=compiled,
        on_event=on_event,
        should_stop=should_stop,
    )
    # A new video of a kept start is still the start.
    return dataclasses.replace(result, start_vs_trained=meta.get("start_vs_trained") or None)
