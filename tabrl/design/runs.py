"""Reading a finished run for refining: its program, reward shares and measured behavior.

A run is found by its folder (a studio job's, or one ``tabrl train`` wrote), by a studio job's
numeric id (looked up in the configured data dir's database), or by a run folder's name under
``<data dir>/runs``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tabrl.config import Settings, get_settings


class RunSummary(BaseModel):
    """What refining needs from a finished run."""

    model_id: str
    program: dict[str, Any]
    term_shares: dict[str, float] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)
    path: str | None = None


class RunNotFound(FileNotFoundError):
    """No finished run matches the given directory or id."""


# A studio job id -> its run folder (raises RunNotFound); the jobs layer's ``tabrl.jobs.runs.run_dir``.
StudioJobDir = Callable[[int, Settings], Path]


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _candidates(job: str, settings: Settings, studio_job_dir: StudioJobDir | None) -> list[Path]:
    """Where ``job`` may be: a folder, a studio job id (in the database), or a run under the data dir."""
    path = Path(job).expanduser()
    if path.exists():
        return [path]
    if job.isdigit() and studio_job_dir is not None:
        return [studio_job_dir(int(job), settings)]
    return [settings.data_dir / "runs" / job]


def _run_files(directory: Path) -> tuple[Path | None, Path | None]:
    """(metadata.json, metrics.json) in a job dir, its ``policy`` checkpoint or its parent."""
    metadata = next(
        (
            p
            for p in (
                directory / "metadata.json",
                directory / "policy" / "metadata.json",
                directory / "checkpoint" / "metadata.json",
            )
            if p.is_file()
        ),
        None,
    )
    if metadata is None:
        found = sorted(directory.glob("*/metadata.json"))
        metadata = found[0] if len(found) == 1 else None
    metrics = next(
        (
            p
            for p in (
                directory / "metrics.json",
                directory / "render" / "metrics.json",
                directory.parent / "metrics.json",
            )
            if p.is_file()
        ),
        None,
    )
    return metadata, metrics


def load_run(
    job: str | Path, settings: Settings | None = None, *, studio_job_dir: StudioJobDir | None = None
) -> RunSummary:
    """Reads a finished run: a job directory (or its checkpoint directory), a studio job id, or a run name.
    A studio job id is looked up by ``studio_job_dir`` (``tabrl.jobs.runs.run_dir``: the database is the
    jobs layer's, above this one); without it a number is read as a run name."""
    settings = settings or get_settings()
    for directory in _candidates(str(job), settings, studio_job_dir):
        if not directory.is_dir():
            continue
        metadata_path, metrics_path = _run_files(directory)
        if metadata_path is None:
            continue
        meta = _read_json(metadata_path)
        if not meta or not isinstance(meta.get("program"), dict):
            raise RunNotFound(f"{metadata_path} has no program")
        metrics = _read_json(metrics_path) if metrics_path else None
        metrics = metrics or {}
        final_raw = meta.get("final_metrics")
        final: dict[str, Any] = final_raw if isinstance(final_raw, dict) else {}
        shares = final.get("term_shares") or meta.get("term_shares") or metrics.get("term_shares") or {}
        if not shares and isinstance(metrics.get("reward_terms"), dict):
            means = {k: float(v) for k, v in metrics["reward_terms"].items() if isinstance(v, (int, float))}
            total = sum(abs(v) for v in means.values()) or 1.0
            shares = {k: v / total for k, v in means.items()}
        model_id = meta.get("model_id") or meta.get("model") or meta.get("env")
        if not model_id:
            raise RunNotFound(f"{metadata_path} does not say which robot it trained")
        return RunSummary(
            model_id=model_id,
            program=meta["program"],
            path=str(directory),
            metrics=metrics,
            term_shares={str(k): float(v) for k, v in shares.items() if isinstance(v, (int, float))},
        )
    raise RunNotFound(
        f"no finished run at '{job}': give a job directory (with metadata.json and metrics.json), "
        f"a studio job id, or a run folder name under {settings.data_dir / 'runs'}"
    )
