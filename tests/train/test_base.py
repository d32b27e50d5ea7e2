"""Base policies: the packaged ones load and balance, fine-tuning keeps them, bad ones never block training."""

from __future__ import annotations

import json
import shutil

import jax
import numpy as np
import pytest

from tabrl.design.builtin import motion_priors
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.motion import Motion
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import base_policy_status, load_robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import base, batch, checkpoint, finetune, ppo

GO1 = "Go1JoystickFlatTerrain"
SHAKE = RewardProgram.parse(
    {
        "name": "Hip shake",
        "summary": "Shake the hips with a prior",
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


def test_every_seed_robot_ships_a_small_evaluated_base():
    for model_id in base.SEED_MODELS:
        folder = finetune.find_base(model_id)
        assert folder is not None, f"no packaged base for {model_id}"
        meta = checkpoint.load_metadata(folder)
        assert (folder / checkpoint.PARAMS_FILE).stat().st_size < 1_000_000
        assert meta["steps"] >= 10_000 and meta["wall_time_s"] > 0 and "seed" in meta
        # `tabrl base train MODEL` without --steps reproduces the packaged base's budget (a base trained on
        # with --resume lists that command first, then its own)
        steps = base.default_steps(load_robot(model_id))
        first, *more = meta["base"]["command"].split(" && ")
        assert first == f"tabrl base train {model_id} --steps {steps} --seed 0"
        assert all(
            c.startswith(f"tabrl base train {model_id} --steps ") and c.endswith(" --resume") for c in more
        )
        ev = meta["base"]["evaluation"]["perturbed"]
        assert ev["pushes"] > 0 and np.isfinite(ev["mean_step_reward"])
        assert isinstance(meta["base"]["usable"], bool) and meta["base"]["verdict"]
        status = base_policy_status(model_id)  # a base that does not beat the zero action is not offered
        assert status.available == meta["base"]["usable"] and status.steps == meta["steps"]
        if not status.available:
            assert "not used" in status.note


def test_go1_base_stands_under_pushes(go1, cfg):
    meta = checkpoint.load_metadata(finetune.find_base(GO1))
    ev = meta["base"]["evaluation"]["perturbed"]
    assert ev["fall_rate"] <= 0.1 and ev["upright_fraction"] >= 0.9, ev
    params, _ = finetune.load_base(finetune.find_base(GO1), go1, cfg)
    assert int(params[0].count.to_numpy()) > 1_000  # the normaliser statistics come along


def test_pushes_change_the_base_velocity(go1):
    program = RewardProgram.parse(
        {"name": "Stand", "summary": "s", "terms": [{"term": "upright", "weight": 1.0}]}
    )
    compiled = compile_program(program, go1.spec, np)
    config = behavior.default_config()
    config.push_interval_s, config.push_speed = 0.04, 0.5  # about every other step
    pushed, still = (
        NativeBatchEnv(go1, compiled, 4, seed=0, config=c) for c in (config, behavior.default_config())
    )
    assert still._pushes is None  # off by default
    speeds = {}
    for name, env in (("pushed", pushed), ("still", still)):
        env.reset()
        speeds[name] = []
        for _ in range(10):
            env.step(np.zeros((4, go1.action_size)))
            speeds[name].append(np.linalg.norm(env.qvel[:, :2], axis=1).mean())
    assert pushed._pushes.count >= 8
    assert np.mean(speeds["pushed"]) > np.mean(speeds["still"]) + 0.1, speeds


def test_adapted_base_moves_the_robot_as_before(go1, cfg):
    """A prior's residual 0.5 halves the action's scale: the rescaled base must give the same targets."""
    params, _ = finetune.load_base(finetune.find_base(GO1), go1, cfg)
    motion = Motion.model_validate(SHAKE.motion.model_dump())
    ratio = base.action_scale(go1) / base.action_scale(go1, motion)
    assert ratio.max() == pytest.approx(2.0) and ratio.min() == pytest.approx(1.0)
    adapted = finetune.adapt_to_action_scale(params, ratio, finetune.action_obs_slice(go1))
    networks = ppo.make_networks(
        behavior.observation_size(go1), go1.action_size, cfg.policy_hidden, cfg.value_hidden
    )
    act = ppo.make_deterministic_policy(networks)
    env = NativeBatchEnv(go1, compile_program(SHAKE, go1.spec, np), 8, seed=1)
    obs = env.reset()
    a_base = np.asarray(act(params, obs))
    obs_new = obs.copy()
    obs_new[:, finetune.action_obs_slice(go1)] *= (
        ratio  # the fine-tune observes its own (rescaled) last action
    )
    a_new = np.asarray(act(adapted, obs_new))
    effect_base, effect_new = a_base * base.action_scale(go1), a_new * base.action_scale(go1, motion)
    # A residual of 0.5 reaches half as far: where the base asks for more, the adapted policy goes to the limit.
    reachable = np.abs(a_base * ratio) < 0.8
    assert reachable.mean() > 0.5
    gap = np.abs(effect_new - effect_base)[reachable]
    assert gap.max() < 0.1 * np.abs(effect_base).max() + 1e-3
    beyond = ~reachable
    assert np.all(np.sign(a_new[beyond]) == np.sign(a_base[beyond])) and np.all(np.abs(a_new[beyond]) > 0.7)


def test_designer_priors_become_one_sine_per_env_with_their_own_clock(go1):
    """The base balances under the designer's own priors: each collapses exactly to one sine per actuator,
    and an env under a prior observes a clock at that prior's frequency (as the fine-tune will)."""
    from tabrl.design.builtin import design_approaches

    trot = next(p.motion for p in design_approaches(GO1, "walk forward") if p.name == "Trot Rhythm")
    compiled = base.compile_motion(trot, go1.spec)
    assert len(compiled.omega) > 1  # a part per leg joint, summed into one sine below
    one = base._one_sine(compiled)
    t = np.linspace(0.0, 3.0, 151)
    np.testing.assert_allclose(one.reference(np, t), compiled.reference(np, t), atol=1e-12)
    pool = base.designer_pool(go1, base.recipe_for(go1), motion_priors(GO1))
    assert len(pool) >= 20 and any(np.abs(c.offset).max() > 0.1 for c in pool)  # rhythms and poses
    rm = base.RandomMotion(share=1.0, designer_share=1.0)
    motion = base._random_motions(go1, rm, 32, np.random.default_rng(0), pool)
    rhythmic = motion.omega[:, 0] > 0
    assert rhythmic.any() and (~rhythmic).any()
    program = RewardProgram.parse(
        {"name": "Stand", "summary": "s", "terms": [{"term": "upright", "weight": 1.0}]}
    )
    env = NativeBatchEnv(go1, compile_program(program, go1.spec, np), 32, seed=0)
    base._set_motion(env, go1, motion)
    clock = env.clock_hz
    np.testing.assert_allclose(clock[rhythmic], motion.omega[rhythmic, 0] / (2 * np.pi))
    env.reset()
    for _ in range(5):
        obs, *_ = env.step(np.zeros((32, go1.action_size)))
    phase = 2 * np.pi * clock * 5 * go1.ctrl_dt
    np.testing.assert_allclose(obs[:, -2], np.sin(phase), atol=1e-5)


def _corrupt_copy(tmp_path, model_id):
    folder = tmp_path / model_id
    shutil.copytree(finetune.find_base(GO1), folder)
    (folder / checkpoint.PARAMS_FILE).write_bytes(b"not msgpack at all")
    return folder


def test_corrupt_or_mismatched_base_is_a_clear_error(go1, cfg, tmp_path):
    with pytest.raises(base.BaseError, match="corrupt"):
        finetune.init_from_base(go1, None, cfg, folder=_corrupt_copy(tmp_path, GO1))
    ur5e = load_robot("UR5e")
    with pytest.raises(base.BaseError, match="observation 44 / action 12, but UR5e has"):
        finetune.init_from_base(ur5e, None, ppo.ppo_config_for(10_000, "arm"), folder=finetune.find_base(GO1))
    unusable = tmp_path / "unusable"
    shutil.copytree(finetune.find_base(GO1), unusable)
    meta = json.loads((unusable / checkpoint.METADATA_FILE).read_text())
    meta["base"].update(usable=False, verdict="falls in 90% of pushed 10 s episodes")
    (unusable / checkpoint.METADATA_FILE).write_text(json.dumps(meta))
    with pytest.raises(base.BaseError, match="is not used: it falls in 90%"):
        finetune.init_from_base(go1, None, cfg, folder=unusable)
    (unusable / checkpoint.PARAMS_FILE).unlink()  # an attempt kept for its figures alone: the same reason
    with pytest.raises(base.BaseError, match="is not used: it falls in 90%"):
        finetune.init_from_base(go1, None, cfg, folder=unusable)
    bad_meta = tmp_path / "bad_meta"
    shutil.copytree(finetune.find_base(GO1), bad_meta)
    (bad_meta / checkpoint.METADATA_FILE).write_text("{")
    with pytest.raises(base.BaseError, match="metadata.json is corrupt"):
        finetune.init_from_base(go1, None, cfg, folder=bad_meta)


@pytest.mark.slow
def test_fine_tune_starts_from_the_base_and_keeps_its_balance(go1, cfg):
    """Critic warm-up: the first iterations leave the (adapted) base untouched, and it falls less than a fresh policy."""
    base_params, note = finetune.init_from_base(go1, SHAKE.motion, cfg)
    assert "base policy" in note
    compiled = compile_program(SHAKE, go1.spec, np)
    falls = {}
    trained = {}
    for label, init in (("base", base_params), ("scratch", None)):
        env = NativeBatchEnv(
            go1,
            compiled,
            cfg.num_envs,
            seed=0,
            motion=SHAKE.motion,
            clock_hz=behavior.program_clock_hz(SHAKE),
        )
        count = [0]
        step = env.step

        def counting_step(action, step=step, count=count):
            out = step(action)
            count[0] += int(out[4]["fell"].sum())
            return out

        env.step = counting_step
        trained[label], _ = batch.train(
            env, 2 * cfg.num_envs * cfg.unroll_length, cfg, seed=0, init_params=init, critic_warmup_iters=2
        )
        falls[label] = count[0]
    same = jax.tree_util.tree_map(
        lambda a, b: np.array_equal(np.asarray(a), np.asarray(b)), trained["base"][1], base_params[1]
    )
    assert all(jax.tree_util.tree_leaves(same)), "the warm-up moved the base policy"
    assert int(trained["base"][0].count.to_numpy()) > int(
        base_params[0].count.to_numpy()
    )  # statistics kept and updated, not reset
    assert falls["base"] <= falls["scratch"], falls


@pytest.mark.slow
def test_a_corrupt_base_never_blocks_training(tmp_path, monkeypatch):
    from tabrl.pipeline import run_training_job

    packaged = tmp_path / "bases"
    packaged.mkdir()
    _corrupt_copy(packaged, GO1)
    monkeypatch.setattr(base, "BASE_DIR", packaged)
    events = []
    program = SHAKE.model_dump()
    result = run_training_job(
        GO1, program, 1_000, tmp_path / "job", render_seconds=1.0, on_event=events.append
    )
    started = next(e for e in events if e.type == "started")
    assert "corrupt" in started.data.init and "training from scratch" in started.data.init
    assert result.init == started.data.init
    meta = json.loads((tmp_path / "job" / "policy" / checkpoint.METADATA_FILE).read_text())
    assert "training from scratch" in meta["init"] and meta["steps"] >= 1_000


@pytest.mark.slow
def test_base_train_writes_a_loadable_evaluated_base(go1, tmp_path):
    """`tabrl base train` end to end at a tiny budget: the recipe (with the designer's priors) is recorded,
    the evaluation ran under pushes and priors, the folder loads as a base for a fine-tune, and training goes on
    from it (--resume)."""
    folder, meta = base.train_base(go1, 2_048, seed=3, out_dir=tmp_path, priors=motion_priors(GO1))
    assert folder == tmp_path / GO1 and meta["steps"] >= 2_048
    recipe = meta["base"]
    assert recipe["random_motion"]["designer_share"] > 0 and recipe["command"].endswith("--seed 3")
    perturbed = recipe["evaluation"]["perturbed"]
    assert perturbed["pushes"] > 0 and 0.0 <= perturbed["fall_rate"] <= 1.0
    assert isinstance(recipe["usable"], bool) and "zero action" in recipe["verdict"]
    cfg = ppo.ppo_config_for(2_048, "quadruped")
    params, loaded = finetune.load_base(folder, go1, cfg)
    assert loaded["steps"] == meta["steps"] and int(params[0].count.to_numpy()) > 0
    # --resume goes on from that base: its normaliser keeps counting, and the steps and wall time add up.
    more, resumed = base.train_base(
        go1, 2_048, seed=4, out_dir=tmp_path / "more", priors=motion_priors(GO1), resume=folder
    )
    again, _ = finetune.load_base(more, go1, cfg)
    assert resumed["steps"] >= meta["steps"] + 2_048 and resumed["wall_time_s"] > meta["wall_time_s"]
    assert int(again[0].count.to_numpy()) > int(params[0].count.to_numpy())
    assert (
        resumed["base"]["command"]
        == f"{meta['base']['command']} && tabrl base train {GO1} --steps 2048 --seed 4 --resume"
    )
