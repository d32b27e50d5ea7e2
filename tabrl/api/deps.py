"""FastAPI dependencies: settings, a database session per request, the executor, the rehearsals and the
event hub."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from tabrl.api.rehearsals import Rehearsals
from tabrl.config import Settings
from tabrl.jobs.executor import Executor

T = TypeVar("T")


class EventHub:
    """Wakes WebSocket senders when the dispatcher stored new events (called from its thread)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop, self._changed = loop, asyncio.Event()

    def notify(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._set)

    def _set(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def wait(self, timeout: float) -> None:
        """Returns when something changed or after ``timeout`` seconds (senders re-query either way)."""
        if self._changed is None:
            await asyncio.sleep(timeout)
            return
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return
        self._changed.clear()


def get_or_404(db: Session, model: type[T], key: Any, what: str) -> T:
    """The row ``key`` of ``model``, or a 404 that names what was asked for."""
    if isinstance(key, int) and not 0 <= key < 2**63:  # no such row, and the driver cannot even ask
        raise HTTPException(404, f"no {what} {key!r}: ids are whole numbers from 0 to {2**63 - 1}")
    row = db.get(model, key)
    if row is None:
        raise HTTPException(404, f"no {what} {key!r}")
    return row


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as db:
        yield db


def get_executor(request: Request) -> Executor:
    executor: Executor = request.app.state.executor
    return executor


def get_rehearsals(request: Request) -> Rehearsals:
    rehearsals: Rehearsals = request.app.state.rehearsals
    return rehearsals


SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Session, Depends(get_db)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
RehearsalsDep = Annotated[Rehearsals, Depends(get_rehearsals)]
