"""Robot profiles: the words a person uses for a robot's parts, as data files.

A profile (``profiles/<robot>.yaml``) names joint groups ("hip_abduction", "front_legs"),
feet and end-effector points (sites or bodies), the base body and the default pose keyframe.
A quadruped measured here also carries a gait rig: joint rhythms that, played back open-loop in
MuJoCo, already walk, turn or pronk it (the designer's scaffold approaches track them).
Catalog entries without a profile get one derived from the model (one group of all joints).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

PROFILE_DIR = Path(__file__).parent / "profiles"

Category = Literal["quadruped", "humanoid", "arm", "hand", "classic"]
Leg = Literal["FR", "FL", "RR", "RL"]
LegJoint = Literal["abduction", "thigh", "calf"]
PriorRhythm = Literal["trot", "trot_turn", "pronk", "back"]
_RIG_PRIOR: tuple[PriorRhythm, ...] = ("trot", "trot_turn", "pronk")  # a newly measured rig drives the prior
_LEG_JOINTS: dict[LegJoint, int] = {"abduction": 0, "thigh": 1, "calf": 2}


class LegRhythm(BaseModel):
    """One measured rhythm: a frequency and per-joint amplitudes (rad) for every leg.

    ``calf_lead_deg`` is added to the calves' phase the gait itself sets (for a turn, a quarter-cycle
    behind the abduction or ahead of the thighs).
    """

    model_config = ConfigDict(extra="forbid")
    hz: float = Field(gt=0)
    abduction: float = 0.0
    thigh: float = 0.0
    calf: float = 0.0
    calf_lead_deg: float = Field(
        0.0, description="How far the calves run ahead of the thighs (degrees of phase)."
    )
    signs: dict[LegJoint, dict[Leg, Literal[-1, 1]]] | None = Field(
        None,
        description="This rhythm's own per-leg signs (see GaitRig.signs), where it was measured with others.",
    )


class GaitRig(BaseModel):
    """Measured joint rhythms for one quadruped, each noted with what it does played back open-loop."""

    model_config = ConfigDict(extra="forbid")
    legs: dict[Leg, str] = Field(description="FR/FL/RR/RL -> the joint group of that leg.")
    joints: dict[LegJoint, int] = Field(
        default_factory=lambda: dict(_LEG_JOINTS),
        description="Index of each joint within a leg group.",
    )
    pace_group: str = Field(
        description="A thigh group whose 'alternate' joint_sine pattern pairs one side's legs."
    )
    signs: dict[LegJoint, dict[Leg, Literal[-1, 1]]] = Field(
        default_factory=dict,
        description="-1 for a leg whose joint must turn the other way to move its foot as the rhythm means: "
        "ANYmal's front knees bend backwards and its hind knees forwards, so the same knee angle lifts a front "
        "foot and lowers a hind one. The rhythms' amplitudes are multiplied by it; a leg or joint left out is +1.",
    )
    trot: LegRhythm
    run: LegRhythm
    pace: LegRhythm
    trot_turn: LegRhythm
    wave_turn: LegRhythm
    pronk: LegRhythm
    wave_turn_mirrors: bool = Field(
        False,
        description="The wave turn's mirror image was measured to turn the other way (counter-clockwise); "
        "otherwise only the measured clockwise wave is played as a prior.",
    )
    back: LegRhythm | None = Field(
        None,
        description="A trot that walks backwards, where the trot with its calves half a cycle off does not.",
    )
    prior_rhythms: list[PriorRhythm] = Field(
        default_factory=lambda: list(_RIG_PRIOR),
        description="The rhythms the motion prior read off a program's terms plays (rewards/leg_priors.py): "
        "walking (trot), turning on the spot (trot_turn), hopping (pronk) and walking backwards (back); the "
        "others it plays at the studio's defaults for a quadruped.",
    )

    @model_validator(mode="after")
    def _prior_rhythms_measured(self) -> GaitRig:
        if "back" in self.prior_rhythms and self.back is None:
            raise ValueError("prior_rhythms names 'back', which this rig does not measure")
        return self

    def sign(self, joint: LegJoint, leg: Leg, rhythm: LegRhythm | None = None) -> int:
        signs = rhythm.signs if rhythm is not None and rhythm.signs is not None else self.signs
        return signs.get(joint, {}).get(leg, 1)


class CameraView(BaseModel):
    """How the videos film this robot, where its geometry alone does not choose well (tabrl.render.camera)."""

    model_config = ConfigDict(extra="forbid")
    view: Literal["follow", "fixed", "hand", "suite"] | None = Field(
        None,
        description="follow: track the base; fixed: frame the reach; hand: every fingertip in view; "
        "suite: the model's own camera. Default: from the category and the model.",
    )
    azimuth: float | None = Field(None, description="Degrees; 0 looks along +x.")
    elevation: float | None = Field(None, ge=-90, le=90, description="Degrees; negative looks down.")
    distance: float | None = Field(None, gt=0, description="Metres; default: what fits the robot.")
    fill: float | None = Field(
        None, gt=0.1, le=1.0, description="Share of the half-frame the robot may reach."
    )
    suite_camera: str | None = Field(None, description="Name of the model camera for the suite view.")

    def framing_given(self) -> bool:
        return any(v is not None for v in (self.azimuth, self.elevation, self.distance))


class RobotProfile(BaseModel):
    robot: str = Field(description="Profile key, e.g. 'go1'.")
    name: str = Field(description="Display name, e.g. 'Unitree Go1'.")
    category: Category
    base_body: str
    feet: list[str] = Field(default_factory=list, description="Foot sites or bodies, touching the ground.")
    end_effectors: list[str] = Field(
        default_factory=list, description="Hand/gripper/fingertip sites or bodies."
    )
    default_keyframe: str | None = None
    groups: dict[str, list[str]] = Field(default_factory=dict, description="Joint groups by name.")
    action_scale: float = 0.3
    foot_radius: float = 0.02
    fall_height_ratio: float = Field(
        0.45,
        description="Fall when base height < ratio x standing height (0: tilt only, so a quadruped may lie down).",
    )
    fall_tilt: float = Field(1.0, description="Fall when the base tilts more than this many radians.")
    camera: CameraView = Field(default_factory=CameraView, description="Video camera overrides.")
    body_contacts: bool = Field(
        False,
        description="Let every collision geom touch the ground. Playground's locomotion scenes collide with the "
        "feet only, so a robot asked to lie down or sit would sink through the floor.",
    )
    gait_rig: GaitRig | None = Field(None, description="Measured joint rhythms (quadrupeds measured here).")
    hold_weight: bool = Field(
        False,
        description="Set the default controls off by the static torque that holds the standing pose (torque / kp), "
        "so low-gain legs do not sag under the robot's weight (the zero action falls within a second without it).",
    )
    starts: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Per task variant (model id): joint positions (rad or m) its episodes start from, where its task "
        "does not start at the default pose (a swing-up starts hanging).",
    )
    balance_share: float | None = Field(
        None,
        gt=0.0,
        le=1.0,
        description="Share of the action scale a legged robot's base policy trains with, and that the joints a "
        "motion prior leaves alone keep (the legs that balance): None for the category's (0.3 for a humanoid's base; "
        "0.3 for every legged robot's free joints). Soft ankles need the whole scale to balance.",
    )
    joint_roles: dict[str, Literal["flexion", "abduction", "rotation", "slide"]] = Field(
        default_factory=dict,
        description="Corrections to the body plan's joint roles where the axis misleads (a tilted hip).",
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
