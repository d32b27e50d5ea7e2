"""``tabrl serve`` in its own process, as a person starts it: for `tabrl bench` and the tests.

Started on a free loopback port, waited on until ``/api/info`` answers, stopped cleanly (uvicorn's
shutdown) or killed (a crash).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from tabrl.config import free_port


class ServedStudio:
    """``env`` is added to this process's environment (``TABRL_DATA_DIR`` and friends); the server's
    output goes to ``log_dir/serve-<port>.log``. A server that exits or does not answer within
    ``ready_s`` is a ``RuntimeError`` carrying the end of its log."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, ready_s: float = 180.0, stop_s: float = 30.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env}
        self.log = Path(log_dir) / f"serve-{self.port}.log"
        self.ready_s, self.stop_s = ready_s, stop_s
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log, "wb")  # closed in stop()
        self.process = process = subprocess.Popen(
            [sys.executable, "-m", "tabrl.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.ready_s
        while True:
            try:
                httpx.get(f"{self.url}/api/info", timeout=2).raise_for_status()
                return
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"tabrl serve did not start ({self.log}):\n{self.log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.3)

    def kill(self) -> None:
        """SIGKILL: nothing gets to shut down cleanly."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # uvicorn's clean shutdown
            try:
                self.process.wait(timeout=self.stop_s)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> ServedStudio:
        self.start()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()
