"""Robot profiles: the words a person uses for a robot's parts, as data files.

A profile (``profiles/<robot>.yaml``) names joint groups ("hip_abduction", "front_legs"),
feet and end-effector points (sites or bodies), the base body and the default pose keyframe.
Catalog entries without a profile get one derived from the model (one group of all joints).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

PROFILE_DIR = Path(__file__).parent / "profiles"

Category = Literal["quadruped", "humanoid", "arm", "hand", "classic"]


class RobotProfile(BaseModel):
    robot: str = Field(description="Profile key, e.g. 'go1'.")
    name: str = Field(description="Display name, e.g. 'Unitree Go1'.")
    category: Category
    base_body: str
    feet: list[str] = Field(default_factory=list, description="Foot sites or bodies, touching the ground.")
    end_effectors: list[str] = Field(default_factory=list, description="Hand/gripper/fingertip sites or bodies.")
    default_keyframe: str | None = None
    groups: dict[str, list[str]] = Field(default_factory=dict, description="Joint groups by name.")
    action_scale: float = 0.3
    foot_radius: float = 0.02
    fall_height_ratio: float = Field(
        0.45, description="Fall when base height < ratio x standing height (0: tilt only, so a quadruped may lie down).")
    fall_tilt: float = Field(1.0, description="Fall when the base tilts more than this many radians.")
    camera: dict[str, float] = Field(
        default_factory=dict, description="Video camera overrides: azimuth, elevation (deg), distance (m)."
    )
    body_contacts: bool = Field(
        False,
        description="Let every collision geom touch the ground. Playground's locomotion scenes collide with the "
        "feet only, so a robot asked to lie down or sit would sink through the floor.",
    )


@functools.cache
def load_profiles() -> dict[str, RobotProfile]:
    profiles = {}
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        profile = RobotProfile.model_validate(yaml.safe_load(path.read_text()))
        profiles[profile.robot] = profile
    return profiles


def get_profile(robot: str) -> RobotProfile | None:
    return load_profiles().get(robot)
