"""Training must beat its own start: where a short real training does worse than the policy it started
from, the studio keeps the start (video, metrics, verdict, checkpoint and export) and says why."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime
import pytest

from tabrl.api.schemas import StartVsTrainedOut
from tabrl.jobs.specs import JobSpec
from tabrl.jobs.worker import _done
from tabrl.pipeline import load_policy, run_render_job, run_training_job
from tabrl.render import beat_start
from tabrl.render.rehearsal import _starting_policy
from tabrl.render.rollout import rollout
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior

GO1 = "Go1JoystickFlatTerrain"
# Stand tall under a gentle hip sway: what the base already does. A learning rate of 0.3 (the budget's is
# 1e-3) wrecks the policy within the few updates 2k steps buy: an honest training that does worse.
STAND_AND_SWAY = {
    "name": "Stand and sway",
    "summary": "Stand upright at standing height while the hips sway gently.",
    "terms": [
        {"term": "upright", "weight": 1.0},
        {"term": "base_height", "weight": 1.0, "params": {"ratio": 1.0, "sigma": 0.08}},
    ],
    "motion": {
        "parts": [{"group": "hip_abduction", "amplitude": 0.1, "frequency_hz": 1.0, "pattern": "alternate"}],
        "residual": 0.5,
    },
    "success": "height_ratio >= 0.85 and falls < 1",
}
# The zero action is this program's optimum (reward 0 at every step): no trained policy can beat it.
KEEP_STILL = {
    "name": "Keep still",
    "summary": "Push nothing.",
    "terms": [{"term": "expr", "weight": -1.0, "expr": "sum(action * action)"}],
}


def _metrics(falls: int, reward: float, passed: bool | None = None) -> dict:
    verdict = None if passed is None else {"passed": passed, "checks": [], "summary": ""}
    return {"falls": falls, "mean_reward": reward, "verdict": verdict}


def test_the_trained_policy_is_kept_only_when_it_stands_passes_and_raises_the_reward():
    cases = [  # (start, trained, kept, reason: the start's, or the words saying why training won)
        (_metrics(0, 1.0), _metrics(1, 5.0), "start", "training fell (start stood)"),
        (_metrics(1, 5.0), _metrics(0, 1.0), "trained", "it stood where the start fell"),
        (
            _metrics(0, 1.0, True),
            _metrics(0, 5.0, False),
            "start",
            "training failed the success check (start passed)",
        ),
        (
            _metrics(0, 5.0, False),
            _metrics(0, 1.0, True),
            "trained",
            "it passed the success check, the start did not",
        ),
        (_metrics(0, 3.26), _metrics(0, 2.75), "start", "training lowered the reward 3.26 → 2.75"),
        (_metrics(0, 2.0), _metrics(0, 2.0), "start", "training did not raise the reward 2.00 → 2.00"),
        (
            _metrics(0, 2.0),
            _metrics(0, float("nan")),
            "start",
            "training did not raise the reward 2.00 → nan",
        ),
        (_metrics(1, 2.0, False), _metrics(1, 2.5, False), "trained", "it raised the reward"),
    ]
    for start, trained, kept, reason in cases:
        got = beat_start.choose(beat_start.figures(start), beat_start.figures(trained), "base policy")
        assert got["kept"] == kept and got["reason"] == (reason if kept == "start" else None), (
            start,
            trained,
        )
        assert got["start"]["falls"] == start["falls"] and got["trained"]["falls"] == trained["falls"]
        if kept == "start":
            assert got["note"] == f"Kept the starting policy (base policy): {reason}."
        else:  # a reward that fell is not called a beaten start without the reason training won
            rewards = f"{start['mean_reward']:.2f} → {trained['mean_reward']:.2f}"
            assert (
                got["note"]
                == f"Training beat its start (base policy): {reason}; mean reward per step {rewards}."
            )


def test_the_comparison_is_the_card_s_shape_and_its_json_is_unchanged():
    cmp = beat_start.choose(
        beat_start.figures(_metrics(0, 1.0, True)), beat_start.figures(_metrics(1, 5.0, False)), "zero action"
    )
    # The typed comparison and the card that validates it name the same fields.
    assert set(beat_start.StartVsTrained.__annotations__) == set(StartVsTrainedOut.model_fields)
    figures = set(StartVsTrainedOut.model_fields["start"].annotation.model_fields)
    assert set(beat_start.PolicyFigures.__annotations__) == figures
    card = StartVsTrainedOut.model_validate(cmp)
    assert card.kept == "start" and card.trained.falls == 1 and card.start.passed is True
    # What the "done" event carries is byte for byte what metrics.json and the policy's metadata hold.
    assert json.dumps(beat_start.as_json(cmp)) == json.dumps(cmp)


@pytest.fixture(scope="module")
def go1_wrecked(tmp_path_factory):
    out = tmp_path_factory.mktemp("beat") / "job"
    result = run_training_job(GO1, STAND_AND_SWAY, 2_048, out, seed=0, ppo_overrides={"learning_rate": 0.3})
    return result, out


def test_a_training_that_falls_where_its_base_stood_keeps_the_base(go1_wrecked):
    result, out = go1_wrecked
    cmp = result.start_vs_trained
    assert cmp["kept"] == "start" and cmp["start_label"] == "base policy"
    assert cmp["start"]["falls"] == 0 and cmp["start"]["passed"] is True
    # How a wrecked training fails is chaotic (learning rate 0.3: it fell on one machine and training path, only
    # failed the check on another); that it did worse than its start, and was not kept, is not.
    assert cmp["trained"]["passed"] is False
    assert cmp["reason"] in (
        "training fell (start stood)",
        "training failed the success check (start passed)",
    )
    assert (cmp["trained"]["falls"] >= 1) == (cmp["reason"] == "training fell (start stood)")
    # The video, metrics and verdict shown are the start's: the same rollout the comparison measured.
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["falls"] == 0 and metrics["verdict"]["passed"] is True
    assert metrics["mean_reward"] == pytest.approx(cmp["start"]["mean_step_reward"], abs=1e-9)
    _, meta = load_policy(result.checkpoint)
    assert (
        meta["start_vs_trained"] == cmp and meta["steps"] >= 2_048
    )  # the training happened; its start is kept


def test_the_kept_checkpoint_and_its_export_act_as_the_rehearsals_start(go1_wrecked):
    result, _ = go1_wrecked
    robot = load_robot(GO1)
    program = RewardProgram.parse(STAND_AND_SWAY)
    label, start = _starting_policy(robot, program)  # the rehearsal's start, built on its own path
    assert label == "base policy"
    seen: list[np.ndarray] = []
    rollout(
        robot,
        lambda obs: (seen.append(obs), start(obs[None])[0])[1],
        seconds=0.5,
        clock_hz=behavior.program_clock_hz(program),
        motion=program.motion,
    )
    obs = np.stack(seen).astype(np.float32)
    want = np.asarray(start(obs))
    assert np.abs(want).max() > 1e-3, "a start that outputs zeros proves nothing here"
    kept, _ = load_policy(result.checkpoint)
    np.testing.assert_allclose(np.asarray(kept(obs)), want, atol=1e-6)
    session = onnxruntime.InferenceSession(
        str(f"{result.checkpoint}/policy.onnx"), providers=["CPUExecutionProvider"]
    )
    np.testing.assert_allclose(session.run(["action"], {"obs": obs})[0], want, atol=1e-5)
    traj = np.load(result.trajectory)  # the video's rollout: its first action is the start's
    np.testing.assert_allclose(traj["actions"][0], np.clip(want[0], -1, 1), atol=1e-6)


def test_the_job_and_the_card_carry_the_comparison(go1_wrecked, tmp_path):
    result, out = go1_wrecked
    spec = JobSpec(
        run_id=1,
        job_id=1,
        attempt=1,
        kind="train",
        model_id=GO1,
        program=STAND_AND_SWAY,
        steps=2_048,
        out_dir=out,
        seconds=10.0,
        data_dir=out.parent,
        model_store=None,
    )
    done = _done(spec, result).data
    assert done.metrics["start_vs_trained"] == result.start_vs_trained
    card = StartVsTrainedOut.model_validate(done.metrics["start_vs_trained"])
    reason = result.start_vs_trained["reason"]
    assert card.kept == "start" and card.note == f"Kept the starting policy (base policy): {reason}."
    # A new video of the kept policy (``tabrl render CHECKPOINT``) is the start's again, and says so.
    again = run_render_job(result.checkpoint, tmp_path / "again", seconds=10.0)
    assert again.start_vs_trained["kept"] == "start"
    assert again.metrics["mean_reward"] == pytest.approx(result.start_vs_trained["start"]["mean_step_reward"])


def test_a_from_scratch_start_is_the_zero_action_and_is_kept_where_it_is_optimal(tmp_path):
    result = run_training_job(
        "CartpoleBalance", KEEP_STILL, 2_048, tmp_path / "job", seed=0, render_seconds=2.0
    )
    cmp = result.start_vs_trained
    assert cmp["kept"] == "start" and cmp["start_label"] == "zero action"
    assert cmp["start"]["mean_step_reward"] == 0.0 and cmp["trained"]["mean_step_reward"] < 0.0
    assert cmp["reason"].startswith("training lowered the reward 0.00 → -")
    assert result.metrics["mean_reward"] == 0.0  # the video is of the zero action
    kept, meta = load_policy(result.checkpoint)
    obs = np.random.default_rng(0).normal(0, 3, (64, meta["observation_size"])).astype(np.float32)
    assert np.all(np.asarray(kept(obs)) == 0.0)


def test_unknown_ppo_settings_are_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="unknown PPO setting\\(s\\) learning_rat; allowed: num_envs"):
        run_training_job("CartpoleBalance", KEEP_STILL, 256, tmp_path, ppo_overrides={"learning_rat": 1.0})
