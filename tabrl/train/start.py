"""Where a training run starts: the robot's base policy, a checkpoint to fine-tune, or scratch; and the
policy that start is as a policy of its own (what the trained one must beat: ``render/beat_start.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import numpy as np

from tabrl.rewards.program import RewardProgram
from tabrl.robots.model import Robot
from tabrl.sim import behavior
from tabrl.train import base, checkpoint, finetune, ppo
from tabrl.train.ppo import Params, PPOConfig


@dataclass(frozen=True)
class Start:
    """A run's start: its parameters (None: fresh networks), what the "started" event says about them,
    how many iterations the critic learns alone first, and the label its policy goes by on the card."""

    params: Params | None
    note: str
    critic_warmup: int
    label: str


def starting_point(
    robot: Robot, program: RewardProgram, cfg: PPOConfig, init_checkpoint: Path | None, from_base: bool | None
) -> Start:
    """The base policy (with the program's motion prior) where it is wanted and usable, else
    ``init_checkpoint`` to fine-tune, else scratch. A missing or unusable base is noted, never fatal.
    By default (``from_base`` None) an approach whose rehearsal found the base falling under its prior where
    the zero action stood (``Rehearsal.start``) starts from scratch, the start that stood."""
    rehearsed = program.rehearsal
    chose_zero = rehearsed is not None and rehearsed.start == "zero action"
    if init_checkpoint is None and from_base is None and chose_zero:  # what the rehearsal stood with
        return Start(None, "from scratch: the zero action was the rehearsal's start", 0, "zero action")
    if init_checkpoint is None and base.wants_base(robot, from_base):
        try:
            params, note = finetune.init_from_base(robot, program.motion, cfg)
        except base.BaseError as e:  # never blocks training: say why, and train from scratch
            params, note = None, f"{e}; training from scratch"
        warmup = finetune.CRITIC_WARMUP_ITERS if params is not None else 0
        return Start(params, note, warmup, "base policy" if params is not None else "zero action")
    if init_checkpoint is None:
        return Start(None, "from scratch", 0, "zero action")
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
    params, _ = checkpoint.load(
        init_checkpoint, (template.normalizer, template.params.policy, template.params.value)
    )
    return Start(params, f"fine-tuned from {init_checkpoint}", 0, "fine-tuned checkpoint")


def start_params(robot: Robot, cfg: PPOConfig, start: Start, seed: int) -> Params:
    """The start's policy parameters: what training began from, or the zero action for a fresh start."""
    return start.params if start.params is not None else zero_action_params(robot, cfg, seed)


def zero_action_params(robot: Robot, cfg: PPOConfig, seed: int) -> Params:
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
