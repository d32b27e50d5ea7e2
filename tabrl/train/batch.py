"""Several trainings of one robot in one process: one physics batch, one vmapped PPO update.

The approaches of a Train All share a robot and their PPO settings, and differ in their reward
program, motion prior (action map) and phase clock. Each keeps its own ``NativeBatchEnv`` (its
reward, prior, resets and random numbers), but all their environments are stepped by a single
``mujoco.rollout`` call (``PhysicsBatch``), and the K policies are sampled and updated by the
PPO's jitted act and update (``ppo.make_functions``) under ``jax.vmap``: parameters, optimiser states and
observation normalisers are stacked on a leading axis of K, and each slice has its own PRNG key
drawn from its own seed. One training alone is a batch of one (``train``): there is one training loop.

A slice can stop on its own (``should_stop(k)``): its environments leave the physics batch and
its parameters stop changing (the update's result is masked out) while the others go on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from mujoco import rollout

from tabrl.sim.native import NativeBatchEnv, physics_threads
from tabrl.train import ppo, residual
from tabrl.train.ppo import Cancelled, Params, PPOConfig, Progress

__all__ = ["PhysicsBatch", "train", "train_batch", "Cancelled"]


class PhysicsBatch:
    """Environments of one robot (several ``NativeBatchEnv``) advanced by one ``mujoco.rollout`` call."""

    def __init__(self, envs: Sequence[NativeBatchEnv], nthread: int | None = None):
        if not envs:
            raise ValueError("a physics batch needs at least one env")
        model = envs[0].model
        if any(e.model is not model for e in envs):
            raise ValueError("every env of a physics batch must step the same compiled robot model")
        self.envs = list(envs)
        rows = sum(e.num_envs for e in envs)
        self.nthread = nthread or physics_threads(rows)
        self._rollout = rollout.Rollout(nthread=self.nthread if self.nthread > 1 else 0)
        self._datas = [mujoco.MjData(model) for _ in range(max(1, self.nthread))]
        self._models = [model] * rows
        nsub, nstate = envs[0].n_substeps, envs[0].nstate
        self._state = np.zeros((rows, nstate))
        self._ctrl = np.zeros((rows, nsub, model.nu))
        self._out_state = np.zeros((rows, nsub, nstate))
        self._out_sens = np.zeros((rows, nsub, model.nsensordata))
        self.n_substeps = nsub

    def step(self, actions: Sequence[np.ndarray | None]) -> list[tuple[Any, ...] | None]:
        """Steps env k with ``actions[k]`` (None: env k sits this step out); each env's ``step`` result."""
        active = [k for k, a in enumerate(actions) if a is not None]
        clipped = {k: self.envs[k].begin_step(a) for k, a in enumerate(actions) if a is not None}
        spans, row = {}, 0
        for k in active:  # gather the active envs' states and controls into one contiguous batch
            env = self.envs[k]
            spans[k] = slice(row, row + env.num_envs)
            self._state[spans[k]] = env.state
            self._ctrl[spans[k]] = env._ctrl
            row += env.num_envs
        if row:
            self._rollout.rollout(
                self._models[:row],
                self._datas,
                self._state[:row],
                self._ctrl[:row],
                control_spec=mujoco.mjtState.mjSTATE_CTRL,
                skip_checks=True,
                nstep=self.n_substeps,
                state=self._out_state[:row],
                sensordata=self._out_sens[:row],
            )
        out: list[tuple[Any, ...] | None] = [None] * len(actions)
        for k in active:
            self.envs[k].take_physics(self._out_state[spans[k]], self._out_sens[spans[k]])
            out[k] = self.envs[k].end_step(clipped[k])
        return out


def _stack(trees: list[Any]) -> Any:
    return jax.tree_util.tree_map(lambda *xs: jnp.stack([jnp.asarray(x) for x in xs]), *trees)


def _slice(tree: Any, k: int) -> Any:
    return jax.tree_util.tree_map(lambda x: x[k], tree)


def make_batched_functions(networks: Any, cfg: PPOConfig) -> tuple[Any, Any, Any]:
    """PPO's jitted act and update (``ppo.make_functions``), vmapped over a leading axis of K trainings.

    ``update(states, data, keys, train_policy, active)``: where ``active[k]`` is false, slice k's
    state comes back unchanged (a stopped approach no longer learns).
    """
    act, update = ppo.make_functions(networks, cfg)

    def masked_update(state: Any, data: Any, key: Any, train_policy: Any, active: Any) -> Any:
        new, _ = update(state, data, key, train_policy)
        return jax.tree_util.tree_map(lambda n, o: jnp.where(active, n, o), new, state)

    split = jax.jit(jax.vmap(jax.random.split))  # (K, 2) keys -> (K, 2, 2), as each slice's own split
    return jax.jit(jax.vmap(act)), jax.jit(jax.vmap(masked_update)), split


def _check(envs: Sequence[NativeBatchEnv], cfg: PPOConfig, *lengths: int) -> None:
    """Refuses a batch whose slices cannot train together (``lengths``: the per-slice settings given)."""
    K = len(envs)
    if any(n != K for n in lengths):
        raise ValueError(f"{K} envs need {K} seeds, init params and warm-ups")
    first = envs[0]
    for env in envs:
        if env.num_envs != cfg.num_envs:
            raise ValueError(f"PPOConfig.num_envs={cfg.num_envs} but an env batch has {env.num_envs}")
        if (env.observation_size, env.action_size) != (first.observation_size, first.action_size):
            raise ValueError("every env of a training batch must have the same observation and action sizes")
    if cfg.num_envs % cfg.num_minibatches:
        raise ValueError("num_envs must be divisible by num_minibatches")


def _init_states(
    networks: Any, observation_size: int, cfg: PPOConfig, seeds: list[int], init_params: list[Params | None]
) -> tuple[Any, Any]:
    """Every slice's first training state and PRNG key, stacked (each from its own seed)."""
    states, keys = [], []
    for seed, init in zip(seeds, init_params, strict=True):
        key, kinit = jax.random.split(jax.random.PRNGKey(seed))
        states.append(ppo.init_state(networks, observation_size, cfg, kinit, init))
        keys.append(key)
    return _stack(states), jnp.stack(keys)


def _control_step(
    sampled: tuple[Any, Any, Any, Any],
    obs: np.ndarray,
    t: int,
    buf: ppo.Unroll,
    physics: PhysicsBatch,
    active: list[bool],
    tallies: list[ppo.Tally],
) -> np.ndarray:
    """One control step of every active slice: the sampled actions stepped, the transition written into
    ``buf`` at time ``t``; returns the next observations."""
    action, raw, logp, logits = sampled
    action = np.asarray(action)
    buf.obs[:, t] = obs
    obs = obs.copy()  # the one just sampled from may still be read by JAX (zero-copy host arrays)
    buf.raw[:, t], buf.logp[:, t], buf.logits[:, t] = raw, logp, logits
    results = physics.step([action[k] if active[k] else None for k in range(len(active))])
    for k, res in enumerate(results):
        if res is None:
            continue
        obs_k, reward, done, trunc, info = res
        obs[k] = obs_k
        buf.rew[k, t], buf.disc[k, t], buf.trunc[k, t], buf.next[k, t] = reward, 1.0 - done, trunc, obs_k
        tallies[k].add_step(reward, done, info["terms"])
    return obs


def train(
    env: NativeBatchEnv,
    total_steps: int,
    cfg: PPOConfig = PPOConfig(),
    *,
    seed: int = 0,
    init_params: Params | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    critic_warmup_iters: int = 0,
) -> tuple[Params, Progress]:
    """Trains one policy on ``env`` for ``total_steps`` env steps: a batch of one.

    ``init_params`` starts from an existing policy, its value function and its normaliser statistics
    (kept, not reset: the policy was trained on observations normalised by them).
    ``critic_warmup_iters`` first fits only the value function to the new reward for that many
    iterations, so a fine-tuned policy is not pushed around by a critic trained on another reward.
    Raises ``Cancelled`` when ``should_stop()``.
    """
    (result,) = train_batch(
        [env],
        total_steps,
        cfg,
        seeds=[seed],
        init_params=[init_params],
        critic_warmup_iters=critic_warmup_iters,
        on_progress=None if on_progress is None else lambda _k, p: on_progress(p),
        should_stop=None if should_stop is None else lambda _k: should_stop(),
    )
    assert result is not None  # a stopped slice: train_batch raised Cancelled, every slice having stopped
    return result


def train_batch(
    envs: Sequence[NativeBatchEnv],
    total_steps: int,
    cfg: PPOConfig = PPOConfig(),
    *,
    seeds: Sequence[int] | None = None,
    init_params: Sequence[Params | None] | None = None,
    critic_warmup_iters: Sequence[int] | int = 0,
    on_progress: Callable[[int, Progress], None] | None = None,
    should_stop: Callable[[int], bool] | None = None,
    on_stopped: Callable[[int], None] | None = None,
    nthread: int | None = None,
) -> list[tuple[Params, Progress] | None]:
    """Trains one policy per env (K of them) for ``total_steps`` env steps each, in one batch.

    ``seeds[k]``, ``init_params[k]`` and ``critic_warmup_iters[k]`` mean for slice k what ``seed``,
    ``init_params`` and ``critic_warmup_iters`` mean for ``train``. ``should_stop(k)`` is asked
    every control step; a slice that says yes stops learning at once, ``on_stopped(k)`` is called and
    its result is None. When every slice has stopped, ``Cancelled`` is raised.
    """
    K = len(envs)
    seeds = list(seeds) if seeds is not None else [0] * K
    init_params = list(init_params) if init_params is not None else [None] * K
    warmups = [critic_warmup_iters] * K if isinstance(critic_warmup_iters, int) else list(critic_warmup_iters)
    _check(envs, cfg, len(seeds), len(init_params), len(warmups))
    first = envs[0]
    networks = ppo.make_networks(
        first.observation_size, first.action_size, cfg.policy_hidden, cfg.value_hidden, cfg.init_noise_std
    )
    state, keys = _init_states(networks, first.observation_size, cfg, seeds, init_params)
    act, update, split = make_batched_functions(networks, cfg)
    physics = PhysicsBatch(envs, nthread)
    B, T = cfg.num_envs, cfg.unroll_length
    steps_per_iter = B * T
    iterations = max(1, -(-total_steps // steps_per_iter))
    total = iterations * steps_per_iter

    obs = np.stack([env.reset(stagger=True) for env in envs])
    tallies = [ppo.Tally(B, staggered=True) for _ in envs]  # the resets above stagger
    active = [True] * K
    progress: list[Progress | None] = [None] * K

    def poll() -> None:
        if should_stop is None:
            return
        for k in range(K):
            if active[k] and should_stop(k):
                active[k] = False
                if on_stopped is not None:
                    on_stopped(k)
        if not any(active):
            raise Cancelled()

    start = time.perf_counter()
    for it in range(iterations):
        poll()
        for tally in tallies:
            tally.start_iteration()
        buf = ppo.Unroll((K, T, B), first.observation_size, first.action_size)
        for t in range(T):
            r = split(keys)
            keys, ks = r[:, 0], r[:, 1]
            obs = _control_step(act(state, obs, ks), obs, t, buf, physics, active, tallies)
            poll()
        r = split(keys)
        keys, kup = r[:, 0], r[:, 1]
        train_policy = jnp.asarray([float(it >= w) for w in warmups], jnp.float32)
        state = update(state, buf.transition(), kup, train_policy, jnp.asarray(active))
        elapsed = time.perf_counter() - start
        for k in range(K):
            if active[k]:
                progress[k] = now = tallies[k].progress(
                    (it + 1) * steps_per_iter, total, elapsed, float(buf.rew[k].mean())
                )
                if on_progress is not None:
                    on_progress(k, now)
    poll()
    return _results(state, active, progress)


def _results(
    state: Any, active: list[bool], progress: list[Progress | None]
) -> list[tuple[Params, Progress] | None]:
    """Each slice's trained parameters (folded into one MLP) and last progress; None for a stopped one."""
    host = jax.device_get((state.normalizer, state.params.policy, state.params.value))
    return [
        (residual.fold(_slice(host, k)), p) if active[k] and (p := progress[k]) is not None else None
        for k in range(len(active))
    ]
