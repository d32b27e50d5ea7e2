"""Body-part words against the body the robot has (its body plan, ``tabrl.robots.body_plan``).

A word may name a part the robot lacks: "nod your head" to a humanoid without a neck joint, "wave your
hand" to a biped without arms. The approach then uses the nearest part it has and says so in one
sentence, instead of a silent rhythm on an unrelated limb.
"""

from __future__ import annotations

import re

from tabrl.design.drafting import Ctx
from tabrl.design.vocabulary import interpret
from tabrl.rewards.program import RewardProgram
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.model import Robot

# part word -> (the plan part it needs, what it becomes where that is missing, the sentence's words)
_NEEDS: dict[str, tuple[str, str]] = {
    "head": ("head", "a movable head"),
    "arm": ("arms", "arms"),
    "hand": ("arms", "arms"),
    "elbow": ("arms", "arms"),
    "shoulder": ("arms", "arms"),
    "wrist": ("arms", "arms"),
}


# Every sentence this module writes reads "<robot> has no <part>: <what it does instead>."
_BODY_NOTE = re.compile(r" has no [^:]{1,40}: ")


def is_body_note(note: str) -> bool:
    """Whether ``note`` is a missing-part sentence (the card shows these)."""
    return bool(_BODY_NOTE.search(note))


def substitute_missing_parts(ctx: Ctx) -> None:
    """Replaces, in ``ctx.parts``, each named part a legged robot's body lacks by the nearest part it has,
    and notes the substitution on the approach cards."""
    body = ctx.body
    if body is None or ctx.category not in ("humanoid", "quadruped"):
        return
    parts = []
    for word in ctx.parts:
        need = _NEEDS.get(word)
        if need is None or body.has(need[0]):
            parts.append(word)
            continue
        what = need[1]
        if ctx.category == "quadruped" and need[0] == "arms":
            side = ctx.mods.side or "right"
            ctx.note(f"{ctx.robot} has no {what}: its front {side} leg does it instead.")
            parts.append("paw")
        elif need[0] == "head":
            ctx.note(f"{ctx.robot} has no {what}: the whole body pitches and turns instead.")
            parts.append("body")
        else:
            ctx.note(f"{ctx.robot} has no {what}: the body sways instead.")
            parts.append("body")
    ctx.parts = list(dict.fromkeys(parts))


def lacks_arms(ctx: Ctx) -> bool:
    return ctx.body is not None and not ctx.body.has("arms") and ctx.category == "humanoid"


_ARM_PARTS = {"arm", "hand", "elbow", "shoulder", "wrist"}


def prior_off_named_limb(program: RewardProgram, robot: Robot, prompt: str) -> str | None:
    """Why ``program``'s motion prior misses the limb the words name (None when it does not)."""
    plan = body_plan_of(robot)
    arms = [lb for lb in plan.of_kind("arm")]
    if program.motion is None or not arms or not (set(interpret(prompt).parts) & _ARM_PARTS):
        return None
    spec = robot.spec
    moved: set[str] = set()
    for part in program.motion.parts:
        if part.joint:
            moved.add(part.joint)
        elif part.group and part.group in spec.groups:
            moved |= {spec.joint_names[int(j)] for j in spec.groups[part.group]}
    arm_joints = {j for lb in arms for j in lb.joints + lb.fingers}
    legs = {j for lb in plan.of_kind("leg") for j in lb.joints}
    if moved & arm_joints or not moved & legs:
        return None
    names = ", ".join(lb.name for lb in arms)
    return (
        f"the words name an arm or a hand, but the motion prior moves only leg joints "
        f"({', '.join(sorted(moved & legs)[:4])}): put the prior on the arm the words name ({names})"
    )
