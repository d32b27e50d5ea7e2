"""The job lifecycle's names, defined once: a job's status and the types of the events that move it
(``EventType`` is defined with the events' payloads in ``tabrl/run_events.py``, below the pipeline that
makes them).

The ORM, the store, the worker, both executors, the API schemas and the tests import these; the page's
TypeScript types are generated from the OpenAPI schema that the API builds from them.
"""

from __future__ import annotations

from enum import StrEnum

from tabrl.run_events import EventType

__all__ = ["JobStatus", "EventType", "ACTIVE", "ENDED", "RESTARTABLE", "ENDING_EVENTS"]


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
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
