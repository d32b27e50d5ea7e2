"""A job's training curve: mean reward per step and per whole episode, and each term's share, one
point per PPO iteration.

The same points the progress events carry, kept together so a finished approach can be judged
from its curve: written as ``curves.csv`` beside the video and summarised in one line. Terms are
named by their readable labels (``tabrl/rewards/labels.py``) where the curve was given them. The
episode figure is empty until a whole episode has ended (``ppo.Tally``): never an estimate.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import tempfile
from pathlib import Path
from typing import Any

CURVES_FILE = "curves.csv"


@dataclasses.dataclass
class CurvePoint:
    steps: int
    mean_episode_reward: float | None  # None: no whole episode had ended yet
    mean_step_reward: float
    steps_per_s: float
    term_shares: dict[str, float]
    episodes: int = 0


@dataclasses.dataclass
class Curve:
    points: list[CurvePoint] = dataclasses.field(default_factory=list)
    # Term key -> readable label; a key without one is shown as it is.
    labels: dict[str, str] = dataclasses.field(default_factory=dict)

    def add(self, progress: Any) -> None:
        """Takes a ``ppo.Progress`` (or anything with its fields)."""
        episode = progress.mean_episode_reward
        self.points.append(
            CurvePoint(
                int(progress.steps),
                None if episode is None else float(episode),
                float(progress.mean_step_reward),
                float(progress.steps_per_s),
                dict(progress.term_shares),
                int(progress.episodes),
            )
        )

    def terms(self) -> list[str]:
        names: dict[str, None] = {}
        for p in self.points:
            names.update(dict.fromkeys(p.term_shares))
        return list(names)

    def label(self, term: str) -> str:
        return self.labels.get(term, term)

    def to_csv(self) -> str:
        terms = self.terms()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            [
                "steps",
                "mean_episode_reward",
                "mean_step_reward",
                "steps_per_s",
                "episodes",
                *[f"share:{self.label(t)}" for t in terms],
            ]
        )
        for p in self.points:
            writer.writerow(
                [
                    p.steps,
                    "" if p.mean_episode_reward is None else f"{p.mean_episode_reward:.6g}",
                    f"{p.mean_step_reward:.6g}",
                    f"{p.steps_per_s:.6g}",
                    p.episodes,
                    *[f"{p.term_shares.get(t, 0.0):.6g}" for t in terms],
                ]
            )
        return out.getvalue()

    def write(self, folder: Path) -> Path:
        """Writes ``curves.csv`` into ``folder`` atomically."""
        path = Path(folder) / CURVES_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{CURVES_FILE}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(self.to_csv())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def summary(self) -> str:
        """One line: how the reward per step and per whole episode went, and which terms carried it at
        the end."""
        if not self.points:
            return "no training iterations"
        first, last = self.points[0], self.points[-1]
        best = max(self.points, key=lambda p: p.mean_step_reward)
        line = (
            f"reward per step {first.mean_step_reward:.3g} → {last.mean_step_reward:.3g} over "
            f"{len(self.points)} updates (best {best.mean_step_reward:.3g} at {best.steps:,} steps)"
        )
        whole = [p for p in self.points if p.mean_episode_reward is not None]
        if whole:
            # The counts say how thin the first figure is: the first episodes to end are often falls.
            first, end = whole[0], whole[-1]
            line += (
                f"; per whole episode {first.mean_episode_reward:.3g} ({_episodes(first.episodes)} by "
                f"{first.steps:,} steps) → {end.mean_episode_reward:.3g} ({_episodes(end.episodes)} ended)"
            )
        else:
            line += "; no whole episode ended in training"
        top = sorted(last.term_shares.items(), key=lambda kv: -abs(kv[1]))[:3]
        shares = ", ".join(f"{self.label(name)} {share:+.0%}" for name, share in top)
        return line + (f"; terms at the end: {shares}" if shares else "")


def _episodes(n: int) -> str:
    return f"{n} episode" if n == 1 else f"{n} episodes"
