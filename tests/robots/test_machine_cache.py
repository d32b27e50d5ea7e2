"""The catalog and compiled robots live in the machine's cache, not the data directory: a new data
directory reuses them, and the web process lists what it has while the rest is built."""

from __future__ import annotations

import json

import pytest

from tabrl.config import get_settings
from tabrl.robots import catalog, catalog_build, catalog_index, catalog_robots

MODEL = "CartpoleBalance"


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """An empty machine cache and a first data directory; the catalog's memos forgotten."""
    monkeypatch.setenv("TABRL_CACHE_DIR", str(tmp_path / "machine-cache"))
    monkeypatch.setenv("TABRL_DATA_DIR", str(tmp_path / "data-1"))
    for module, memo in (
        (catalog_index, "_index_memo"),
        (catalog_build, "_facts_memo"),
        (catalog_index, "_key_memo"),
    ):
        monkeypatch.setattr(module, memo, None)
    monkeypatch.setattr(catalog_build, "_build", catalog_build._Build())
    get_settings.cache_clear()
    catalog.forget_loaded_models()
    yield tmp_path
    catalog.forget_loaded_models()
    get_settings.cache_clear()


def _use_data_dir(monkeypatch, path) -> None:
    monkeypatch.setenv("TABRL_DATA_DIR", str(path))
    get_settings.cache_clear()
    catalog.forget_loaded_models()


def test_a_new_data_dir_reuses_the_robot_compiled_for_the_first(machine, monkeypatch):
    first = catalog.load_robot(MODEL)  # a real compile (Playground), stored in the machine cache
    folder = catalog_robots.robot_folder(MODEL)
    assert folder.is_relative_to(machine / "machine-cache") and (folder / "model.mjb").is_file()
    assert not (machine / "data-1").exists() or not any((machine / "data-1").rglob("model.mjb"))

    _use_data_dir(monkeypatch, machine / "data-2")
    monkeypatch.setattr(catalog_robots, "compile_catalog_robot", lambda _: pytest.fail("compiled again"))
    again = catalog.load_robot(MODEL)
    assert again.action_size == first.action_size and again.mj_model.nq == first.mj_model.nq
    assert catalog_robots.robot_folder(MODEL) == folder


def test_the_cache_folder_is_per_install_versions(machine, monkeypatch):
    here = catalog_index.cache_dir()
    assert here.parent == machine / "machine-cache" and "mujoco-" in here.name and "playground-" in here.name
    monkeypatch.setattr(catalog_index, "__version__", "0.0.0-other")
    assert catalog_index.cache_dir() != here and catalog_index.cache_dir().parent == here.parent


def test_the_web_process_lists_what_it_has_while_the_rest_is_built(machine, monkeypatch):
    started: list[bool] = []
    monkeypatch.setattr(catalog_build, "start_building", lambda: started.append(True))  # not 57 compiles here

    with pytest.raises(catalog.CatalogNotReady, match="being prepared"):
        catalog.get_entry(MODEL, wait=False)  # not even the index yet: asks again shortly
    assert catalog.list_models(wait=False) == [] and started

    key = catalog_index.cache_key()
    catalog_index.write_cache(catalog_index.index_path(), key, catalog_index.compute_index())
    listed = {e.id: e for e in catalog.list_models(wait=False)}
    assert MODEL in listed and "Go1JoystickFlatTerrain" in listed
    assert not listed[MODEL].assets_available and "being prepared" in (listed[MODEL].assets_reason or "")
    assert catalog.build_status().state != "ready"

    entry = catalog.get_entry(MODEL, wait=False)  # compiles this one model now, not the catalog
    assert entry.assets_available and entry.action_size == 1
    assert (catalog_robots.robot_folder(MODEL) / "model.mjb").is_file()
    assert not catalog_index.facts_path().exists()  # the whole catalog was not built for it

    # A complete facts file (as the background build writes it) is found by a later data directory.
    facts = {m: {"assets_available": False, "assets_reason": "x"} for m in catalog.all_ids()}
    facts[MODEL] = catalog_build.entry_facts(MODEL)
    catalog_index.write_cache(catalog_index.facts_path(), key, facts)
    _use_data_dir(monkeypatch, machine / "data-2")
    monkeypatch.setattr(catalog_build, "_facts_memo", None)
    assert catalog.build_status().state == "ready"
    assert {e.id: e for e in catalog.list_models(wait=False)}[MODEL].assets_available
    assert json.loads(catalog_index.facts_path().read_text())["key"] == key


@pytest.mark.usefixtures("machine")
def test_the_index_is_read_while_a_build_holds_the_cache_folder():
    """A new machine cache: the catalog build holds the folder's lock for minutes and writes the index
    first. Another thread asking for the index (a configure, the web warm-up) gets it as soon as it is
    written, and the thread holding the lock may read the index without waiting on itself. (A thread
    that held the index's own lock while waiting for the folder once deadlocked `tabrl serve`.)"""
    import threading

    from tabrl.robots.cache_lock import CacheFileLock

    folder = catalog_index.cache_dir()
    index = {"CartpoleBalance": {"suite": "dm_control", "robot": "cartpole"}}
    got: list[dict] = []
    with CacheFileLock(folder):
        with CacheFileLock(folder):  # the holder takes it again (the build reading the index)
            pass
        asker = threading.Thread(target=lambda: got.append(catalog_index.model_index()), daemon=True)
        asker.start()
        asker.join(1.0)
        assert asker.is_alive() and not got  # no index yet, and the folder is held: it waits
        assert not _acquired_elsewhere(folder)  # another thread cannot take the folder meanwhile
        catalog_index.write_cache(catalog_index.index_path(), catalog_index.current_key(), index)
        asker.join(30.0)  # the lock still held: the asker read the index the build wrote
        assert not asker.is_alive() and got == [index]
    assert _acquired_elsewhere(folder)  # released: free again


def _acquired_elsewhere(folder) -> bool:
    """Whether a thread other than this one could take ``folder``'s lock now (released at once)."""
    import threading

    from tabrl.robots.cache_lock import CacheFileLock

    result: list[bool] = []

    def attempt() -> None:
        lock = CacheFileLock(folder)
        result.append(lock.acquire(blocking=False))
        if result[0]:
            lock.release()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return result[0]
