"""The deterministic policy evaluated in numpy, for short step-by-step CPU rollouts (a rehearsal).

Stepping MuJoCo one control step at a time, a jitted JAX policy pays its dispatch on every call (1-2.5 ms
on these machines) for a network that takes ~50 µs in numpy: most of a rehearsal's time was the dispatch.
The maths is Brax's: observations normalised by the running statistics, an MLP of swish hidden layers and a
linear head giving (loc, scale); the deterministic action is tanh(loc). A residual policy adds the base's loc
(through the base's own normaliser) to its residual's (tabrl/train/residual.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tabrl.train import residual


def _swish(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def _mlp(mlp_params: Any) -> Callable[[np.ndarray], np.ndarray]:
    layers = residual.mlp_layers(mlp_params)
    weights = [(np.asarray(k, np.float64), np.asarray(b, np.float64)) for k, b in layers]

    def forward(x: np.ndarray) -> np.ndarray:
        for i, (kernel, bias) in enumerate(weights):
            x = x @ kernel + bias
            if i < len(weights) - 1:
                x = _swish(x)
        return x

    return forward


def _normalised(
    mean: Any, std: Any, net: Callable[[np.ndarray], np.ndarray]
) -> Callable[[np.ndarray], np.ndarray]:
    m, s = np.asarray(mean, np.float64), np.asarray(std, np.float64)
    return lambda obs: net((np.asarray(obs, np.float64) - m) / s)


def deterministic_policy(params: tuple[Any, Any, Any]) -> Callable[[np.ndarray], np.ndarray]:
    """``obs (n, obs_size) -> action (n, nu)`` (float32) for ``(normalizer, policy, value)`` params, equal to
    ``ppo.make_deterministic_policy`` (float64 inside, within float32 rounding)."""
    normalizer, policy, _value = params
    if residual.is_residual(policy):
        base = policy["base"]
        base_net = _normalised(base["mean"], base["std"], _mlp(policy.get("tuned", base["policy"])))
        res_net = _normalised(normalizer.mean, normalizer.std, _mlp(policy["residual"]))

        def loc(obs: np.ndarray) -> np.ndarray:
            res = res_net(obs)
            nu = res.shape[-1] // 2
            return base_net(obs)[..., :nu] + res[..., :nu]
    else:
        net = _normalised(normalizer.mean, normalizer.std, _mlp(policy))

        def loc(obs: np.ndarray) -> np.ndarray:
            out = net(obs)
            return out[..., : out.shape[-1] // 2]

    return lambda obs: np.tanh(loc(obs)).astype(np.float32)
