"""Compiled MuJoCo models stored once per robot build, named by their content's SHA-256.

Every trained policy runs on the exact compiled model it was trained on (``model.mjb``: Go1's is
49 MB, H1's 63 MB), and every approach of every session would otherwise keep its own copy. The
studio stores each distinct model once, gzip-compressed, under the data directory::

    models/<sha256 of the .mjb bytes>.mjb.gz

and a policy folder names its model by that hash (``model_sha256`` in its ``policy.json``).

Compression (measured at this module's level 6, one 2-core machine, ``docs/export.md``): Go1
49.0 MB → 17.4 MB, read back in 0.18 s (the raw file loads in 0.07 s); H1 63.4 MB → 25.0 MB, 0.21 s.
A model is compressed once per robot build and read only for a download or ``tabrl play``.

A file appears under its final name only whole: it is written to a temporary name beside it, flushed
to disk, then renamed (a crash mid-write leaves a ``.*.tmp`` that nothing reads and ``collect_garbage``
removes). Reading checks the hash, so a damaged file is an error, never a wrong model.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import mujoco
import numpy as np

MODEL_FILE = "model.mjb"  # a policy folder's own model (a self-contained export, a download)
SIDECAR_FILE = "policy.json"  # names the model by its hash (model_sha256)
STORE = "models"  # the store's folder under the data directory
SUFFIX = ".mjb.gz"
LEVEL = 6  # gzip level: 1 gives 17.8 MB for Go1 in 0.5 s, 6 gives 17.4 MB in 1.2 s, 9 no smaller
GRACE_S = (
    3600.0  # a model stored or reused this recently is never collected (a job may be writing its policy)
)
_NAME = re.compile(r"([0-9a-f]{64})" + re.escape(SUFFIX))
_TEMP = re.compile(r"\..*\.tmp")


class ModelStoreError(OSError):
    """A stored model that is missing or damaged."""


def store_dir(data_dir: Path) -> Path:
    return Path(data_dir) / STORE


def model_bytes(model: mujoco.MjModel) -> bytes:
    """The compiled model as MuJoCo's binary format (what ``MjModel.from_binary_path`` reads)."""
    buffer = np.zeros(mujoco.mj_sizeModel(model), dtype=np.uint8)
    mujoco.mj_saveModel(model, None, buffer)
    return buffer.tobytes()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_path(store: Path, sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ModelStoreError(f"{sha256!r} is not a SHA-256 hex digest (64 characters 0-9a-f)")
    return Path(store) / f"{sha256}{SUFFIX}"


def put(store: Path, data: bytes) -> str:
    """Stores ``data`` (an .mjb) unless it is there already; returns its SHA-256."""
    sha256 = digest(data)
    path = stored_path(store, sha256)
    try:
        os.utime(
            path
        )  # already stored: mark it fresh so collect_garbage leaves it to the policy being written
        return sha256
    except FileNotFoundError:
        pass
    store.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{sha256[:16]}.", suffix=".tmp", dir=store)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(gzip.compress(data, compresslevel=LEVEL, mtime=0))
            f.flush()
            os.fsync(f.fileno())  # whole on disk before it has its name
        os.replace(tmp, path)  # two jobs storing the same model at once: either whole file wins
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha256


def read(store: Path, sha256: str) -> bytes:
    """The stored model's .mjb bytes, checked against its hash."""
    path = stored_path(store, sha256)
    try:
        data = gzip.decompress(path.read_bytes())
    except FileNotFoundError:
        raise ModelStoreError(f"the shared model {path.name} is missing from {store}") from None
    except (OSError, EOFError) as e:
        raise ModelStoreError(f"the shared model {path} is damaged: {e}") from None
    if digest(data) != sha256:
        raise ModelStoreError(f"the shared model {path} is damaged: its content does not match its name")
    return data


def stored(store: Path) -> dict[str, Path]:
    """The models in the store by hash."""
    if not Path(store).is_dir():
        return {}
    found = ((_NAME.fullmatch(p.name), p) for p in Path(store).iterdir())
    return {m.group(1): p for m, p in found if m is not None}


def collect_garbage(store: Path, keep: set[str], grace_s: float = GRACE_S) -> list[Path]:
    """Removes the models no policy refers to (``keep``: the hashes that are), and temporary files a
    crash left, except those touched in the last ``grace_s`` seconds. Returns what was removed."""
    store = Path(store)
    if not store.is_dir():
        return []
    cutoff = time.time() - grace_s
    removed: list[Path] = []
    for sha256, path in stored(store).items():
        if sha256 in keep:
            continue
        # Renamed first: a job reusing the model touches it (put), and after the rename it finds it gone
        # and stores it anew; one that touched it just before the rename is seen here and it goes back.
        tomb = path.with_name(f".{path.name}.{os.getpid()}.gone")
        try:
            if path.stat().st_mtime > cutoff:
                continue
            os.rename(path, tomb)
            if tomb.stat().st_mtime > cutoff and not path.exists():
                os.rename(tomb, path)
                continue
            tomb.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
    for path in store.iterdir():
        if _TEMP.fullmatch(path.name) or path.name.endswith(".gone"):
            try:
                if path.stat().st_mtime <= cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                continue
    return removed


def model_of(policy_dir: Path, model_store_dir: Path) -> bytes:
    """A policy's .mjb: the folder's own model.mjb, else the shared one its policy.json names."""
    own = Path(policy_dir) / MODEL_FILE
    if own.is_file():
        return own.read_bytes()
    try:
        sha256 = json.loads((Path(policy_dir) / SIDECAR_FILE).read_text()).get("model_sha256")
    except (OSError, ValueError) as e:
        raise ModelStoreError(f"{policy_dir} has no readable {SIDECAR_FILE}: {e}") from None
    if not sha256:
        raise ModelStoreError(f"{policy_dir} has neither {MODEL_FILE} nor a model_sha256 naming one")
    return read(Path(model_store_dir), sha256)


def shares_model(policy_dir: Path) -> bool:
    """Whether the folder's model is in the shared store (it has no model.mjb of its own)."""
    return (Path(policy_dir) / SIDECAR_FILE).is_file() and not (Path(policy_dir) / MODEL_FILE).exists()


@contextlib.contextmanager
def standalone_folder(policy_dir: Path, model_store_dir: Path) -> Iterator[Path]:
    """The policy folder as run_policy.py reads it: itself, or (its model shared) a temporary folder
    of links to its files with the model beside them."""
    policy_dir = Path(policy_dir)
    if not shares_model(policy_dir):
        yield policy_dir
        return
    mjb = model_of(policy_dir, model_store_dir)
    with tempfile.TemporaryDirectory(prefix="tabrl-policy-") as tmp:
        for item in policy_dir.iterdir():
            (Path(tmp) / item.name).symlink_to(item.resolve())
        (Path(tmp) / MODEL_FILE).write_bytes(mjb)
        yield Path(tmp)
