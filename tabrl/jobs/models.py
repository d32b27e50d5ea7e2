"""The studio's records: sessions, their approaches, jobs and the ordered event log (SQLAlchemy 2)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, DateTime, Dialect, Float, ForeignKey, Integer, String, Text, TypeDecorator, true
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from typing_extensions import override

from tabrl.jobs.states import EventType, JobStatus


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    # ``Mapped[dict[str, Any]]`` below is only a database column's type (SQLAlchemy stores it as JSON), the
    # rows' storage: the pipeline and the worker hand over typed models, dumped into these columns.
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class EnumText(TypeDecorator[StrEnum]):
    """A StrEnum stored as its text (a plain VARCHAR, as before the enums), read back as the enum."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    @override
    def process_result_value(self, value: str | None, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


class StoredDesign(BaseModel):
    """One design (a set of approaches) of a session as the session's ``designs`` JSON column holds it:
    which designer made it and how that went. Its approaches are rows of their own (``Approach.design``)."""

    model_config = ConfigDict(extra="ignore")  # a row written by a newer version may hold more

    index: int  # its place in the session (``Approach.design``)
    provider: str = "builtin"
    label: str = ""
    model: str = ""
    error: str | None = None  # the provider's failure (its approaches are the built-in designer's)
    cached: bool = False  # answered from the design cache


class DesignList(TypeDecorator[list[StoredDesign]]):
    """A session's designs: stored as the JSON list they always were, read back as ``StoredDesign``."""

    impl = JSON
    cache_ok = True

    @override
    def process_bind_param(self, value: list[StoredDesign] | None, dialect: Dialect) -> list[Any] | None:
        return None if value is None else [d.model_dump(mode="json") for d in value]

    @override
    def process_result_value(self, value: list[Any] | None, dialect: Dialect) -> list[StoredDesign] | None:
        return None if value is None else [StoredDesign.model_validate(d) for d in value]


class StudioSession(Base):
    """One prompt on one robot: the designs (approach sets) it produced and the jobs trained from them."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128))
    prompt: Mapped[str] = mapped_column(Text)
    num_steps: Mapped[int] = mapped_column(Integer)
    designs: Mapped[list[StoredDesign]] = mapped_column(DesignList, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    approaches: Mapped[list[Approach]] = relationship(
        back_populates="session", order_by="Approach.id", cascade="all, delete-orphan"
    )
    jobs: Mapped[list[Job]] = relationship(
        back_populates="session", order_by="Job.id", cascade="all, delete-orphan"
    )


class Approach(Base):
    """One reward approach: a validated RewardProgram as JSON (data, never code)."""

    __tablename__ = "approaches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    design: Mapped[int] = mapped_column(Integer, default=0)
    index: Mapped[int] = mapped_column(Integer)
    program: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str] = mapped_column(String(32), default="builtin")
    fallback: Mapped[bool] = mapped_column(default=False)

    session: Mapped[StudioSession] = relationship(back_populates="approaches")


class Job(Base):
    """Training (or re-rendering) one approach; progress, metrics and artifact paths as the worker reports them."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    approach_id: Mapped[int] = mapped_column(ForeignKey("approaches.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="train")
    # Every "queued" event (creation, restart) starts a new run attempt. Worker processes, their events
    # and their folders are keyed by (job id, attempt), so a late event or cleanup of an old attempt
    # never touches a newer one.
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus), default=JobStatus.QUEUED, index=True)
    total_steps: Mapped[int] = mapped_column(Integer)
    steps_done: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    mean_reward: Mapped[float | None] = mapped_column(Float, nullable=True)
    eta_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    video_seconds: Mapped[float] = mapped_column(Float, default=10.0)
    # Training jobs: start from the robot's base policy where one fits (and its category gains from it).
    from_base: Mapped[bool] = mapped_column(default=True, server_default=true())
    source_job_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # render jobs: whose policy
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    artifacts: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)  # relative to the data dir
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    session: Mapped[StudioSession] = relationship(back_populates="jobs")
    approach: Mapped[Approach] = relationship()


class Event(Base):
    """The ordered log a WebSocket client replays from its last seen id."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(32), index=True)
    attempt: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )  # the job's attempt it belongs to
    type: Mapped[EventType] = mapped_column(EnumText(EventType))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
