"""Body-part words against the body the robot has (its body plan, ``tabrl.robots.body_plan``).

A word may name a part the robot lacks: "nod your head" to a humanoid without a neck joint, "wave your
hand" to a biped without arms. The approach then uses the nearest part it has and says so in one
sentence, instead of a silent rhythm on an unrelated limb.
"""

from __future__ import annotations

import re

from tabrl.design.drafting import Ctx
from tabrl.design.vocabulary import interpret
from tabrl.rewards.motion import moved_joints
from tabrl.rewards.program import RewardProgram
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.model import Robot

# part word -> (the plan part it needs, how the sentence names that part)
_NEEDS: dict[str, tuple[str, str]] = {
    "head": ("head", "movable head"),
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


def substitute_part(ctx: Ctx, word: str) -> str:
    """The part to use for body-part ``word`` on this legged body: the word itself where the body has the
    part, else the nearest part it has ("paw" on a quadruped for an arm, "body" otherwise), said in one
    sentence on the approach cards."""
    need = _NEEDS.get(word)
    if ctx.body is None or ctx.category not in ("humanoid", "quadruped") or need is None:
        return word
    part, what = need
    if ctx.body.has(part):
        return word
    if ctx.category == "quadruped" and part == "arms":
        ctx.note(f"{ctx.robot} has no {what}: its front {ctx.mods.side or 'right'} leg does it instead.")
        return "paw"
    instead = "the whole body pitches and turns instead" if part == "head" else "the body sways instead"
    ctx.note(f"{ctx.robot} has no {what}: {instead}.")
    return "body"


def substitute_missing_parts(ctx: Ctx) -> None:
    """Replaces, in ``ctx.parts``, each named part the body lacks by the nearest part it has."""
    ctx.parts = list(dict.fromkeys(substitute_part(ctx, word) for word in ctx.parts))


def lacks_arms(ctx: Ctx) -> bool:
    return ctx.body is not None and not ctx.body.has("arms") and ctx.category == "humanoid"


_ARM_PARTS = {word for word, (part, _) in _NEEDS.items() if part == "arms"}


def prior_off_named_limb(program: RewardProgram, robot: Robot, prompt: str) -> str | None:
    """Why ``program``'s motion prior misses the limb the words name (None when it does not)."""
    plan = body_plan_of(robot)
    arms = plan.of_kind("arm")
    if program.motion is None or not arms or not (set(interpret(prompt).parts) & _ARM_PARTS):
        return None
    moved = moved_joints(program.motion, robot.spec)
    arm_joints = {j for lb in arms for j in lb.joints + lb.fingers}
    legs = {j for lb in plan.of_kind("leg") for j in lb.joints}
    if moved & arm_joints or not moved & legs:
        return None
    names = ", ".join(lb.name for lb in arms)
    return (
        f"the words name an arm or a hand, but the motion prior moves only leg joints "
        f"({', '.join(sorted(moved & legs)[:4])}): put the prior on the arm the words name ({names})"
    )
