"""Training curves: one point per PPO iteration, as CSV and as a one-line summary."""

from __future__ import annotations

import csv

from tabrl.train.curves import Curve
from tabrl.train.ppo import Progress


def _progress(steps: int, reward: float, shares: dict[str, float]) -> Progress:
    return Progress(
        steps=steps,
        total_steps=3000,
        mean_episode_reward=reward,
        mean_step_reward=reward / 500,
        term_shares=shares,
        steps_per_s=1000.0,
        eta_s=1.0,
        episodes=3,
    )


def test_curve_csv_has_a_row_per_iteration_and_a_column_per_term(tmp_path):
    curve = Curve()
    curve.add(_progress(1024, -3.0, {"upright": 0.7, "action_rate": -0.3}))
    curve.add(_progress(2048, 5.0, {"upright": 0.5, "joint_sine": 0.4, "action_rate": -0.1}))
    path = curve.write(tmp_path)
    rows = list(csv.DictReader(path.open()))
    assert [int(r["steps"]) for r in rows] == [1024, 2048]
    assert float(rows[1]["mean_episode_reward"]) == 5.0
    assert float(rows[0]["share:joint_sine"]) == 0.0 and float(rows[1]["share:joint_sine"]) == 0.4
    assert not list(tmp_path.glob(".*")), "no temporary file left behind"


def test_summary_names_start_end_best_and_the_leading_terms():
    curve = Curve()
    for steps, reward in ((1000, 1.0), (2000, 9.0), (3000, 7.5)):
        curve.add(_progress(steps, reward, {"joint_sine": 0.6, "upright": 0.3, "action_rate": -0.1}))
    line = curve.summary()
    assert "1 → 7.5 over 3 updates" in line and "best 9 at 2,000 steps" in line
    assert line.index("joint_sine") < line.index("upright")
    assert Curve().summary() == "no training iterations"
