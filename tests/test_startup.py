"""What start-up loads: the imports kept inside functions (each commented why) keep `tabrl --help` free of
the commands' dependencies and the web process free of JAX. Measured in a fresh interpreter each."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HELP = """
import contextlib, io, sys
from tabrl.cli import app
sys.argv = ["tabrl", "--help"]
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    app()
"""
WEB = "import tabrl.api.app"


def _loaded(code: str) -> set[str]:
    """The top-level packages a fresh interpreter holds after running ``code``."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=dict(os.environ)
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code,absent",
    [
        (HELP, {"jax", "mujoco", "numpy", "sqlalchemy", "fastapi", "brax", "ray", "onnx", "yaml"}),
        (WEB, {"jax", "brax", "flax", "optax", "ray", "onnx", "onnxruntime", "mujoco_playground"}),
    ],
    ids=["tabrl --help", "web process"],
)
def test_start_up_loads_none_of_what_only_some_commands_need(code, absent):
    loaded = _loaded(code) & absent
    assert not loaded, f"loaded at start: {sorted(loaded)}"
