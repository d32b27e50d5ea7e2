"""Shared test set-up: the offline Menagerie copy and a private data directory per session."""

from __future__ import annotations

import atexit
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_SHARED_MENAGERIE = REPO.parent / "shared" / "menagerie"

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
if "TABRL_MENAGERIE_PATH" not in os.environ and _SHARED_MENAGERIE.exists():
    os.environ["TABRL_MENAGERIE_PATH"] = str(_SHARED_MENAGERIE)

# Before anything imports ray: the Ray tests' cluster and drivers authenticate with a session token.
from tests.helpers.ray_cluster import use_token_auth  # noqa: E402 (after the environment above)

_RAY_AUTH = use_token_auth()
if _RAY_AUTH is not None:
    atexit.register(shutil.rmtree, _RAY_AUTH, True)


@pytest.fixture(scope="session", autouse=True)
def _session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test session gets its own data dir (database, caches, jobs) unless one is set."""
    from tabrl.config import get_settings

    if "TABRL_DATA_DIR" not in os.environ:
        os.environ["TABRL_DATA_DIR"] = str(tmp_path_factory.mktemp("tabrl-data"))
    # One catalog and one XLA compilation cache for every studio and server the tests start (each
    # has its own data dir): the catalog is built once (a minute for 57 models), programs compile once.
    os.environ.setdefault("TABRL_CACHE_DIR", str(Path(os.environ["TABRL_DATA_DIR"]) / "cache"))
    # Workers do not pre-train Go1 in tests (most train CartpoleBalance): that CPU goes to the tests.
    os.environ.setdefault("TABRL_WARM_MODELS", "")
    os.environ.setdefault("TABRL_WARM_FEATURED", "0")  # nor the featured robots between jobs
    get_settings.cache_clear()
    # Playground's registry is read into the shared cache once, here: on a busy machine the read takes over
    # a minute, longer than a studio's first configure waits for it (catalog.INDEX_WAIT_S, then 503), and a
    # test's first request is not a test of that wait (tests/robots/test_machine_cache.py covers it).
    from tabrl.robots.catalog_index import model_index

    model_index()
    return Path(os.environ["TABRL_DATA_DIR"])


@pytest.fixture(scope="module")
def ray_cluster():
    """A real two-node Ray cluster on loopback (a head and one worker node, one CPU each), shared by
    a module's Ray tests and stopped after them even when they fail (its warm workers hold a few GB
    that the rest of the suite should not have to share with)."""
    pytest.importorskip(
        "ray", reason="the Ray executor's tests need the 'ray' extra: pip install -e '.[ray]'"
    )
    from tests.helpers.ray_cluster import RayCluster

    cluster = RayCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
