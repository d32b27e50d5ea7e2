"""Body-part words against the body the robot has (its body plan, ``tabrl.robots.body_plan``).

A word may name a part the robot lacks: "nod your head" to a humanoid without a neck joint, "wave your
hand" to a biped without arms. The approach then uses the nearest part it has and says so in one
sentence, instead of a silent rhythm on an unrelated limb.
"""

from __future__ import annotations

from tabrl.design.drafting import Ctx

# part word -> (the plan part it needs, what it becomes where that is missing, the sentence's words)
_NEEDS: dict[str, tuple[str, str]] = {
    "head": ("head", "a movable head"),
    "arm": ("arms", "arms"),
    "hand": ("arms", "arms"),
    "elbow": ("arms", "arms"),
    "shoulder": ("arms", "arms"),
    "wrist": ("arms", "arms"),
}


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
