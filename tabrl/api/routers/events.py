"""Live job events over a WebSocket, replayed from the client's last seen id on (re)connect."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session, sessionmaker

from tabrl.api.schemas import MAX_ID, event_out
from tabrl.jobs import store
from tabrl.jobs.models import Job

router = APIRouter(tags=["events"])


def _parse_after(text: str | None) -> int | None:
    if text is None:
        return 0
    text = text.strip()
    if not text.isdigit() or len(text) > 19 or int(text) > MAX_ID:
        return None
    return int(text)


def _newest(sessions: sessionmaker[Session]) -> int:
    with sessions() as db:
        return store.newest_event_id(db)


def _batch(sessions: sessionmaker[Session], after: int, session_id: str | None) -> list[dict[str, Any]]:
    with sessions() as db:
        events = store.events_after(db, after, session_id)
        jobs = (
            {j.id: j for j in db.query(Job).filter(Job.id.in_({e.job_id for e in events}))} if events else {}
        )
        return [event_out(e, jobs[e.job_id]).model_dump(mode="json") for e in events]


@router.websocket("/api/ws")
async def job_events(
    websocket: WebSocket,
    session_id: str | None = Query(None, max_length=32),
    after: str | None = Query(None, description="The last event id seen (a whole number)"),
) -> None:
    """Sends the stored events of one session with id > ``after``, then new ones as they happen.

    Each message: ``{id, job_id, session_id, type, data, created_at, job}`` where ``job`` is the job's
    current state. Reconnect with ``after=<last id>`` to receive what was missed. Without a
    ``session_id`` nothing is replayed: only events from now on, of every session.
    A bad ``after`` closes the socket with code 1008 and the reason.
    """
    last = _parse_after(after)
    if last is not None and session_id is None:
        # Replaying every session's log to anyone who asks is a flood: new events only, counted from
        # before the accept, so nothing stored after the client sees the socket open is skipped.
        last = max(last, await asyncio.to_thread(_newest, websocket.app.state.sessions))
    await websocket.accept()  # before any refusal: a close before it reaches the client as a bare 403
    if last is None:
        await websocket.close(
            code=1008, reason=f"after must be a whole number from 0 to {MAX_ID}, not {(after or '')[:20]!r}"
        )
        return
    state = websocket.app.state
    closed = asyncio.Event()

    async def watch_close() -> None:
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        closed.set()

    watcher = asyncio.create_task(watch_close())
    try:
        while not closed.is_set():
            messages = await asyncio.to_thread(_batch, state.sessions, last, session_id)
            for message in messages:
                await websocket.send_json(message)
                last = message["id"]
            if not messages:
                await state.hub.wait(timeout=1.0)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        watcher.cancel()
