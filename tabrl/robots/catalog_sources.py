"""What the catalog is made of: Playground's environments (read through its registry) and the
Menagerie-only robots, the Menagerie folder each needs, and the profile each is trained with."""

from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel

from tabrl.robots import menagerie
from tabrl.robots.profiles import Category, RobotProfile, get_profile

Suite = Literal["dm_control", "locomotion", "manipulation", "menagerie"]

# Playground module name -> profile key (where they differ) and the Menagerie folder it needs.
_ROBOT_KEYS = {
    "franka_emika_panda": "panda",
    "franka_emika_panda_robotiq": "panda_robotiq",
    "leap_hand": "leap",
    "aero_hand": "aero",
}
MENAGERIE_FOLDERS = {
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


def menagerie_robot(model_id: str) -> MenagerieRobot | None:
    """The Menagerie-only robot of this id (None for a Playground environment)."""
    return next((m for m in MENAGERIE_ROBOTS if m.id == model_id), None)


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


def playground_suite_live(env_id: str) -> tuple[Suite, str]:
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


def derived_profile(robot: str, suite: Suite) -> RobotProfile:
    category: Category = _CATEGORY_GUESS.get(robot, "classic" if suite == "dm_control" else "arm")
    return RobotProfile(
        robot=robot, name=robot.replace("_", " ").title(), category=category, base_body="world"
    )


def menagerie_profile(robot: str) -> RobotProfile:
    profile = get_profile(robot)
    if profile is None:  # every Menagerie robot of the catalog comes with its profile
        raise KeyError(f"no robot profile '{robot}' (tabrl/robots/profiles/)")
    return profile
