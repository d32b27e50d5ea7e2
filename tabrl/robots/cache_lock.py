"""An exclusive lock on a cache folder across processes (web server, workers, CLI) and across the
threads of one process."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import IO, Any

# flock belongs to an open file, not to a thread: a second open() of the lock file in the process that
# already holds it waits forever. Threads therefore queue on this lock first, and the thread holding
# it may take it again (the catalog build reads the index while it holds the folder).
_in_process = threading.RLock()
_held: dict[Path, tuple[IO[str], int]] = {}  # lock file -> (its open file, how deep it is taken)


class CacheFileLock:
    """``with CacheFileLock(folder):`` holds ``folder/catalog.lock``; ``acquire(blocking=False)`` tries
    without waiting. A catalog child process (TABRL_CATALOG_CHILD) builds while its parent holds it, so
    it takes nothing."""

    def __init__(self, folder: Path):
        self.path = folder / "catalog.lock"
        self._child = bool(os.environ.get("TABRL_CATALOG_CHILD"))

    def acquire(self, blocking: bool = True) -> bool:
        if self._child:
            return True
        if not _in_process.acquire(blocking):
            return False
        try:
            file, depth = _held.get(self.path, (None, 0))
            if file is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                file = open(self.path, "w")
                try:
                    fcntl.flock(file, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    file.close()
                    _in_process.release()
                    return False
            _held[self.path] = (file, depth + 1)
        except BaseException:
            _in_process.release()
            raise
        return True

    def release(self) -> None:
        if self._child:
            return
        file, depth = _held[self.path]
        if depth == 1:
            del _held[self.path]
            fcntl.flock(file, fcntl.LOCK_UN)
            file.close()
        else:
            _held[self.path] = (file, depth - 1)
        _in_process.release()

    def __enter__(self) -> CacheFileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()
