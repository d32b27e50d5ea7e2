"""One training process for a batch (issue 11, item 3): several reward programs of one robot stepped as one
physics batch and updated by one vmapped PPO step (real MuJoCo, real PPO)."""

from __future__ import annotations

from pathlib import Path

import jax
import numpy as np
import pytest

from tabrl.pipeline import Cancelled, RunResult, run_training_batch
from tabrl.render.rollout import rollout
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import batch, finetune, ppo


def _program(name: str, expr: str) -> RewardProgram:
    return RewardProgram.parse(
        {"name": name, "summary": name, "terms": [{"term": "expr", "weight": 1.0, "expr": expr}]}
    )


# Two CartpoleBalance behaviors PPO learns within a few thousand steps on every machine, each scoring the
# other poorly: the cart to the right end and to the left end. (A cart held at +0.5 m or at the centre was
# learnt by some seeds and thread splits only: at 8k steps PPO finds "push one way", nothing finer.)
RIGHT, LEFT = _program("right", "q[0]"), _program("left", "-q[0]")
HOLD = _program("hold", "-abs(q[0] - 0.5)")  # a third program for the physics batch (not learnt)
CFG = ppo.PPOConfig(num_envs=32, unroll_length=8)


@pytest.fixture(scope="module")
def cartpole():
    return load_robot("CartpoleBalance")


def _env(robot, program, seed=0, **kw) -> NativeBatchEnv:
    compiled = compile_program(program, robot.spec, np)
    return NativeBatchEnv(
        robot, compiled, CFG.num_envs, seed=seed, clock_hz=behavior.program_clock_hz(program), **kw
    )


def _flat(policy_params) -> np.ndarray:
    return np.concatenate([np.ravel(x) for x in jax.tree_util.tree_leaves(policy_params)])


def _score(robot, params, program) -> float:
    """Mean per-step reward of ``program`` over a 5 s rollout of the deterministic policy ``params``
    (None: uniformly random actions)."""
    if params is None:  # the mean of three random runs
        rngs = [np.random.default_rng(i) for i in range(3)]
        return float(
            np.mean(
                [
                    _score_policy(robot, lambda _o, r=r: r.uniform(-1, 1, robot.action_size), program)
                    for r in rngs
                ]
            )
        )
    else:
        networks = ppo.make_networks(
            behavior.observation_size(robot), robot.action_size, CFG.policy_hidden, CFG.value_hidden
        )
        act = ppo.make_deterministic_policy(networks)
        return _score_policy(robot, lambda o: np.asarray(act(params, o)), program)


def _score_policy(robot, policy, program) -> float:
    compiled = compile_program(program, robot.spec, np)
    traj = rollout(
        robot, policy, seconds=5.0, reward_fn=compiled, clock_hz=behavior.program_clock_hz(program)
    )
    return float(traj.reward.mean())


def test_one_rollout_call_steps_every_env_as_it_would_alone(cartpole):
    """The physics batch is exact: each env ends where stepping it by itself takes it."""
    alone = [_env(cartpole, p, seed=i) for i, p in enumerate((RIGHT, LEFT, HOLD))]
    together = [_env(cartpole, p, seed=i, nthread=1) for i, p in enumerate((RIGHT, LEFT, HOLD))]
    physics = batch.PhysicsBatch(together, nthread=2)
    for e in alone + together:
        e.reset(stagger=True)
    rng = np.random.default_rng(0)
    for step in range(60):  # past a few resets (staggered episodes time out)
        actions = [rng.uniform(-1, 1, (CFG.num_envs, cartpole.action_size)) for _ in alone]
        # Env 1 sits steps 20-29 out (a stopped approach): it must not move meanwhile.
        skip = 20 <= step < 30
        results = physics.step([None if (k == 1 and skip) else a for k, a in enumerate(actions)])
        for k, env in enumerate(alone):
            if k == 1 and skip:
                assert results[k] is None
                continue
            obs, reward, done, _, _ = env.step(actions[k])
            np.testing.assert_array_equal(results[k][0], obs)
            np.testing.assert_array_equal(results[k][1], reward)
            np.testing.assert_array_equal(results[k][2], done)
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a.state, b.state)


@pytest.fixture(scope="module")
def left_alone(cartpole):
    """LEFT trained alone (a batch of one), seed 2: what a slice with the same seed should track."""
    return batch.train(_env(cartpole, LEFT, seed=2, nthread=1), 2048, CFG, seed=2)


@pytest.mark.slow
def test_a_batch_of_three_programs_trains_three_different_policies(cartpole):
    # Right, left, right: slices 0 and 2 share a program but not a seed, so a slice that trained on its
    # neighbour's reward goes the wrong way, whichever neighbour it is.
    programs, seeds = (RIGHT, LEFT, RIGHT), [0, 1, 2]
    envs = [_env(cartpole, p, seed=s, nthread=1) for p, s in zip(programs, seeds, strict=True)]
    seen = {k: [] for k in range(3)}
    results = batch.train_batch(
        envs, 8192, CFG, seeds=seeds, on_progress=lambda k, p: seen[k].append(p.steps)
    )
    assert all(s[-1] == 8192 for s in seen.values())  # progress per approach, every iteration
    policies = [r[0] for r in results]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not np.allclose(_flat(policies[i][1]), _flat(policies[j][1]), atol=1e-3)
    for program in (RIGHT, LEFT):
        scores = [_score(cartpole, p, program) for p in policies]
        random = _score(cartpole, None, program)
        own = [s for s, p in zip(scores, programs, strict=True) if p is program]
        other = [s for s, p in zip(scores, programs, strict=True) if p is not program]
        # The direction of the effect, not a margin: every policy improves its own reward over random
        # actions and scores it above every policy trained on the opposite reward (each ends at a rail
        # end, ~±1.6 here with 1 or 2 physics threads, seeds 0-8; random ±0.24).
        assert min(own) > random and min(own) > max(other), (program.name, scores, random)


@pytest.mark.slow
def test_a_stopped_slice_stops_learning_while_the_others_go_on(cartpole, left_alone):
    stopped = []
    reports = {0: 0, 1: 0}

    def on_progress(k, _p):
        reports[k] += 1

    results = batch.train_batch(
        [_env(cartpole, RIGHT, seed=1, nthread=1), _env(cartpole, LEFT, seed=2, nthread=1)],
        2048,
        CFG,
        seeds=[1, 2],
        on_progress=on_progress,
        should_stop=lambda k: k == 0 and reports[0] >= 2,
        on_stopped=stopped.append,
    )
    assert stopped == [0] and results[0] is None and reports[0] == 2
    assert reports[1] == 8  # every iteration of 2048 / (32 x 8)
    # The other slice trained exactly as it would have alone.
    alone, _ = left_alone
    np.testing.assert_allclose(_flat(results[1][0][1]), _flat(alone[1]), atol=1e-5)
    with pytest.raises(Cancelled):
        batch.train_batch([_env(cartpole, RIGHT, nthread=1)], 2048, CFG, should_stop=lambda _k: True)


@pytest.mark.slow
def test_batch_job_fails_or_cancels_one_approach_and_finishes_the_others(tmp_path):
    bad = {
        "name": "bad",
        "summary": "no such feature",
        "terms": [{"term": "expr", "weight": 1.0, "expr": "nope"}],
    }
    events = {0: [], 1: [], 2: []}
    outcomes = {}

    def on_event(k, e):
        events[k].append(e.type)

    progress = {0: 0, 1: 0, 2: 0}

    def count(k, e):
        on_event(k, e)
        if e.type == "progress":
            progress[k] += 1

    results = run_training_batch(
        "CartpoleBalance",
        [RIGHT, bad, LEFT.model_dump()],
        1024,
        [tmp_path / f"a{k}" for k in range(3)],
        render_seconds=0.5,
        on_event=count,
        should_stop=lambda k: k == 2 and progress[2] >= 1,
        on_outcome=lambda k, r: outcomes.setdefault(k, r),
    )
    assert isinstance(results[1], Exception) and not isinstance(results[1], Cancelled)
    assert "nope" in str(results[1])
    assert isinstance(results[2], Cancelled) and events[2][:2] == ["started", "progress"]
    assert isinstance(results[0], RunResult) and results[0].steps == 1024 and results[0].batch == 2
    assert (tmp_path / "a0" / "video.mp4").is_file() and (tmp_path / "a0" / "policy").is_dir()
    assert not (tmp_path / "a2" / "policy").exists()
    assert events[0][0] == "started" and events[0].count("progress") == 4 and "checkpoint" in events[0]
    assert set(outcomes) == {0, 1, 2} and outcomes[0] is results[0]


@pytest.mark.slow
def test_each_slice_starts_from_the_base_adapted_to_its_own_prior(tmp_path):
    """Fine-tuning per slice: the base rescaled to each program's action map, then critic warm-up
    (the first two iterations move only the value function), as a single job does."""
    from tabrl.design.builtin import design_approaches

    model_id = "Go1JoystickFlatTerrain"
    robot = load_robot(model_id)
    programs = design_approaches(model_id, "keep shaking your hips aloha dude!")
    cfg = ppo.ppo_config_for(512, robot.spec.category)
    started = {}
    results = run_training_batch(
        model_id,
        programs,
        512,  # two iterations: both within the critic warm-up
        [tmp_path / f"a{k}" for k in range(3)],
        from_base=True,
        render_seconds=0.5,
        on_event=lambda k, e: started.setdefault(k, e) if e.type == "started" else None,
    )
    from tabrl.pipeline import load_params

    starts = []
    for k, program in enumerate(programs):
        assert started[k].data.init.startswith("started from the base policy"), started[k]
        expected, _ = finetune.init_from_base(robot, program.motion, cfg)
        _, trained, _ = load_params(Path(results[k].checkpoint))
        np.testing.assert_allclose(_flat(trained[1]), _flat(expected[1]), atol=1e-6)
        if results[k].start_vs_trained["kept"] == "trained":
            assert not np.allclose(_flat(trained[2]), _flat(expected[2]))  # the critic learned the new reward
        else:  # a policy still in its warm-up did not beat its start: the start is kept whole (beat_start)
            np.testing.assert_allclose(_flat(trained[2]), _flat(expected[2]), atol=1e-6)
        starts.append(_flat(expected[1]))
    assert not (np.allclose(starts[0], starts[1]) and np.allclose(starts[1], starts[2]))  # per-slice priors


@pytest.mark.slow
def test_cli_train_all_trains_the_three_approaches_as_one_batch(tmp_path):
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "tabrl.cli",
        "train",
        "--model",
        "CartpoleBalance",
        "--prompt",
        "balance the pole",
    ]
    cmd += ["--steps", "1000", "--seconds", "1", "--out", str(tmp_path / "run")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.count("(one batch of 3)") == 3, done.stdout
    for i in (1, 2, 3):
        assert (tmp_path / "run" / f"approach-{i}" / "video.mp4").stat().st_size > 0
        assert (tmp_path / "run" / f"approach-{i}" / "policy" / "policy.onnx").is_file()


@pytest.mark.slow
def test_videos_filmed_side_by_side_match_those_filmed_one_by_one(tmp_path, monkeypatch):
    """A batch's videos are filmed in threads (render.film.film_threads): each must show exactly what filming its
    policy alone shows. Go1's drawing model is built afresh, by the threads at once (it once came out broken)."""
    import collections

    import av

    from tabrl.design.builtin import design_approaches
    from tabrl.pipeline import run_render_job
    from tabrl.render import video

    def frames(path: Path) -> np.ndarray:
        with av.open(str(path)) as container:
            return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])

    model_id = "Go1JoystickFlatTerrain"
    programs = design_approaches(model_id, "keep shaking your hips aloha dude!")[:2]
    monkeypatch.setenv("TABRL_FILM_THREADS", "2")
    monkeypatch.setattr(video, "_render_models", collections.OrderedDict())
    out = [tmp_path / f"a{k}" for k in range(2)]
    results = run_training_batch(model_id, programs, 256, out, render_seconds=0.5)
    assert not [r for r in results if isinstance(r, BaseException)], results
    for k, result in enumerate(results):
        alone = run_render_job(Path(result.checkpoint), tmp_path / f"alone{k}", seconds=0.5)
        a, b = frames(Path(alone.video)), frames(out[k] / "video.mp4")
        assert a.shape == b.shape and a.std() > 10
        # The same policy, rollout and picture: a video filmed by a process's first renderer differs from one
        # filmed by a used one at edges only (measured: 1.06 of 255 on average, in either mode); the defect this
        # guards, calves drawn out of place, was 38 on average.
        diff = np.abs(a.astype(int) - b.astype(int))
        assert diff.mean() < 2.0 and (diff > 32).mean() < 0.01, (diff.mean(), (diff > 32).mean())
