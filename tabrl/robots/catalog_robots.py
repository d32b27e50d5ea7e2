"""Compiled catalog robots: compiled once per install and machine (stored in the catalog's cache folder,
``robot_cache``), and the last few kept in the process (a warm worker reuses them job after job)."""

from __future__ import annotations

import collections
import hashlib
import re
import shutil
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tabrl.robots import menagerie
from tabrl.robots.catalog_index import all_ids, cache_dir, cache_key
from tabrl.robots.catalog_sources import (
    MENAGERIE_FOLDERS,
    UnknownModel,
    derived_profile,
    menagerie_profile,
    menagerie_robot,
    playground_registry,
    playground_suite_live,
)
from tabrl.robots.profiles import get_profile

if TYPE_CHECKING:
    from tabrl.robots.model import Robot

_load_lock = threading.Lock()
_ROBOTS_KEPT = 8  # compiled models a process keeps (a warm worker reuses them job after job)
_robots: collections.OrderedDict[str, Robot] = collections.OrderedDict()


def load_robot(model_id: str) -> Robot:
    """Compiles a catalog robot with TabRL's sensors. Raises UnknownModel or FileNotFoundError."""
    with _load_lock:
        robot = _robots.get(model_id)
        if robot is None:
            robot = _stored_or_compiled(model_id)
            _robots[model_id] = robot
            while len(_robots) > _ROBOTS_KEPT:
                _robots.popitem(last=False)
        _robots.move_to_end(model_id)
        return robot


def loaded_models() -> list[str]:
    """Ids of the robots this process keeps compiled."""
    with _load_lock:
        return list(_robots)


def forget_loaded_models(keep: set[str] | None = None) -> None:
    """Drops the compiled robots this process keeps, but those in ``keep``."""
    with _load_lock:
        for model_id in set(_robots) - (keep or set()):
            _robots.pop(model_id, None)


def robot_folder(model_id: str) -> Path:
    """Where this installation keeps ``model_id`` compiled: keyed by the catalog key and the compiling code."""
    here = Path(__file__).parent
    compiling = ("model.py", "catalog_sources.py", "catalog_robots.py", "robot_cache.py")
    code = b"".join((here / name).read_bytes() for name in compiling)
    digest = hashlib.sha1(cache_key().encode() + code).hexdigest()[:16]
    return cache_dir() / "robots" / f"{model_id}-{digest}"


def _stored_or_compiled(model_id: str) -> Robot:
    from tabrl.robots import robot_cache  # imports MuJoCo: only when a robot is loaded, not when listed

    folder = robot_folder(model_id)
    robot = robot_cache.load(folder)
    if robot is None:
        robot = compile_catalog_robot(model_id)
        shutil.rmtree(folder, ignore_errors=True)  # a broken or partial store is replaced, not kept
        robot_cache.save(folder, robot)
    return robot


def compile_catalog_robot(model_id: str) -> Robot:
    import mujoco  # only where a robot is compiled: naming and listing models stay light

    from tabrl.robots.model import compile_robot  # MuJoCo: as above

    m = menagerie_robot(model_id)
    if m is not None:
        present, reason = menagerie.robot_folder_status(m.folder)
        if not present:
            raise FileNotFoundError(reason)
        profile = menagerie_profile(m.robot)
        spec = mujoco.MjSpec.from_file(str(menagerie.menagerie_path() / m.folder / m.scene))
        return compile_robot(model_id, spec, profile, ctrl_dt=m.ctrl_dt, sim_dt=m.sim_dt)
    registry = playground_registry()
    if model_id not in registry.ALL_ENVS:
        raise UnknownModel(model_id, all_ids())
    suite, robot = playground_suite_live(model_id)
    folder = MENAGERIE_FOLDERS.get(robot)
    if folder:
        present, reason = menagerie.robot_folder_status(folder)
        if not present:
            raise FileNotFoundError(reason)
    # Playground 0.2 defaults impl="warp" (slow on a CPU); a few envs (Aero) have no impl key at all.
    overrides = {"impl": "jax"} if "impl" in registry.get_default_config(model_id) else {}
    try:
        env = registry.load(model_id, config_overrides=overrides)
    except ValueError as e:  # MuJoCo's "Error opening file ..."
        raise FileNotFoundError(_asset_reason(str(e))) from e
    xml = _env_xml(env)
    spec = mujoco.MjSpec.from_string(xml, include=env.model_assets, assets=env.model_assets)
    profile = get_profile(robot) or derived_profile(robot, suite)
    cfg = env._config
    action_scale = None
    if "action_scale" in cfg:
        scale = cfg.action_scale
        action_scale = tuple(float(v) for v in scale) if isinstance(scale, (list, tuple)) else float(scale)
    return compile_robot(
        model_id,
        spec,
        profile,
        ctrl_dt=float(env.dt),
        sim_dt=float(env.sim_dt),
        action_scale=action_scale,
        tuned_model=env.mj_model,
    )


def _env_xml(env) -> str:
    """The XML the environment compiled (the swimmer generates its own from a template)."""
    from mujoco_playground._src.dm_control_suite import swimmer  # Playground: only when compiling

    if isinstance(env, swimmer.Swim):
        n_links = env.mj_model.nbody - 2  # world and target besides the links
        return swimmer._make_model(env.xml_path, n_links)
    return Path(env.xml_path).read_text()


def _asset_reason(message: str) -> str:
    m = re.search(r"Error opening file '([^']+)'", message)
    if m:
        return f"asset file missing: {m.group(1).split('mujoco_menagerie/')[-1]} (not in {menagerie.menagerie_path()})"
    return message.strip().splitlines()[0]
