"""PPO for the native backend: the networks, the jitted act and update, the rollout buffer and its tally.

The loop that runs them is ``tabrl/train/batch.py`` (one training is a batch of one).

The networks, loss and observation normaliser are Brax's own (``brax.training.agents.ppo``),
so a policy trained here has exactly the parameter format Brax PPO produces on the MJX
backend: ``(normalizer_params, policy_params, value_params)``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypedDict

import jax
import jax.numpy as jnp
import numpy as np
import optax
from brax.training import networks as brax_networks
from brax.training import types
from brax.training.acme import running_statistics, specs
from brax.training.agents.ppo import losses as ppo_losses
from brax.training.agents.ppo import networks as ppo_networks

from tabrl.train import residual
from tabrl.train.params import BUDGET_TABLE, CATEGORY_OF  # the table, read where it applies


@dataclasses.dataclass(frozen=True)
class PPOConfig:
    num_envs: int = 64
    unroll_length: int = 16
    num_minibatches: int = 4
    num_updates_per_batch: int = 4
    learning_rate: float = 1e-3
    entropy_cost: float = 1e-2
    discounting: float = 0.97
    gae_lambda: float = 0.95
    clipping_epsilon: float = 0.2
    max_grad_norm: float = 1.0
    reward_scaling: float = 1.0
    policy_hidden: tuple[int, ...] = (128, 128, 128)
    value_hidden: tuple[int, ...] = (256, 256, 256)
    # Unused by Brax's tanh-normal policy (its spread is a head of the network); a residual fine-tune's start
    # spread is residual.make's start_std.
    init_noise_std: float = 1.0
    # A residual policy over an anchored base (residual.make(anchored=True)): the L2 pull of the base's trainable
    # copy back to the base, on the sum of squared parameter differences.
    base_anchor_l2: float = 1.0

    def network_kwargs(self) -> dict[str, Any]:
        """What rebuilding the networks for inference needs (stored in checkpoints)."""
        return {"policy_hidden": list(self.policy_hidden), "value_hidden": list(self.value_hidden)}


Params = tuple[Any, Any, Any]  # (normalizer_params, policy_params, value_params), as Brax PPO


def ppo_config_for(steps: int, category: str = "classic") -> PPOConfig:
    """The PPO settings for a budget of ``steps`` env steps on a robot of ``category`` (profile category)."""
    kind = CATEGORY_OF.get(category, "classic")
    for row_kind, max_steps, settings in BUDGET_TABLE:
        if row_kind == kind and steps <= max_steps:
            return PPOConfig(**settings)
    return PPOConfig()


def make_networks(
    observation_size: int,
    action_size: int,
    policy_hidden: Sequence[int] = (128, 128, 128),
    value_hidden: Sequence[int] = (256, 256, 256),
    init_noise_std: float = 1.0,
) -> ppo_networks.PPONetworks:
    """Brax's PPO networks; the policy network also applies a residual policy's params (tabrl/train/residual.py)
    and plain MLP params of any width, chosen by the params' structure, so one set of networks serves plain and
    residual training and a folded residual policy."""
    networks = ppo_networks.make_ppo_networks(
        observation_size,
        action_size,
        preprocess_observations_fn=running_statistics.normalize,
        policy_hidden_layer_sizes=tuple(policy_hidden),
        value_hidden_layer_sizes=tuple(value_hidden),
        init_noise_std=init_noise_std,
    )
    plain = networks.policy_network

    def apply(normalizer: Any, policy: Any, obs: Any) -> Any:
        if residual.is_residual(policy):
            return residual.apply(normalizer, policy, obs)
        # Brax's MLP at the widths of the params given (a folded residual policy is wider than policy_hidden)
        return residual.mlp(policy, running_statistics.normalize(obs, normalizer))

    return ppo_networks.PPONetworks(
        policy_network=brax_networks.FeedForwardNetwork(init=plain.init, apply=apply),
        value_network=networks.value_network,
        parametric_action_distribution=networks.parametric_action_distribution,
    )


def make_deterministic_policy(networks: ppo_networks.PPONetworks) -> Callable[[Params, Any], Any]:
    """A jitted ``policy(params, obs) -> action`` using the distribution's mode."""

    @jax.jit
    def policy(params: Params, obs: Any) -> Any:
        logits = networks.policy_network.apply(params[0], params[1], obs)
        return networks.parametric_action_distribution.mode(logits)

    return policy


class TrainState(NamedTuple):
    params: ppo_losses.PPONetworkParams
    normalizer: running_statistics.RunningStatisticsState
    opt_state: optax.OptState


@dataclasses.dataclass
class Progress:
    """One iteration's report, also what the progress event carries."""

    steps: int
    total_steps: int
    # Mean return of recent whole episodes; None until a whole episode has ended (never an estimate).
    mean_episode_reward: float | None
    # Mean reward per control step over this iteration's rollout: there from the first iteration.
    mean_step_reward: float
    term_shares: dict[str, float]
    steps_per_s: float
    eta_s: float
    episodes: int  # whole episodes ended so far (what mean_episode_reward is taken from)
    # Reward values the run-time guard clipped, per term (MJX: per evaluation episode, from its metrics).
    reward_clipped: dict[str, float] = dataclasses.field(default_factory=dict)


class FinalMetrics(TypedDict, total=False):
    """A training run's last figures, as its checkpoint's metadata keeps them (``final_metrics``)."""

    steps: int  # MJX: the steps Brax reported last
    mean_episode_reward: float | None
    steps_per_s: float
    term_shares: dict[str, float]  # the native engine's last iteration


def final_metrics(progress: Progress) -> FinalMetrics:
    """The native engine's final figures from its last progress report."""
    return {
        "mean_episode_reward": progress.mean_episode_reward,
        "steps_per_s": progress.steps_per_s,
        "term_shares": progress.term_shares,
    }


class Cancelled(Exception):
    """Training was asked to stop; nothing half-written is left behind."""


class Unroll:
    """One iteration's rollout buffers, time first: ``shape`` is (T, B), or (K, T, B) for a batch of K
    trainings (tabrl/train/batch.py)."""

    def __init__(self, shape: tuple[int, ...], observation_size: int, action_size: int):
        self.obs = np.zeros((*shape, observation_size), np.float32)
        self.raw = np.zeros((*shape, action_size), np.float32)
        self.logp = np.zeros(shape, np.float32)
        self.logits = np.zeros((*shape, 2 * action_size), np.float32)
        self.rew = np.zeros(shape, np.float32)
        self.disc = np.zeros(shape, np.float32)
        self.trunc = np.zeros(shape, np.float32)
        self.next = np.zeros((*shape, observation_size), np.float32)
        self._time_axis = len(shape) - 2

    def transition(self) -> types.Transition:
        """The buffers as Brax's Transition, batch before time (what the PPO loss reads)."""
        a = self._time_axis

        def j(x: np.ndarray) -> jax.Array:
            return jnp.asarray(x.swapaxes(a, a + 1))

        return types.Transition(
            observation=j(self.obs),
            action=j(self.raw),
            reward=j(self.rew),
            discount=j(self.disc),
            next_observation=j(self.next),
            extras={
                "policy_extras": {
                    "raw_action": j(self.raw),
                    "log_prob": j(self.logp),
                    "distribution_params": j(self.logits),
                },
                "state_extras": {"truncation": j(self.trunc)},
            },
        )


class Tally:
    """Episode returns and reward-term sums of one env batch: what its progress reports are made of.

    Only whole episodes count towards the mean episode reward. A batch reset with ``stagger`` starts
    each env at a random point of its first episode, so that first episode is partial and is left
    out; until a whole episode has ended the report has no episode figure, only the per-step reward.
    """

    def __init__(self, num_envs: int, *, staggered: bool = True):
        self.num_envs = num_envs
        self.ep_return = np.zeros(num_envs)
        self.whole = np.full(num_envs, not staggered)  # whether each env's current episode began at a reset
        self.finished: list[float] = []
        self.term_sums: dict[str, float] = {}

    def start_iteration(self) -> None:
        self.term_sums = {}

    def add_step(self, reward: np.ndarray, done: np.ndarray, terms: dict[str, Any]) -> None:
        for name, value in terms.items():
            self.term_sums[name] = self.term_sums.get(name, 0.0) + float(np.mean(value))
        self.ep_return += reward
        if done.any():
            ended = done > 0
            self.finished.extend(self.ep_return[ended & self.whole].tolist())
            self.ep_return[ended] = 0.0
            self.whole[ended] = True

    def progress(self, done_steps: int, total: int, elapsed: float, step_reward: float) -> Progress:
        sps = done_steps / max(elapsed, 1e-9)
        recent = self.finished[-4 * self.num_envs :]
        abs_total = sum(abs(v) for v in self.term_sums.values()) or 1.0
        return Progress(
            steps=done_steps,
            total_steps=total,
            mean_episode_reward=float(np.mean(recent)) if recent else None,
            mean_step_reward=step_reward,
            term_shares={k: v / abs_total for k, v in self.term_sums.items()},
            steps_per_s=sps,
            eta_s=(total - done_steps) / sps,
            episodes=len(self.finished),
        )


def _optimizer(cfg: PPOConfig) -> optax.GradientTransformation:
    return optax.chain(optax.clip_by_global_norm(cfg.max_grad_norm), optax.adam(cfg.learning_rate))


def init_state(
    networks: ppo_networks.PPONetworks,
    obs_size: int,
    cfg: PPOConfig,
    key: jax.Array,
    init_params: Params | None = None,
) -> TrainState:
    kp, kv = jax.random.split(key)
    params = ppo_losses.PPONetworkParams(
        policy=networks.policy_network.init(kp), value=networks.value_network.init(kv)
    )
    normalizer = running_statistics.init_state(specs.Array((obs_size,), jnp.dtype("float32")))
    if init_params is not None:  # fine-tuning: start from an existing policy (and its normaliser)
        normalizer = init_params[0]
        params = ppo_losses.PPONetworkParams(policy=init_params[1], value=init_params[2])
    return TrainState(params=params, normalizer=normalizer, opt_state=_optimizer(cfg).init(params))


def make_functions(networks: ppo_networks.PPONetworks, cfg: PPOConfig) -> tuple[Any, Any]:
    """The jitted pieces: sampling actions for a batch, and one PPO update on an unroll."""
    dist = networks.parametric_action_distribution
    optimizer = _optimizer(cfg)
    ppo_loss = functools.partial(
        ppo_losses.compute_ppo_loss,
        ppo_network=networks,
        entropy_cost=cfg.entropy_cost,
        discounting=cfg.discounting,
        reward_scaling=cfg.reward_scaling,
        gae_lambda=cfg.gae_lambda,
        clipping_epsilon=cfg.clipping_epsilon,
        normalize_advantage=True,
    )

    def loss_fn(params: Any, normalizer: Any, data: Any, key: jax.Array) -> Any:
        loss, metrics = ppo_loss(params, normalizer, data, key)
        if residual.is_anchored(params.policy):  # static: the params' structure
            loss = loss + cfg.base_anchor_l2 * residual.anchor_distance(params.policy)
        return loss, metrics

    @jax.jit
    def act(state: TrainState, obs: Any, key: jax.Array) -> Any:
        logits = networks.policy_network.apply(state.normalizer, state.params.policy, obs)
        raw = dist.sample_no_postprocessing(logits, key)
        return dist.postprocess(raw), raw, dist.log_prob(logits, raw), logits

    def minibatch_step(carry: Any, batch: Any, normalizer: Any, train_policy: Any) -> Any:
        params, opt_state, key = carry
        key, k = jax.random.split(key)
        (_, metrics), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, normalizer, batch, k)
        # Critic warm-up (train_policy 0): the policy's gradients are zeroed, so Adam's moments for it stay zero
        # and it does not move. A traced factor, not a static flag: one compiled update serves both.
        # A residual policy's base is never trained (residual.trainable): its gradients are zeroed the same way.
        grads = grads.replace(
            policy=jax.tree_util.tree_map(
                lambda g, m: g * (train_policy * m), grads.policy, residual.trainable(grads.policy)
            )
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, key), metrics

    @jax.jit
    def update(state: TrainState, data: types.Transition, key: jax.Array, train_policy: Any = 1.0) -> Any:
        # The loss uses the normaliser the actions were sampled with, so the importance ratios
        # start at 1; the statistics take in this batch afterwards.
        normalizer = state.normalizer
        batch = data.reward.shape[0]

        def epoch(carry: Any, _: Any) -> Any:
            params, opt_state, key = carry
            key, kperm = jax.random.split(key)
            perm = jax.random.permutation(kperm, batch)
            mbs = jax.tree_util.tree_map(
                lambda x: x[perm].reshape((cfg.num_minibatches, batch // cfg.num_minibatches) + x.shape[1:]),
                data,
            )
            return jax.lax.scan(
                functools.partial(minibatch_step, normalizer=normalizer, train_policy=train_policy),
                (params, opt_state, key),
                mbs,
            )

        (params, opt_state, _), metrics = jax.lax.scan(
            epoch, (state.params, state.opt_state, key), None, length=cfg.num_updates_per_batch
        )
        normalizer = running_statistics.update(
            normalizer, data.observation.reshape(-1, data.observation.shape[-1])
        )
        return TrainState(params=params, normalizer=normalizer, opt_state=opt_state), jax.tree_util.tree_map(
            jnp.mean, metrics
        )

    return act, update
