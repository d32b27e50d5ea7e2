"""The catalog on disk: commands that train nothing never import Playground once it is cached."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tabrl.robots import catalog, catalog_index

_PROBE = """
import sys
from typer.testing import CliRunner
from tabrl.cli import app
runner = CliRunner()
for args in (["approaches", "--model", "Go1JoystickFlatTerrain", "spin in place", "--json"], ["models", "--json"]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
print(len(__import__("json").loads(result.output)), "mujoco_playground" in sys.modules)
"""


def test_cached_catalog_serves_models_and_approaches_without_playground():
    entries = catalog.list_models()  # builds (or finds) both caches in this session's data dir
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, env=os.environ, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    count, imported = out.stdout.split()
    assert int(count) == len(entries) and imported == "False"


def test_a_stale_cache_is_rebuilt(monkeypatch):
    real = catalog.all_ids()
    path = catalog_index.index_path()
    path.write_text(
        json.dumps(
            {"key": "another installation", "value": {"Bogus": {"suite": "menagerie", "robot": "bogus"}}}
        )
    )
    monkeypatch.setattr(catalog_index, "_index_memo", None)
    assert catalog.all_ids() == real
    assert json.loads(path.read_text())["key"] == catalog_index.cache_key()


def test_the_key_follows_the_menagerie_folder(tmp_path, monkeypatch):
    from tabrl.config import get_settings

    key = catalog_index.cache_key()
    monkeypatch.setattr(get_settings(), "menagerie_path", tmp_path)
    elsewhere = catalog_index.cache_key()
    assert elsewhere != key
    (tmp_path / "unitree_go1").mkdir()  # a robot added to the folder changes it too
    assert catalog_index.cache_key() not in (key, elsewhere)
