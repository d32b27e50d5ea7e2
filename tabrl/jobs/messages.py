"""What the local executor and its warm workers say to each other over a worker's pipe: one small typed
message per kind (``kind`` names it in logs; ``match`` on the class reads it). The worker never touches
the database: a job's events travel as ``JobUpdate``, typed by ``tabrl.jobs.events``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tabrl.jobs.events import JobEvent
from tabrl.jobs.specs import JobSpec

# ---------------------------------------------------------------------------------- server → worker


@dataclass(frozen=True)
class RunJob:
    """One job: training, or a new video of a trained policy."""

    spec: JobSpec
    kind: Literal["run"] = "run"


@dataclass(frozen=True)
class RunBatch:
    """Training jobs of one robot, steps and start (a Train All's approaches), trained as one batch."""

    specs: tuple[JobSpec, ...]
    kind: Literal["batch"] = "batch"


@dataclass(frozen=True)
class Calibrate:
    """Measure the machine's own speed, for the page's time estimate."""

    kind: Literal["calibrate"] = "calibrate"


@dataclass(frozen=True)
class Exit:
    kind: Literal["exit"] = "exit"


ToWorker = RunJob | RunBatch | Calibrate | Exit

# ---------------------------------------------------------------------------------- worker → server


@dataclass(frozen=True)
class Ready:
    """Warmed up: the heavy imports done and the warm models compiled."""

    pid: int
    rss_mb: float | None
    warm_s: float
    import_s: float
    warmed: list[str] = field(default_factory=list)
    kind: Literal["ready"] = "ready"


@dataclass(frozen=True)
class Idle:
    """Done with what it was handed; ready for more."""

    pid: int
    rss_mb: float | None
    jobs: int  # jobs it has begun since it started
    models: list[str] = field(default_factory=list)  # the robots it holds compiled
    kind: Literal["idle"] = "idle"


@dataclass(frozen=True)
class Calibration:
    """The machine's speed (``estimate.calibrate``), or why it could not be measured."""

    figures: dict[str, float | str] | None = None
    error: str | None = None
    kind: Literal["calibration"] = "calibration"


@dataclass(frozen=True)
class Broken:
    """The warm-up failed: the worker exits, and the executor fails the queued jobs with the reason."""

    reason: str
    trace: str = ""
    kind: Literal["broken"] = "broken"


@dataclass(frozen=True)
class JobUpdate:
    """One event of one attempt of a job; ``trace``: a failure's traceback, for the server's log only."""

    job_id: int
    attempt: int
    event: JobEvent
    trace: str | None = None
    kind: Literal["job"] = "job"


FromWorker = Ready | Idle | Calibration | Broken | JobUpdate
