"""An exclusive lock on a cache folder across processes (web server, workers, CLI)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO, Any


class CacheFileLock:
    """``with CacheFileLock(folder):`` holds ``folder/catalog.lock``; a catalog child process
    (TABRL_CATALOG_CHILD) builds while its parent holds it, so it takes nothing."""

    def __init__(self, folder: Path):
        self.path = folder / "catalog.lock"
        self._file: IO[str] | None = None

    def __enter__(self) -> CacheFileLock:
        if os.environ.get("TABRL_CATALOG_CHILD"):
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "w")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
