"""A robot's body plan: its limbs, their sides and ends, each joint's role, and what the body lacks.

The plan is read from the compiled model by ``tabrl.robots.anatomy`` and cached with the catalog;
recipes speak in its terms ("the right arm", "the legs' flexion", "the neck"), so one recipe serves a
quadruped, a humanoid and a dm_control walker alike, and a robot that lacks a part says so.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

LimbKind = Literal["leg", "arm", "head", "finger", "chain"]
Side = Literal["left", "right", "center"]
End = Literal["front", "back", "middle"]
Role = Literal["flexion", "abduction", "rotation", "slide"]


class Limb(BaseModel):
    """One chain of joints from where it leaves the trunk to its end."""

    name: str = Field(description="e.g. 'right_arm', 'front_left_leg', 'head', 'thumb'.")
    kind: LimbKind
    side: Side
    end: End
    joints: list[str] = Field(description="The chain's joints, from the trunk to the end.")
    roles: dict[str, Role] = Field(description="Each joint's role, from its axis in the base frame.")
    fingers: list[str] = Field(
        default_factory=list, description="Joints past the wrist that move a hand's or gripper's fingers."
    )
    end_body: str = Field(description="The body at the limb's end (a hand's palm for an arm with fingers).")

    def with_role(self, role: Role) -> list[str]:
        return [j for j in self.joints if self.roles[j] == role]


class BodyPlan(BaseModel):
    """What a robot's body is made of, in words recipes can use."""

    model_id: str
    floating_base: bool = Field(description="The base moves freely (a free joint or planar root joints).")
    root_joints: list[str] = Field(description="Unactuated joints that move the base (planar models).")
    trunk: list[str] = Field(description="Waist and torso joints between the base and the limbs.")
    limbs: list[Limb]
    lacks: list[str] = Field(description="Parts a person may name that this body does not have.")

    def of_kind(self, kind: LimbKind, side: Side | None = None) -> list[Limb]:
        return [lb for lb in self.limbs if lb.kind == kind and (side is None or lb.side == side)]

    def limb(self, name: str) -> Limb | None:
        return next((lb for lb in self.limbs if lb.name == name), None)

    def has(self, part: str) -> bool:
        return part not in self.lacks

    def summary(self) -> str:
        """A few words: '2 legs, 2 arms, no head', '4 legs', '4 fingers', 'an arm with a gripper'."""
        words = []
        for kind, one, many in (
            ("leg", "a leg", "legs"),
            ("arm", "an arm", "arms"),
            ("finger", "a finger", "fingers"),
            ("chain", "a jointed chain", "jointed chains"),
        ):
            limbs = self.of_kind(kind)  # type: ignore[arg-type]
            if not limbs:
                continue
            text = one if len(limbs) == 1 else f"{len(limbs)} {many}"
            if kind == "arm" and any(lb.fingers for lb in limbs):
                text += " with hands" if len(limbs) > 1 else " with a gripper"
            words.append(text)
        if self.of_kind("head"):
            words.append("a head")
        if self.trunk:
            words.append("a waist")
        if "head" in self.lacks and (self.of_kind("leg") or self.of_kind("arm")):
            words.append("no head")
        if "arms" in self.lacks and self.of_kind("leg") and len(self.of_kind("leg")) == 2:
            words.append("no arms")
        return ", ".join(words) if words else "no movable limbs"
