"""`tabrl bench --load`: the studio under load, through a real ``tabrl serve``.

On a fresh data directory: the idle catalog's latency (``GET /api/models/playground`` one at a time),
then a Train All with WebSocket clients following its session, and while it trains N concurrent
catalog reads. Reported: latency percentiles, and whether every WebSocket client received every stored
event of the Train All, in order.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from tabrl.api.served import ServedStudio
from tabrl.bench.studio_runs import wait_warm
from tabrl.config import STEPS_DEFAULT
from tabrl.jobs.states import ENDED

LOAD_MODEL = "Go1JoystickFlatTerrain"
LOAD_PROMPT = "keep shaking your hips aloha dude!"
IDLE_READS = 100


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(seconds),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p90_ms": round(float(np.percentile(ms, 90)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
    }


async def _idle_reads(url: str, n: int) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        first = await http.get("/api/models/playground")
        first.raise_for_status()
        etag = first.headers.get("etag")
        plain, revalidated = [], []
        for _ in range(n):
            t = time.perf_counter()
            (await http.get("/api/models/playground")).raise_for_status()
            plain.append(time.perf_counter() - t)
        for _ in range(n):
            t = time.perf_counter()
            r = await http.get("/api/models/playground", headers={"If-None-Match": etag or ""})
            revalidated.append(time.perf_counter() - t)
            if r.status_code != 304:
                raise RuntimeError(
                    f"If-None-Match with the list's own ETag answered {r.status_code}, not 304"
                )
    return {
        "bytes": len(first.content),
        "read": percentiles(plain),
        "revalidated_304": percentiles(revalidated),
    }


async def _raw_get(host: str, port: int, path: str) -> int:
    """One HTTP/1.1 GET on its own connection, read to the end of its body: the status code. A bare
    socket, because httpx spends more CPU per request (about 9 ms here) than the server does, and the
    load generator shares the machine with the server."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            None,
        )
        if length is None:
            await reader.read()
        else:
            await reader.readexactly(length)
        return int(head.split(b" ", 2)[1])
    finally:
        writer.close()


async def _concurrent_reads(url: str, n: int) -> dict[str, Any]:
    """``n`` reads sent at once, each on its own connection (as ``n`` browsers would)."""
    from urllib.parse import urlsplit

    where = urlsplit(url)
    host, port = where.hostname or "127.0.0.1", where.port or 80

    async def one() -> tuple[float, int]:
        t = time.perf_counter()
        try:
            code = await _raw_get(host, port, "/api/models/playground")
        except OSError:
            code = 0
        return time.perf_counter() - t, code

    start = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(n)))
    wall = time.perf_counter() - start
    errors = sum(1 for _, code in results if code != 200)
    return {"wall_s": round(wall, 3), "errors": errors, **percentiles([s for s, _ in results])}


async def _follow(ws_url: str, job_ids: set[int], stop: asyncio.Event) -> list[dict[str, Any]]:
    """One WebSocket client: every message until all of ``job_ids`` ended (or ``stop``)."""
    from websockets.asyncio.client import connect

    seen: list[dict[str, Any]] = []
    ended: set[int] = set()
    async with connect(ws_url, max_size=2**24) as ws:
        while ended != job_ids and not stop.is_set():
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=1.0))
            except TimeoutError:
                continue
            seen.append({"id": message["id"], "job_id": message["job_id"], "type": message["type"]})
            if message["type"] in ENDED and message["job_id"] in job_ids:
                ended.add(message["job_id"])
    return seen


async def _train_all_under_load(url: str, reads: int, clients: int, timeout: float) -> dict[str, Any]:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=300) as http:
        session = (
            (
                await http.post(
                    "/api/training/configure",
                    json={"model_id": LOAD_MODEL, "prompt": LOAD_PROMPT, "num_steps": STEPS_DEFAULT},
                )
            )
            .raise_for_status()
            .json()
        )
        approaches = [a["id"] for a in session["designs"][0]["approaches"]]
        ws_url = url.replace("http://", "ws://") + f"/api/ws?session_id={session['id']}&after=0"
        stop = asyncio.Event()
        start = time.perf_counter()
        jobs = (
            (
                await http.post(
                    "/api/training/batch",
                    json={
                        "session_id": session["id"],
                        "approach_ids": approaches,
                        "num_steps": STEPS_DEFAULT,
                    },
                )
            )
            .raise_for_status()
            .json()["jobs"]
        )
        job_ids = {j["id"] for j in jobs}
        followers = [asyncio.create_task(_follow(ws_url, job_ids, stop)) for _ in range(clients)]
        # The reads go out while the Train All trains: once its first progress event is stored.
        while True:
            states = [(await http.get(f"/api/jobs/{i}")).json() for i in job_ids]
            if any(s["steps_done"] for s in states) or all(s["status"] in ENDED for s in states):
                break
            if time.perf_counter() - start > timeout:
                raise RuntimeError("the Train All did not start training")
            await asyncio.sleep(0.25)
        training_when_read = not all(s["status"] in ENDED for s in states)
        under_load = await _concurrent_reads(url, reads)
        try:
            streams = await asyncio.wait_for(asyncio.gather(*followers), timeout=timeout)
        finally:
            stop.set()
        wall = time.perf_counter() - start
        statuses = [(await http.get(f"/api/jobs/{i}")).json()["status"] for i in sorted(job_ids)]
    # What the server kept, replayed to one more client after the end. A job's end deletes most of its
    # progress events (TABRL_EVENTS_KEEP_PROGRESS), so a live client saw more: every kept one among them.
    stored_ids = [e["id"] for e in await _follow(ws_url, job_ids, asyncio.Event()) if e["job_id"] in job_ids]
    live = [[e["id"] for e in stream if e["job_id"] in job_ids] for stream in streams]
    order = [
        {
            "events": len(ids),
            "in_order": all(a < b for a, b in zip(ids, ids[1:], strict=False)),
            "same_as_first_client": ids == live[0],
            "has_every_kept_event": set(stored_ids) <= set(ids),
        }
        for ids in live
    ]
    return {
        "model": LOAD_MODEL,
        "train_all_wall_s": round(wall, 1),
        "job_statuses": statuses,
        "reads_sent_while_training": training_when_read,
        "concurrent_reads": under_load,
        "websocket_clients": clients,
        "events_kept_after_the_end": len(stored_ids),
        "every_client_in_order": all(o["in_order"] for o in order),
        "every_client_got_the_same_events": all(o["same_as_first_client"] for o in order),
        "every_client_got_every_kept_event": all(o["has_every_kept_event"] for o in order),
        "clients": order,
    }


def run_load(reads: int = 300, clients: int = 10, timeout: float = 900.0) -> dict[str, Any]:
    """The whole load benchmark on a fresh data directory (the machine's caches as they are)."""
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-load-"))
    try:
        with ServedStudio({"TABRL_DATA_DIR": str(data_dir)}, data_dir, stop_s=60) as server:
            import httpx

            with httpx.Client(base_url=server.url, timeout=60) as http:
                wait_warm(http)
            idle = asyncio.run(_idle_reads(server.url, IDLE_READS))
            loaded = asyncio.run(_train_all_under_load(server.url, reads, clients, timeout))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return {"idle_catalog": idle, "beside_train_all": loaded}
