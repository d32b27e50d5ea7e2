"""What can be trained: every MuJoCo Playground environment plus Menagerie-only robots.

Two caches in the machine's cache folder (``Settings.resolved_cache_dir``, one subfolder per
tabrl/playground/mujoco version, so a new data directory reuses them), JSON, both keyed by the
package versions, the robot profiles and the Menagerie folder: the *index* (every id, its
suite and robot: what ``tabrl approaches`` and the designer need, and what listing the catalog
needs besides the facts) and the *facts* (sizes, time steps, whether assets load: these need
each model compiled). With both in place nothing here imports Playground (about 3-10 s) unless
a model is actually compiled.

The web process builds what is missing in the background (``start_building``; featured models
first) and lists what it has meanwhile (``list_models(wait=False)``), with ``build_status()`` saying
how far it got: no request waits for the whole catalog.
"""

from __future__ import annotations

import collections
import difflib
import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel

from tabrl import __version__
from tabrl.config import get_settings
from tabrl.robots import menagerie
from tabrl.robots.base_policies import BasePolicy, base_policy_status
from tabrl.robots.body_plan import BodyPlan
from tabrl.robots.cache_lock import CacheFileLock
from tabrl.robots.profiles import Category, RobotProfile, get_profile

if TYPE_CHECKING:
    from tabrl.robots.model import Robot

Suite = Literal["dm_control", "locomotion", "manipulation", "menagerie"]

# Playground module name -> profile key (where they differ) and the Menagerie folder it needs.
_ROBOT_KEYS = {
    "franka_emika_panda": "panda",
    "franka_emika_panda_robotiq": "panda_robotiq",
    "leap_hand": "leap",
    "aero_hand": "aero",
}
_MENAGERIE_FOLDERS = {
    "go1": "unitree_go1",
    "barkour": "google_barkour_vb",
    "h1": "unitree_h1",
    "t1": "booster_t1",
    "g1": "unitree_g1",
    "spot": "boston_dynamics_spot",
    "op3": "robotis_op3",
    "apollo": "apptronik_apollo",
    "berkeley_humanoid": "berkeley_humanoid",
    "panda": "franka_emika_panda",
    "panda_robotiq": "robotiq_2f85_v4",
    "leap": "leap_hand",
    "aloha": "aloha",
    "aero": "tetheria_aero_hand_open",
}
_CATEGORY_GUESS: dict[str, Category] = {
    "spot": "quadruped",
    "g1": "humanoid",
    "op3": "humanoid",
    "apollo": "humanoid",
    "berkeley_humanoid": "humanoid",
    "aloha": "arm",
    "panda_robotiq": "arm",
    "aero": "hand",
}
CATEGORY_WORDS = {
    "quadruped": "Quadruped Robot",
    "humanoid": "Humanoid Robot",
    "arm": "Robot Arm",
    "hand": "Robot Hand",
    "classic": "Classic Control",
}


class MenagerieRobot(BaseModel):
    id: str
    robot: str
    folder: str
    scene: str
    ctrl_dt: float = 0.02
    sim_dt: float = 0.004


# Robots the wireframe offers that Playground has no environment for.
MENAGERIE_ROBOTS = (
    MenagerieRobot(id="AnymalC", robot="anymal_c", folder="anybotics_anymal_c", scene="scene_mjx.xml"),
    MenagerieRobot(id="UR5e", robot="ur5e", folder="universal_robots_ur5e", scene="scene.xml", sim_dt=0.002),
    MenagerieRobot(
        id="AllegroHand", robot="allegro", folder="wonik_allegro", scene="scene_right.xml", sim_dt=0.002
    ),
)


# The product's own robots, first in the gallery in this order; the first is selected on a first visit.
# Each is the variant of its robot the gallery shows by default.
FEATURED = ("Go1JoystickFlatTerrain", "AnymalC", "UR5e", "PandaPickCube", "AllegroHand")

# How a variant reads where the words of its id (after the robot's) read badly.
_VARIANT_READS = {
    "InplaceGaitTracking": "gait tracking in place",
    "CubeReorient": "reorient a cube",
    "CubeRotateZAxis": "rotate a cube about z",
    "PickCube": "pick up a cube",
    "PickCubeOrientation": "pick up a cube, oriented",
    "PickCubeCartesian": "pick up a cube, Cartesian control",
    "PushCube": "push a cube",
    "OpenCabinet": "open a cabinet",
    "Swimmer6": "6 links",
}
_WORD_READS = {
    "Getup": "get up",
    "Swingup": "swing-up",
    "Sparse": "sparse reward",
}
# Words that stand as a phrase of their own: "JoystickFlatTerrain" reads "joystick, flat terrain".
_OWN_PHRASE = {"Joystick", "Sparse", "Easy", "Hard"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def variant_words(model_id: str, robot: str) -> str | None:
    """What a Playground id says beyond its robot: "Go1JoystickFlatTerrain" -> "joystick, flat terrain".

    None where it says nothing more (``BallInCup``)."""
    words = _CAMEL.split(model_id)
    key, seen = robot.replace("_", "").lower(), ""
    for n, word in enumerate(words):
        seen += word.lower()
        if seen == key:
            words = words[n + 1 :]
            break
    if not words:
        return None
    rest = "".join(words)
    if rest in _VARIANT_READS:
        return _VARIANT_READS[rest]
    phrases: list[list[str]] = []
    for n, word in enumerate(words):
        read = _WORD_READS.get(word, word.lower())
        if n == 0 or word in _OWN_PHRASE or words[n - 1] in _OWN_PHRASE:
            phrases.append([read])
        else:
            phrases[-1].append(read)
    return ", ".join(" ".join(p) for p in phrases)


def friendly_name(robot_name: str, variant: str | None) -> str:
    """How the gallery names a model: "Unitree Go1 · joystick, flat terrain"."""
    return f"{robot_name} · {variant}" if variant else robot_name


class CatalogEntry(BaseModel):
    id: str
    name: str  # friendly: "Unitree Go1 · joystick, flat terrain"
    robot: str
    robot_name: str
    category: Category
    suite: Suite
    action_size: int | None
    observation_size: int | None
    ctrl_dt: float | None
    sim_dt: float | None
    assets_available: bool
    assets_reason: str | None = None
    assets_source: str | None = None  # where its Menagerie folder comes from; None: ships with Playground
    has_profile: bool
    base_policy: BasePolicy
    thumbnail: str | None = None
    body_plan: BodyPlan | None = None  # read from the compiled model (None without assets)
    variant: str | None = None  # what this environment is beyond its robot: "joystick, flat terrain"
    featured: bool = False  # one of FEATURED: the product's own robots

    @property
    def label(self) -> str:
        return model_label(self.id, self.category)


def model_label(model_id: str, category: str) -> str:
    """How the page names a model: "Go1JoystickFlatTerrain (Quadruped Robot)"."""
    return f"{model_id} ({CATEGORY_WORDS[category]})"


class UnknownModel(KeyError):
    def __init__(self, model_id: str, known: list[str]):
        close = difflib.get_close_matches(model_id, known, n=5, cutoff=0.3)
        if not close:
            close = [k for k in known if model_id.lower() in k.lower()][:5]
        hint = f" Closest: {', '.join(close)}." if close else ""
        super().__init__(f"Unknown model '{model_id}'.{hint} Run `tabrl models` for the full list.")
        self.model_id, self.closest = model_id, close

    def __str__(self) -> str:
        return self.args[0]


def playground_registry() -> Any:
    """Playground's registry, pointed at our Menagerie folder (this is the slow import)."""
    menagerie.point_playground_at_menagerie()
    from mujoco_playground import registry

    return registry


_playground = playground_registry


def _playground_suite(env_id: str) -> tuple[Suite, str]:
    """(suite, robot key) of a Playground env: from the index cache when there is one."""
    known = _index().get(env_id)
    if known is not None and known["suite"] != "menagerie":
        # The index holds what _playground_suite_live found.
        return cast(Suite, known["suite"]), known["robot"]
    return _playground_suite_live(env_id)


def _playground_suite_live(env_id: str) -> tuple[Suite, str]:
    from mujoco_playground._src import dm_control_suite, locomotion, manipulation

    suites: tuple[tuple[Suite, Any], ...] = (
        ("dm_control", dm_control_suite),
        ("locomotion", locomotion),
        ("manipulation", manipulation),
    )
    for suite, module in suites:
        envs = module._envs
        if env_id in envs:
            cls = envs[env_id]
            cls = getattr(cls, "func", cls)  # functools.partial
            parts = cls.__module__.split(".")
            name = parts[-1] if suite == "dm_control" else parts[-2]
            return suite, _ROBOT_KEYS.get(name, name)
    raise KeyError(env_id)


def _derived_profile(robot: str, suite: Suite) -> RobotProfile:
    category: Category = _CATEGORY_GUESS.get(robot, "classic" if suite == "dm_control" else "arm")
    return RobotProfile(
        robot=robot, name=robot.replace("_", " ").title(), category=category, base_body="world"
    )


def playground_ids() -> list[str]:
    return [i for i, v in _index().items() if v["suite"] != "menagerie"]


def all_ids() -> list[str]:
    return list(_index())


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


def forget_loaded_models() -> None:
    with _load_lock:
        _robots.clear()


def _robot_folder(model_id: str) -> Path:
    """Where this installation keeps ``model_id`` compiled: keyed by the catalog key and the compiling code."""
    here = Path(__file__).parent
    code = b"".join((here / name).read_bytes() for name in ("model.py", "catalog.py", "robot_cache.py"))
    digest = hashlib.sha1(_cache_key().encode() + code).hexdigest()[:16]
    return _cache_dir() / "robots" / f"{model_id}-{digest}"


def _stored_or_compiled(model_id: str) -> Robot:
    from tabrl.robots import robot_cache

    folder = _robot_folder(model_id)
    robot = robot_cache.load(folder)
    if robot is None:
        robot = _compile_catalog_robot(model_id)
        shutil.rmtree(folder, ignore_errors=True)  # a broken or partial store is replaced, not kept
        robot_cache.save(folder, robot)
    return robot


def _compile_catalog_robot(model_id: str) -> Robot:
    import mujoco

    from tabrl.robots.model import compile_robot

    for m in MENAGERIE_ROBOTS:
        if m.id == model_id:
            present, reason = menagerie.robot_folder_status(m.folder)
            if not present:
                raise FileNotFoundError(reason)
            profile = _menagerie_profile(m.robot)
            spec = mujoco.MjSpec.from_file(str(menagerie.menagerie_path() / m.folder / m.scene))
            return compile_robot(model_id, spec, profile, ctrl_dt=m.ctrl_dt, sim_dt=m.sim_dt)
    registry = _playground()
    if model_id not in registry.ALL_ENVS:
        raise UnknownModel(model_id, all_ids())
    suite, robot = _playground_suite_live(model_id)
    folder = _MENAGERIE_FOLDERS.get(robot)
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
    profile = get_profile(robot) or _derived_profile(robot, suite)
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
    from mujoco_playground._src.dm_control_suite import swimmer

    if isinstance(env, swimmer.Swim):
        n_links = env.mj_model.nbody - 2  # world and target besides the links
        return swimmer._make_model(env.xml_path, n_links)
    return Path(env.xml_path).read_text()


def _asset_reason(message: str) -> str:
    m = re.search(r"Error opening file '([^']+)'", message)
    if m:
        return f"asset file missing: {m.group(1).split('mujoco_menagerie/')[-1]} (not in {menagerie.menagerie_path()})"
    return message.strip().splitlines()[0]


def _cache_dir() -> Path:
    """This installation's part of the machine cache: one folder per tabrl/playground/mujoco version
    (what else the caches depend on is in their key), so installs on one machine do not evict each other."""
    versions = f"tabrl-{__version__}_mujoco-{_version('mujoco')}_playground-{_version('playground')}"
    return get_settings().resolved_cache_dir / f"catalog-{versions}-f{FACTS_VERSION}"


def _cache_path() -> Path:
    return _cache_dir() / "catalog.json"


def _index_path() -> Path:
    return _cache_dir() / "catalog-index.json"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


FACTS_VERSION = 2


def _cache_key() -> str:
    """What the cached catalog depends on: package versions, profiles, the Menagerie folder and its robots."""
    from tabrl.robots.profiles import PROFILE_DIR

    profiles = hashlib.sha1(b"".join(p.read_bytes() for p in sorted(PROFILE_DIR.glob("*.yaml")))).hexdigest()
    where = []
    for source in menagerie.sources():  # found without importing Playground
        try:
            robots = sorted(os.listdir(source.path))
        except OSError:
            robots = []
        where.append([source.label, str(source.path), robots])
    # FACTS_VERSION: what a model's cached facts hold (bumped when a fact is added, e.g. the body plan).
    return json.dumps(
        [__version__, FACTS_VERSION, _version("playground"), _version("mujoco"), where, profiles]
    )


_KEY_RECHECK_S = 2.0  # how soon a changed install (a robot folder added, a profile edited) is noticed
_key_memo: tuple[float, str] | None = None


def _current_key() -> str:
    """``_cache_key()``, recomputed at most every _KEY_RECHECK_S: it reads every profile and lists the
    Menagerie folders (about 5 ms), which listing the catalog would otherwise do once per model."""
    global _key_memo
    now = time.monotonic()
    memo = _key_memo
    if memo is not None and now - memo[0] < _KEY_RECHECK_S:
        return memo[1]
    key = _cache_key()
    _key_memo = (now, key)
    return key


def _read_cache(path: Path, key: str) -> Any | None:
    try:
        cached = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(cached, dict) or cached.get("key") != key:
        return None
    return cached.get("value")


def _write_cache(path: Path, key: str, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps({"key": key, "value": value}))
    tmp.replace(path)  # atomic: a reader sees the old file or the new one, never half of one


_index_lock = threading.Lock()
_index_memo: tuple[str, dict[str, dict[str, str]]] | None = None


def _index() -> dict[str, dict[str, str]]:
    """Every catalog id (Playground's order, then the Menagerie robots) -> {suite, robot}."""
    global _index_memo
    with _index_lock:
        key = _current_key()
        if _index_memo is not None and _index_memo[0] == key:
            return _index_memo[1]
        index = _read_cache(_index_path(), key)
        if not isinstance(index, dict) or not index:
            with CacheFileLock(_cache_dir()):  # another process may be building it right now
                index = _read_cache(_index_path(), key)
                if not isinstance(index, dict) or not index:
                    index = _compute_index()
                    _write_cache(_index_path(), key, index)
        _index_memo = (key, index)
        return index


def _compute_index() -> dict[str, dict[str, str]]:
    registry = _playground()
    index: dict[str, dict[str, str]] = {}
    for env_id in registry.ALL_ENVS:
        suite, robot = _playground_suite_live(env_id)
        index[env_id] = {"suite": suite, "robot": robot}
    for m in MENAGERIE_ROBOTS:
        index[m.id] = {"suite": "menagerie", "robot": m.robot}
    return index


def _entry_facts(model_id: str) -> dict:
    from tabrl.robots.anatomy import read_body_plan  # imports MuJoCo: kept out of the catalog's start-up
    from tabrl.robots.model import observation_size

    kept = set(loaded_models())
    try:
        robot = load_robot(model_id)
    except FileNotFoundError as e:
        return {"assets_available": False, "assets_reason": str(e)}
    except Exception as e:  # a model that fails to compile is reported, not fatal to the list
        return {"assets_available": False, "assets_reason": f"{type(e).__name__}: {e}"}
    finally:
        with _load_lock:  # building the list must not keep 57 models in memory
            for extra in set(_robots) - kept:
                _robots.pop(extra, None)
    return {
        "assets_available": True,
        "body_plan": read_body_plan(robot).model_dump(),
        "action_size": robot.action_size,
        "observation_size": observation_size(robot.spec, robot.action_size),
        "ctrl_dt": robot.ctrl_dt,
        "sim_dt": robot.sim_dt,
    }


class BuildStatus(BaseModel):
    """How far the catalog's facts are: what the page shows while the models compile."""

    state: Literal["idle", "indexing", "building", "ready", "failed"]
    done: int = 0  # models whose facts are known
    total: int = 0  # models in the catalog (0 until the index is read)
    current: list[str] = []  # the models being compiled now
    error: str | None = None
    seconds: float | None = None  # since the build began (while building) or what it took


class _Build:
    """The facts build's progress, shared by the thread that builds and the requests that read it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.state: str = "idle"
        self.total = 0
        self.partial: dict[str, dict] = {}  # facts known so far
        self.current: list[str] = []
        self.error: str | None = None
        self.started: float | None = None
        self.took: float | None = None
        self.thread: threading.Thread | None = None

    def begin(self, state: str, total: int = 0) -> None:
        with self.lock:
            if self.started is None or self.state in ("idle", "ready", "failed"):
                self.started, self.took, self.error = time.monotonic(), None, None
                self.partial = {}
            self.state, self.total = state, total or self.total

    def add(self, facts: dict[str, dict]) -> None:
        with self.lock:
            self.partial.update(facts)
            self.current = [m for m in self.current if m not in facts]

    def end(self, state: str, error: str | None = None) -> None:
        with self.lock:
            self.state, self.error, self.current = state, error, []
            if self.started is not None:
                self.took = round(time.monotonic() - self.started, 1)

    def status(self) -> BuildStatus:
        with self.lock:
            seconds = self.took
            if seconds is None and self.started is not None:
                seconds = round(time.monotonic() - self.started, 1)
            return BuildStatus(
                state=cast(Any, self.state),
                done=len(self.partial) if self.state != "ready" else self.total,
                total=self.total,
                current=list(self.current),
                error=self.error,
                seconds=seconds,
            )


_build = _Build()
_facts_lock = threading.Lock()  # one build at a time in this process (the file lock: across processes)
_facts_memo: tuple[str, dict[str, dict]] | None = None


def _facts() -> dict[str, dict]:
    """Per-model facts, from the cache when it matches this installation (computed once at a time)."""
    global _facts_memo
    key = _current_key()
    memo = _facts_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    with _facts_lock:
        facts = _load_or_compute_facts(key)
        _facts_memo = (key, facts)
        return facts


def _ready_facts() -> dict[str, dict] | None:
    """The complete facts if they are known now (memory or the cache file), without building anything."""
    global _facts_memo
    key = _current_key()
    memo = _facts_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    index = _read_cache(_index_path(), key)
    if not isinstance(index, dict) or not index:
        return None
    facts = _read_cache(_cache_path(), key)
    if not isinstance(facts, dict) or set(facts) != set(index):
        return None
    _facts_memo = (key, facts)
    return facts


def start_building() -> None:
    """Builds whatever of the catalog is missing in a background thread (no-op when it is complete or
    a build is running): the server calls it at start, and a request that finds the catalog incomplete."""
    with _build.lock:
        if _build.thread is not None and _build.thread.is_alive():
            return
        _build.thread = threading.Thread(target=_build_in_background, name="tabrl-catalog-build", daemon=True)
        _build.thread.start()


def _build_in_background() -> None:
    import logging

    try:
        facts = _facts()
    except Exception as e:  # the status says why; a later request starts another try
        logging.getLogger(__name__).exception("could not build the model catalog")
        _build.end("failed", f"{type(e).__name__}: {e}")
        return
    with _build.lock:
        _build.total = len(facts)
    _build.end("ready")


def build_status() -> BuildStatus:
    """Where the catalog stands now: ready, or how many models of how many are known."""
    status = _build.status()
    if status.state in ("idle", "ready") and (facts := _ready_facts()) is not None:
        return status.model_copy(update={"state": "ready", "done": len(facts), "total": len(facts)})
    return status


def _index_now() -> dict[str, dict[str, str]] | None:
    """The index if it is known now (memory or file), without building it."""
    global _index_memo
    key = _current_key()
    memo = _index_memo
    if memo is not None and memo[0] == key:
        return memo[1]
    index = _read_cache(_index_path(), key)
    if not isinstance(index, dict) or not index:
        return None
    with _index_lock:
        _index_memo = (key, index)
    return index


def _cached_facts(key: str) -> dict[str, dict] | None:
    facts = _read_cache(_cache_path(), key)
    return facts if isinstance(facts, dict) and set(facts) == set(all_ids()) else None


def _build_order(ids: list[str]) -> list[str]:
    """Featured models first: the page opens on them."""
    return [m for m in FEATURED if m in ids] + [m for m in ids if m not in FEATURED]


def _load_or_compute_facts(key: str) -> dict[str, dict]:
    facts = _cached_facts(key)
    if facts is not None:
        return facts
    with CacheFileLock(_cache_dir()):
        facts = _cached_facts(key)  # another process may have built it while we waited
        if facts is not None:
            return facts
        _build.begin("indexing")
        # Compiling every model takes seconds each and leaves gigabytes behind (Playground, JAX): child
        # processes do it and exit, so the server's own memory stays small.
        if not _build_in_child(key):
            ids = _build_order(all_ids())
            _build.begin("building", len(ids))
            facts = {}
            for model_id in ids:
                _build.current = [model_id]
                facts[model_id] = _entry_facts(model_id)
                _build.add({model_id: facts[model_id]})
            _write_cache(_cache_path(), key, facts)
        facts = _cached_facts(key)
        if facts is None:
            raise RuntimeError("the model catalog could not be built (see the log)")
        return facts


_CHILD_CHUNK = 12  # models per child process: each compiled model leaves memory behind until the child exits
_FACT_LINE = "TABRL-FACT "  # how a child reports one model's facts on its stdout (the rest is ignored)


def _child_env() -> dict[str, str]:
    settings = get_settings()
    env = {
        **os.environ,
        "TABRL_DATA_DIR": str(settings.data_dir),
        "TABRL_CACHE_DIR": str(settings.resolved_cache_dir),
        "TABRL_CATALOG_CHILD": "1",
    }
    if settings.menagerie_path:
        env["TABRL_MENAGERIE_PATH"] = str(settings.menagerie_path)
    return env


def _run_child(args: list[str], on_line: Callable[[str], None], timeout: float) -> None:
    """``python -m tabrl.robots.catalog ARGS`` (it lowers its own priority), each stdout
    line handed to ``on_line``; CalledProcessError (with its stderr) when it fails or overruns."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tabrl.robots.catalog", *args],
            env=_child_env(),
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line)
            code = process.wait()
        finally:
            timer.cancel()
        if code != 0:
            err.seek(0)
            raise subprocess.CalledProcessError(code, args, stderr=err.read()[-4000:])


def _build_in_child(key: str) -> bool:
    """Builds both caches in ``python -m tabrl.robots.catalog`` children; False if they could not run."""
    import logging
    import subprocess

    if os.environ.get("TABRL_CATALOG_CHILD"):
        return False  # we are such a child
    log = logging.getLogger(__name__)
    index = _read_cache(_index_path(), key)
    facts: dict[str, dict] = {}

    def take(line: str) -> None:
        if line.startswith(_FACT_LINE):
            fact = json.loads(line[len(_FACT_LINE) :])
            facts.update(fact)
            _build.add(fact)

    try:
        if not isinstance(index, dict) or not index:
            lines: list[str] = []
            _run_child(["index"], lines.append, timeout=600)
            index = json.loads(next(x for x in lines if x.startswith(_FACT_LINE))[len(_FACT_LINE) :])
            _write_cache(_index_path(), key, index)  # at once: listing the ids need not wait for the facts
        ids = _build_order(list(index))
        _build.begin("building", len(ids))
        chunks = [ids[: len(FEATURED)]] + [
            ids[n : n + _CHILD_CHUNK] for n in range(len(FEATURED), len(ids), _CHILD_CHUNK)
        ]
        for chunk in chunks:
            _build.current = list(chunk)
            _run_child(["facts", *chunk], take, timeout=1800)
    except (OSError, ValueError, StopIteration, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", None) or e
        log.warning("building the catalog in child processes failed; building here:\n%s", str(detail)[-2000:])
        return False
    _write_cache(_cache_path(), key, facts)
    return True


def thumbnail_folder() -> Path:
    """Thumbnails are kept with the catalog (per machine and install), not per data directory."""
    return _cache_dir() / "thumbnails"


def thumbnail_path(model_id: str) -> Path:
    return thumbnail_folder() / f"{model_id}.png"


class CatalogNotReady(RuntimeError):
    """The catalog's index is still being read (the first start on this machine and install)."""


def _not_yet(status: BuildStatus) -> dict[str, Any]:
    where = (
        f"{status.done} of {status.total} models compiled"
        if status.total
        else "reading Playground's registry"
    )
    return {"assets_available": False, "assets_reason": f"still being prepared ({where}); try again shortly"}


def list_models(wait: bool = True) -> list[CatalogEntry]:
    """Every catalog model. ``wait=False`` (the web process) never waits for a build: models not
    compiled yet are listed as not available for now, and a build is started in the background."""
    if wait:
        facts, ids = _facts(), all_ids()
    else:
        index, ready = _index_now(), _ready_facts()
        if ready is None:
            start_building()
        if index is None:
            return []
        ids = list(index)
        if ready is None:
            pending = _not_yet(build_status())
            with _build.lock:
                facts = {m: _build.partial.get(m, pending) for m in ids}
        else:
            facts = ready
    return [_entry(model_id, facts.get(model_id, {})) for model_id in ids]


def _entry(model_id: str, f: dict[str, Any]) -> CatalogEntry:
    menagerie_robot = next((m for m in MENAGERIE_ROBOTS if m.id == model_id), None)
    if menagerie_robot is not None:
        suite: Suite = "menagerie"
        robot = menagerie_robot.robot
        folder: str | None = menagerie_robot.folder
    else:
        suite, robot = _playground_suite(model_id)
        folder = _MENAGERIE_FOLDERS.get(robot)
    source = menagerie.folder_source(folder) if folder else None
    profile = get_profile(robot)
    shown = profile or _derived_profile(robot, suite)
    thumb = thumbnail_path(model_id)
    variant = None if suite == "menagerie" else variant_words(model_id, robot)
    return CatalogEntry(
        id=model_id,
        name=friendly_name(shown.name, variant),
        robot=robot,
        robot_name=shown.name,
        category=shown.category,
        suite=suite,
        action_size=f.get("action_size"),
        observation_size=f.get("observation_size"),
        ctrl_dt=f.get("ctrl_dt"),
        sim_dt=f.get("sim_dt"),
        assets_available=f.get("assets_available", False),
        assets_reason=f.get("assets_reason"),
        assets_source=source.label if source else None,
        has_profile=profile is not None,
        base_policy=base_policy_status(model_id, robot, f.get("observation_size"), f.get("action_size")),
        thumbnail=str(thumb) if thumb.exists() else None,
        body_plan=f.get("body_plan"),
        variant=variant,
        featured=model_id in FEATURED,
    )


def gallery_order(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """The featured models first, in FEATURED's order, then the rest in the catalog's order."""
    return sorted(entries, key=lambda e: FEATURED.index(e.id) if e.featured else len(FEATURED))


def _menagerie_profile(robot: str) -> RobotProfile:
    profile = get_profile(robot)
    if profile is None:  # every Menagerie robot of the catalog comes with its profile
        raise KeyError(f"no robot profile '{robot}' (tabrl/robots/profiles/)")
    return profile


def profile_for(model_id: str) -> RobotProfile:
    """The robot profile for a catalog id, without compiling anything."""
    for m in MENAGERIE_ROBOTS:
        if m.id == model_id:
            return _menagerie_profile(m.robot)
    if model_id not in _index():
        raise UnknownModel(model_id, all_ids())
    suite, robot = _playground_suite(model_id)
    return get_profile(robot) or _derived_profile(robot, suite)


# How long a request for one model waits for the index (Playground's registry read once per install,
# a few seconds; more on a busy machine) before answering 503 with Retry-After.
INDEX_WAIT_S = 60.0


def get_entry(model_id: str, wait: bool = True) -> CatalogEntry:
    """One model's entry. ``wait=False``: never waits for the whole catalog; a model whose facts the
    background build has not reached yet is compiled here (what designing for it needs anyway).
    Raises UnknownModel, or CatalogNotReady while the index itself is being read."""
    if wait:
        for entry in list_models():
            if entry.id == model_id:
                return entry
        raise UnknownModel(model_id, all_ids())
    index = _index_now()
    if index is None:  # a new install reads Playground's registry first: a request waits that out
        start_building()
        deadline = time.monotonic() + INDEX_WAIT_S
        while index is None and time.monotonic() < deadline:
            time.sleep(0.2)
            index = _index_now()
    if index is None:
        raise CatalogNotReady(
            f"the robot catalog is being prepared ({_not_yet(build_status())['assets_reason']})"
        )
    if model_id not in index:
        raise UnknownModel(model_id, list(index))
    ready = _ready_facts()
    if ready is not None:
        return _entry(model_id, ready.get(model_id, {}))
    with _build.lock:
        known = _build.partial.get(model_id)
    return _entry(model_id, known if known is not None else _entry_facts(model_id))


def _report(value: Any) -> None:
    """A child's result line (on a line of its own, whatever a library printed before it)."""
    import sys

    sys.stdout.write(f"\n{_FACT_LINE}{json.dumps(value)}\n")
    sys.stdout.flush()


if __name__ == "__main__":  # a child process building part of the caches (see _build_in_child)
    import sys

    os.nice(10)  # a lower priority than the studio's own work: a Train All comes first
    what, *model_ids = sys.argv[1:]
    if what == "index":
        _report(_compute_index())
    for model_id in model_ids:  # one line per model, as soon as it is known: the build's progress
        _report({model_id: _entry_facts(model_id)})
