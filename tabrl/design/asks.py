"""What the words ask to see in the video (``rewards.outcome_checks.Ask``): the limb a prompt names, the
task it sets an object, and whether it wants speed. The success check measures these outcomes."""

from __future__ import annotations

import re

from tabrl.design.body_words import lacks_arms
from tabrl.design.drafting import Ctx
from tabrl.design.placements import placement_of
from tabrl.rewards.outcome_checks import Ask

# part word (vocabulary.yaml 'parts') -> the body-plan limb kind it names
_LIMB_OF_PART = {
    "arm": "arm",
    "hand": "arm",
    "wrist": "arm",
    "elbow": "arm",
    "shoulder": "arm",
    "leg": "leg",
    "knee": "leg",
    "paw": "leg",
    "head": "head",
    "fingers": "finger",
    "thumb": "finger",
    "index": "finger",
}
_OBJECT = r"(cube|block|box|ball|object|item|toy|can|bottle|peg|it)"
_TASKS = (
    ("open", re.compile(r"\b(open|pull)\w*\b.*\b(drawer|door|cabinet|handle)s?\b")),
    ("turn", re.compile(rf"\b(turn|rotate|spin|reorient|flip|twist|roll)\w*\b.*\b{_OBJECT}s?\b")),
    ("lift", re.compile(rf"\b(pick|lift|raise|grab|grasp|hold|carry)\w*\b.*\b{_OBJECT}s?\b")),
    ("push", re.compile(rf"\b(push|slide|shove|move|nudge|knock|hand)\w*\b.*\b{_OBJECT}s?\b")),
)


def task_of(prompt: str) -> str | None:
    """'pick up the cube' -> 'lift'; 'open the drawer' -> 'open'; None when no task word is there."""
    text = prompt.lower()
    return next((task for task, pattern in _TASKS if pattern.search(text)), None)


# intents whose named tip goes up (a hand waved or saluted, a paw given, a foot kicked)
_RAISED = {"wave", "salute", "raise", "give_paw", "kick"}
_THRUST = {"punch", "point", "reach"}  # the named hand goes forward
_LOOP = {"circle"}  # the tip goes round
_TOGETHER = {"clap"}  # the two hands meet
_HELD_UP = {"swing_up"}  # a pole or chain brought up from hanging and kept there


def ask_of(ctx: Ctx, prompt: str, intents: list[str] | None = None) -> Ask:
    """The outcome the words ask for, on this body (``ctx.parts`` after missing parts were replaced)."""
    kinds = [_LIMB_OF_PART[p] for p in ctx.parts if p in _LIMB_OF_PART]
    kind = kinds[0] if kinds else None
    if "paw" in ctx.parts or "give_paw" in (intents or []):
        kind = "leg"
    placed = placement_of(prompt) is not None and ctx.biped and not lacks_arms(ctx)
    if placed:  # "scratch your head", "cover your eyes": the body word is where the hands go, they move
        kind = "arm"
    return Ask(
        limb_kind=kind,
        side=ctx.mods.side,
        task=task_of(prompt),
        both=ctx.mods.both,
        raised=bool(_RAISED & set(intents or [])) or "paw" in ctx.parts,
        thrust=bool(_THRUST & set(intents or [])),
        loop=bool(_LOOP & set(intents or [])),
        together=bool(_TOGETHER & set(intents or [])),
        held_up=bool(_HELD_UP & set(intents or [])),
        in_place=ctx.mods.stay,
        placed=placed,
        fast=(ctx.mods.speed or 1.0) > 1.0,
    )
