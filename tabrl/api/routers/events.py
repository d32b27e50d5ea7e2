"""Live job events over a WebSocket, replayed from the client's last seen id on (re)connect."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect

from tabrl.api.schemas import event_out
from tabrl.jobs import store
from tabrl.jobs.models import Job

router = APIRouter(tags=["events"])


def _batch(sessions, after: int, session_id: str | None) -> list[dict]:
    with sessions() as db:
        events = store.events_after(db, after, session_id)
        jobs = {j.id: j for j in db.query(Job).filter(Job.id.in_({e.job_id for e in events}))} if events else {}
        return [event_out(e, jobs[e.job_id]).model_dump(mode="json") for e in events]


@router.websocket("/api/ws")
async def job_events(websocket: WebSocket, session_id: str | None = Query(None, max_length=32),
                     after: int = Query(0, ge=0)):
    """Sends every stored event with id > ``after`` (of one session, or all), then new ones as they happen.

    Each message: ``{id, job_id, session_id, type, data, created_at, job}`` where ``job`` is the job's
    current state. Reconnect with ``after=<last id>`` to receive what was missed.
    """
    await websocket.accept()
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
            messages = await asyncio.to_thread(_batch, state.sessions, after, session_id)
            for message in messages:
                await websocket.send_json(message)
                after = message["id"]
            if not messages:
                await state.hub.wait(timeout=1.0)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        watcher.cancel()
