"""A fine-tune as a residual over the base policy: base action + (the prior, in the action map) + a learned residual.

A residual policy's parameters are a dict in place of Brax's MLP params::

    {"base": {"policy": MLP, "mean": (obs,), "std": (obs,)},   # the base and its own normaliser: never trained
     "tuned": MLP,                                             # only when anchored: the base's trainable copy
     "residual": MLP}                                          # learned; its last layer starts at zero

The action distribution's mean is the base's mean (pre-tanh, read through the base's own normaliser) plus the
residual's; its spread is the residual's alone, a constant ``start_std`` at the start. With the residual's last
layer at zero the first action is the base's exactly, so training starts from what stands (the rehearsal) and
can only add to it. "Frozen": the base never moves. "Anchored": a trainable copy of the base is pulled back to
the base by an L2 term on its parameters (``PPOConfig.base_anchor_l2``).

A trained residual policy is saved as one plain Brax MLP (``fold``): the base's and the residual's layers side
by side (block-diagonal), the base's normaliser folded into its first layer. Checkpoints, ONNX export, the
renderer and the MJX trainer therefore read it as any other policy; it is twice as wide.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from brax.training import networks as brax_networks
from flax import linen

MIN_STD = 0.001  # brax's NormalTanhDistribution adds this to softplus(scale)


def is_residual(policy_params: Any) -> bool:
    return isinstance(policy_params, dict) and "residual" in policy_params


def is_anchored(policy_params: Any) -> bool:
    return is_residual(policy_params) and "tuned" in policy_params


def _layers(mlp_params: Any) -> dict[str, Any]:
    layers: dict[str, Any] = mlp_params.get("params", mlp_params)  # flax's {"params": ...} or the layers
    return layers


def _names(mlp_params: Any) -> list[str]:
    return sorted(_layers(mlp_params), key=lambda k: int(k.rsplit("_", 1)[-1]))


def mlp_layers(mlp_params: Any) -> list[tuple[Any, Any]]:
    """(kernel, bias) of each dense layer of a Brax MLP's params, in order (the last is the head)."""
    layers = _layers(mlp_params)
    return [(layers[n]["kernel"], layers[n]["bias"]) for n in _names(mlp_params)]


def layer_sizes(mlp_params: Any) -> list[int]:
    """The output width of each dense layer of a Brax MLP's params (the last is the head)."""
    layers = _layers(mlp_params)
    return [int(np.shape(layers[n]["kernel"])[1]) for n in _names(mlp_params)]


def mlp(mlp_params: Any, x: Any) -> Any:
    """Brax's policy MLP (swish hidden layers, linear head) applied with ``mlp_params``."""
    module = brax_networks.MLP(layer_sizes=layer_sizes(mlp_params), activation=linen.swish)
    return module.apply(mlp_params, x)


def apply(normalizer: Any, policy: dict[str, Any], obs: Any) -> Any:
    """The residual policy's distribution parameters (loc, raw scale), as Brax's policy network returns them."""
    base = policy["base"]
    base_logits = mlp(policy.get("tuned", base["policy"]), (obs - base["mean"]) / base["std"])
    res = mlp(policy["residual"], (obs - normalizer.mean) / normalizer.std)
    nu = res.shape[-1] // 2
    return jnp.concatenate([base_logits[..., :nu] + res[..., :nu], res[..., nu:]], axis=-1)


def _inverse_softplus(y: float) -> float:
    return float(np.log(np.expm1(y)))


def make(
    base_params: tuple[Any, Any, Any],
    key: Any,
    *,
    hidden: tuple[int, ...],
    start_std: float,
    anchored: bool = False,
) -> tuple[Any, Any, Any]:
    """(normalizer, residual policy, value) over ``base_params`` = (normalizer, policy, value) of a base.

    The residual MLP (``hidden`` layers) starts with its mean head at zero and its spread head constant at
    ``start_std`` (pre-tanh); the run's normaliser and value function start from the base's.
    """
    normalizer, base_policy, value = base_params
    if is_residual(base_policy):
        raise ValueError("the base policy is already a residual policy; fold it first (residual.fold)")
    nu2 = layer_sizes(base_policy)[-1]
    obs_size = int(np.shape(normalizer.mean)[-1])
    module = brax_networks.MLP(layer_sizes=[*hidden, nu2], activation=linen.swish)
    res = jax.device_get(module.init(key, jnp.zeros((1, obs_size))))
    last = _names(res)[-1]
    head = _layers(res)[last]
    bias = np.zeros(nu2, np.float32)
    bias[nu2 // 2 :] = _inverse_softplus(max(start_std - MIN_STD, 1e-4))
    res = {"params": {**_layers(res), last: {"kernel": np.zeros_like(head["kernel"]), "bias": bias}}}
    policy: dict[str, Any] = {
        "base": {
            "policy": base_policy,
            "mean": np.asarray(normalizer.mean, np.float32),
            "std": np.asarray(normalizer.std, np.float32),
        },
        "residual": res,
    }
    if anchored:
        policy["tuned"] = jax.tree_util.tree_map(np.array, base_policy)
    return normalizer, policy, value


def trainable(policy: Any) -> Any:
    """A tree like ``policy`` of 1.0 where PPO may change a parameter and 0.0 where it may not (the base)."""
    if not is_residual(policy):
        return jax.tree_util.tree_map(lambda _: 1.0, policy)
    return {k: jax.tree_util.tree_map(lambda _, one=float(k != "base"): one, v) for k, v in policy.items()}


def anchor_distance(policy: dict[str, Any]) -> Any:
    """Sum of squared differences between the anchored copy and the base (0 for a frozen base)."""
    if "tuned" not in policy:
        return 0.0
    base = jax.lax.stop_gradient(policy["base"]["policy"])
    diffs = jax.tree_util.tree_map(lambda a, b: jnp.sum((a - b) ** 2), policy["tuned"], base)
    return sum(jax.tree_util.tree_leaves(diffs))


def fold(params: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """A residual policy as one plain Brax MLP computing the same distribution mean and spread under the run's
    normaliser (plain params pass through). Exact up to float rounding: the two MLPs share the activation, so
    placing their layers block-diagonally computes both at once; the base's normaliser is linear, so it folds
    into the base's first layer."""
    normalizer, policy, value = params
    if not is_residual(policy):
        return params
    base_mlp = _layers(policy.get("tuned", policy["base"]["policy"]))
    res_mlp = _layers(policy["residual"])
    bn, rn = _names(base_mlp), _names(res_mlp)
    if len(bn) != len(rn):
        raise ValueError(
            f"the base has {len(bn)} layers and the residual {len(rn)}; folding needs the same depth"
        )
    # base input = (obs - mb) / sb = x * (s / sb) + (m - mb) / sb, with x = (obs - m) / s the run's normalised obs
    m, s = np.asarray(normalizer.mean, np.float64), np.asarray(normalizer.std, np.float64)
    mb = np.asarray(policy["base"]["mean"], np.float64)
    sb = np.asarray(policy["base"]["std"], np.float64)
    layers = {}
    for i, (b, r) in enumerate(zip(bn, rn, strict=True)):
        kb, bb = np.asarray(base_mlp[b]["kernel"], np.float64), np.asarray(base_mlp[b]["bias"], np.float64)
        kr, br = np.asarray(res_mlp[r]["kernel"], np.float64), np.asarray(res_mlp[r]["bias"], np.float64)
        if i == 0:
            bb = bb + ((m - mb) / sb) @ kb
            kb = kb * (s / sb)[:, None]
            kernel, bias = np.concatenate([kb, kr], axis=1), np.concatenate([bb, br])
        elif i < len(bn) - 1:
            kernel = np.block(
                [[kb, np.zeros((kb.shape[0], kr.shape[1]))], [np.zeros((kr.shape[0], kb.shape[1])), kr]]
            )
            bias = np.concatenate([bb, br])
        else:  # the head: mean = base's + residual's; spread = the residual's alone
            nu = kr.shape[1] // 2
            kb = np.concatenate([kb[:, :nu], np.zeros_like(kb[:, nu:])], axis=1)
            kernel = np.concatenate([kb, kr], axis=0)
            bias = np.concatenate([bb[:nu] + br[:nu], br[nu:]])
        layers[f"hidden_{i}"] = {"kernel": kernel.astype(np.float32), "bias": bias.astype(np.float32)}
    return normalizer, {"params": layers}, value
