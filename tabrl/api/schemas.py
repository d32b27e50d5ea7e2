"""Pydantic models at the HTTP boundary (see docs/api.md); conversion from the database rows."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel

from tabrl.design.body_words import is_body_note
from tabrl.design.providers import ProviderInfo
from tabrl.jobs import events, layout, retention
from tabrl.jobs import models as db
from tabrl.jobs.states import EventType as EventType  # re-exported: the API's contract names it
from tabrl.jobs.states import JobStatus
from tabrl.rewards.checks import Condition
from tabrl.rewards.motion import Motion
from tabrl.rewards.motion import describe as describe_motion

MAX_VIDEO_SECONDS = 30.0
MIN_VIDEO_SECONDS = 0.5  # a few frames: less is no video
MAX_REFINE_CHARS = 500
MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id cannot name a row (and overflows the driver)
RowId = Annotated[int, Field(ge=0, le=MAX_ID)]


def _as_utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; every stored time is UTC, so say so on the wire.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_as_utc)]


class StepsRange(BaseModel):
    min: int
    max: int
    default: int


class Estimate(BaseModel):
    overhead_s: float = Field(
        description="Fixed cost per approach: worker start, compile, its video (`video_seconds` long)."
    )
    steps_per_s: float = Field(description="Training throughput on this machine.")
    parallel_speedup: float = Field(
        description="A batch's speed-up from running `workers` jobs at once (≥ 1)."
    )


class Info(BaseModel):
    version: str
    steps: StepsRange
    video_seconds: float = Field(description="Length of each approach's video (TABRL_VIDEO_SECONDS).")
    approaches: int = Field(description="Approaches each design proposes; a Train All trains them all.")
    workers: int
    estimate: Estimate
    examples: list[str]
    max_prompt_chars: int
    max_refine_chars: int = Field(description="The longest `words` a refine request may carry.")
    token_required: bool


class CatalogBuildOut(BaseModel):
    """The model catalog's build: complete on a machine that built it once for this install."""

    state: str = Field(description="idle, indexing, building, ready or failed")
    done: int = Field(description="Models whose facts are known (listed as available or not).")
    total: int = Field(description="Models in the catalog (0 while Playground's registry is read).")
    current: list[str] = Field(default_factory=list, description="Models being compiled now.")
    error: str | None = None
    seconds: float | None = Field(None, description="Since the build began, or what it took.")


class WarmUpOut(BaseModel):
    """``GET /api/warm-up``: what the server still prepares after its start (the page shows it)."""

    ready: bool = Field(
        description="The catalog is complete, the web process warm (a first design) and a worker warm."
    )
    catalog: CatalogBuildOut
    workers: int = Field(description="Warm worker processes the executor keeps (0 for a Ray cluster).")
    workers_ready: int = Field(description="Of those, how many finished their warm-up.")
    note: str = Field(description='In words: "Preparing robots: 12 of 57 compiled".')


class EstimateWave(BaseModel):
    jobs: int
    seconds: float


class BatchEstimate(BaseModel):
    """``GET /api/estimate``: the wall time of a batch on this machine."""

    model_id: str
    steps: int
    approaches: int
    workers: int
    seconds: float = Field(description="The whole batch.")
    per_approach_s: float
    waves: list[EstimateWave]
    basis: str = Field(description="What the figure is measured from.")
    calibrated: bool


class ProvidersOut(BaseModel):
    providers: list[ProviderInfo]
    default: str | None
    builtin: Literal[True]


class BasePolicyOut(BaseModel):
    available: bool
    steps: int | None = None
    note: str = ""


class ModelOut(BaseModel):
    """One catalog environment. The list comes featured first; the page groups it by ``group``."""

    id: str
    name: str = Field(description='Friendly: "Unitree Go1 · joystick, flat terrain" (the id is `id`).')
    robot_name: str
    group: str = Field(description='The robot (e.g. "go1"): the environments of one robot share it.')
    variant: str | None = Field(
        None, description='What this environment is beyond its robot: "joystick, flat terrain".'
    )
    featured: bool = Field(
        False,
        description="One of the product's own robots, listed first; the first is selected on a first "
        "visit, and each is its robot's default variant.",
    )
    category: str
    label: str = Field(description='e.g. "Go1JoystickFlatTerrain (Quadruped Robot)"')
    suite: str
    action_size: int | None
    assets_available: bool
    assets_reason: str | None
    assets_source: str | None = None
    base_policy: BasePolicyOut
    thumbnail_url: str | None
    body: str | None = Field(None, description='The body plan in a few words: "2 legs, 2 arms, no head".')
    lacks: list[str] = Field(default_factory=list, description="Parts a person may name that it lacks.")


class TermOut(BaseModel):
    term: str
    weight: float
    params: dict[str, Any]
    expr: str | None
    label: str


class CheckOut(BaseModel):
    check: str = Field(description="The condition as text, e.g. 'drift ≤ 0.5'.")
    subject: str
    op: str
    value: float
    measured: float
    unit: str
    passed: bool
    text: str = Field("", description="What was checked, in words: 'the object rose 0.0 cm (need ≥ 5 cm)'.")


class VerdictOut(BaseModel):
    """The approach's success check evaluated on the rendered rollout."""

    passed: bool
    checks: list[CheckOut]
    summary: str


class PolicyFiguresOut(BaseModel):
    falls: int
    passed: bool | None = Field(description="The success check's verdict; None without a check.")
    mean_step_reward: float = Field(description="Mean reward per control step of the deterministic rollout.")


class StartVsTrainedOut(BaseModel):
    """The trained policy against the policy training started from (``tabrl/render/beat_start.py``)."""

    kept: Literal["start", "trained"] = Field(
        description="Which policy the video, metrics and download are of."
    )
    start_label: str = Field(description='What training started from: "base policy", "zero action", ...')
    reason: str | None = Field(None, description="Why the start was kept; None when the trained one was.")
    note: str = Field(
        description='The card\'s line, e.g. "Kept the starting policy (base policy): training fell (start stood)."'
    )
    start: PolicyFiguresOut
    trained: PolicyFiguresOut


class ApproachOut(BaseModel):
    id: int
    index: int
    design: int
    name: str
    summary: str
    terms: list[TermOut]
    source: str
    fallback: bool
    notes: list[str]
    program: dict[str, Any] = Field(description="The RewardProgram as stored (JSON data).")
    motion: list[str] = Field(default_factory=list, description="The motion prior, one line per part.")
    success: list[str] = Field(default_factory=list, description="The success check's conditions as text.")
    body: list[str] = Field(
        default_factory=list, description="What the approach does for a part the robot lacks, in a sentence."
    )
    rehearsal: RehearsalOut | None = Field(None, description="The prior played before training.")
    rehearsing: bool = Field(
        False,
        description="Its rehearsal is still running (it starts when the approach is stored): ask for the "
        "session again to get it; training it waits for it.",
    )


class RehearsalOut(BaseModel):
    note: str = Field(description='e.g. "Rehearsed with the base policy: upright 3/3, prior swing 0.31 rad."')
    stands: bool
    upright: int
    copies: int
    share: float = Field(description="Share of the designed prior kept (1: as designed).")


class DesignOut(BaseModel):
    index: int
    provider: str
    label: str
    model: str
    error: str | None = None
    cached: bool = False
    approaches: list[ApproachOut]


class JobOut(BaseModel):
    id: int
    session_id: str
    approach_id: int
    kind: Literal["train", "render"]
    status: JobStatus
    progress: float
    steps_done: int
    total_steps: int
    mean_reward: float | None
    eta_s: float | None
    error: str | None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    video_url: str | None
    poster_url: str | None
    sheet_url: str | None = None  # ten frames of the video in one image (shown on hover)
    curves_url: str | None = None  # the training curve (CSV: steps, rewards, term shares) of a train job
    policy_url: str | None
    metrics: dict[str, Any] | None
    verdict: VerdictOut | None = None
    start_vs_trained: StartVsTrainedOut | None = None


class SessionOut(BaseModel):
    id: str
    model_id: str
    model_label: str
    prompt: str
    num_steps: int
    created_at: UtcDatetime
    designs: list[DesignOut]
    jobs: list[JobOut]
    retention: RetentionOut | None = Field(
        None, description="Only in the answer that created the session: what retention removed to make room."
    )


class SessionSummary(BaseModel):
    id: str
    model_id: str
    prompt: str
    num_steps: int
    created_at: UtcDatetime
    jobs_total: int
    jobs_done: int


class SessionDeleted(BaseModel):
    """What ``DELETE /api/sessions/{id}`` removed."""

    id: str
    jobs: list[int] = Field(description="The ids of the jobs deleted with the session.")
    approaches: int
    events: int = Field(description="Event-log rows deleted.")
    bytes_freed: int = Field(description="What the session's folder held on disk.")
    folders_not_removed: list[str] = Field(
        description="Files or folders that could not be removed (logged; the rows are gone regardless)."
    )


class RetentionOut(BaseModel):
    """What the retention caps removed when a session was created (TABRL_KEEP_SESSIONS, TABRL_MAX_DATA_GB)."""

    sessions: list[SessionDeleted] = Field(description="Finished sessions deleted, oldest first.")
    attempt_folders: int = Field(description="Folders of job attempts no longer current that were removed.")
    model_files: int = Field(description="Shared model files no policy named any more that were removed.")
    bytes_freed: int
    data_bytes: int | None = Field(
        None, description="The data directory's size after (measured only under TABRL_MAX_DATA_GB)."
    )
    max_bytes: int | None = Field(None, description="TABRL_MAX_DATA_GB in bytes, when set.")


class _EventEnvelope(BaseModel):
    """What every event message carries beside its ``type`` and ``data`` (``tabrl.jobs.events``)."""

    id: int
    job_id: int
    session_id: str
    created_at: UtcDatetime
    job: JobOut = Field(description="The job as it is when the message is sent.")


# One message model per event type: the envelope plus that type's typed payload.
class QueuedEventOut(_EventEnvelope, events.Queued): ...


class StartedEventOut(_EventEnvelope, events.Started): ...


class ProgressEventOut(_EventEnvelope, events.Progress): ...


class CheckpointEventOut(_EventEnvelope, events.Checkpoint): ...


class RenderingEventOut(_EventEnvelope, events.Rendering): ...


class DoneEventOut(_EventEnvelope, events.Done): ...


class FailedEventOut(_EventEnvelope, events.Failed): ...


class CancelledEventOut(_EventEnvelope, events.Cancelled): ...


class InterruptedEventOut(_EventEnvelope, events.Interrupted): ...


EventMessage = Annotated[
    QueuedEventOut
    | StartedEventOut
    | ProgressEventOut
    | CheckpointEventOut
    | RenderingEventOut
    | DoneEventOut
    | FailedEventOut
    | CancelledEventOut
    | InterruptedEventOut,
    Field(discriminator="type"),
]


class EventOut(RootModel[EventMessage]):
    """A WebSocket message: ``{id, job_id, session_id, type, data, created_at, job}``, ``data`` typed by
    ``type`` (a discriminated union)."""


class JobsOut(BaseModel):
    jobs: list[JobOut]


# ----------------------------------------------------------------------------- requests


class _Request(BaseModel):
    # NaN and infinity are valid JSON to Python's parser but never a valid value here.
    model_config = ConfigDict(allow_inf_nan=False)


class ConfigureRequest(_Request):
    model_id: str = Field(min_length=1, max_length=128, examples=["Go1JoystickFlatTerrain"])
    prompt: str = Field(examples=["keep shaking your hips aloha dude!"])
    num_steps: int | None = Field(
        None,
        description="Environment steps per approach; default and allowed range: `steps` in /api/info.",
    )
    providers: list[str] | None = Field(
        None, max_length=8, description="LLM providers to ask; none: the built-in designer."
    )
    fresh: bool = Field(False, description="Ask the providers again instead of reusing stored approaches.")


class BatchRequest(_Request):
    session_id: str = Field(min_length=1, max_length=32)
    approach_ids: list[RowId] | None = Field(
        None, max_length=64, description="Default: the first design's approaches."
    )
    num_steps: int | None = Field(None, description="Default: the session's steps.")
    from_base: bool = Field(
        True,
        description="Start from the robot's base policy where one fits and its robot "
        "category gains from it (see GET /api/models); false: from scratch.",
    )


class RenderRequest(_Request):
    job_id: RowId = Field(description="A finished training job whose policy to film.")
    seconds: float | None = Field(
        None,
        ge=MIN_VIDEO_SECONDS,
        le=MAX_VIDEO_SECONDS,
        description="The video's length; default: `video_seconds` in /api/info.",
    )


class RefineRequest(_Request):
    job_id: RowId = Field(description="A finished training job to improve on.")
    words: str | None = Field(None, max_length=MAX_REFINE_CHARS, examples=["more hips, less jumping"])
    provider: str | None = Field(
        None, max_length=64, description="An LLM provider; none: the built-in rules."
    )


# ----------------------------------------------------------------------------- rows → models


def term_label(term: dict[str, Any]) -> str:
    params = term.get("params") or {}
    target = params.get("group") or params.get("target") or term.get("expr") or ""
    name = str(term.get("term", "")).replace("_", " ")
    return f"{name} ({target})" if target else name


def motion_lines(program: dict[str, Any]) -> list[str]:
    try:
        motion = Motion.model_validate(program["motion"]) if program.get("motion") else None
    except ValueError:
        return []
    return describe_motion(motion) if motion is not None else []


def success_lines(program: dict[str, Any]) -> list[str]:
    try:
        return [Condition.model_validate(c).label() for c in program.get("success") or []]
    except ValueError:
        return []


def approach_out(a: db.Approach, rehearsing: bool = False) -> ApproachOut:
    program = a.program
    terms = [
        TermOut(
            term=t.get("term", ""),
            weight=float(t.get("weight", 1.0)),
            params=t.get("params") or {},
            expr=t.get("expr"),
            label=term_label(t),
        )
        for t in program.get("terms", [])
    ]
    return ApproachOut(
        id=a.id,
        index=a.index,
        design=a.design,
        name=program.get("name", f"Approach {a.index + 1}"),
        summary=program.get("summary", ""),
        terms=terms,
        source=a.source,
        fallback=a.fallback,
        notes=list(program.get("notes") or []),
        program=program,
        motion=motion_lines(program),
        success=success_lines(program),
        body=[n for n in program.get("notes") or [] if is_body_note(n)],
        rehearsal=RehearsalOut.model_validate(program["rehearsal"]) if program.get("rehearsal") else None,
        rehearsing=rehearsing,
    )


def job_out(job: db.Job) -> JobOut:
    art = job.artifacts or {}
    done = job.status == JobStatus.DONE

    def url(artifact: layout.Artifact) -> str | None:  # a finished job's files only
        return layout.url(job.id, artifact) if done and art.get(artifact.key) else None

    return JobOut(
        id=job.id,
        session_id=job.session_id,
        approach_id=job.approach_id,
        kind=job.kind,
        status=job.status,
        progress=job.progress,
        steps_done=job.steps_done,
        total_steps=job.total_steps,
        mean_reward=job.mean_reward,
        eta_s=job.eta_s,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        video_url=url(layout.VIDEO),
        poster_url=url(layout.POSTER),
        sheet_url=url(layout.SHEET),
        curves_url=url(layout.CURVES),
        policy_url=url(layout.POLICY),
        metrics=job.metrics,
        verdict=(job.metrics or {}).get("verdict"),
        start_vs_trained=(job.metrics or {}).get("start_vs_trained"),
    )


def session_deleted(d: retention.DeletedSession) -> SessionDeleted:
    return SessionDeleted(
        id=d.session_id,
        jobs=d.jobs,
        approaches=d.approaches,
        events=d.events,
        bytes_freed=d.bytes_freed,
        folders_not_removed=d.folder_errors,
    )


def retention_out(r: retention.RetentionReport) -> RetentionOut | None:
    """What retention removed (None: nothing)."""
    if not r.removed_anything:
        return None
    return RetentionOut(
        sessions=[session_deleted(d) for d in r.sessions],
        attempt_folders=len(r.attempt_folders),
        model_files=len(r.model_files),
        bytes_freed=r.bytes_freed,
        data_bytes=r.data_bytes,
        max_bytes=r.max_bytes,
    )


def session_out(
    s: db.StudioSession, model_label: str, rehearsing: frozenset[int] = frozenset()
) -> SessionOut:
    """``s`` as the page reads it; ``rehearsing``: ids of approaches whose rehearsal is still running."""
    designs = []
    for d in s.designs or []:
        approaches = [approach_out(a, a.id in rehearsing) for a in s.approaches if a.design == d.index]
        designs.append(DesignOut(**d.model_dump(), approaches=approaches))
    return SessionOut(
        id=s.id,
        model_id=s.model_id,
        model_label=model_label,
        prompt=s.prompt,
        num_steps=s.num_steps,
        created_at=s.created_at,
        designs=designs,
        jobs=[job_out(j) for j in s.jobs],
    )


def event_out(e: db.Event, job: db.Job) -> EventOut:
    """A stored event as its message; keys a newer or older version wrote stay in ``data``."""
    typed = events.parse(e.type, e.data, stored=True)
    return EventOut.model_validate(
        {
            "id": e.id,
            "job_id": e.job_id,
            "session_id": e.session_id,
            "type": typed.type,
            "data": typed.data,
            "created_at": e.created_at,
            "job": job_out(job),
        }
    )
