"""Locating MuJoCo Menagerie assets without ever downloading them.

Playground reads robot meshes from ``mjx_env.MENAGERIE_PATH`` and clones Menagerie from the
internet when that folder is missing. We point it at the configured copy first, so loading an
environment never reaches the network.
"""

from __future__ import annotations

from pathlib import Path

from etils import epath

from tabrl.config import get_settings


def playground_menagerie_path() -> Path:
    from mujoco_playground._src import mjx_env

    return Path(str(mjx_env.MENAGERIE_PATH))


def menagerie_path() -> Path:
    """The configured Menagerie folder (TABRL_MENAGERIE_PATH), else Playground's own location."""
    configured = get_settings().menagerie_path
    return Path(configured).expanduser().resolve() if configured else playground_menagerie_path()


def point_playground_at_menagerie() -> Path:
    """Make Playground load assets from our Menagerie folder; never clone."""
    from mujoco_playground._src import mjx_env

    path = menagerie_path()
    mjx_env.MENAGERIE_PATH = epath.Path(path)
    # A missing folder must fail with our message, not start a git clone.
    mjx_env.ensure_menagerie_exists = _refuse_download
    return path


def _refuse_download() -> None:
    path = menagerie_path()
    if not path.exists():
        raise FileNotFoundError(
            f"MuJoCo Menagerie not found at {path}. Set TABRL_MENAGERIE_PATH to a Menagerie copy "
            "(the offline one is ../shared/menagerie); TabRL never downloads it."
        )


def robot_folder_status(folder: str) -> tuple[bool, str]:
    """(present, reason) for one Menagerie robot folder."""
    root = menagerie_path()
    path = root / folder
    if not root.exists():
        return False, f"Menagerie folder {root} does not exist (set TABRL_MENAGERIE_PATH)"
    if not path.exists():
        return False, f"Menagerie robot '{folder}' is not in {root}"
    return True, ""
