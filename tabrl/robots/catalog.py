"""What can be trained: every MuJoCo Playground environment plus Menagerie-only robots.

The catalog is made of small parts, each its own module; this one is what callers use:

* ``catalog_sources``: the models and the Menagerie folders they need (``MENAGERIE_ROBOTS``, ``FEATURED``);
* ``catalog_index``: the cache folder, its key and the index (every id, its suite and robot: what
  ``tabrl approaches`` and the designer need), read once per install;
* ``catalog_robots``: compiled robots (``load_robot``), stored per install and machine;
* ``catalog_build``: the facts (sizes, time steps, whether assets load), built in the background;
* ``catalog_names``: how a model is named in the gallery and on the command line.

With the index and the facts cached nothing here imports Playground (about 3-10 s) unless a model is
actually compiled. The web process builds what is missing in the background (``start_building``;
featured models first) and lists what it has meanwhile (``list_models(wait=False)``), with
``build_status()`` saying how far it got: no request waits for the whole catalog.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from tabrl.robots import catalog_build, catalog_index, menagerie
from tabrl.robots.base_policies import BasePolicy, base_policy_status
from tabrl.robots.body_plan import BodyPlan
from tabrl.robots.catalog_build import BuildStatus, build_status, start_building
from tabrl.robots.catalog_index import (
    all_ids,
    current_key,
    model_index,
    playground_ids,
    profile_for,
    recent_key,
    thumbnail_folder,
    thumbnail_path,
)
from tabrl.robots.catalog_names import CATEGORY_WORDS, friendly_name, model_label, variant_words
from tabrl.robots.catalog_robots import forget_loaded_models, load_robot, loaded_models
from tabrl.robots.catalog_sources import (
    FEATURED,
    MENAGERIE_FOLDERS,
    MENAGERIE_ROBOTS,
    Suite,
    UnknownModel,
    derived_profile,
    menagerie_robot,
    playground_registry,
)
from tabrl.robots.profiles import Category, get_profile

__all__ = [
    "CATEGORY_WORDS",
    "FEATURED",
    "INDEX_WAIT_S",
    "MENAGERIE_ROBOTS",
    "BuildStatus",
    "CatalogEntry",
    "CatalogNotReady",
    "Suite",
    "UnknownModel",
    "all_ids",
    "base_policy_status",
    "build_status",
    "current_key",
    "forget_loaded_models",
    "friendly_name",
    "gallery_order",
    "get_entry",
    "list_models",
    "load_robot",
    "loaded_models",
    "menagerie",
    "model_index",
    "model_label",
    "playground_ids",
    "playground_registry",
    "profile_for",
    "recent_key",
    "start_building",
    "thumbnail_folder",
    "thumbnail_path",
    "variant_words",
]


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
        facts, ids = catalog_build.all_facts(), all_ids()
    else:
        index, ready = catalog_index.model_index_now(), catalog_build.ready_facts()
        if ready is None:
            catalog_build.start_building()
        if index is None:
            return []
        ids = list(index)
        if ready is None:
            pending, so_far = _not_yet(catalog_build.build_status()), catalog_build.facts_so_far()
            facts = {m: so_far.get(m, pending) for m in ids}
        else:
            facts = ready
    return [_entry(model_id, facts.get(model_id, {})) for model_id in ids]


def _entry(model_id: str, f: dict[str, Any]) -> CatalogEntry:
    own = menagerie_robot(model_id)
    if own is not None:
        suite: Suite = "menagerie"
        robot = own.robot
        folder: str | None = own.folder
    else:
        suite, robot = catalog_index.playground_suite(model_id)
        folder = MENAGERIE_FOLDERS.get(robot)
    source = menagerie.folder_source(folder) if folder else None
    profile = get_profile(robot)
    shown = profile or derived_profile(robot, suite)
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
    index = catalog_index.model_index_now()
    if index is None:  # a new install reads Playground's registry first: a request waits that out
        catalog_build.start_building()
        deadline = time.monotonic() + INDEX_WAIT_S
        while index is None and time.monotonic() < deadline:
            time.sleep(0.2)
            index = catalog_index.model_index_now()
    if index is None:
        raise CatalogNotReady(
            f"the robot catalog is being prepared ({_not_yet(catalog_build.build_status())['assets_reason']})"
        )
    if model_id not in index:
        raise UnknownModel(model_id, list(index))
    ready = catalog_build.ready_facts()
    if ready is not None:
        return _entry(model_id, ready.get(model_id, {}))
    known = catalog_build.facts_so_far().get(model_id)
    return _entry(model_id, known if known is not None else catalog_build.entry_facts(model_id))
