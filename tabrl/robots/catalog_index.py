"""The catalog's cache folder and its index: every id with its suite and robot, read once per install.

The machine's cache folder (``Settings.resolved_cache_dir``) holds one subfolder per tabrl/playground/
mujoco version, so a new data directory reuses it. Its JSON files (the index here, the facts of
``catalog_build``) are keyed by the package versions, the robot profiles and the Menagerie folder: a
changed install reads them anew. With the index in place, naming a model never imports Playground.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any, cast

from tabrl import __version__
from tabrl.config import get_settings
from tabrl.robots import menagerie
from tabrl.robots.cache_lock import CacheFileLock
from tabrl.robots.catalog_sources import (
    MENAGERIE_ROBOTS,
    Suite,
    UnknownModel,
    derived_profile,
    menagerie_profile,
    menagerie_robot,
    playground_registry,
    playground_suite_live,
)
from tabrl.robots.profiles import PROFILE_DIR, RobotProfile, get_profile


def cache_dir() -> Path:
    """This installation's part of the machine cache: one folder per tabrl/playground/mujoco version
    (what else the caches depend on is in their key), so installs on one machine do not evict each other."""
    versions = f"tabrl-{__version__}_mujoco-{_version('mujoco')}_playground-{_version('playground')}"
    return get_settings().resolved_cache_dir / f"catalog-{versions}-f{FACTS_VERSION}"


def facts_path() -> Path:
    return cache_dir() / "catalog.json"


def index_path() -> Path:
    return cache_dir() / "catalog-index.json"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


FACTS_VERSION = 2


def cache_key() -> str:
    """What the cached catalog depends on: package versions, profiles, the Menagerie folder and its robots."""
    profiles = hashlib.sha1(b"".join(p.read_bytes() for p in sorted(PROFILE_DIR.glob("*.yaml")))).hexdigest()
    where = []
    for source in menagerie.sources():  # found without importing Playground
        try:
            robots = sorted(os.listdir(source.path))
        except OSError:
            robots = []
        where.append([source.label, str(source.path), robots])
    # FACTS_VERSION: what a model's cached facts hold (bumped when a fact is added, e.g. the body plan).
    return json.dumps(
        [__version__, FACTS_VERSION, _version("playground"), _version("mujoco"), where, profiles]
    )


KEY_RECHECK_S = 2.0  # how soon a changed install (a robot folder added, a profile edited) is noticed
_key_memo: tuple[float, str] | None = None


def current_key() -> str:
    """``cache_key()``, recomputed at most every KEY_RECHECK_S: it reads every profile and lists the
    Menagerie folders (about 5 ms), which listing the catalog would otherwise do once per model."""
    global _key_memo
    now = time.monotonic()
    memo = _key_memo
    if memo is not None and now - memo[0] < KEY_RECHECK_S:
        return memo[1]
    key = cache_key()
    _key_memo = (now, key)
    return key


def recent_key() -> str | None:
    """The key as last computed, if that was less than KEY_RECHECK_S ago (what is known without a check)."""
    memo = _key_memo
    return memo[1] if memo is not None and time.monotonic() - memo[0] < KEY_RECHECK_S else None


def read_cache(path: Path, key: str) -> Any | None:
    try:
        cached = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(cached, dict) or cached.get("key") != key:
        return None
    return cached.get("value")


def write_cache(path: Path, key: str, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps({"key": key, "value": value}))
    tmp.replace(path)  # atomic: a reader sees the old file or the new one, never half of one


_index_lock = threading.Lock()
_index_memo: tuple[str, dict[str, dict[str, str]]] | None = None


def model_index() -> dict[str, dict[str, str]]:
    """Every catalog id (Playground's order, then the Menagerie robots) -> {suite, robot}."""
    while (index := model_index_now()) is None:
        # A catalog build (another process, or a thread of this one) holds the folder for minutes, but
        # writes the index first: read it as soon as it is there instead of waiting for the whole build.
        # (Not under _index_lock: the build reads the index while holding the folder.)
        lock = CacheFileLock(cache_dir())
        if not lock.acquire(blocking=False):
            time.sleep(0.2)
            continue
        try:
            if model_index_now() is None:
                write_cache(index_path(), current_key(), compute_index())
        finally:
            lock.release()
    return index


def compute_index() -> dict[str, dict[str, str]]:
    registry = playground_registry()
    index: dict[str, dict[str, str]] = {}
    for env_id in registry.ALL_ENVS:
        suite, robot = playground_suite_live(env_id)
        index[env_id] = {"suite": suite, "robot": robot}
    for m in MENAGERIE_ROBOTS:
        index[m.id] = {"suite": "menagerie", "robot": m.robot}
    return index


def model_index_now() -> dict[str, dict[str, str]] | None:
    """The index if it is known now (memory or file), without building it."""
    global _index_memo
    key = current_key()
    memo = _index_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    index = read_cache(index_path(), key)
    if not isinstance(index, dict) or not index:
        return None
    with _index_lock:  # a leaf: nothing else is taken while it is held
        _index_memo = (key, index)
    return index


def playground_suite(env_id: str) -> tuple[Suite, str]:
    """(suite, robot key) of a Playground env: from the index cache when there is one."""
    known = model_index().get(env_id)
    if known is not None and known["suite"] != "menagerie":
        # The index holds what playground_suite_live found.
        return cast(Suite, known["suite"]), known["robot"]
    return playground_suite_live(env_id)


def playground_ids() -> list[str]:
    return [i for i, v in model_index().items() if v["suite"] != "menagerie"]


def all_ids() -> list[str]:
    return list(model_index())


def profile_for(model_id: str) -> RobotProfile:
    """The robot profile for a catalog id, without compiling anything."""
    m = menagerie_robot(model_id)
    if m is not None:
        return menagerie_profile(m.robot)
    if model_id not in model_index():
        raise UnknownModel(model_id, all_ids())
    suite, robot = playground_suite(model_id)
    return get_profile(robot) or derived_profile(robot, suite)


def thumbnail_folder() -> Path:
    """Thumbnails are kept with the catalog (per machine and install), not per data directory."""
    return cache_dir() / "thumbnails"


def thumbnail_path(model_id: str) -> Path:
    return thumbnail_folder() / f"{model_id}.png"
