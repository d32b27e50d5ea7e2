"""Several programs on one robot trained as one batch (``tabrl/train/batch.py``), then each filmed.

Each approach is one ``job._Approach`` and ends as ``job._finish`` ends a single job; ``_Outcomes`` keeps
what each approach has come to, so one stopped or failed approach never stops the others.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from pydantic import JsonValue

from tabrl.pipeline import job
from tabrl.pipeline.film import RunResult
from tabrl.pipeline.job import _Approach, _finish
from tabrl.render.film import film_threads
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot
from tabrl.run_events import JobEvent, Started, StartedData
from tabrl.train import batch, ppo
from tabrl.train.checkpoint import TrainingFacts
from tabrl.train.ppo import Cancelled, Params, PPOConfig
from tabrl.train.start import starting_point

Outcome = RunResult | BaseException
_R = TypeVar("_R")


class _Outcomes:
    """What each approach of a batch has come to (None: still going), told to the caller once, at once.
    The videos may be filmed in threads (``film_threads``): the caller's callbacks are called one at a time."""

    def __init__(
        self,
        size: int,
        on_event: Callable[[int, JobEvent], None] | None,
        should_stop: Callable[[int], bool] | None,
        on_outcome: Callable[[int, Outcome], None] | None,
    ):
        self.guard = threading.RLock()
        self.on_event = self._one_at_a_time(on_event or (lambda _k, _e: None))
        self.should_stop = self._one_at_a_time(should_stop or (lambda _k: False))
        self.on_outcome = on_outcome or (lambda _k, _r: None)
        self.outcomes: list[Outcome | None] = [None] * size

    def _one_at_a_time(self, fn: Callable[..., _R]) -> Callable[..., _R]:
        def locked(*args: object) -> _R:
            with self.guard:
                return fn(*args)

        return locked

    def pending(self, k: int) -> bool:
        return self.outcomes[k] is None

    def settle(self, k: int, outcome: Outcome) -> None:
        with self.guard:
            if self.outcomes[k] is None:
                self.outcomes[k] = outcome
                self.on_outcome(k, outcome)

    def poll(self, but: int | None = None) -> None:
        """Settles every approach stopped meanwhile (but ``but``, whose own loop notices)."""
        with self.guard:
            for k in range(len(self.outcomes)):
                if k != but and self.outcomes[k] is None and self.should_stop(k):
                    self.settle(k, Cancelled())

    def settled(self) -> list[Outcome]:
        done = [o for o in self.outcomes if o is not None]
        assert len(done) == len(self.outcomes), "every approach of a batch ends with a result or an error"
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


def run_training_batch(
    model_id: str,
    programs: Sequence[RewardProgram | Mapping[str, JsonValue]],
    steps: int,
    out_dirs: Sequence[Path],
    *,
    seeds: list[int] | None = None,
    backend: str = "auto",
    from_base: bool | None = None,
    render_seconds: float = 10.0,
    on_event: Callable[[int, JobEvent], None] | None = None,
    should_stop: Callable[[int], bool] | None = None,
    on_outcome: Callable[[int, Outcome], None] | None = None,
    model_store_dir: Path | None = None,
) -> list[Outcome]:
    """Trains several programs on one robot as one batch (``tabrl/train/batch.py``), then films each.

    Approach k reports through ``on_event(k, event)`` (the same events as ``run_training_job``) and
    stops on its own when ``should_stop(k)``. ``on_outcome(k, result)`` is called as soon as k's
    outcome is known: its result, ``Cancelled`` (at once when it is stopped, while the others go on)
    or the error it failed with (an invalid program fails only its own approach); all are also returned,
    in order. Off the native backend (MJX on a GPU) the programs train one by one."""
    K = len(programs)
    seeds = list(seeds) if seeds is not None else [0] * K
    outcomes = _Outcomes(K, on_event, should_stop, on_outcome)
    if job.choose_backend(backend) != "native":
        one_job = functools.partial(
            job.run_training_job,
            model_id,
            backend=backend,
            from_base=from_base,
            render_seconds=render_seconds,
            model_store_dir=model_store_dir,
        )
        return _one_by_one(one_job, programs, steps, out_dirs, seeds, outcomes)
    robot = load_robot(model_id)
    cfg = job._ppo_config_for(steps, robot.spec.category)
    approaches = _prepare(robot, cfg, programs, seeds, out_dirs, from_base, outcomes)
    t0 = time.perf_counter()
    for a in approaches.values():
        a.on_event(Started(data=StartedData(backend="native", total_steps=steps, init=a.start.note, batch=K)))
    trained = _train(robot, cfg, steps, approaches, outcomes)
    filming = _Filming(
        robot,
        cfg,
        K,
        len(approaches),
        t0,
        time.perf_counter() - t0,
        render_seconds,
        model_store_dir,
        outcomes,
    )
    outcomes.poll()
    _film_all(
        filming.film,
        [(k, a, *r) for k, a in approaches.items() if outcomes.pending(k) and (r := trained[k])],
        outcomes,
    )
    return outcomes.settled()


def _one_by_one(
    one_job: Callable[..., RunResult],
    programs: Sequence[RewardProgram | Mapping[str, JsonValue]],
    steps: int,
    out_dirs: Sequence[Path],
    seeds: list[int],
    outcomes: _Outcomes,
) -> list[Outcome]:
    """Each approach trained as a job of its own (off the native backend); a stop meanwhile settled after each."""
    for k, program in enumerate(programs):
        if outcomes.pending(k):
            on_k, stop_k = functools.partial(outcomes.on_event, k), functools.partial(outcomes.should_stop, k)
            try:
                outcomes.settle(
                    k, one_job(program, steps, out_dirs[k], seed=seeds[k], on_event=on_k, should_stop=stop_k)
                )
            except Exception as exc:
                outcomes.settle(k, exc)
        outcomes.poll()
    return outcomes.settled()


@dataclass(frozen=True)
class _Filming:
    """What filming each trained approach of a batch shares."""

    robot: Robot
    cfg: PPOConfig
    size: int  # approaches asked for (the checkpoints' ``batch``)
    trained: int  # approaches that trained (the results' ``batch``)
    t0: float  # when training began
    train_wall: float  # the batch's training time, shared by all
    seconds: float
    model_store_dir: Path | None
    outcomes: _Outcomes

    def film(self, k: int, a: _Approach, params: Params, progress: ppo.Progress) -> None:
        final = ppo.final_metrics(progress)
        facts = TrainingFacts(
            "native", progress.steps, a.seed, self.train_wall, final, None, a.start.note, self.size
        )
        try:
            result = _finish(
                self.robot,
                self.cfg,
                a,
                params,
                facts,
                self.seconds,
                self.model_store_dir,
                self.t0,
                self.trained,
            )
            self.outcomes.settle(k, result)
        except Exception as exc:  # Cancelled (stopped while filmed) or a failure of this approach alone
            self.outcomes.settle(k, exc)


def _film_all(
    film: Callable[[int, _Approach, Params, ppo.Progress], None],
    films: list[tuple[int, _Approach, Params, ppo.Progress]],
    outcomes: _Outcomes,
) -> None:
    """Films the trained approaches: at once on the filming threads, or one after another."""
    if len(films) > 1 and film_threads(len(films)) > 1:
        pool = _film_pool(film_threads(len(films)))
        for future in [pool.submit(film, *f) for f in films]:
            future.result()  # film() settles its own failures; this re-raises only what escapes it
    else:
        for f in films:
            outcomes.poll()
            if outcomes.pending(f[0]):
                film(*f)


def _prepare(
    robot: Robot,
    cfg: PPOConfig,
    programs: Sequence[RewardProgram | Mapping[str, JsonValue]],
    seeds: list[int],
    out_dirs: Sequence[Path],
    from_base: bool | None,
    outcomes: _Outcomes,
) -> dict[int, _Approach]:
    """Each valid program as an approach, by its index; an invalid one fails its own approach only."""
    approaches = {}
    for k, raw in enumerate(programs):
        try:
            _, program, compiled = job.prepare(robot.model_id, raw, robot)
            start = starting_point(robot, program, cfg, None, from_base)
        except Exception as exc:
            outcomes.settle(k, exc)
            continue

        def stop_k(
            k: int = k,
        ) -> bool:  # while k is filmed, a stop of another approach is settled at once too
            outcomes.poll(but=k)
            return outcomes.should_stop(k)

        on_event = functools.partial(outcomes.on_event, k)
        approaches[k] = _Approach(program, compiled, start, seeds[k], Path(out_dirs[k]), on_event, stop_k)
    return approaches


def _train(
    robot: Robot, cfg: PPOConfig, steps: int, approaches: dict[int, _Approach], outcomes: _Outcomes
) -> dict[int, tuple[Params, ppo.Progress] | None]:
    """The approaches trained as one physics batch with one vmapped PPO update (None: stopped or failed,
    and settled so)."""
    ks = list(approaches)
    envs = [
        a.env(robot, cfg, nthread=1) for a in approaches.values()
    ]  # the batch's one rollout runs the threads
    trained: list[tuple[Params, ppo.Progress] | None] = [None] * len(ks)
    if ks:
        try:
            trained = batch.train_batch(
                envs,
                steps,
                cfg,
                seeds=[approaches[k].seed for k in ks],
                init_params=[approaches[k].start.params for k in ks],
                critic_warmup_iters=[approaches[k].start.critic_warmup for k in ks],
                on_progress=lambda i, p: approaches[ks[i]].report(p),
                should_stop=lambda i: not outcomes.pending(ks[i]) or outcomes.should_stop(ks[i]),
                on_stopped=lambda i: outcomes.settle(ks[i], Cancelled()),
            )
        except Cancelled:
            pass  # every approach stopped: each was settled when it did
        except Exception as exc:  # the batch itself failed: so did each approach still in it
            for k in ks:
                outcomes.settle(k, exc)
    return dict(zip(ks, trained, strict=True))
