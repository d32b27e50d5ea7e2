"""What a worker is handed: a job's spec, and which queued jobs may train as one batch (the local pool
and the Ray executor alike). The job's folders are ``tabrl/jobs/layout.py``'s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from tabrl.config import Settings
from tabrl.jobs import layout
from tabrl.jobs.models import Job


def batch_key(job: Job) -> tuple[str, int, bool, float] | None:
    """Jobs with equal keys can train as one batch: training jobs of one session (so one robot) with the same
    steps (so the same PPO settings and networks), start (base or scratch) and video length. None: never."""
    if job.kind != "train":
        return None
    return (job.session_id, job.total_steps, bool(job.from_base), float(job.video_seconds))


def take_batch(pending: list[Job], most: int) -> list[Job]:
    """Takes the first pending job and up to ``most - 1`` later ones it can train with out of ``pending``."""
    first = pending.pop(0)
    group, key = [first], batch_key(first)
    if key is not None:
        for job in list(pending):
            if len(group) >= most:
                break
            if batch_key(job) == key:
                group.append(job)
                pending.remove(job)
    return group


def job_spec(settings: Settings, db: Session, job: Job, run_id: int, out_dir: Path) -> dict[str, Any]:
    """What a worker needs to run one attempt of a job (the local pool and the Ray executor alike)."""
    spec: dict[str, Any] = {
        "run_id": run_id,
        "job_id": job.id,
        "attempt": job.attempt,
        "kind": job.kind,
        "model_id": job.session.model_id,
        "program": job.approach.program,
        "steps": job.total_steps,
        "out_dir": str(out_dir),
        "seconds": job.video_seconds,
        "data_dir": str(settings.data_dir),
        "model_store": str(layout.model_store_dir(settings.data_dir)),
        "dequeued_at": time.time(),
        "from_base": job.from_base,
    }
    if job.kind == "render":
        source = db.get(Job, job.source_job_id)
        assert source is not None and source.artifacts, "render jobs are made from finished training jobs"
        spec["checkpoint"] = str(settings.data_dir / source.artifacts[layout.POLICY.key])
    return spec
