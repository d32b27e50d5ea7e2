"""What a worker is handed: a job's spec, and which queued jobs may train as one batch (the local pool
and the Ray executor alike). The job's folders are ``tabrl/jobs/layout.py``'s."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue
from sqlalchemy.orm import Session

from tabrl.config import Settings
from tabrl.jobs import layout
from tabrl.jobs.models import Job


class JobSpec(BaseModel):
    """One attempt of one job, as a worker runs it (pickled over the pipe, or sent to a Ray node)."""

    model_config = ConfigDict(frozen=True)

    run_id: int  # the executor's key for this hand-over: what the worker's cancel slot is set to
    job_id: int
    attempt: int
    kind: Literal["train", "render"]
    model_id: str
    program: dict[str, JsonValue]  # the approach's RewardProgram as stored (validated by the worker)
    steps: int
    out_dir: Path  # this attempt's own folder (``layout.attempt_dir``)
    seconds: float  # the video's length
    data_dir: Path  # artifact paths in the "done" event are relative to it
    model_store: Path | None  # the shared store of compiled models (None: each policy folder keeps its own)
    dequeued_at: float | None = None  # wall time of the hand-over (the "started" event's handover_s)
    from_base: bool = True  # start from the robot's base policy where it has one
    checkpoint: Path | None = None  # render jobs: the policy folder to film

    @property
    def from_base_option(self) -> bool | None:
        """The pipeline's ``from_base``: None (the robot category's default) unless the job said scratch."""
        return None if self.from_base else False


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


def job_spec(settings: Settings, db: Session, job: Job, run_id: int, out_dir: Path) -> JobSpec:
    """What a worker needs to run one attempt of a job (the local pool and the Ray executor alike)."""
    checkpoint = None
    if job.kind == "render":
        source = db.get(Job, job.source_job_id)
        assert source is not None and source.artifacts, "render jobs are made from finished training jobs"
        checkpoint = settings.data_dir / source.artifacts[layout.POLICY.key]
    return JobSpec(
        run_id=run_id,
        job_id=job.id,
        attempt=job.attempt,
        kind="render" if job.kind == "render" else "train",
        model_id=job.session.model_id,
        program=job.approach.program,
        steps=job.total_steps,
        out_dir=out_dir,
        seconds=job.video_seconds,
        data_dir=settings.data_dir,
        model_store=layout.model_store_dir(settings.data_dir),
        dequeued_at=time.time(),
        from_base=job.from_base,
        checkpoint=checkpoint,
    )
