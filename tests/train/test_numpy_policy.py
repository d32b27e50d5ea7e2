"""The numpy deterministic policy (rehearsals) acts as the jitted JAX one, plain and residual."""

from __future__ import annotations

import jax
import numpy as np

from tabrl.train import numpy_policy, ppo, residual

OBS, NU = 21, 5


def _params(seed: int) -> tuple:
    cfg = ppo.PPOConfig(policy_hidden=(32, 32), value_hidden=(16,))
    networks = ppo.make_networks(OBS, NU, cfg.policy_hidden, cfg.value_hidden)
    state = ppo.init_state(networks, OBS, cfg, jax.random.PRNGKey(seed))
    rng = np.random.default_rng(seed)
    # a trained-looking normaliser and non-trivial weights (a fresh head is near zero and would hide errors)
    normalizer = state.normalizer.replace(
        mean=rng.normal(size=OBS).astype(np.float32), std=rng.uniform(0.5, 2.0, OBS).astype(np.float32)
    )
    policy = jax.tree_util.tree_map(
        lambda w: np.asarray(w) + rng.normal(0, 0.3, np.shape(w)), state.params.policy
    )
    return (normalizer, policy, state.params.value), networks


def test_numpy_policy_equals_the_jax_policy():
    params, networks = _params(0)
    obs = np.random.default_rng(1).normal(0, 3, (7, OBS)).astype(np.float32)
    want = np.asarray(ppo.make_deterministic_policy(networks)(params, obs))
    got = numpy_policy.deterministic_policy(params)(obs)
    assert got.dtype == np.float32 and got.shape == (7, NU)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert np.ptp(got) > 0.5  # the actions differ across observations: the comparison means something


def test_numpy_residual_policy_equals_the_jax_one():
    base_params, networks = _params(2)
    normalizer, policy, value = residual.make(base_params, jax.random.PRNGKey(3), hidden=(16,), start_std=0.3)
    rng = np.random.default_rng(4)
    policy["residual"] = jax.tree_util.tree_map(
        lambda w: np.asarray(w) + rng.normal(0, 0.2, np.shape(w)), policy["residual"]
    )
    normalizer = normalizer.replace(mean=normalizer.mean + 0.5)  # the residual's own statistics
    params = (normalizer, policy, value)
    obs = rng.normal(0, 2, (6, OBS)).astype(np.float32)
    want = np.asarray(ppo.make_deterministic_policy(networks)(params, obs))
    np.testing.assert_allclose(numpy_policy.deterministic_policy(params)(obs), want, atol=1e-5)
    base_only = numpy_policy.deterministic_policy(base_params)(obs)
    assert np.abs(want - base_only).max() > 0.05  # the residual moved it: its part is in the comparison
