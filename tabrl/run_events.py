"""Typed job events: each event type's payload as a pydantic model, one discriminated union of them all.

They are made where they happen: the pipeline (started, progress, checkpoint, rendering; this module sits
below it in the layers, docs/architecture.md), the worker (the end of a run) and the executors and the
API (queued, cancelled, interrupted); ``tabrl.jobs.events`` is this module as the job layer names it.
The store validates every event through ``parse`` before it changes a job or enters the log, and the
API serves the log through the same models, so what the worker sends, what is stored and what the
page receives are one contract. A payload serialises with only the keys it was given (an omitted
optional field stays omitted, as before these models existed); rows written by an older version may
carry keys not listed here, and are served with them (``parse(..., stored=True)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    model_serializer,
)


class EventType(StrEnum):
    """What a job's event log records (each one's payload is below)."""

    QUEUED = "queued"  # created or restarted: a new run attempt
    STARTED = "started"
    PROGRESS = "progress"
    CHECKPOINT = "checkpoint"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # No return annotation on purpose: pydantic would take it for the serialised schema (a bare dict)
    # instead of the fields'.
    @model_serializer(mode="wrap")
    def _given_keys_only(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        given = {k: v for k, v in handler(self).items() if k in self.model_fields_set}
        return {**given, **(self.model_extra or {})}  # extras: a stored row's keys, JSON already


class QueuedData(Payload):
    restart: bool | None = Field(None, description="Set on a restart: a new attempt of an ended job.")
    approach: int | None = Field(None, description="Training jobs: the approach's index in its design.")
    steps: int | None = None
    source_job: int | None = Field(None, description="Render jobs: the training job whose policy is filmed.")
    seconds: float | None = Field(None, description="Render jobs: the video's length.")


class StartedData(Payload):
    total_steps: int | None = None
    backend: str | None = Field(None, description="native (CPU) or mjx (GPU).")
    init: str | None = Field(None, description="Where the policy started: the base policy, or nothing.")
    worker_pid: int | None = None
    worker_jobs: int | None = Field(None, description="Jobs this warm worker has begun, this one included.")
    worker_warm_s: float | None = None
    worker_warmed: list[str] | None = None
    handover_s: float | None = Field(None, description="From being handed to a worker to training set up.")
    batch: int | None = Field(None, description="Trained in one batch with this many approaches.")
    node_id: str | None = Field(None, description="Ray executor: the node that runs the job.")
    retry: int | None = Field(None, description="Ray executor: how often Ray ran the job again.")
    retry_reason: str | None = None


class ProgressData(Payload):
    steps: int
    total_steps: int | None = None
    fraction: float | None = None
    mean_reward: float | None = Field(
        None,
        description="Mean reward of recent whole episodes; null until one has ended (never an estimate).",
    )
    mean_step_reward: float | None = Field(None, description="Mean reward per control step of this update.")
    episodes: int | None = Field(None, description="Whole episodes ended so far.")
    terms: dict[str, float | None] | None = Field(None, description="Each term's share of the reward.")
    term_labels: dict[str, str] | None = Field(
        None, description="Each term's readable label (e.g. 'hip abduction swing'), by its key in terms."
    )
    steps_per_s: float | None = None
    eta_s: float | None = None
    reward_clipped: dict[str, float] | None = Field(
        None,
        description="Reward values the run-time guard clipped (beyond ±1e8 or not finite), per term: "
        "a count so far on the native backend, a mean per evaluation episode on MJX.",
    )
    reward_warning: str | None = None


class CheckpointData(Payload):
    path: str = Field(description="The policy's folder, relative to the data dir.")


class RenderingData(Payload):
    fraction: float
    eta_s: float | None = None


class DoneData(Payload):
    artifacts: dict[str, str] = Field(description="File name -> path relative to the data dir.")
    metrics: dict[str, Any] = Field(description="The rollout's figures and the success check's verdict.")
    steps: int | None = None
    wall_s: float | None = None
    train_wall_s: float | None = None
    batch: int | None = Field(None, description="Trained in one batch with this many approaches.")


class EndData(Payload):
    reason: str = Field(description="Why it failed, was cancelled or was interrupted.")


class Queued(BaseModel):
    type: Literal[EventType.QUEUED] = EventType.QUEUED
    data: QueuedData


class Started(BaseModel):
    type: Literal[EventType.STARTED] = EventType.STARTED
    data: StartedData


class Progress(BaseModel):
    type: Literal[EventType.PROGRESS] = EventType.PROGRESS
    data: ProgressData


class Checkpoint(BaseModel):
    type: Literal[EventType.CHECKPOINT] = EventType.CHECKPOINT
    data: CheckpointData


class Rendering(BaseModel):
    type: Literal[EventType.RENDERING] = EventType.RENDERING
    data: RenderingData


class Done(BaseModel):
    type: Literal[EventType.DONE] = EventType.DONE
    data: DoneData


class Failed(BaseModel):
    type: Literal[EventType.FAILED] = EventType.FAILED
    data: EndData


class Cancelled(BaseModel):
    type: Literal[EventType.CANCELLED] = EventType.CANCELLED
    data: EndData


class Interrupted(BaseModel):
    type: Literal[EventType.INTERRUPTED] = EventType.INTERRUPTED
    data: EndData


JobEvent = Annotated[
    Queued | Started | Progress | Checkpoint | Rendering | Done | Failed | Cancelled | Interrupted,
    Field(discriminator="type"),
]
_JOB_EVENT: TypeAdapter[JobEvent] = TypeAdapter(JobEvent)


def parse(type_: str, data: Mapping[str, object], *, stored: bool = False) -> JobEvent:
    """The typed event; a ``pydantic.ValidationError`` names what does not fit. ``stored``: a row from
    the log, whose keys unknown to this version are kept rather than refused."""
    return _JOB_EVENT.validate_python({"type": type_, "data": data}, extra="allow" if stored else None)
