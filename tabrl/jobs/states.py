"""The job lifecycle's names, defined once: a job's status and the types of the events that move it.

The ORM, the store, the worker, both executors, the API schemas and the tests import these; the page's
TypeScript types are generated from the OpenAPI schema that the API builds from them.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class EventType(StrEnum):
    """What a job's event log records (``tabrl.jobs.events`` has each one's payload)."""

    QUEUED = "queued"  # created or restarted: a new run attempt
    STARTED = "started"
    PROGRESS = "progress"
    CHECKPOINT = "checkpoint"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


# ACTIVE jobs hold (or wait for) a worker; ENDED ones never change again unless restarted.
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.RENDERING)
ENDED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED)
RESTARTABLE = (JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.INTERRUPTED)
# The events that end a job's story, each setting the status of the same name.
ENDING_EVENTS = (EventType.DONE, EventType.FAILED, EventType.CANCELLED, EventType.INTERRUPTED)
