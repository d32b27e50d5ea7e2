"""The shared store of compiled models (issue 25, item 1): one file per model, named by its hash,
written whole or not at all, read back checked, and collected when no policy names it."""

from __future__ import annotations

import errno
import gzip
import os
import subprocess
import time

import mujoco
import pytest

from tabrl.export import model_store
from tabrl.robots.catalog import load_robot

MODEL = "CartpoleBalance"  # 11.8 MB as .mjb: small enough to store many times over in a test


@pytest.fixture(scope="module")
def mjb() -> bytes:
    return model_store.model_bytes(load_robot(MODEL).mj_model)


def test_a_model_is_stored_once_compressed_and_read_back_whole(tmp_path, mjb):
    store = tmp_path / "models"
    sha = model_store.put(store, mjb)
    assert sha == model_store.digest(mjb)
    assert model_store.put(store, model_store.model_bytes(load_robot(MODEL).mj_model)) == sha  # same build
    (path,) = store.iterdir()
    assert path == model_store.stored_path(store, sha) and path.name.endswith(".mjb.gz")
    assert path.stat().st_size < len(mjb) / 2, "kept compressed"
    assert model_store.read(store, sha) == mjb
    model = mujoco.MjModel.from_binary_path("m.mjb", {"m.mjb": model_store.read(store, sha)})
    assert model.nq == load_robot(MODEL).mj_model.nq


def test_a_damaged_or_missing_model_is_an_error_never_a_wrong_model(tmp_path, mjb):
    store = tmp_path / "models"
    sha = model_store.put(store, mjb)
    path = model_store.stored_path(store, sha)
    path.write_bytes(gzip.compress(mjb[:-10] + b"\0" * 10))  # valid gzip, wrong content
    with pytest.raises(model_store.ModelStoreError, match="does not match its name"):
        model_store.read(store, sha)
    path.write_bytes(path.read_bytes()[:1000])  # cut short
    with pytest.raises(model_store.ModelStoreError, match="damaged"):
        model_store.read(store, sha)
    path.unlink()
    with pytest.raises(model_store.ModelStoreError, match="missing"):
        model_store.read(store, sha)
    with pytest.raises(model_store.ModelStoreError, match="not a SHA-256"):
        model_store.read(store, "../../etc/passwd")


@pytest.fixture
def small_disk(tmp_path):
    """A 128 KB tmpfs: the store's model (316 KB compressed) does not fit."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_write_that_fails_midway_leaves_nothing_under_the_models_name(small_disk, mjb):
    store = small_disk / "models"
    with pytest.raises(OSError) as failed:
        model_store.put(store, mjb)
    assert failed.value.errno == errno.ENOSPC
    assert list(store.iterdir()) == [], "neither the model nor its temporary file is left"


def test_unreferenced_models_and_crash_leftovers_are_collected_after_a_grace(tmp_path, mjb):
    store = tmp_path / "models"
    kept = model_store.put(store, mjb)
    other = model_store.put(store, mjb + b"another build")
    recent = model_store.put(store, mjb + b"a third build, stored a moment ago")
    leftover = store / f".{other[:16]}.abc.tmp"  # what a crash mid-write leaves
    leftover.write_bytes(b"half a model")
    old = time.time() - 2 * model_store.GRACE_S
    for path in (model_store.stored_path(store, kept), model_store.stored_path(store, other), leftover):
        os.utime(path, (old, old))
    removed = model_store.collect_garbage(store, keep={kept})
    assert set(removed) == {model_store.stored_path(store, other), leftover}
    assert set(model_store.stored(store)) == {kept, recent}
    # Reusing a model marks it fresh: a job writing its policy now keeps it from being collected.
    os.utime(model_store.stored_path(store, kept), (old, old))
    model_store.put(store, mjb)
    assert model_store.collect_garbage(store, keep=set()) == []
