"""Planning: which recipes answer a prompt on a robot, and how several behaviors combine.

The parser's intents become (intent, recipe) pairs for the robot's domain (legged, manip,
classic, generic); :data:`RECIPES` maps (domain, family) to the recipe that drafts three
approaches. Every locomotion and turning word merges into one velocity command; other
intents add their defining term, at half weight, to the first behavior's approaches.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from tabrl.design.asks import task_of
from tabrl.design.drafting import Ctx, Draft, T, term_signature, tidy, title_case
from tabrl.design.placements import Placement, placement_of
from tabrl.design.recipes.classic import classic_drafts, generic_drafts
from tabrl.design.recipes.hand_poses import legged_place, place_intent, placeable
from tabrl.design.recipes.legged import (
    legged_default,
    legged_limb,
    legged_posture,
    legged_rhythm,
    legged_stomp,
)
from tabrl.design.recipes.locomotion import legged_jump, legged_locomote, legged_spin, merge_command
from tabrl.design.recipes.manipulation import (
    manip_default,
    manip_grip,
    manip_path,
    manip_reach,
    manip_rhythm,
    manip_still,
    manip_swing,
    manip_twist,
)
from tabrl.design.recipes.tasks import scene_task, task_drafts
from tabrl.design.vocabulary import DIRECTION_INTENTS, INTENTS, Intent, Interpretation, Recipe
from tabrl.rewards.limits import MAX_NAME_CHARS, MAX_SUMMARY_CHARS, MAX_TERMS, N_APPROACHES
from tabrl.rewards.terms import rhythm_hz

RecipeFn = Callable[[Ctx, Intent, Recipe], list[Draft]]
Hits = list[tuple[Intent, Recipe]]

# (domain, recipe family) -> the recipe that drafts three approaches for one intent. A new family
# is one recipe function and one line here. Legged "locomote" is not here: every locomotion and
# turning word of a prompt merges into one command first (see plan()).
RECIPES: dict[tuple[str, str], RecipeFn] = {
    ("legged", "spin"): legged_spin,
    ("legged", "jump"): legged_jump,
    ("legged", "rhythm"): legged_rhythm,
    ("legged", "stomp"): legged_stomp,
    ("legged", "posture"): legged_posture,
    ("legged", "limb"): legged_limb,
    ("legged", "place"): legged_place,
    # a humanoid's hand draws and reaches like an arm's
    ("legged", "path"): manip_path,
    ("legged", "reach"): manip_reach,
    ("manip", "path"): manip_path,
    ("manip", "rhythm"): manip_rhythm,
    ("manip", "twist"): manip_twist,
    ("manip", "swing"): manip_swing,
    ("manip", "reach"): manip_reach,
    ("manip", "grip"): manip_grip,
    ("manip", "still"): manip_still,
}
# Drafts when no behavior was understood.
DEFAULTS: dict[str, Callable[[Ctx], list[Draft]]] = {"legged": legged_default, "manip": manip_default}
# Domains whose robots have one planner for the whole prompt.
WHOLE_PROMPT: dict[str, Callable[[Ctx, Hits], list[Draft]]] = {
    "classic": classic_drafts,
    "generic": generic_drafts,
}


# The behavior a task's words name when no verb of the vocabulary did ("hand the object over").
_TASK_INTENT = Intent("task", "Task", "the scene's task on its object")


def domain_of(ctx: Ctx) -> str:
    """legged, manip, classic or generic (a robot without a profile)."""
    if ctx.derived:
        return "generic"
    if ctx.category == "classic":
        return "classic"
    return "legged" if ctx.category in ("quadruped", "humanoid") else "manip"


_ARM_WORDS = {"arm", "hand", "fingers", "wrist", "elbow", "shoulder", "thumb", "index"}


def _recipe_for(ctx: Ctx, intent: Intent, words: str, interp: Interpretation) -> Recipe | None:
    domain = domain_of(ctx)
    if domain == "manip":
        return intent.manip
    if domain == "legged":
        if (
            ctx.biped
            and intent.manip
            and (
                set(ctx.parts) & _ARM_WORDS
                or re.search(r"\b(draw|trace|sketch|write)", words)
                or any(m.phrase == "in air" for m in interp.modifiers)
            )
            and intent.manip.family in ("path", "reach")
        ):
            return intent.manip
        return intent.legged
    return intent.legged or intent.manip  # classic and generic: any meaning gives a family


def intent_recipes(ctx: Ctx, interp: Interpretation) -> Hits:
    """Usable (intent, recipe) pairs; weak intents become modifiers next to strong ones."""
    found = [(INTENTS[m.value], m) for m in interp.intents]
    # A task environment's own task in its words ("pick up the cube" where there is a cube) is one
    # behavior on the scene's object, whatever the verbs would mean on the body alone.
    task = task_of(interp.prompt)
    scene = scene_task(ctx, task) if task else None
    if scene is not None:
        intent = found[0][0] if found else _TASK_INTENT
        return [(intent, Recipe("task", {"task": scene}))]
    placement = placement_of(interp.prompt) if domain_of(ctx) == "legged" else None
    out: Hits = []
    if placement is not None and _places(ctx, placement, [i for i, _ in found]):
        out.append(place_intent(placement))
        # the placement says where the arms go; a quadruped's hind-leg version of its verb ("scratch your
        # head") is done with the placed hand instead
        found = [(i, m) for i, m in found if _arm_family(i) != "pose" and not _hind_leg_gesture(i)]
    strong = [(i, m) for i, m in found if not i.weak]
    for intent, match in found:
        if intent.weak and strong:
            if intent.key in DIRECTION_INTENTS:
                ctx.mods.direction = DIRECTION_INTENTS[intent.key]
                if any(
                    (leg_recipe := INTENTS[m.value].legged) is not None and leg_recipe.family == "locomote"
                    for m in interp.intents
                    if not INTENTS[m.value].weak
                ):
                    recipe = _recipe_for(ctx, intent, match.words, interp)
                    if recipe is not None:
                        out.append((intent, recipe))
            elif intent.key == "up_down":
                ctx.mods.axis = ctx.mods.axis or "vertical"
            elif intent.key == "side_to_side":
                ctx.mods.axis = ctx.mods.axis or "lateral"
            elif intent.key == "back_and_forth":
                ctx.mods.axis = ctx.mods.axis or "longitudinal"
            continue
        recipe = _recipe_for(ctx, intent, match.words, interp)
        if recipe is None:
            ctx.note(f"'{match.words}' has no meaning for {ctx.robot} (a {ctx.category}); ignored.")
            continue
        out.append((intent, recipe))
    out = _merge_open_close(out)
    if any(i.key in DIRECTION_INTENTS for i, _ in out) and ctx.mods.direction is None:
        ctx.mods.direction = -1 if any(i.key == "backward" for i, _ in out) else 1
    return out


def _hind_leg_gesture(intent: Intent) -> bool:
    """A limb gesture a quadruped makes with a hind leg ("scratch"): it moves no arm."""
    recipe = intent.legged
    return recipe is not None and recipe.family == "limb" and recipe.params.get("limb") == "rear"


def _arm_family(intent: Intent) -> str | None:
    """'pose' for an intent that holds an arm somewhere ("raise", and "stretch", a quadruped's posture), 'rhythm'
    for one that moves it ("wave", "clap"), else None."""
    recipe = intent.legged
    if recipe is None or recipe.family not in ("limb", "posture") or _hind_leg_gesture(intent):
        return None
    if recipe.family == "posture":
        return "pose" if intent.key == "stretch" else None
    return "pose" if recipe.params.get("hold") else "rhythm"


def _places(ctx: Ctx, placement: Placement, intents: list[Intent]) -> bool:
    """Whether the hands are placed: on a body with two arms (another is told so), unless the words also move
    the arms (a clap above the head is a clap): an arm pose beside it is what the placement says exactly."""
    if not placeable(ctx, placement):
        if ctx.legged:
            where = placement.label.lower().replace("hands ", "")
            ctx.note(f"{ctx.robot} has no hands to put {where}: ignored.")
        return False
    return not any(_arm_family(i) == "rhythm" for i in intents)


def _merge_open_close(hits: Hits) -> Hits:
    """ "Open and close the hand": an opening and a closing grip in one prompt are one rhythm, not two poses."""
    grips = [k for k, (_, r) in enumerate(hits) if r.family == "grip" and not r.params.get("pinch")]
    closes = {bool(hits[k][1].params.get("close", True)) for k in grips}
    if closes != {True, False}:
        return hits
    intent, recipe = hits[grips[0]]
    cycle = (intent, Recipe("grip", {**recipe.params, "cycle": True}))
    return [cycle if k == grips[0] else h for k, h in enumerate(hits) if k == grips[0] or k not in grips]


def drafts_for(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    """The three drafts of one (non-locomotion) intent for a legged or manipulator robot."""
    fn = RECIPES.get((domain_of(ctx), recipe.family))
    if fn is None:
        raise LookupError(f"no {domain_of(ctx)} recipe for the family '{recipe.family}'")
    return fn(ctx, intent, recipe)


def plan(ctx: Ctx, hits: Hits) -> tuple[list[Draft], list[list[Draft]], list[str]]:
    """(primary drafts, secondary drafts per extra intent, labels of the extras)."""
    domain = domain_of(ctx)
    tasks = [(i, r) for i, r in hits if r.family == "task"]
    if tasks:
        return task_drafts(ctx, *tasks[0]), [], []
    if domain in WHOLE_PROMPT:
        return WHOLE_PROMPT[domain](ctx, hits), [], []
    if not hits:
        return DEFAULTS[domain](ctx), [], []
    # legged locomotion: every locomotion and turning word makes one command
    loco = [(i, r) for i, r in hits if r.family == "locomote"]
    turning = [(i, r) for i, r in hits if r.family == "spin" and r.params.get("turn")]
    rest = [(i, r) for i, r in hits if r.family != "locomote" and not (loco and (i, r) in turning)]
    units: list[tuple[str, Callable[[], list[Draft]]]] = []
    if domain == "legged" and loco:
        units.append(("locomotion", lambda: legged_locomote(ctx, merge_command(ctx, loco + turning))))
    seen: set[tuple[str, str]] = set()
    for intent, recipe in rest:
        key = (recipe.family, str(recipe.params.get("part", "")))
        if key in seen:
            continue
        seen.add(key)
        units.append((intent.label.lower(), functools.partial(drafts_for, ctx, intent, recipe)))
    primary = units[0][1]()
    extras = [(label, make()) for label, make in units[1:3]]
    if len(units) > 3:
        ctx.note(
            "Only the first three behaviors of the prompt are combined; "
            f"left out: {', '.join(label for label, _ in units[3:])}."
        )
    return primary, [d for _, d in extras], [label for label, _ in extras]


def _describe_term(term: dict[str, Any]) -> str:
    if term["term"] == "expr":
        return f"expr {term['expr']}"
    params = term.get("params") or {}
    detail = ", ".join(
        f"{k}={v}"
        for k, v in params.items()
        if k in ("group", "axis", "pattern", "shape", "yaw_rate", "target", "height", "ratio")
    )
    return f"{term['term']} ({detail})" if detail else term["term"]


def _conflicts(term: dict[str, Any], moves: bool) -> bool:
    """Terms of an extra behavior that would fight travelling."""
    if not moves:
        return False
    params = term.get("params") or {}
    return (
        term["term"] in ("stay_in_place", "track_velocity")
        or params.get("group") == "all"
        or (term["term"] == "foot_contact_pattern" and params.get("pattern") == "stand")
        or (term["term"] == "expr" and "drift" in term["expr"])
    )


def combine(primary: Draft, extras: list[list[Draft]], labels: list[str], i: int) -> Draft:
    """Approach ``i`` of the primary behavior plus, at half weight, the defining term of each extra behavior.

    The extra behavior's own approach ``i`` is asked first; if its defining term clashes with the
    primary (already there, or it would fight travelling), the other approaches' are tried.
    """
    moves = primary.moves or any(e[i].moves for e in extras)
    terms: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(term: dict[str, Any], scale: float = 1.0) -> bool:
        sig = term_signature(term)
        if (
            sig in seen
            or _conflicts(term, moves and scale != 1.0)
            or (moves and term["term"] == "stay_in_place")
        ):
            return False
        seen.add(sig)
        terms.append({**term, "weight": tidy(term["weight"] * scale)})
        return True

    for t in primary.main:
        add(t)
    added: list[str] = []
    for label, drafts in zip(labels, extras, strict=True):
        order = [drafts[i]] + [d for j, d in enumerate(drafts) if j != i]
        for d in order:
            if not d.main:
                continue
            extra = on_clock(d.main[0], terms)
            if add(extra, 0.5):
                added.append(f"for '{label}', {_describe_term(extra)} at half weight")
                break
    for t in primary.support:
        add(t)
    if any(t["term"] == "alive" for e in extras for t in e[i].support):
        add(T("alive", 0.5))
    if len(terms) > MAX_TERMS:  # keep the main terms and two regularisers
        regs = [t for t in terms if t["weight"] < 0][:2]
        terms = [t for t in terms if t["weight"] >= 0][: MAX_TERMS - len(regs)] + regs
    name, summary = primary.name, primary.summary
    if labels:
        suffix = " + " + " + ".join(title_case(lbl) for lbl in labels)
        if len(name + suffix) <= MAX_NAME_CHARS:
            name += suffix
        summary = f"{summary}; also {' and '.join(labels)}"
    note = primary.note + (" Added " + "; ".join(added) + "." if added else "")
    return Draft(
        name,
        summary[:MAX_SUMMARY_CHARS],
        terms,
        [],
        moves=moves,
        note=note.strip(),
        motion=primary.motion,
        success=primary.success,
        reach=primary.reach or next((e[i].reach for e in extras if e[i].reach), None),
    )


def on_clock(term: dict[str, Any], terms: list[dict[str, Any]]) -> dict[str, Any]:
    """``term`` retimed to the program's clock, so one observed phase can time every rhythm."""
    clock, params = rhythm_hz(terms), term.get("params") or {}
    if clock is None or "frequency_hz" not in params or params["frequency_hz"] == clock:
        return term
    limit = 3.0 if term["term"] == "ee_path" else 6.0
    return {**term, "params": {**params, "frequency_hz": tidy(min(clock, limit))}}


def distinct(drafts: list[Draft]) -> list[Draft]:
    """Guarantees distinct names and distinct term kinds (a safety net; recipes already differ)."""
    spare = [T("energy", -0.0005), T("joint_limits", -0.1), T("torque", -0.00001)]
    seen_sets: list[frozenset] = []
    names: set[str] = set()
    for d in drafts:
        sig = frozenset(term_signature(t) for t in d.main)
        k = 0
        while sig in seen_sets and k < len(spare):
            d.main.append(spare[k])
            sig = frozenset(term_signature(t) for t in d.main)
            k += 1
        seen_sets.append(sig)
        base, n = d.name, 2
        while d.name in names:
            d.name, n = f"{base} {n}", n + 1
        names.add(d.name)
    return drafts


def draft_approaches(ctx: Ctx, hits: Hits) -> list[Draft]:
    """The prompt's N_APPROACHES drafts: planned, combined, made distinct."""
    primary, extras, labels = plan(ctx, hits)
    drafts = [combine(primary[i], extras, labels, i) for i in range(N_APPROACHES)]
    if (
        ctx.biped and domain_of(ctx) == "legged"
    ):  # a humanoid falls easily: surviving must pay in every approach
        for d in drafts:
            if not any(t["term"] == "alive" for t in d.main) and len(d.main) < MAX_TERMS:
                d.main.insert(
                    next((k for k, t in enumerate(d.main) if t["weight"] < 0), len(d.main)), T("alive", 0.5)
                )
    return distinct(drafts)
