"""A real Ray cluster on this machine for the tests: a head and one extra worker node.

Each node is `ray start --block` in its own process session, temp dir and scratch folder (so the
nodes share no files with the studio's data directory). Stopping or killing a node ends exactly
the processes of that session (the node's raylet, its workers and agents), never other Ray
instances on the machine: no global `ray stop`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabrl.api.served import free_port

RAY = str(Path(sys.executable).with_name("ray"))


def use_token_auth() -> Path | None:
    """Ray's token authentication for every Ray process of this test session, with a token made for
    it: explicit, so a token in ~/.ray (which switches `ray start` to token mode) or its absence
    changes nothing. Ray reads the mode once per process, at import: call this before importing ray.
    Returns the folder holding the token (None when RAY_AUTH_MODE was set already)."""
    if "RAY_AUTH_MODE" in os.environ:
        return None
    folder = Path(tempfile.mkdtemp(prefix="tabrl-ray-auth-", dir="/tmp"))
    token = folder / "token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    os.environ.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token))
    return folder


OBJECT_STORE_BYTES = 100 * 1000 * 1000  # the smallest Ray accepts is about 75 MB


class RayNode:
    def __init__(self, name: str, root: Path, args: list[str]):
        self.name, self.root, self.args = name, root, args
        self.temp_dir = root / f"{name}-tmp"
        self.scratch = root / f"{name}-scratch"
        self.log = root / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        self.scratch.mkdir(parents=True, exist_ok=True)
        # Ray's memory monitor counts the whole machine's memory, which the tests share with other
        # work: it would kill our workers for others' use. The tests keep their own use small instead.
        env = {
            **os.environ,
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_memory_monitor_refresh_ms": "0",
            "TABRL_RAY_SCRATCH": str(self.scratch),
        }
        for shared in ("TABRL_DATA_DIR", "TABRL_CACHE_DIR"):  # a node keeps its own, under its scratch folder
            env.pop(shared, None)
        self.process = subprocess.Popen(
            [
                RAY,
                "start",
                "--block",
                "--node-ip-address",
                "127.0.0.1",
                "--num-cpus",
                "1",
                "--object-store-memory",
                str(OBJECT_STORE_BYTES),
                "--temp-dir",
                str(self.temp_dir),
                "--dashboard-agent-listen-port",
                str(free_port()),
                "--disable-usage-stats",
                *self.args,
            ],
            env=env,
            stdout=open(self.log, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while "Ray runtime started" not in self.log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"ray node {self.name} did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.3)

    def pids(self) -> list[int]:
        """Every process of this node: its `ray start` process and all that share its session."""
        if self.process is None:
            return []
        sid, pids = self.process.pid, []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getsid(int(entry.name)) == sid:
                        pids.append(int(entry.name))
                except OSError:
                    continue
        return pids

    def kill(self) -> list[int]:
        """A node lost at once (a crash, a preempted machine): SIGKILL to every one of its processes."""
        pids = self.pids()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if self.process is not None:
            self.process.wait(timeout=30)
        return pids

    def stop(self) -> None:
        """A clean stop (ray start --block ends its node on SIGTERM), then whatever is left is killed."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 10
        while self.pids() and time.monotonic() < deadline:
            time.sleep(0.3)
        self.kill()


class RayCluster:
    def __init__(self, root: Path | None = None):
        # Short: Ray's unix sockets live under the temp dir and their paths must stay under 108 bytes.
        self.root = root or Path(tempfile.mkdtemp(prefix="tabrl-ray-", dir="/tmp"))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.head = RayNode(
            "head",
            self.root,
            [
                "--head",
                "--port",
                str(self.port),
                "--include-dashboard",
                "false",
                "--dashboard-port",
                str(free_port()),
            ],
        )
        self.worker = self._new_worker("worker")

    def _new_worker(self, name: str) -> RayNode:
        return RayNode(name, self.root, ["--address", self.address])

    def start(self) -> RayCluster:
        self.head.start()
        self.worker.start()
        return self

    def restart_worker(self) -> None:
        """A fresh extra node after the old one was killed (new temp dir and scratch)."""
        self.worker.stop()
        self.worker = self._new_worker(f"worker{int(time.time())}")
        self.worker.start()

    def stop(self) -> None:
        for node in (self.worker, self.head):
            try:
                node.stop()
            except Exception:  # the other node must still be stopped
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    def worker_node_id(self) -> str:
        """The Ray node id of the extra worker node (this process must be connected to the cluster)."""
        import ray

        ids = [
            n["NodeID"] for n in ray.nodes() if n["Alive"] and "node:__internal_head__" not in n["Resources"]
        ]
        assert len(ids) == 1, ray.nodes()
        return ids[0]
