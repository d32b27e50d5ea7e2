"""``RayExecutor``: the studio's jobs on a Ray cluster, behind the same interface as the local pool.

The server process is a Ray driver. It hands each queued job's current attempt to the studio's
supervisor actor (tabrl/jobs/ray_remote.py), which runs it as a Ray task on any node. One
dispatcher thread polls the supervisor for new events, stores them through ``store.record_event``
in the order the task sent them (so the WebSocket cannot tell the executors apart), and when a run
has finished, fetches its folder from the object store and unpacks it into the data directory in
one rename before it writes ``done``. Runs are keyed by (job id, attempt) as in the local
executor: events of an attempt that is no longer the job's current one are dropped (``store.is_current``).

Faults: Ray runs a task again once when its worker or node dies; after that the job fails with the
reason. A stopping server leaves cluster runs going; the next start re-attaches those that the
supervisor still holds and marks the rest interrupted (restartable).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray
from ray.exceptions import GetTimeoutError, OutOfMemoryError, RayActorError, RayError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tabrl.config import Settings, free_port
from tabrl.jobs import layout, store
from tabrl.jobs.executor import INTERRUPTED_REASON, Listener
from tabrl.jobs.models import Event, Job
from tabrl.jobs.ray_remote import (
    NAMESPACE,
    ClusterRun,
    JobSupervisor,
    Polled,
    RunState,
    TaskEnd,
    pack_folder,
    run_key,
    unpack_folder,
)
from tabrl.jobs.specs import job_spec
from tabrl.jobs.states import ACTIVE, EventType, JobStatus

log = logging.getLogger(__name__)

LOST_REASON = (
    "the Ray cluster no longer holds this job's run (the cluster or its supervisor restarted); restart it"
)


class ClusterUnreachable(RuntimeError):
    """The configured Ray cluster cannot be reached (the message names the address and what to do)."""


@dataclass
class _RayRun:
    job_id: int
    attempt: int
    cursor: int = 0  # the last of the run's events stored
    cancel_sent: bool = False

    @property
    def key(self) -> str:
        return run_key(self.job_id, self.attempt)


def check_address(address: str) -> None:
    """Refuses an address that is malformed or where nothing listens, naming it (a quick, clear
    answer instead of Ray's long reconnect loop). 'auto' and ray:// addresses are left to Ray."""
    if address == "auto" or address.startswith("ray://"):
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnreachable(f"TABRL_RAY_ADDRESS={address!r} is not host:port, 'auto' or ray://host:port")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ClusterUnreachable(
            f"cannot reach the Ray cluster at {address} (TABRL_RAY_ADDRESS): {exc}. Start its head there with "
            f"`ray start --head --port {port}`, or unset TABRL_RAY_ADDRESS to start a private Ray instance"
        ) from None


class PrivateHead:
    """A private Ray instance for one studio: `ray start --head --block` in a process session of its own,
    stopped with the studio.

    Not ``ray.init(address="local")``: that forks Ray's processes from this one with a Python ``preexec_fn``,
    and a fork of a process with running threads (JAX's, the server's) can leave the child waiting forever on
    a lock one of them held (seen once in `make test` beside other work: the studio never started). Here the
    command runs from a plain fork and exec, and this process only connects to it.
    """

    START_TIMEOUT_S = 120.0

    def __init__(self) -> None:
        # Short: Ray's unix sockets live under the temp dir and their paths must stay under 108 bytes.
        self.root = Path(tempfile.mkdtemp(prefix="tabrl-ray-", dir="/tmp"))
        self.address = f"127.0.0.1:{free_port()}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        log_file = self.root / "head.log"
        with open(log_file, "ab") as out:
            self.process = subprocess.Popen(
                [
                    str(
                        Path(sys.executable).with_name("ray")
                    ),  # the ray package's own command, beside python
                    "start",
                    "--block",
                    "--head",
                    "--node-ip-address",
                    "127.0.0.1",
                    "--port",
                    self.address.rpartition(":")[2],
                    "--temp-dir",
                    str(self.root / "tmp"),
                    "--include-dashboard",
                    "false",
                    "--dashboard-port",
                    str(free_port()),
                    "--dashboard-agent-listen-port",
                    str(free_port()),
                    "--disable-usage-stats",
                ],
                env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.START_TIMEOUT_S
        while "Ray runtime started" not in log_file.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                said = log_file.read_text(errors="replace")[-2000:]
                self.stop()
                raise ClusterUnreachable(f"the private Ray instance did not start:\n{said}")
            time.sleep(0.2)
        return self.address

    def stop(self) -> None:
        """A clean stop (`ray start --block` ends its node on SIGTERM), then whatever is left of its session."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            try:  # its raylet, workers and agents share the session
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
            self.process = None
        shutil.rmtree(self.root, ignore_errors=True)


def connect(address: str | None) -> bool:
    """Connects this process to Ray; True when it did so (False: it was connected already).

    ``address``: host:port of a cluster's head (a ``PrivateHead``'s for a private instance), or ``auto`` (the
    cluster ``ray start`` runs on this machine)."""
    if ray.is_initialized():
        return False
    options = dict(namespace=NAMESPACE, log_to_driver=False, configure_logging=False)
    if not address:
        raise ValueError("connect needs an address: a private instance is a PrivateHead's")
    check_address(address)
    try:
        ray.init(address=address, **options)
    except Exception as exc:  # ConnectionError for 'auto' without a cluster, RuntimeError for a wrong port
        raise ClusterUnreachable(
            f"cannot connect to the Ray cluster at {address} (TABRL_RAY_ADDRESS): {type(exc).__name__}: {exc}"
        ) from None
    return True


def supervisor_name(settings: Settings) -> str:
    """One supervisor per studio: its data directory and database name it."""
    ident = f"{settings.data_dir.resolve()}|{settings.resolved_database_url}"
    return "tabrl-supervisor-" + hashlib.sha1(ident.encode()).hexdigest()[:16]


def job_resources(settings: Settings, kind: str, cluster_gpus: float) -> dict[str, float]:
    """What one job asks Ray for. Training takes a GPU when the cluster has one: that is where the
    ``auto`` backend rule (tabrl.pipeline.choose_backend) picks MJX; else it trains natively
    on CPUs. Rendering films on CPUs."""
    gpus = 1.0 if kind == "train" and cluster_gpus >= 1 else 0.0
    return {"num_cpus": settings.ray_cpus_per_job, "num_gpus": gpus}


class RayExecutor:
    """Runs the studio's jobs as Ray tasks; at most ``settings.ray_max_jobs`` placed at once (0: all)."""

    POLL_WAIT_S = 0.25
    RECONCILE_EVERY_S = 2.0
    RESOURCES_EVERY_S = 10.0
    CANCEL_GRACE_S = 3.0

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]):
        self.settings, self.sessions = settings, sessions
        self._runs: dict[tuple[int, int], _RayRun] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._listeners: list[Listener] = []
        self._thread: threading.Thread | None = None
        self._supervisor: Any = None  # a Ray actor handle
        self._connected_here = False
        self._private_cluster = not settings.ray_address
        self._head: PrivateHead | None = None  # the private instance this studio started
        self._gpus = 0.0
        self._gpus_at = 0.0
        self._last_reconcile = 0.0

    # ------------------------------------------------------------------ API side

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        address = self.settings.ray_address
        if not address and not ray.is_initialized():
            self._head = PrivateHead()
            address = self._head.start()
        self._connected_here = connect(address)
        self._supervisor = self._get_supervisor()
        self._reattach()
        self._thread = threading.Thread(target=self._loop, name="tabrl-ray-dispatcher", daemon=True)
        self._thread.start()
        log.info(
            "Ray executor: cluster %s, supervisor %s",
            self.settings.ray_address or "(private)",
            supervisor_name(self.settings),
        )

    def wake(self) -> None:
        self._woken.set()
        self._notify()

    def cancel(self, job_id: int) -> None:
        """A queued job is cancelled at once; a running one stops within a few seconds (force-killed
        by Ray after the grace period)."""
        with self._lock:
            with self.sessions() as db:
                job = db.get(Job, job_id)
                if job is None:
                    return
                run = self._runs.get((job.id, job.attempt))
                if job.status == JobStatus.QUEUED:
                    store.record_event(
                        db, job, EventType.CANCELLED, {"reason": "cancelled before it started"}
                    )
                    db.commit()
            if run is not None:
                self._cancel_run(run)
        self.wake()

    def shutdown(self) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            if self._private_cluster:
                # A private Ray instance stops with this process, and its runs with it.
                with self.sessions() as db:
                    store.interrupt_orphans(db, INTERRUPTED_REASON)
                    db.commit()
            elif self._supervisor is not None and not self._runs:
                ray.kill(self._supervisor)  # an idle studio leaves nothing behind on the cluster
            # else: the runs go on; the next start re-attaches them
        except Exception:
            log.exception("Ray executor shutdown")
        finally:
            if self._connected_here:
                ray.shutdown()
            if self._head is not None:
                self._head.stop()
                self._head = None

    def runs(self) -> dict[str, RunState]:
        """The runs the supervisor holds (started, node, executions): for tests and diagnostics."""
        runs: dict[str, RunState] = ray.get(self._supervisor.runs.remote(), timeout=30)
        return runs

    # ------------------------------------------------------------------ connection

    def _get_supervisor(self) -> Any:
        name = supervisor_name(self.settings)
        try:
            return ray.get_actor(name, namespace=NAMESPACE)
        except ValueError:
            pass
        # Pinned to this process's node: it holds finished runs' files for the server, and must not
        # go down with a worker node.
        here = ray.get_runtime_context().get_node_id()
        actor_class: Any = JobSupervisor  # made an actor class by @ray.remote
        supervisor = actor_class.options(
            name=name,
            namespace=NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=here, soft=False),
        ).remote(cancel_grace_s=self.CANCEL_GRACE_S)
        ray.get(supervisor.pid.remote(), timeout=120)  # up before the first job is handed over
        return supervisor

    def _reattach(self) -> None:
        """After a (re)start: follow the runs the supervisor still holds, interrupt the rest."""
        held: dict[str, RunState] = ray.get(self._supervisor.runs.remote(), timeout=60)
        interrupted = []
        with self._lock, self.sessions() as db:
            for job in db.scalars(select(Job).where(Job.status.in_(ACTIVE))):
                key = run_key(job.id, job.attempt)
                if key in held and not held[key].stopping:
                    # The run's events the server stored already: the supervisor resends the rest.
                    stored = db.scalar(
                        select(func.count(Event.id)).where(
                            Event.job_id == job.id,
                            Event.attempt == job.attempt,
                            Event.type != EventType.QUEUED,
                        )
                    )
                    self._runs[(job.id, job.attempt)] = _RayRun(job.id, job.attempt, cursor=stored or 0)
                    log.info("re-attached job %s attempt %s (%s)", job.id, job.attempt, job.status)
                elif job.status != JobStatus.QUEUED:
                    store.record_event(db, job, EventType.INTERRUPTED, {"reason": INTERRUPTED_REASON})
                    interrupted.append(job.id)
            db.commit()
            for key in held:  # runs of attempts that moved on while no server watched: stop them
                job_id, attempt = (int(x) for x in key.split(":"))
                if (job_id, attempt) not in self._runs:
                    run = self._runs[(job_id, attempt)] = _RayRun(job_id, attempt)
                    self._cancel_run(run)
        if interrupted:
            log.warning("marked interrupted: jobs %s", interrupted)
            self._notify()

    # ------------------------------------------------------------------ dispatcher thread

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.exception("event listener failed")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._launch()
                self._poll()
                now = time.monotonic()
                if now - self._last_reconcile > self.RECONCILE_EVERY_S:
                    self._last_reconcile = now
                    self._reconcile()
            except (RayActorError, OutOfMemoryError) as exc:  # only the supervisor is called here
                self._lost_supervisor(exc)
            except Exception:
                log.exception("Ray dispatcher error (continuing)")
                self._stop.wait(1.0)

    def _cancel_run(self, run: _RayRun) -> None:
        if run.cancel_sent:
            return
        run.cancel_sent = True
        try:
            ray.get(self._supervisor.cancel.remote(run.key), timeout=30)
        except RayError:
            run.cancel_sent = False  # a second cancel (or the reconcile pass) asks again
            log.exception("could not cancel run %s", run.key)

    def _cluster_gpus(self) -> float:
        now = time.monotonic()
        if now - self._gpus_at > self.RESOURCES_EVERY_S:
            self._gpus_at = now
            try:
                self._gpus = float(ray.cluster_resources().get("GPU", 0.0))
            except Exception:
                log.exception("could not read the cluster's resources")
        return self._gpus

    def _launch(self) -> None:
        cap = self.settings.ray_max_jobs or 10_000
        with self._lock:
            room = cap - len(self._runs)
            if room <= 0 or self._stop.is_set():
                return
            with self.sessions() as db:
                for job in store.next_queued(db, set(), room + len(self._runs)):
                    if (job.id, job.attempt) in self._runs:
                        continue
                    if room <= 0:
                        break
                    self._submit(db, job)
                    room -= 1

    def _submit(self, db: Session, job: Job) -> None:
        out_dir = layout.attempt_dir(self.settings.data_dir, job)
        spec = job_spec(self.settings, db, job, 0, out_dir)
        run = ClusterRun(
            spec,
            out_rel=str(out_dir.relative_to(self.settings.data_dir)),
            menagerie_path=str(self.settings.menagerie_path) if self.settings.menagerie_path else None,
        )
        checkpoint_blob = None
        if spec.checkpoint is not None:  # a render job
            checkpoint = spec.checkpoint
            if not checkpoint.is_dir():
                store.record_event(
                    db, job, EventType.FAILED, {"reason": "the policy to film is no longer on the server"}
                )
                db.commit()
                self._notify()
                return
            run = ClusterRun(
                spec,
                out_rel=run.out_rel,
                checkpoint_rel=str(checkpoint.relative_to(self.settings.data_dir)),
                menagerie_path=run.menagerie_path,
            )
            checkpoint_blob = pack_folder(checkpoint)  # the node may not see the server's files
        options: dict[str, float | bool | str] = {
            **job_resources(self.settings, job.kind, self._cluster_gpus()),
            "max_retries": 1,
            "retry_exceptions": False,
            "name": f"tabrl-job-{job.id}-a{job.attempt}",
        }
        ray.get(
            self._supervisor.submit.remote(run_key(job.id, job.attempt), run, options, checkpoint_blob),
            timeout=60,
        )
        self._runs[(job.id, job.attempt)] = _RayRun(job.id, job.attempt)
        log.info("job %s attempt %s handed to the Ray cluster (%s)", job.id, job.attempt, options)

    def _poll(self) -> None:
        with self._lock:
            cursors = {run.key: run.cursor for run in self._runs.values()}
        if not cursors:
            self._woken.wait(self.POLL_WAIT_S)
            self._woken.clear()
            return
        wait = 0.0 if self._woken.is_set() else self.POLL_WAIT_S
        self._woken.clear()
        try:
            reply = ray.get(self._supervisor.poll.remote(cursors, wait), timeout=60)
        except GetTimeoutError:
            log.warning("the Ray supervisor did not answer a poll in 60 s")
            return
        if reply:
            self._handle(reply)

    def _handle(self, reply: dict[str, Polled]) -> None:
        changed = False
        for key, info in reply.items():
            job_id, attempt = (int(x) for x in key.split(":"))
            with self._lock:
                run = self._runs.get((job_id, attempt))
            if run is None:
                continue
            with self.sessions() as db:
                found = db.get(Job, job_id)
                current = found if store.is_current(found, attempt) else None
                for seq, event in info.events:
                    if seq <= run.cursor:
                        continue
                    run.cursor = seq
                    if current is not None:
                        store.record(db, current, event)
                        changed = True
                if info.end is not None and current is not None:
                    self._finish(db, current, run, info.end, info.has_blob)
                    changed = True
                db.commit()
            if info.end is not None:
                self._forget(run)
        if changed:
            self._notify()

    def _finish(self, db: Session, job: Job, run: _RayRun, end: TaskEnd, has_blob: bool) -> None:
        if end.trace:
            log.warning("job %s failed on the cluster:\n%s", job.id, end.trace)
        if end.event is None:  # "lost": the supervisor does not know the run
            store.record_event(db, job, EventType.INTERRUPTED, {"reason": LOST_REASON})
        elif end.event.type == EventType.DONE:
            blob = ray.get(self._supervisor.collect.remote(run.key), timeout=300) if has_blob else None
            if blob is None:
                store.record_event(
                    db, job, EventType.FAILED, {"reason": "the run finished but its files did not come back"}
                )
                return
            try:
                unpack_folder(blob, layout.attempt_dir(self.settings.data_dir, job, run.attempt))
            except (
                OSError,
                tarfile.TarError,
            ) as exc:  # nothing half-written stays: the folder is renamed in whole
                store.record_event(
                    db, job, EventType.FAILED, {"reason": f"the run's files could not be stored: {exc}"}
                )
                return
            self._remove_old_attempts(job)
            store.record(db, job, end.event)
        elif end.event.type in (EventType.FAILED, EventType.CANCELLED):
            store.record(db, job, end.event)

    def _remove_old_attempts(self, job: Job) -> None:
        root = layout.job_root(self.settings.data_dir, job.session_id, job.id)
        for attempt, folder in layout.attempt_folders(root):
            if attempt != job.attempt:
                shutil.rmtree(folder, ignore_errors=True)

    def _forget(self, run: _RayRun) -> None:
        with self._lock:
            self._runs.pop((run.job_id, run.attempt), None)
        try:
            ray.get(self._supervisor.forget.remote(run.key), timeout=30)
        except RayError:
            log.exception("could not release run %s", run.key)

    def _reconcile(self) -> None:
        """Stops runs whose job is no longer on their attempt or no longer active (a safety net)."""
        with self._lock:
            runs = [r for r in self._runs.values() if not r.cancel_sent]
        if not runs:
            return
        with self.sessions() as db:
            stale = store.stale_attempts(db, [(r.job_id, r.attempt) for r in runs])
        for run in runs:
            if (run.job_id, run.attempt) in stale:
                log.warning(
                    "job %s attempt %s is no longer current: stopping its run", run.job_id, run.attempt
                )
                self._cancel_run(run)

    def _lost_supervisor(self, exc: Exception) -> None:
        """The supervisor actor died (its node went down): its runs are gone; start a new one."""
        log.error("the Ray supervisor is gone (%s): interrupting its jobs", exc)
        with self._lock:
            runs, self._runs = list(self._runs.values()), {}
            with self.sessions() as db:
                for run in runs:
                    job = db.get(Job, run.job_id)
                    if store.is_current(job, run.attempt):
                        store.record_event(db, job, EventType.INTERRUPTED, {"reason": LOST_REASON})
                db.commit()
        self._notify()
        try:
            self._supervisor = self._get_supervisor()
        except Exception:
            log.exception("could not start a new Ray supervisor")
            self._stop.wait(5.0)
