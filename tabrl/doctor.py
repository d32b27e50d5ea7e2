"""`tabrl doctor`: checks what the studio needs and says how to fix what is missing."""

from __future__ import annotations

import dataclasses
import importlib
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from tabrl.config import get_settings


@dataclasses.dataclass
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


_PACKAGES = {
    "jax": "0.9.2",
    "jaxlib": "0.9.2",
    "brax": None,
    "playground": None,
    "mujoco": None,
    "mujoco-mjx": None,
    "flax": None,
    "fastapi": None,
    "sqlalchemy": None,
    "av": None,
    "imageio-ffmpeg": None,
}


def _packages() -> list[Check]:
    checks = []
    for name, pinned in _PACKAGES.items():
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            checks.append(
                Check(f"package {name}", False, "not installed", "make setup (or: pip install -e .)")
            )
            continue
        ok = pinned is None or version == pinned
        fix = f"pip install {name}=={pinned}" if not ok else ""
        checks.append(Check(f"package {name}", ok, version + ("" if ok else f" (need {pinned})"), fix))
    return checks


def _gl() -> Check:
    backend = os.environ.get("MUJOCO_GL", "egl")
    code = (
        "import mujoco;m=mujoco.MjModel.from_xml_string('<mujoco><worldbody><geom size=\".1\"/></worldbody></mujoco>');"
        "r=mujoco.Renderer(m,64,64);d=mujoco.MjData(m);mujoco.mj_forward(m,d);r.update_scene(d);print(r.render().shape)"
    )
    # A separate process: a broken GL driver can abort the interpreter.
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MUJOCO_GL": backend},
    )
    if proc.returncode == 0:
        return Check("GL rendering", True, f"MUJOCO_GL={backend} renders offscreen")
    last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return Check(
        "GL rendering",
        False,
        f"MUJOCO_GL={backend} failed: {last}",
        "sudo apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri  (and set MUJOCO_GL=egl)",
    )


def _ffmpeg() -> Check:
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
        return Check("ffmpeg", True, exe)
    except Exception as e:  # imageio-ffmpeg ships a binary; a missing one is an install problem
        system = shutil.which("ffmpeg")
        if system:
            return Check("ffmpeg", True, system)
        return Check(
            "ffmpeg", False, str(e), "pip install imageio-ffmpeg  (or: sudo apt-get install -y ffmpeg)"
        )


def _menagerie() -> Check:
    from tabrl.robots import menagerie  # after the package checks: a broken install is reported, not raised
    from tabrl.robots.catalog import MENAGERIE_ROBOTS

    sources = menagerie.sources()
    if not sources:
        return Check(
            "Menagerie assets",
            False,
            "no Menagerie source found",
            "set TABRL_MENAGERIE_PATH to a MuJoCo Menagerie copy (e.g. ../shared/menagerie), "
            "or pip install 'tabrl[assets]'",
        )
    missing = [m.folder for m in MENAGERIE_ROBOTS if menagerie.folder_source(m.folder) is None]
    where = "; ".join(
        f"{s.label}: {s.path} ({sum(1 for p in s.path.iterdir() if p.is_dir())} robots)" for s in sources
    )
    if missing:
        return Check(
            "Menagerie assets",
            False,
            f"missing {', '.join(missing)} (looked in {where})",
            "copy those robot folders into TABRL_MENAGERIE_PATH",
        )
    return Check("Menagerie assets", True, where)


def _chromium() -> Check:
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    ok = os.path.exists(exe)
    return Check(
        "chromium (browser tests)", ok, exe if ok else "not found", "sudo apt-get install -y chromium"
    )


def _database_size(url: str, sqlite_path: Path) -> str:
    """The database's size: the SQLite file with its write-ahead log, or what PostgreSQL says."""
    from tabrl.jobs.retention import human_size  # as in _menagerie: SQLAlchemy, MuJoCo

    if url == f"sqlite:///{sqlite_path}":
        parts = [sqlite_path, sqlite_path.with_name(sqlite_path.name + "-wal")]
        size = sum(p.stat().st_size for p in parts if p.exists())
        return f"database {human_size(size)}" if sqlite_path.exists() else "database not created yet"
    try:
        from sqlalchemy import create_engine, make_url, text

        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                if engine.dialect.name == "postgresql":
                    size = connection.scalar(text("SELECT pg_database_size(current_database())"))
                    return f"database ({engine.dialect.name}) {human_size(size or 0)}"
        finally:
            engine.dispose()
        return f"database ({make_url(url).get_backend_name()}) size not measured"
    except Exception as e:  # an unreachable database is its own finding, not a crash of the doctor
        return f"database size unknown ({type(e).__name__}: {e})"


def _data_dir() -> Check:
    """How much the data directory holds (sessions, caches, database) and how much its disk has left."""
    from tabrl.jobs import layout  # as in _menagerie: SQLAlchemy, MuJoCo
    from tabrl.jobs.retention import human_size, tree_size

    settings = get_settings()
    root = settings.data_dir
    database = _database_size(settings.resolved_database_url, settings.sqlite_path)
    if not root.exists():
        return Check("data directory", True, f"{root}: not created yet; {database}")
    sessions = root / layout.SESSIONS
    count = sum(1 for p in sessions.iterdir() if p.is_dir()) if sessions.is_dir() else 0
    cache = settings.resolved_cache_dir
    cache_part = f", cache {human_size(tree_size(cache))}" if cache.is_relative_to(root) else ""
    models = layout.model_store_dir(root)
    models_part = f", shared models {human_size(tree_size(models))}" if models.is_dir() else ""
    cap = settings.max_data_gb
    cap_part = f"; TABRL_MAX_DATA_GB={cap:g}" if cap is not None else ""
    disk = shutil.disk_usage(root)
    detail = (
        f"{root}: {human_size(tree_size(root))} (sessions {human_size(tree_size(sessions))} in {count} "
        f"folders{models_part}{cache_part}; {database}){cap_part}; {human_size(disk.free)} free on its disk"
    )
    low = disk.free < 1e9  # under 1 GB a catalog build or a new robot's shared model may not fit
    return Check(
        "data directory",
        not low,
        detail,
        "free disk space: delete old sessions (tabrl sessions ls, tabrl sessions rm ID) or set TABRL_MAX_DATA_GB"
        if low
        else "",
    )


def run_checks() -> list[Check]:
    checks = _packages()
    for fn in (_gl, _ffmpeg, _menagerie, _chromium, _data_dir):
        checks.append(fn())
    try:
        importlib.import_module("mujoco_playground")
        checks.append(Check("playground import", True, "mujoco_playground imports"))
    except Exception as e:
        checks.append(Check("playground import", False, str(e), "pip install playground==0.2.0"))
    return checks
