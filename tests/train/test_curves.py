"""Training curves: one point per PPO iteration, as CSV and as a one-line summary; the tally they come
from counts whole episodes only."""

from __future__ import annotations

import csv

import numpy as np

from tabrl.train.curves import Curve
from tabrl.train.ppo import Progress, Tally


def _progress(
    steps: int, reward: float | None, shares: dict[str, float], step_reward: float = 0.5
) -> Progress:
    return Progress(
        steps=steps,
        total_steps=3000,
        mean_episode_reward=reward,
        mean_step_reward=step_reward,
        term_shares=shares,
        steps_per_s=1000.0,
        eta_s=1.0,
        episodes=0 if reward is None else 3,
    )


def test_curve_csv_has_a_row_per_iteration_and_a_column_per_term_named_by_its_label(tmp_path):
    curve = Curve(labels={"joint_sine:hip_abduction": "hip abduction swing"})
    curve.add(_progress(1024, None, {"upright": 0.7, "action_rate": -0.3}, step_reward=-0.006))
    curve.add(_progress(2048, 5.0, {"upright": 0.5, "joint_sine:hip_abduction": 0.4, "action_rate": -0.1}))
    path = curve.write(tmp_path)
    rows = list(csv.DictReader(path.open()))
    assert [int(r["steps"]) for r in rows] == [1024, 2048]
    assert rows[0]["mean_episode_reward"] == "" and float(rows[1]["mean_episode_reward"]) == 5.0
    assert float(rows[0]["mean_step_reward"]) == -0.006 and [r["episodes"] for r in rows] == ["0", "3"]
    assert (
        float(rows[0]["share:hip abduction swing"]) == 0.0
        and float(rows[1]["share:hip abduction swing"]) == 0.4
    )
    assert float(rows[1]["share:upright"]) == 0.5  # a term without a label keeps its key
    assert not list(tmp_path.glob(".*")), "no temporary file left behind"


def test_summary_names_start_end_best_per_step_the_episodes_and_the_leading_terms():
    curve = Curve(labels={"joint_sine": "hip swing"})
    for steps, episode, step in ((1000, None, 1.0), (2000, 900.0, 3.0), (3000, 700.0, 2.5)):
        curve.add(_progress(steps, episode, {"joint_sine": 0.6, "upright": 0.3, "action_rate": -0.1}, step))
    line = curve.summary()
    assert "reward per step 1 → 2.5 over 3 updates (best 3 at 2,000 steps)" in line
    assert "per whole episode 900 (3 episodes by 2,000 steps) → 700 (3 episodes ended)" in line
    assert line.index("hip swing") < line.index("upright") and "joint_sine" not in line
    assert Curve().summary() == "no training iterations"
    early = Curve()
    early.add(_progress(1000, None, {}))
    assert "no whole episode ended in training" in early.summary()


def test_tally_counts_only_whole_episodes_and_never_estimates():
    tally = Tally(2, staggered=True)
    ones, none, first = np.ones(2), np.zeros(2), np.array([1.0, 0.0])
    tally.add_step(ones, none, {})
    report = tally.progress(2, 10, 1.0, step_reward=1.0)
    assert report.mean_episode_reward is None and report.episodes == 0 and report.mean_step_reward == 1.0
    tally.add_step(ones, first, {})  # env 0 ends its staggered (partial) first episode: not counted
    assert tally.progress(4, 10, 1.0, 1.0).mean_episode_reward is None
    for _ in range(2):
        tally.add_step(2 * ones, none, {})
    tally.add_step(2 * ones, first, {})  # env 0 ends a whole episode of 3 steps, 2 each
    report = tally.progress(10, 10, 1.0, 2.0)
    assert report.mean_episode_reward == 6.0 and report.episodes == 1
    unstaggered = Tally(2, staggered=False)
    unstaggered.add_step(ones, first, {})
    assert unstaggered.progress(2, 10, 1.0, 1.0).mean_episode_reward == 1.0
