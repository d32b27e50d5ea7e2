"""The job events as the job layer names them: the models are defined once, in ``tabrl/run_events.py``
(below the pipeline, which makes most of them); the store, both executors, the worker and the API
import them from here."""

from __future__ import annotations

from tabrl.run_events import (
    Cancelled,
    Checkpoint,
    CheckpointData,
    Done,
    DoneData,
    EndData,
    EventType,
    Failed,
    Interrupted,
    JobEvent,
    Payload,
    Progress,
    ProgressData,
    Queued,
    QueuedData,
    Rendering,
    RenderingData,
    Started,
    StartedData,
    parse,
)

__all__ = [
    "Cancelled",
    "Checkpoint",
    "CheckpointData",
    "Done",
    "DoneData",
    "EndData",
    "EventType",
    "Failed",
    "Interrupted",
    "JobEvent",
    "Payload",
    "Progress",
    "ProgressData",
    "Queued",
    "QueuedData",
    "Rendering",
    "RenderingData",
    "Started",
    "StartedData",
    "parse",
]
