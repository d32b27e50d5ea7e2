"""A small JSON store for designed approaches under ``settings.data_dir / "cache" / "approaches"``.

One file per key (a SHA-256 of the request's parts). Writes go to a temporary file in the same
folder and are moved into place with ``os.replace``, so a reader sees the old entry or the new
one, never half of one, even with several processes writing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from tabrl.config import get_settings

log = logging.getLogger(__name__)


def normalize_prompt(prompt: str) -> str:
    """Case and spacing do not make a different request."""
    return re.sub(r"\s+", " ", prompt).strip().casefold()


def cache_key(**parts: Any) -> str:
    """A stable key for the given parts (JSON with sorted keys, hashed)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class ApproachCache:
    """Get/put JSON values by key; a missing or unreadable entry is a miss."""

    def __init__(self, root: Path | None = None):
        self.root = root or get_settings().data_dir / "cache" / "approaches"

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", key):
            raise ValueError(f"bad cache key {key!r}")
        return self.root / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        try:
            entry = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        value = entry.get("value") if isinstance(entry, dict) else None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"stored_at": time.time(), "value": value})
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:12]}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def clear(self) -> int:
        """Removes every entry; returns how many."""
        count = 0
        if self.root.is_dir():
            for path in self.root.glob("*.json"):
                path.unlink(missing_ok=True)
                count += 1
        return count
