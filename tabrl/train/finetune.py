"""Starting a fine-tune from a base (``tabrl/train/base.py``): finding the robot's base, loading it for the
robot's layout, rescaling it to the fine-tune's action map (``adapt_to_action_scale``) and, where asked, a
residual policy over it (``Finetune``; ``tabrl/train/residual.py``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import jax
import numpy as np

from tabrl.rewards.motion import Motion, MotionPart
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.model import Robot
from tabrl.sim import behavior
from tabrl.train import (
    base,  # base.BASE_DIR read at each call: experiments and tests point it elsewhere
    checkpoint,
    ppo,
    residual,
)
from tabrl.train.base import BaseError, action_scale, load_base, scale_policy_mean

# Iterations that fit only the value function to a new reward before the base policy itself moves.
CRITIC_WARMUP_ITERS = 2


@dataclasses.dataclass(frozen=True)
class Finetune:
    """How a fine-tune keeps its base (docs/base-policies.md, "Keeping the base's balance").

    ``mode``: "frozen" (base action + a learned residual, the base never trained), "anchored" (the same over a
    trainable copy of the base pulled back to it by PPOConfig.base_anchor_l2) or "tuned" (the base's own network
    trained, as before residual policies). ``start_std``: a residual's initial spread (pre-tanh, in action units).
    """

    mode: str = "frozen"
    start_std: float = 0.3

    def __post_init__(self) -> None:
        if self.mode not in FINETUNE_MODES:
            raise ValueError(f"unknown fine-tune mode '{self.mode}'; allowed: {', '.join(FINETUNE_MODES)}")
        if not 0.0 < self.start_std <= 2.0:
            raise ValueError(f"start_std must be within (0, 2]; got {self.start_std}")


FINETUNE_MODES = ("frozen", "anchored", "tuned")
# Measured (docs/base-policies.md, "Keeping the base's balance"): no residual variant beat training the base's own
# network (Go1 walk backward 20k: 3 / 6 passes against at most 1 / 6; H1 arm wave 10k: 3 / 6 falls against 2-6 / 6).
FINETUNE = Finetune(mode="tuned")


def find_base(model_id: str, robot: Robot | None = None) -> Path | None:
    """The packaged base for ``model_id``; else one trained on the same robot with the same layout."""
    own = base.BASE_DIR / model_id
    if (own / checkpoint.METADATA_FILE).exists():
        return own
    if robot is None or not base.BASE_DIR.is_dir():
        return None
    for folder in sorted(base.BASE_DIR.iterdir()):
        try:
            meta = checkpoint.load_metadata(folder)
        except checkpoint.CheckpointError:
            continue
        if (
            meta.get("robot") == robot.profile.robot
            and meta["observation_size"] == behavior.observation_size(robot)
            and meta["action_size"] == robot.action_size
            and meta.get("base", {}).get("usable", True)
        ):
            return folder
    return None


def adapt_to_action_scale(params: ppo.Params, ratio: np.ndarray, action_obs: slice) -> ppo.Params:
    """Rescales a policy so that its actions move each actuator as before under a new action scale.

    ``ratio`` (nu,) = the base's action scale / the fine-tune's (a prior's residual 0.5 gives 2). The
    policy's mean (the first half of its last layer) is multiplied by the ratio, which is exact where
    tanh is near-linear (small corrective actions), and the normaliser statistics of the observed last
    action are multiplied too, so the network sees the same normalised input as when it was trained.
    """
    ratio = np.asarray(ratio, dtype=np.float32)
    if np.allclose(ratio, 1.0):
        return params
    normalizer, policy, value = params
    policy = scale_policy_mean(policy, ratio)

    def scaled(x: Any, power: int) -> np.ndarray:
        out = np.array(x)
        out[action_obs] *= ratio**power
        return out

    normalizer = normalizer.replace(
        mean=scaled(normalizer.mean, 1),
        std=scaled(normalizer.std, 1),
        summed_variance=scaled(normalizer.summed_variance, 2),
    )
    return normalizer, policy, value


def limb_shares(robot: Robot, motion: Motion) -> Motion:
    """``motion`` with residual shares read from the body plan: the policy keeps full authority over the legs and
    trunk (balance), and a part on any other limb (an arm, a head) gets the prior's own range as its share
    ((|offset| + amplitude) / action scale, within [0.1, 1])."""
    plan = body_plan_of(robot)
    names = robot.spec.joint_names
    balance = {j for limb in plan.of_kind("leg") for j in limb.joints} | set(plan.trunk)
    scale = float(np.max(np.asarray(action_scale(robot))))
    parts = []
    for part in motion.parts:
        joints = {names[j] for j in _part_joint_ids(robot, part)}
        if joints <= balance:
            share = 1.0
        else:
            share = float(np.clip((abs(part.offset) + part.amplitude) / scale, 0.1, 1.0))
        parts.append(part.model_copy(update={"residual": share}))
    return motion.model_copy(update={"parts": parts, "other_residual": 1.0})


def _part_joint_ids(robot: Robot, part: MotionPart) -> list[int]:
    if part.group is not None:
        return [int(j) for j in robot.spec.groups.get(part.group, [])]
    return [robot.spec.joint_names.index(part.joint)] if part.joint in robot.spec.joint_names else []


def action_obs_slice(robot: Robot) -> slice:
    """Where the last action sits in the observation (observations.observe's order)."""
    start = 3 + 3 + 2 * robot.spec.n_joints
    return slice(start, start + robot.action_size)


def init_from_base(
    robot: Robot,
    motion: Motion | None,
    cfg: ppo.PPOConfig,
    folder: Path | None = None,
    *,
    finetune: Finetune | None = None,
    seed: int = 0,
) -> tuple[ppo.Params | None, str]:
    """(params, note) to start training ``robot`` from its base, or (None, why not) when there is none.

    ``finetune`` (default ``FINETUNE``) says how the base is kept: as a residual policy over it (its first
    action is the base's under ``motion``'s action map, exactly) or as the base's own network trained.
    """
    finetune = finetune or FINETUNE
    folder = folder or find_base(robot.model_id, robot)
    if folder is None:
        return None, f"no base policy for {robot.model_id}; training from scratch"
    try:  # judged first: an attempt kept for its figures alone ships no parameters
        judged = checkpoint.load_metadata(folder).get("base", {})
    except checkpoint.CheckpointError as e:
        raise BaseError(f"base policy unusable: {e}") from None
    if not judged.get("usable", True):
        raise BaseError(
            f"the base policy {folder.name} is not used: it {judged.get('verdict', 'failed its evaluation')}"
        )
    params, meta = load_base(folder, robot, cfg)
    base_scale = np.asarray(meta.get("base", {}).get("action_scale") or action_scale(robot))
    new_scale = action_scale(robot, motion)
    ratio = np.divide(base_scale, new_scale, out=np.ones_like(new_scale), where=new_scale > 0)
    params = adapt_to_action_scale(params, ratio, action_obs_slice(robot))
    note = f"started from the base policy {folder.name} (trained for {meta['steps']:,} steps)"
    if finetune.mode == "tuned":
        return params, note
    params = residual.make(
        params,
        jax.random.PRNGKey(seed),
        hidden=cfg.policy_hidden,
        start_std=finetune.start_std,
        anchored=finetune.mode == "anchored",
    )
    return params, f"{note}, learning a residual over it ({finetune.mode} base)"
