"""One job, end to end: a RewardProgram on a catalog robot → trained policy → video and metrics.

This is what the CLI's ``tabrl train`` and the studio's worker processes call: the one layer that
combines training (``tabrl.train``), filming (``tabrl.render``) and the ONNX export
(``tabrl.export``), above all three (docs/architecture.md, "Layers"). A program is
validated, compiled and smoke-tested before any training starts; cancellation between
iterations (or render steps) raises ``Cancelled`` and leaves no half-written artifact.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import numpy as np
from pydantic import JsonValue

from tabrl.export import onnx as onnx_export
from tabrl.render import beat_start
from tabrl.render.artifacts import RenderCancelled, render_policy
from tabrl.render.film import film_threads
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import RewardProgram
from tabrl.rewards.validate import validate_program
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot
from tabrl.run_events import (
    Checkpoint,
    CheckpointData,
    JobEvent,
    Progress,
    ProgressData,
    Rendering,
    RenderingData,
    Started,
    StartedData,
)
from tabrl.sim import behavior
from tabrl.train import base, checkpoint, curves, ppo
from tabrl.train.checkpoint import load_params, load_policy
from tabrl.train.ppo import Cancelled, PPOConfig

__all__ = [
    "Cancelled",
    "RunResult",
    "run_training_job",
    "run_training_batch",
    "run_render_job",
    "load_params",
    "load_policy",
    "choose_backend",
]

EventFn = Callable[[JobEvent], None]
StopFn = Callable[[], bool]


@dataclass(frozen=True)
class RunResult:
    """What a finished job leaves: its files, the video's rollout figures and (training jobs) how it trained."""

    video: Path
    poster: Path
    sheet: Path | None  # ten frames in one image (None: too short a video for one)
    trajectory: Path
    metrics: dict[str, JsonValue]  # the rollout's figures and the success check's verdict (metrics.json)
    checkpoint: Path  # the policy folder filmed (a render job's is its source job's)
    start_vs_trained: dict[str, JsonValue] | None = None  # the kept policy, trained or its start, and why
    # Training jobs only:
    curves: Path | None = None  # the learning curve (curves.csv)
    curve_summary: str | None = None
    train_wall_s: float | None = None
    wall_s: float | None = None
    backend: str | None = None
    steps: int | None = None  # environment steps trained
    init: str | None = None  # where training started (the "started" event's note)
    batch: int | None = None  # trained in one batch with this many approaches


def _noop_event(event: JobEvent) -> None:
    pass


def _never() -> bool:
    return False


def choose_backend(backend: str) -> str:
    """``auto`` trains on MJX when JAX sees a GPU, else on the native CPU engine."""
    if backend not in ("auto", "native", "mjx"):
        raise ValueError(f"unknown backend '{backend}'; allowed: auto, native, mjx")
    if backend == "auto":
        return "mjx" if jax.default_backend() == "gpu" else "native"
    return backend


def prepare(model_id: str, program: RewardProgram | dict) -> tuple[Robot, RewardProgram, Any]:
    """Validates, compiles and smoke-tests a program for a robot (raises before any training)."""
    program = program if isinstance(program, RewardProgram) else RewardProgram.parse(program)
    robot = load_robot(model_id)
    program = validate_program(program, robot)  # the one check path: compile for this robot, smoke test
    return robot, program, compile_program(program, robot.spec, np)


def _ppo_config_for(steps: int, category: str = "classic") -> PPOConfig:
    return ppo.ppo_config_for(steps, category)


def run_training_job(
    model_id: str,
    program: RewardProgram | dict,
    steps: int,
    out_dir: Path,
    *,
    seed: int = 0,
    backend: str = "auto",
    init_checkpoint: Path | None = None,
    from_base: bool | None = None,
    render_seconds: float = 10.0,
    on_event: EventFn = _noop_event,
    should_stop: StopFn = _never,
    model_store_dir: Path | None = None,
    ppo_overrides: dict[str, Any] | None = None,
) -> RunResult:
    """Trains ``program`` on ``model_id`` and renders it (the trained policy, or its start where training
    did not beat it: ``tabrl/render/beat_start.py``).

    ``ppo_overrides``: PPO settings over the budget's (``PPOConfig`` fields; for experiments and tests).

    ``model_store_dir``: the shared store the policy's MuJoCo model goes to (the studio's
    ``models/``; ``tabrl/export/model_store.py``); None: into the policy folder itself.

    Starts from ``init_checkpoint`` when given, else from the robot's packaged base policy when
    ``from_base`` (None: the robot category's default, ``base.FROM_BASE_DEFAULT``) and the layout
    matches; a missing or unusable base is noted in the events and training starts from scratch.
    """
    out_dir = Path(out_dir)
    robot, program, compiled = prepare(model_id, program)
    backend = choose_backend(backend)
    cfg = _with_overrides(_ppo_config_for(steps, robot.spec.category), ppo_overrides or {})
    init_params, init_note, warmup = _starting_point(robot, program, cfg, init_checkpoint, from_base)

    start = time.perf_counter()
    on_event(Started(data=StartedData(backend=backend, total_steps=steps, init=init_note)))
    curve = curves.Curve(labels=compiled.labels)
    on_progress = _progress_reporter(curve, compiled, on_event)

    if backend == "native":
        from tabrl.sim.native import NativeBatchEnv

        env = NativeBatchEnv(
            robot,
            compiled,
            cfg.num_envs,
            seed=seed,
            clock_hz=behavior.program_clock_hz(program),
            motion=program.motion,
        )
        params, progress = ppo.train(
            env,
            steps,
            cfg,
            seed=seed,
            init_params=init_params,
            on_progress=on_progress,
            should_stop=should_stop,
            critic_warmup_iters=warmup,
        )
        trained_steps, final = progress.steps, _final_metrics(progress)
    else:
        from tabrl.train.mjx_ppo import train_mjx

        params, final = train_mjx(
            robot,
            program,
            steps,
            cfg,
            seed=seed,
            init_params=init_params,
            on_progress=on_progress,
            should_stop=should_stop,
        )
        trained_steps = final["steps"]
    train_wall = time.perf_counter() - start
    if should_stop():
        raise Cancelled()
    result = _save_and_render(
        robot,
        program,
        compiled,
        cfg,
        params,
        out_dir,
        start=_start_policy(robot, cfg, init_params, init_checkpoint, seed),
        meta=dict(
            backend=backend,
            steps=trained_steps,
            seed=seed,
            wall_time_s=train_wall,
            final_metrics=final,
            init_checkpoint=str(init_checkpoint) if init_checkpoint else None,
            init=init_note,
        ),
        render_seconds=render_seconds,
        on_event=on_event,
        model_store_dir=model_store_dir,
        should_stop=should_stop,
    )
    return dataclasses.replace(
        result,
        curves=curve.write(out_dir),
        curve_summary=curve.summary(),
        train_wall_s=train_wall,
        wall_s=time.perf_counter() - start,
        backend=backend,
        steps=trained_steps,
        init=init_note,
    )


def _with_overrides(cfg: PPOConfig, overrides: dict[str, Any]) -> PPOConfig:
    allowed = [f.name for f in dataclasses.fields(PPOConfig)]
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"unknown PPO setting(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    return dataclasses.replace(cfg, **overrides)


def _starting_point(
    robot: Robot, program: RewardProgram, cfg: PPOConfig, init_checkpoint: Path | None, from_base: bool | None
) -> tuple[Any, str, int]:
    """(initial params or None, what the job's "started" event says about them, critic warm-up iterations)."""
    if init_checkpoint is None and base.wants_base(robot, from_base):
        try:
            init_params, init_note = base.init_from_base(robot, program.motion, cfg)
        except base.BaseError as e:  # never blocks training: say why, and train from scratch
            init_params, init_note = None, f"{e}; training from scratch"
        return init_params, init_note, base.CRITIC_WARMUP_ITERS if init_params is not None else 0
    if init_checkpoint is None:
        return None, "from scratch", 0
    meta = checkpoint.load_metadata(init_checkpoint)
    obs_size = behavior.observation_size(robot)
    if (
        meta["model_id"] != robot.model_id
        or meta["observation_size"] != obs_size
        or meta["action_size"] != robot.action_size
    ):
        raise checkpoint.CheckpointError(
            f"checkpoint {init_checkpoint} is for {meta['model_id']} (obs {meta['observation_size']}, "
            f"act {meta['action_size']}); cannot fine-tune {robot.model_id} (obs {obs_size}, act {robot.action_size})"
        )
    networks = ppo.make_networks(obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    template = ppo.init_state(networks, obs_size, cfg, jax.random.PRNGKey(0))
    init_params, _ = checkpoint.load(
        init_checkpoint, (template.normalizer, template.params.policy, template.params.value)
    )
    return init_params, f"fine-tuned from {init_checkpoint}", 0


def _start_policy(
    robot: Robot, cfg: PPOConfig, init_params: Any, init_checkpoint: Path | None, seed: int
) -> tuple[Any, str]:
    """(params, label) of the policy training started from: what the trained one must beat (beat_start)."""
    if init_params is not None:
        return init_params, "fine-tuned checkpoint" if init_checkpoint is not None else "base policy"
    return _zero_action_params(robot, cfg, seed), "zero action"


def _zero_action_params(robot: Robot, cfg: PPOConfig, seed: int) -> Any:
    """The zero action as a policy in the studio's one format: fresh networks whose last layer's mean is
    zero, so the deterministic action is tanh(0) = 0 whatever the observation. The export and ``tabrl
    render`` run it like any trained policy (it is what a from-scratch start is kept as)."""
    obs_size = behavior.observation_size(robot)
    networks = ppo.make_networks(obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    state = ppo.init_state(networks, obs_size, cfg, jax.random.PRNGKey(seed))
    policy = jax.device_get(state.params.policy)
    layers = dict(policy["params"])
    last = max(layers, key=lambda k: int(k.rsplit("_", 1)[-1]))  # Brax's MLP: hidden_0 ... hidden_N
    kernel, bias = np.array(layers[last]["kernel"]), np.array(layers[last]["bias"])
    kernel[:, : robot.action_size] = 0.0  # the mean; the second half (the noise scale) stays
    bias[: robot.action_size] = 0.0
    layers[last] = {**layers[last], "kernel": kernel, "bias": bias}
    return state.normalizer, {**policy, "params": layers}, jax.device_get(state.params.value)


def _compare_with_start(
    robot: Robot,
    program: RewardProgram,
    compiled,
    cfg: PPOConfig,
    params,
    start: tuple[Any, str],
    seconds: float,
    should_stop: StopFn,
) -> dict[str, Any]:
    """The start and the trained policy rolled out as the video would be, without filming (beat_start)."""
    obs_size = behavior.observation_size(robot)
    act = ppo.make_deterministic_policy(
        ppo.make_networks(obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    )

    def measured(p: Any) -> dict[str, Any]:
        return beat_start.measure(
            robot,
            lambda obs: np.asarray(act(p, obs)),
            seconds=seconds,
            reward_fn=compiled,
            clock_hz=behavior.program_clock_hz(program),
            motion=program.motion,
            success=program.success,
            should_stop=should_stop,
        )

    try:
        return beat_start.choose(measured(start[0]), measured(params), start[1])
    except beat_start.MeasureCancelled:
        raise Cancelled() from None


def _progress_reporter(curve: curves.Curve, compiled, on_event: EventFn) -> Callable[[ppo.Progress], None]:
    def on_progress(p: ppo.Progress) -> None:
        curve.add(p)
        data = ProgressData(
            steps=p.steps,
            total_steps=p.total_steps,
            fraction=p.steps / p.total_steps,
            mean_reward=p.mean_episode_reward,  # None until a whole episode has ended
            mean_step_reward=p.mean_step_reward,
            episodes=p.episodes,
            terms=dict(p.term_shares),
            term_labels=compiled.labels,
            steps_per_s=p.steps_per_s,
            eta_s=p.eta_s,
        )
        _report_clipped(data, compiled.clipped or p.reward_clipped)
        on_event(Progress(data=data))

    return on_progress


def _final_metrics(progress: ppo.Progress) -> dict[str, Any]:
    return {
        "mean_episode_reward": progress.mean_episode_reward,
        "steps_per_s": progress.steps_per_s,
        "term_shares": progress.term_shares,
    }


def _save_and_render(
    robot: Robot,
    program: RewardProgram,
    compiled,
    cfg: PPOConfig,
    params,
    out_dir: Path,
    *,
    start: tuple[Any, str],
    meta: dict[str, Any],
    render_seconds: float,
    on_event: EventFn,
    should_stop: StopFn,
    model_store_dir: Path | None = None,
) -> RunResult:
    """Keeps the better of the trained policy and its ``start`` (params, label), writes it (with its export)
    and films it; ``meta``: backend, steps, seed, wall time, init."""
    on_event(Rendering(data=RenderingData(fraction=0.0)))
    comparison = _compare_with_start(
        robot, program, compiled, cfg, params, start, render_seconds, should_stop
    )
    kept = start[0] if comparison["kept"] == beat_start.START else params
    meta = {
        "model_id": robot.model_id,
        "program": program.model_dump(),
        "observation_size": behavior.observation_size(robot),
        "action_size": robot.action_size,
        "observation_spec": [
            "gravity(3)",
            "base_ang_vel(3)",
            f"q_rel({robot.spec.n_joints})",
            f"qd({robot.spec.n_joints})",
            f"action({robot.action_size})",
            "phase(2)",
        ],
        "network": cfg.network_kwargs(),
        "clock_hz": behavior.program_clock_hz(program),
        # The policy acts as a residual around this prior: a render without it would show another behavior.
        "motion": program.motion.model_dump() if program.motion is not None else None,
        **meta,
        # Which policy this folder holds (the trained one or its start) and why: the job's card says so.
        "start_vs_trained": comparison,
    }
    # Every policy leaves the studio runnable without Brax: ONNX graph + sidecar + MuJoCo model.
    policy_dir = checkpoint.save(
        out_dir / "policy",
        kept,
        meta,
        write_extra=lambda tmp: onnx_export.write_export(tmp, robot, kept, meta, model_store_dir),
    )
    on_event(Checkpoint(data=CheckpointData(path=str(policy_dir))))
    result = _render(robot, program, policy_dir, out_dir, render_seconds, compiled, on_event, should_stop)
    return dataclasses.replace(result, start_vs_trained=comparison)


def _settled(outcomes: list[RunResult | BaseException | None]) -> list[RunResult | BaseException]:
    done = [o for o in outcomes if o is not None]
    assert len(done) == len(outcomes), "every approach of a batch ends with a result or an error"
    return done


_film_pools: dict[int, ThreadPoolExecutor] = {}
_film_pools_lock = threading.Lock()


def _film_pool(threads: int) -> ThreadPoolExecutor:
    """Filming threads kept for the process's life: each keeps its renderers (video.shared_renderer)
    for the next batch, as a warm worker's main thread does."""
    with _film_pools_lock:
        pool = _film_pools.get(threads)
        if pool is None:
            pool = _film_pools[threads] = ThreadPoolExecutor(threads, thread_name_prefix="tabrl-film")
        return pool


def _one_at_a_time(lock: threading.RLock, fn: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any) -> Any:
        with lock:
            return fn(*args)

    return locked


def run_training_batch(
    model_id: str,
    programs: Sequence[RewardProgram | dict],
    steps: int,
    out_dirs: list[Path],
    *,
    seeds: list[int] | None = None,
    backend: str = "auto",
    from_base: bool | None = None,
    render_seconds: float = 10.0,
    on_event: Callable[[int, JobEvent], None] | None = None,
    should_stop: Callable[[int], bool] | None = None,
    on_outcome: Callable[[int, RunResult | BaseException], None] | None = None,
    model_store_dir: Path | None = None,
) -> list[RunResult | BaseException]:
    """Trains several programs on one robot as one batch (``tabrl/train/batch.py``), then films each.

    Approach k reports through ``on_event(k, event)`` (the same events as ``run_training_job``) and
    stops on its own when ``should_stop(k)``. ``on_outcome(k, result)`` is called as soon as k's
    outcome is known: its result, ``Cancelled`` (at once when it is stopped, while the others go on)
    or the error it failed with (an invalid program fails only its own approach). The outcomes are
    also returned, in order. Off the native backend (MJX on a GPU) the programs train one by one.
    """
    from tabrl.sim.native import NativeBatchEnv
    from tabrl.train import batch

    K = len(programs)
    seeds = list(seeds) if seeds is not None else [0] * K
    # The videos may be filmed in threads (film_threads): the callers' callbacks are called one at a time.
    guard = threading.RLock()
    on_event = _one_at_a_time(guard, on_event or (lambda _k, _e: None))
    should_stop = _one_at_a_time(guard, should_stop or (lambda _k: False))
    on_outcome = on_outcome or (lambda _k, _r: None)
    outcomes: list[RunResult | BaseException | None] = [None] * K

    def settle(k: int, outcome: RunResult | BaseException) -> None:
        with guard:
            if outcomes[k] is None:
                outcomes[k] = outcome
                on_outcome(k, outcome)

    def poll(but: int | None = None) -> None:
        """Settles every approach stopped meanwhile (but ``but``, whose own loop notices)."""
        with guard:
            for k in range(K):
                if k != but and outcomes[k] is None and should_stop(k):
                    settle(k, Cancelled())

    if choose_backend(backend) != "native":
        for k in range(K):
            if outcomes[k] is None:
                try:
                    settle(
                        k,
                        run_training_job(
                            model_id,
                            programs[k],
                            steps,
                            out_dirs[k],
                            seed=seeds[k],
                            backend=backend,
                            from_base=from_base,
                            render_seconds=render_seconds,
                            on_event=functools.partial(on_event, k),
                            should_stop=functools.partial(should_stop, k),
                            model_store_dir=model_store_dir,
                        ),
                    )
                except Exception as exc:
                    settle(k, exc)
            poll()
        return _settled(outcomes)

    robot = load_robot(model_id)
    cfg = _ppo_config_for(steps, robot.spec.category)
    slices = []  # (k, program, compiled, init params, note, warm-up)
    for k, raw in enumerate(programs):
        try:
            program = raw if isinstance(raw, RewardProgram) else RewardProgram.parse(raw)
            program = validate_program(program, robot)
            compiled = compile_program(program, robot.spec, np)
            slices.append((k, program, compiled, *_starting_point(robot, program, cfg, None, from_base)))
        except Exception as exc:
            settle(k, exc)
    start = time.perf_counter()
    curve = {k: curves.Curve(labels=compiled.labels) for k, _, compiled, *_ in slices}
    reporters = {}
    for k, _, compiled, _, note, _ in slices:
        on_event(k, Started(data=StartedData(backend="native", total_steps=steps, init=note, batch=K)))
        reporters[k] = _progress_reporter(curve[k], compiled, functools.partial(on_event, k))
    ks = [k for k, *_ in slices]
    envs = [
        NativeBatchEnv(
            robot,
            compiled,
            cfg.num_envs,
            seed=seeds[k],
            nthread=1,  # the batch's one rollout call runs the threads
            clock_hz=behavior.program_clock_hz(program),
            motion=program.motion,
        )
        for k, program, compiled, *_ in slices
    ]
    trained: list[Any] = [None] * len(slices)
    if slices:
        try:
            trained = batch.train_batch(
                envs,
                steps,
                cfg,
                seeds=[seeds[k] for k in ks],
                init_params=[s[3] for s in slices],
                critic_warmup_iters=[s[5] for s in slices],
                on_progress=lambda i, p: reporters[ks[i]](p),
                should_stop=lambda i: outcomes[ks[i]] is not None or should_stop(ks[i]),
                on_stopped=lambda i: settle(ks[i], Cancelled()),
            )
        except Cancelled:
            pass  # every approach stopped: each was settled when it did
        except Exception as exc:  # the batch itself failed: so did each approach still in it
            for k in ks:
                settle(k, exc)
    train_wall = time.perf_counter() - start

    def film(k: int, program: RewardProgram, compiled, note: str | None, init_params, result) -> None:
        params, progress = result

        def stop_k(k=k) -> bool:  # while k is filmed, a stop of another approach is settled at once too
            poll(but=k)
            return should_stop(k)

        try:
            out = _save_and_render(
                robot,
                program,
                compiled,
                cfg,
                params,
                Path(out_dirs[k]),
                start=_start_policy(robot, cfg, init_params, None, seeds[k]),
                meta=dict(
                    backend="native",
                    steps=progress.steps,
                    seed=seeds[k],
                    wall_time_s=train_wall,
                    final_metrics=_final_metrics(progress),
                    init_checkpoint=None,
                    init=note,
                    batch=K,
                ),
                render_seconds=render_seconds,
                on_event=functools.partial(on_event, k),
                should_stop=stop_k,
                model_store_dir=model_store_dir,
            )
            settle(
                k,
                dataclasses.replace(
                    out,
                    curves=curve[k].write(Path(out_dirs[k])),
                    curve_summary=curve[k].summary(),
                    train_wall_s=train_wall,
                    wall_s=time.perf_counter() - start,
                    backend="native",
                    steps=progress.steps,
                    init=note,
                    batch=len(slices),
                ),
            )
        except Exception as exc:  # Cancelled (stopped while filmed) or a failure of this approach alone
            settle(k, exc)

    poll()
    films = [
        (k, program, compiled, note, init_params, result)
        for (k, program, compiled, init_params, note, _), result in zip(slices, trained, strict=True)
        if outcomes[k] is None and result is not None
    ]
    if len(films) > 1 and film_threads(len(films)) > 1:
        pool = _film_pool(film_threads(len(films)))
        for done in [pool.submit(film, *f) for f in films]:
            done.result()  # film() settles its own failures; this re-raises only what escapes it
    else:
        for f in films:
            poll()
            if outcomes[f[0]] is None:
                film(*f)
    return _settled(outcomes)


def _report_clipped(data: ProgressData, clipped: dict[str, float]) -> None:
    """The run-time reward guard's count so far, on a progress event (only where it clipped): values
    beyond ±MAX_REWARD were clipped and NaN set to 0 rather than trained on (numpy: every step so far;
    MJX: per evaluation episode)."""
    if not clipped:
        return
    from tabrl.rewards.compiler import MAX_REWARD

    data.reward_clipped = dict(clipped)
    data.reward_warning = f"reward values beyond ±{MAX_REWARD:g} or not finite were clipped: " + ", ".join(
        f"{k} ×{n:g}" for k, n in clipped.items()
    )


def _render(
    robot,
    program: RewardProgram,
    policy_dir: Path,
    out_dir: Path,
    seconds: float,
    reward_fn,
    on_event: EventFn,
    should_stop: StopFn,
) -> RunResult:
    """Films the policy in ``policy_dir`` (its video, poster, contact sheet, trajectory and metrics)."""
    policy, meta = load_policy(policy_dir)
    on_event(Rendering(data=RenderingData(fraction=0.0)))
    try:
        files = render_policy(
            robot,
            policy,
            out_dir,
            seconds=seconds,
            reward_fn=reward_fn,
            clock_hz=meta["clock_hz"],
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


def run_render_job(
    checkpoint_dir: Path,
    out_dir: Path,
    *,
    seconds: float = 10.0,
    on_event: EventFn = _noop_event,
    should_stop: StopFn = _never,
) -> RunResult:
    """A new video of a trained policy (its folder ``checkpoint_dir``), into ``out_dir``."""
    meta = checkpoint.load_metadata(checkpoint_dir)
    robot, program, compiled = prepare(
        meta["model_id"], meta["program"]
    )  # the program carries its motion prior
    result = _render(
        robot, program, Path(checkpoint_dir), Path(out_dir), seconds, compiled, on_event, should_stop
    )
    # A new video of a kept start is still the start.
    return dataclasses.replace(result, start_vs_trained=meta.get("start_vs_trained") or None)
