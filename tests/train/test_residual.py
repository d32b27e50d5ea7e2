"""A fine-tune as a residual over its base: it starts exactly where the base + prior stand, the frozen base never
moves in training, and the saved (folded) policy and its ONNX export reproduce the residual policy."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import onnxruntime
import pytest

from tabrl.export import onnx as onnx_export
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import checkpoint, finetune, ppo, residual

GO1 = "Go1JoystickFlatTerrain"
WAVE = RewardProgram.parse(
    {
        "name": "Hip sway",
        "summary": "Sway the hips over the base's balance",
        "terms": [
            {
                "term": "joint_sine",
                "weight": 1.0,
                "params": {
                    "group": "hip_abduction",
                    "amplitude": 0.3,
                    "frequency_hz": 2.0,
                    "pattern": "alternate",
                },
            },
            {"term": "upright", "weight": 1.0},
        ],
        "motion": {
            "parts": [
                {"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0, "pattern": "alternate"}
            ],
            "residual": 0.5,
        },
    }
)


@pytest.fixture(scope="module")
def go1():
    return load_robot(GO1)


@pytest.fixture(scope="module")
def cfg():
    return ppo.ppo_config_for(10_000, "quadruped")


def _env(robot, cfg, seed=0):
    compiled = compile_program(WAVE, robot.spec, np)
    return NativeBatchEnv(robot, compiled, cfg.num_envs, seed=seed, motion=WAVE.motion, clock_hz=2.0)


def _networks(robot, cfg):
    return ppo.make_networks(
        behavior.observation_size(robot), robot.action_size, cfg.policy_hidden, cfg.value_hidden
    )


@pytest.mark.parametrize("mode", ["frozen", "anchored"])
def test_the_first_action_is_the_starts_exactly(go1, cfg, mode):
    """The start is the base (rescaled to the prior's action map) + the prior: the residual adds nothing yet."""
    start, _ = finetune.init_from_base(go1, WAVE.motion, cfg, finetune=finetune.Finetune(mode="tuned"))
    params, note = finetune.init_from_base(go1, WAVE.motion, cfg, finetune=finetune.Finetune(mode=mode))
    assert residual.is_residual(params[1]) and not residual.is_residual(start[1])
    assert f"residual over it ({mode} base)" in note
    act = ppo.make_deterministic_policy(_networks(go1, cfg))
    env = _env(go1, cfg)
    obs = env.reset()
    want, got = np.asarray(act(start, obs)), np.asarray(act(params, obs))
    assert np.abs(want).max() > 0.05, "a start that outputs zeros proves nothing"
    np.testing.assert_array_equal(got, want)
    amap = env._action_map
    np.testing.assert_array_equal(amap.ctrl(np, got, 0.3), amap.ctrl(np, want, 0.3))
    # the same through a few real steps (the residual's normaliser is the base's at the start)
    for _ in range(5):
        obs, *_ = env.step(np.asarray(act(params, obs)))
        np.testing.assert_array_equal(np.asarray(act(params, obs)), np.asarray(act(start, obs)))


def _short_training(robot, cfg, params, iterations=3, seed=0):
    """Real PPO on real rollouts: ``iterations`` unrolls of the Go1 env and an update after each."""
    networks = _networks(robot, cfg)
    act, update = ppo.make_functions(networks, cfg)
    state = ppo.init_state(networks, behavior.observation_size(robot), cfg, jax.random.PRNGKey(seed), params)
    env = _env(robot, cfg, seed)
    obs = env.reset(stagger=True)
    key = jax.random.PRNGKey(seed + 1)
    for _ in range(iterations):
        buf = ppo.Unroll((cfg.unroll_length, cfg.num_envs), env.observation_size, env.action_size)
        for t in range(cfg.unroll_length):
            key, k = jax.random.split(key)
            action, raw, logp, logits = act(state, obs, k)
            buf.obs[t], buf.raw[t], buf.logp[t], buf.logits[t] = obs, raw, logp, logits
            obs, reward, done, trunc, _ = env.step(np.asarray(action))
            buf.rew[t], buf.disc[t], buf.trunc[t], buf.next[t] = reward, 1.0 - done, trunc, obs
        key, kup = jax.random.split(key)
        state, _ = update(state, buf.transition(), kup)
    return jax.device_get((state.normalizer, state.params.policy, state.params.value)), obs


def _leaves_equal(a, b) -> bool:
    return all(
        np.array_equal(x, y)
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True)
    )


def test_a_frozen_base_is_unchanged_by_training_while_the_residual_learns(go1, cfg):
    params, _ = finetune.init_from_base(go1, WAVE.motion, cfg, finetune=finetune.Finetune(mode="frozen"))
    trained, _ = _short_training(go1, cfg, params)
    assert _leaves_equal(trained[1]["base"], params[1]["base"]), "the frozen base moved"
    head = residual._names(trained[1]["residual"])[-1]
    assert np.abs(trained[1]["residual"]["params"][head]["kernel"]).max() > 0, "the residual did not learn"
    assert not _leaves_equal(trained[2], params[2]), "the value function did not learn"


def test_an_anchored_base_moves_but_is_pulled_back(go1, cfg):
    params, _ = finetune.init_from_base(go1, WAVE.motion, cfg, finetune=finetune.Finetune(mode="anchored"))
    loose, _ = _short_training(go1, dataclasses.replace(cfg, base_anchor_l2=0.0), params)
    held, _ = _short_training(go1, dataclasses.replace(cfg, base_anchor_l2=100.0), params)
    for trained in (loose, held):
        assert _leaves_equal(trained[1]["base"], params[1]["base"]), "the anchor itself moved"
    drift = {name: float(residual.anchor_distance(t[1])) for name, t in (("loose", loose), ("held", held))}
    assert 0 < drift["held"] < drift["loose"], drift


def test_the_saved_policy_and_its_onnx_export_reproduce_the_residual_policy(go1, cfg, tmp_path):
    params, _ = finetune.init_from_base(go1, WAVE.motion, cfg, finetune=finetune.Finetune(mode="anchored"))
    trained, obs = _short_training(go1, cfg, params, iterations=2)
    networks = _networks(go1, cfg)
    act = ppo.make_deterministic_policy(networks)
    rng = np.random.default_rng(0)
    batch = np.concatenate([obs, obs + rng.normal(0, 0.3, obs.shape)]).astype(np.float32)
    want = np.asarray(act(trained, batch))
    assert not np.allclose(want, np.asarray(act(params, batch)), atol=1e-4), "training changed nothing"
    # the distribution (mean and spread), not only the action, survives folding
    folded = residual.fold(trained)
    np.testing.assert_allclose(
        np.asarray(networks.policy_network.apply(folded[0], folded[1], batch)),
        np.asarray(networks.policy_network.apply(trained[0], trained[1], jnp.asarray(batch))),
        atol=2e-5,
    )
    meta = {
        "model_id": GO1,
        "program": WAVE.model_dump(),
        "observation_size": behavior.observation_size(go1),
        "action_size": go1.action_size,
        "network": cfg.network_kwargs(),
        "clock_hz": 2.0,
        "motion": WAVE.motion.model_dump(),
        "steps": 0,
        "seed": 0,
    }
    folder = checkpoint.save(
        tmp_path / "policy",
        trained,
        meta,
        write_extra=lambda tmp: onnx_export.write_export(tmp, go1, trained, meta),
    )
    saved = checkpoint.load_metadata(folder)["network"]
    assert saved["policy_hidden"] == [2 * h for h in cfg.policy_hidden]  # base and residual side by side
    assert saved["value_hidden"] == list(cfg.value_hidden)
    policy, _ = checkpoint.load_policy(folder)
    np.testing.assert_allclose(policy(batch), want, atol=1e-5)
    session = onnxruntime.InferenceSession(str(folder / "policy.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(["action"], {"obs": batch})[0], want, atol=1e-5)


def test_a_bad_fine_tune_setting_says_what_is_allowed():
    with pytest.raises(ValueError, match="allowed: frozen, anchored, tuned"):
        finetune.Finetune(mode="melted")
    with pytest.raises(ValueError, match="start_std must be within"):
        finetune.Finetune(start_std=0.0)
