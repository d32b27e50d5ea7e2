"""What runs on the Ray cluster: the studio's job supervisor (an actor) and the job task.

The supervisor is a detached, named actor on the server's own Ray node, one per studio (data
directory). It submits every run as a Ray task (run again once by Ray if its worker or node dies),
keeps each run's events in order until the server says it has stored them, and holds a finished
run's files until the server has unpacked them. Because the supervisor, not the server process,
owns the tasks, cluster jobs outlive a server restart: the next server finds it by name and picks
its runs up again.

The task runs the worker's own ``run_job`` (tabrl/jobs/worker.py) in a scratch folder on its node
laid out like the server's data directory, so artifact paths come out the same; it streams events
to the supervisor and returns the attempt's folder as one tar blob through Ray's object store, so
the nodes need no file system shared with the server. Nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import queue
import shutil
import tarfile
import tempfile
import threading
import time
import uuid
import zlib
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, RayError, RayTaskError, TaskCancelledError

from tabrl.jobs import events
from tabrl.jobs.specs import JobSpec
from tabrl.jobs.states import EventType
from tabrl.jobs.worker import configure_jax_cache, run_job

log = logging.getLogger(__name__)

NAMESPACE = "tabrl"
PUSH_EVERY_S = 0.25  # how often a running task sends its events (and hears whether to stop)
PUSH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ClusterRun:
    """What a job's Ray task is handed: its spec (paths on the server) and where its files go relative to
    the data directory, so the task can lay out a scratch folder like it."""

    spec: JobSpec
    out_rel: str  # the attempt's folder
    checkpoint_rel: str | None = None  # render jobs: the policy folder (sent along as a blob)
    menagerie_path: str | None = None  # the server's robot folders (used where the node has them too)


@dataclass(frozen=True)
class TaskEnd:
    """How a run ended: its terminal event (done, failed or cancelled; None: the supervisor no longer
    holds the run, "lost"), a failure's trace for the server's log, and (done) the attempt's folder."""

    event: events.JobEvent | None
    trace: str | None = None
    blob: bytes | None = None


@dataclass(frozen=True)
class Polled:
    """What the supervisor has for the server about one run: events after its cursor, and its end."""

    events: list[tuple[int, events.JobEvent]]  # (sequence number, event)
    end: TaskEnd | None
    has_blob: bool = False


@dataclass(frozen=True)
class RunState:
    """A run as the supervisor holds it (for the server's re-attach, tests and diagnostics)."""

    started: bool
    ended: bool
    node_id: str | None
    executions: int
    stopping: bool


def _end(type_: EventType, reason: str) -> TaskEnd:
    event = events.parse(type_, {"reason": reason})
    return TaskEnd(event)


def run_key(job_id: int, attempt: int) -> str:
    """A run is one attempt of one job; the supervisor keys it by this string."""
    return f"{job_id}:{attempt}"


def pack_folder(folder: Path) -> bytes:
    """A folder as one gzip'd tar blob (level 1: videos and archives inside are compressed already)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        tar.add(folder, arcname=".")
    return buffer.getvalue()


def unpack_folder(blob: bytes, target: Path) -> None:
    """Makes ``target`` the folder packed in ``blob``, all at once: extracted beside it first, then
    renamed into place, so a reader (or a crash) never sees a half-written folder. An existing folder
    of that name is replaced whole; leftovers of an earlier interrupted unpack are removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*"):
        shutil.rmtree(stale, ignore_errors=True)
    incoming = target.parent / f".{target.name}.incoming-{uuid.uuid4().hex[:8]}"
    incoming.mkdir()
    try:
        try:
            with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
                tar.extractall(incoming, filter="data")  # no absolute paths, links out or device files
        except (EOFError, zlib.error) as exc:
            raise tarfile.ReadError(f"the packed folder is torn: {exc}") from None
        if target.exists():
            old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            os.rename(target, old)
            os.rename(incoming, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(incoming, target)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise


def scratch_root() -> Path:
    """Where tasks on this node work (one subfolder per run, removed after it) and keep their caches."""
    return Path(os.environ.get("TABRL_RAY_SCRATCH") or tempfile.gettempdir()) / "tabrl-ray"


# ---------------------------------------------------------------------------------------- the task


class _EventPusher:
    """Sends one execution's events to the supervisor in order: one thread, one batch at a time,
    each call waited for. The supervisor's answer says whether the run must stop (cancelled, or
    this execution was superseded by Ray running the task again)."""

    def __init__(self, supervisor: Any, key: str, token: str):
        self._supervisor, self._key, self._token = supervisor, key, token
        self._queue: queue.Queue[events.JobEvent] = queue.Queue()
        self._closed = threading.Event()
        self.stop = False
        self._thread = threading.Thread(target=self._loop, name="tabrl-ray-events", daemon=True)
        self._thread.start()

    def put(self, event: events.JobEvent) -> None:
        self._queue.put(event)

    def should_stop(self) -> bool:
        return self.stop

    def _take(self, wait_s: float) -> list[events.JobEvent]:
        batch = []
        try:
            batch.append(self._queue.get(timeout=wait_s))
            while True:
                batch.append(self._queue.get_nowait())
        except queue.Empty:
            return batch

    def _send(self, batch: list[events.JobEvent]) -> None:
        """Sends until the supervisor has it: a lost batch would leave a gap in the job's story."""
        deadline = time.monotonic() + PUSH_TIMEOUT_S
        while True:
            try:
                if ray.get(
                    self._supervisor.push.remote(self._key, self._token, batch), timeout=PUSH_TIMEOUT_S
                ):
                    self.stop = True
                return
            except (GetTimeoutError, RayError):
                if time.monotonic() > deadline:  # nobody hears us: stop rather than train unseen
                    log.error("run %s: the supervisor does not answer; stopping", self._key)
                    self.stop = True
                    return
                time.sleep(1.0)

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._send(self._take(PUSH_EVERY_S))  # an empty batch still brings the stop flag back

    def close(self) -> None:
        """Stops the thread and sends whatever is left, so every event is in before the result."""
        self._closed.set()
        self._thread.join()
        rest = self._take(0.0)
        if rest:
            self._send(rest)


@ray.remote
def run_job_on_node(run: ClusterRun, supervisor: Any, checkpoint_blob: bytes | None) -> TaskEnd:
    """One run of a job on whatever node Ray chose: its end, with the attempt's folder when it is done."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    root = scratch_root()
    # Robot meshes: this node's own TABRL_MENAGERIE_PATH, else the server's path if it exists here too.
    if (
        run.menagerie_path
        and not os.environ.get("TABRL_MENAGERIE_PATH")
        and Path(run.menagerie_path).is_dir()
    ):
        os.environ["TABRL_MENAGERIE_PATH"] = run.menagerie_path
    # This node's own caches (catalog, compiled robots, XLA programs) unless it was given a folder.
    os.environ.setdefault("TABRL_CACHE_DIR", str(root / "cache"))
    os.environ.setdefault("TABRL_DATA_DIR", str(root / "node-data"))
    root.mkdir(parents=True, exist_ok=True)
    configure_jax_cache(Path(os.environ["TABRL_CACHE_DIR"]))
    spec = run.spec
    key = run_key(spec.job_id, spec.attempt)
    token = uuid.uuid4().hex  # this execution: a retry by Ray gets a new one
    scratch = Path(tempfile.mkdtemp(prefix=f"run-{spec.job_id}-a{spec.attempt}-", dir=root))
    # The attempt's folder travels back whole, so its policy keeps its own model.mjb (no shared store here).
    local = spec.model_copy(
        update={"data_dir": scratch, "out_dir": scratch / run.out_rel, "model_store": None}
    )
    if checkpoint_blob is not None and run.checkpoint_rel:  # a render job films a policy trained elsewhere
        unpack_folder(checkpoint_blob, scratch / run.checkpoint_rel)
        local = local.model_copy(update={"checkpoint": scratch / run.checkpoint_rel})
    context = ray.get_runtime_context()
    pusher = _EventPusher(supervisor, key, token)
    ending: list[TaskEnd] = []

    def send(event: events.JobEvent, trace: str | None = None) -> None:
        if event.type in (EventType.DONE, EventType.FAILED, EventType.CANCELLED):
            ending.append(TaskEnd(event, trace))  # the server writes the end, after the files are in
        else:
            pusher.put(event)

    try:
        run_job(
            local,
            send,
            pusher.should_stop,
            worker=events.StartedData(worker_pid=os.getpid(), node_id=context.get_node_id()),
        )
        pusher.close()
        if not ending:
            return _end(EventType.FAILED, "the job ended without a result")
        end = ending[-1]
        if end.event is not None and end.event.type == EventType.DONE:
            return TaskEnd(end.event, blob=pack_folder(local.out_dir))
        return end
    finally:
        pusher.close()
        shutil.rmtree(scratch, ignore_errors=True)


# ---------------------------------------------------------------------------------- the supervisor


@dataclass
class _HeldRun:
    """One run the supervisor holds: its task, its events not yet stored by the server, its end."""

    ref: Any  # the Ray task's object reference
    submitted_at: float = field(default_factory=time.time)
    seq: int = 0  # the last event's sequence number
    events: list[tuple[int, events.JobEvent]] = field(default_factory=list)
    token: str | None = None  # the execution that reports now (a retry by Ray gets a new one)
    old_tokens: set[str] = field(default_factory=set)
    executions: int = 0
    stop: bool = False
    end: TaskEnd | None = None
    blob: bytes | None = None
    node_id: str | None = None
    forget: bool = False  # forget it as soon as it ends


@ray.remote(num_cpus=0, max_restarts=0)
class JobSupervisor:
    """Owns the studio's runs on the cluster (an async actor: one event loop, no locks needed)."""

    def __init__(self, cancel_grace_s: float = 3.0):
        # Ray marks its workers as the kernel's first out-of-memory victims; this one holds every
        # run's events and results and uses little memory, so it asks to be an ordinary process
        # (allowed where the node runs as root; elsewhere it stays as Ray made it).
        try:
            Path("/proc/self/oom_score_adj").write_text("0")
        except OSError:
            pass
        self._grace = cancel_grace_s
        self._runs: dict[str, _HeldRun] = {}
        self._changed: asyncio.Event | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._tasks.discard)

    async def submit(
        self,
        key: str,
        run: ClusterRun,
        options: dict[str, float | bool | str],
        checkpoint_blob: bytes | None = None,
    ) -> bool:
        """Starts a run (False when this run is known already: a resubmission after a restart)."""
        if key in self._runs:
            return False
        me = ray.get_runtime_context().current_actor
        ref = run_job_on_node.options(**options).remote(run, me, checkpoint_blob)
        self._runs[key] = _HeldRun(ref)
        self._spawn(self._watch(key, ref))
        return True

    async def push(self, key: str, token: str, pushed: list[events.JobEvent]) -> bool:
        """A task's events; the answer says whether it must stop."""
        run = self._runs.get(key)
        if run is None or run.end is not None or token in run.old_tokens:
            return True  # forgotten, ended, or an execution that a newer one has replaced
        if token != run.token:
            if run.token is not None:
                run.old_tokens.add(run.token)
            run.token = token
            run.executions += 1
        for event in pushed:
            if isinstance(event, events.Started):
                run.node_id = event.data.node_id
                if run.executions > 1:  # Ray ran the task again after its worker or node was lost
                    retry = {
                        "retry": run.executions - 1,
                        "retry_reason": "the previous worker or node running this job was lost",
                    }
                    event = events.Started(type=event.type, data=event.data.model_copy(update=retry))
            run.seq += 1
            run.events.append((run.seq, event))
        if pushed:
            self._wake()
        return run.stop

    async def _watch(self, key: str, ref: Any) -> None:
        try:
            end: TaskEnd = await ref
        except TaskCancelledError:
            end = _end(EventType.CANCELLED, "cancelled by the user")
        except RayTaskError as exc:  # our task code itself raised (run_job catches the job's errors)
            end = _end(EventType.FAILED, f"the job's Ray task failed: {_first_line(exc)}")
        except RayError as exc:  # the worker or node died, and Ray's one retry did not save it
            end = _end(
                EventType.FAILED,
                f"its Ray worker was lost ({type(exc).__name__}: {_first_line(exc)}); "
                "Ray already ran it again once; restart the job to try again",
            )
        run = self._runs.get(key)
        if run is None:
            return
        run.blob, end = end.blob, TaskEnd(end.event, end.trace)
        failed = end.event is not None and end.event.type == EventType.FAILED
        if run.stop and failed and run.blob is None:
            end = _end(EventType.CANCELLED, "cancelled by the user")
        run.end = end
        if run.forget:
            del self._runs[key]
        self._wake()

    async def cancel(self, key: str) -> None:
        """Asks the run to stop (its next event batch hears it); Ray force-kills it after the grace period."""
        run = self._runs.get(key)
        if run is None or run.end is not None or run.stop:
            return
        run.stop = True
        if run.token is None:  # not started yet: take it out of Ray's queue
            ray.cancel(run.ref)
        self._spawn(self._force_cancel(key, run.ref))

    async def _force_cancel(self, key: str, ref: Any) -> None:
        await asyncio.sleep(self._grace)
        run = self._runs.get(key)
        if run is not None and run.end is None:
            ray.cancel(ref, force=True)  # kills the worker process (Ray starts a fresh one later)

    async def poll(self, cursors: dict[str, int], wait_s: float = 0.25) -> dict[str, Polled]:
        """New events (after each run's cursor: the last one the server stored) and ends of the
        given runs; waits up to ``wait_s`` for something new. Events up to a cursor are dropped."""
        if self._changed is None:
            self._changed = asyncio.Event()

        def collect() -> dict[str, Polled]:
            out: dict[str, Polled] = {}
            for key, cursor in cursors.items():
                run = self._runs.get(key)
                if run is None:
                    out[key] = Polled([], TaskEnd(None))  # lost
                    continue
                run.events = [e for e in run.events if e[0] > cursor]
                if run.events or run.end is not None:
                    out[key] = Polled(list(run.events), run.end, run.blob is not None)
            return out

        out = collect()
        if not out and wait_s > 0:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), wait_s)
            except TimeoutError:
                pass
            out = collect()
        return out

    async def collect(self, key: str) -> bytes | None:
        """A finished run's folder as a tar blob (kept until ``forget``)."""
        run = self._runs.get(key)
        return run.blob if run is not None else None

    async def forget(self, key: str) -> None:
        run = self._runs.get(key)
        if run is None:
            return
        if run.end is None:  # still on the cluster: stop it first, forget it when it ends
            run.forget = True
            await self.cancel(key)
            return
        del self._runs[key]

    async def runs(self) -> dict[str, RunState]:
        """Every run it holds: whether it started, on which node, whether it ended."""
        return {
            key: RunState(
                started=run.token is not None,
                ended=run.end is not None,
                node_id=run.node_id,
                executions=run.executions,
                stopping=run.stop,
            )
            for key, run in self._runs.items()
        }

    async def pid(self) -> int:
        return os.getpid()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
