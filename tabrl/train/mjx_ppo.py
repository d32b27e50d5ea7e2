"""Brax PPO on the MJX backend (the GPU path; also runs on a CPU, slowly)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from brax.training.agents.ppo import networks as ppo_networks
from brax.training.agents.ppo import train as brax_ppo
from mujoco_playground import wrapper

from tabrl.rewards.program import RewardProgram
from tabrl.robots.model import Robot
from tabrl.sim.mjx_env import CLIPPED_METRIC, BehaviorMjxEnv, default_config
from tabrl.train import residual
from tabrl.train.ppo import Cancelled, FinalMetrics, PPOConfig, Progress


def clipped_from_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """What the reward guard clipped, per term, from brax's evaluation metrics (a mean per episode);
    only the terms where something was clipped."""
    prefix = f"eval/episode_{CLIPPED_METRIC}/"
    found = {k.removeprefix(prefix): float(v) for k, v in metrics.items() if k.startswith(prefix)}
    return {k: v for k, v in found.items() if v > 0}


def train_mjx(
    robot: Robot,
    program: RewardProgram,
    steps: int,
    cfg: PPOConfig,
    *,
    seed: int = 0,
    num_envs: int | None = None,
    init_params: Any = None,
    on_progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    num_evals: int = 10,
) -> tuple[Any, FinalMetrics]:
    """Trains ``program`` on ``robot`` with Brax's PPO on MJX: the parameters and the last figures."""
    env_cfg = default_config(robot)
    env = BehaviorMjxEnv(robot, program, env_cfg)
    num_envs = num_envs or cfg.num_envs
    policy_hidden = tuple(cfg.policy_hidden)
    if init_params is not None and residual.is_residual(init_params[1]):
        # Brax's trainer knows plain MLPs only: it fine-tunes the folded policy (same first action; the base is
        # trained with the rest, not kept frozen).
        init_params = residual.fold(init_params)
        policy_hidden = tuple(residual.layer_sizes(init_params[1])[:-1])
    network_factory = functools.partial(
        ppo_networks.make_ppo_networks,
        policy_hidden_layer_sizes=policy_hidden,
        value_hidden_layer_sizes=cfg.value_hidden,
    )
    num_eval_envs = min(num_envs, 16)
    reporter = _Reporter(steps, env_cfg.episode_length, num_eval_envs, on_progress, should_stop)
    _, params, _ = brax_ppo.train(
        environment=env,
        num_timesteps=steps,
        episode_length=env_cfg.episode_length,
        wrap_env_fn=wrapper.wrap_for_brax_training,
        num_envs=num_envs,
        num_eval_envs=num_eval_envs,
        unroll_length=cfg.unroll_length,
        batch_size=num_envs // cfg.num_minibatches,  # one iteration = one unroll of every env, as natively
        num_minibatches=cfg.num_minibatches,
        num_updates_per_batch=cfg.num_updates_per_batch,
        learning_rate=cfg.learning_rate,
        entropy_cost=cfg.entropy_cost,
        discounting=cfg.discounting,
        gae_lambda=cfg.gae_lambda,
        clipping_epsilon=cfg.clipping_epsilon,
        max_grad_norm=cfg.max_grad_norm,
        reward_scaling=cfg.reward_scaling,
        normalize_observations=True,
        network_factory=network_factory,
        num_evals=num_evals,
        seed=seed,
        progress_fn=reporter,
        restore_params=init_params,
    )
    return params, {
        "steps": reporter.steps,
        "mean_episode_reward": reporter.reward,
        "steps_per_s": reporter.steps_per_s,
    }


class _Reporter:
    """Brax's progress callback: each evaluation as a ``Progress``, the last figures kept."""

    def __init__(
        self,
        total_steps: int,
        episode_length: int,
        num_eval_envs: int,
        on_progress: Callable[[Progress], None] | None,
        should_stop: Callable[[], bool] | None,
    ):
        self.total_steps, self.episode_length, self.num_eval_envs = total_steps, episode_length, num_eval_envs
        self.on_progress, self.should_stop = on_progress, should_stop
        self.start = time.perf_counter()
        self.steps, self.reward, self.steps_per_s, self.episodes = 0, 0.0, 0.0, 0

    def __call__(self, num_steps: int, metrics: dict[str, Any]) -> None:
        if self.should_stop is not None and self.should_stop():
            raise Cancelled()
        elapsed = time.perf_counter() - self.start
        sps = num_steps / max(elapsed, 1e-9)
        # Brax's evaluation plays whole deterministic episodes from a reset: an honest episode figure.
        reward = float(metrics.get("eval/episode_reward", 0.0))
        length = float(metrics.get("eval/avg_episode_length", self.episode_length)) or 1.0
        self.steps, self.reward, self.steps_per_s = int(num_steps), reward, sps
        self.episodes += self.num_eval_envs
        terms = {
            k.removeprefix("eval/episode_reward/"): float(v)
            for k, v in metrics.items()
            if k.startswith("eval/episode_reward/")
        }
        total = sum(abs(v) for v in terms.values()) or 1.0
        if self.on_progress is not None and num_steps > 0:
            self.on_progress(
                Progress(
                    steps=int(num_steps),
                    total_steps=self.total_steps,
                    mean_episode_reward=reward,
                    mean_step_reward=reward / length,
                    term_shares={k: v / total for k, v in terms.items()},
                    steps_per_s=sps,
                    eta_s=max(0.0, self.total_steps - num_steps) / max(sps, 1e-9),
                    episodes=self.episodes,
                    reward_clipped=clipped_from_metrics(metrics),
                )
            )
