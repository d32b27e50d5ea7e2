"""The built-in approach designer: a prompt and a robot in, three reward programs out.

Offline and deterministic (no LLM): the prompt is parsed with :mod:`tabrl.design.vocabulary`
into intents ("shake"), modifiers ("fast", "left") and body parts ("hips"); each intent names a
recipe family, and :mod:`tabrl.design.planner` picks the recipes (:mod:`tabrl.design.recipes`)
that write three programs differing in kind for this robot's category, joint groups, feet and
end effectors:

* a direct one built from the library primitive that targets the motion,
* a rhythm / contact-timing / body-oscillation one,
* one shaped with safe expressions or a different joint group.

For robots with a measured gait rig (Go1), walking, turning and jumping get scaffold approaches
(:mod:`tabrl.design.recipes.gaits`).

Several intents combine: locomotion words merge into one velocity command ("walk forward and
turn left"); other intents add their main terms, at half weight, to the first one's programs.
Words the parser did not understand are reported in every program's ``notes``; a prompt with
no understood behavior gets a gentle default (stand tall, move mildly) and says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tabrl.design import planner
from tabrl.design.asks import ask_of
from tabrl.design.body_words import substitute_missing_parts
from tabrl.design.drafting import Ctx, read_mods, term_signature
from tabrl.design.vocabulary import INTENTS, Interpretation, interpret
from tabrl.rewards import arm_priors, checks, outcome_checks, shape_checks, shapes
from tabrl.rewards.limits import MAX_NAME_CHARS, MAX_SUMMARY_CHARS
from tabrl.rewards.motion import MAX_PARTS, Motion, fitted, moved_joints
from tabrl.rewards.motion import describe as describe_motion
from tabrl.rewards.outcome_checks import Ask
from tabrl.rewards.program import RewardProgram
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.catalog import load_robot, profile_for
from tabrl.robots.observables import observables_of
from tabrl.robots.profiles import RobotProfile, get_profile

MAX_PROMPT_CHARS = 2000

__all__ = [
    "DesignError",
    "Design",
    "MAX_PROMPT_CHARS",
    "design",
    "design_approaches",
    "check_prompt",
    "term_signature",
    "with_shape",
]


class DesignError(ValueError):
    """A prompt the designer refuses (empty or too long)."""


def check_prompt(prompt: str) -> str:
    """The prompt, stripped; DesignError if it is empty or longer than MAX_PROMPT_CHARS."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise DesignError('The prompt is empty: describe the behavior you want, e.g. "walk forward".')
    if len(prompt) > MAX_PROMPT_CHARS:
        raise DesignError(
            f"The prompt is {len(prompt):,} characters long; at most {MAX_PROMPT_CHARS:,} are allowed."
        )
    return prompt.strip()


@dataclasses.dataclass
class Design:
    """The designer's full answer: the programs and how the prompt was read."""

    model_id: str
    prompt: str
    robot: str
    category: str
    interpretation: Interpretation
    programs: list[RewardProgram]
    notes: list[str]
    default_used: bool


_ASSUMED = {
    "legged": "stand tall and move gently",
    "manip": "hold a steady pose with mild motion",
    "classic": "the robot's basic task with mild motion",
    "generic": "gentle joint motion",
}


def _robot_profile(model_id: str) -> tuple[RobotProfile, bool]:
    profile = profile_for(model_id)  # raises UnknownModel with the closest ids
    return profile, get_profile(profile.robot) is None


def _compiled_robot(model_id: str) -> Any:
    """The compiled robot (joint ranges, groups, defaults, model), or None when its assets are missing."""
    try:
        return load_robot(model_id)
    except Exception:  # noqa: BLE001 - no meshes here: programs still come, without priors or checks
        return None


def _reach_shape(
    robot: Any, reach: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A recipe's reach goal as a solved pose prior and its check (none when it cannot be solved)."""
    if robot is None or not reach:
        return None, []
    indices = range(len(robot.spec.ee)) if reach.get("both") else [reach["index"]]
    solved = [
        arm_priors.reach_motion(robot, i, reach["axis"], reach["sign"], reach["distance"]) for i in indices
    ]
    if any(m is None for m in solved):
        return None, []
    # Each arm poses its own joints, so the poses add up; a prior holds at most MAX_PARTS parts, shared fairly
    # (each arm keeps its largest offsets).
    share = MAX_PARTS // len(solved)
    parts = [
        part
        for m in solved
        if m is not None
        for part in sorted(m.parts, key=lambda q: -abs(q.offset))[:share]
    ]
    motion = solved[0]
    assert motion is not None
    motion = motion.model_copy(update={"parts": parts})
    check = shape_checks.reach_success(reach["axis"], reach["sign"], reach["distance"])
    return motion.model_dump(mode="json"), [c.model_dump(mode="json") for c in check]


def _merged(first: dict[str, Any], other: Motion | None) -> dict[str, Any]:
    """A solved prior plus the parts of ``other`` on joint groups it leaves alone (the first wins)."""
    if other is None:
        return first
    named = {p.get("group") or p.get("joint") for p in first["parts"]}
    extra = [
        p.model_dump(mode="json", exclude_none=True)
        for p in other.parts
        if p.group not in ("all", "arm") and (p.group or p.joint) not in named and p.group is not None
    ]
    return {**first, "parts": (first["parts"] + extra)[:12]}


def _mobile(spec: Any, model: Any) -> bool:
    """The base moves: a free base, or a planar walker's root joints (hopper, walker, cheetah)."""
    return bool(spec.floating_base or (model is not None and observables_of(model).planar))


def with_shape(
    program: RewardProgram,
    spec: Any,
    robot: str | None = None,
    motion: dict[str, Any] | None = None,
    success: str | None = None,
    *,
    explain: bool = True,
    model: Any = None,
    ask: Ask | None = None,
) -> RewardProgram:
    """The program with a motion prior and a success check: the given ones, else read from its terms.

    A prior makes the behavior's shape visible from the first training step (the policy learns a
    residual around it); the check is the verdict shown under the approach's video. ``model`` (the
    compiled robot) lets end-effector paths be solved by the robot's kinematics.
    """
    if spec is None:
        return program
    prior = (
        Motion.model_validate(motion)
        if motion is not None
        else (program.motion or shapes.motion_from_terms(program.terms, spec, robot=robot, model=model))
    )
    if prior is not None and program.motion is None and getattr(spec, "position_control", False):
        prior = fitted(prior, spec)  # inside this robot's joint ranges
    check = program.success or (
        checks.coerce(success)
        if success
        else shape_checks.success_from_terms(program.terms, spec, prior, mobile=_mobile(spec, model))
    )
    if model is not None and (program.success is None or ask is not None):
        # what the words ask to see, measured on the video: a named limb's tip, an object, the feet
        check = outcome_checks.complete(
            [checks.Condition.model_validate(c) for c in check], prior, model, ask or Ask()
        )
    notes = list(program.notes)
    if prior is not None and program.motion is None and explain:
        notes.append(
            "Motion prior (the policy learns a residual around it): "
            + "; ".join(describe_motion(prior))
            + "."
        )
    if check and program.success is None and explain:
        labels = [
            checks.Condition.model_validate(c).label() if isinstance(c, dict) else c.label() for c in check
        ]
        notes.append("Success check: " + " and ".join(labels) + ".")
    data = program.model_dump(mode="json")
    data.update(
        motion=prior.model_dump(mode="json") if prior is not None else None,
        success=[c if isinstance(c, dict) else c.model_dump(mode="json") for c in check] or None,
        notes=notes,
    )
    return RewardProgram.model_validate(data)


def design(model_id: str, prompt: str) -> Design:
    """Three reward programs for ``prompt`` on catalog model ``model_id``, and how the prompt was read.

    Raises DesignError for an empty or too-long prompt and UnknownModel for an unknown model.
    """
    text = check_prompt(prompt)
    profile, derived = _robot_profile(model_id)
    interp = interpret(text)
    robot = _compiled_robot(model_id)
    spec = robot.spec if robot is not None else None
    ctx = Ctx(
        model_id=model_id,
        profile=profile,
        derived=derived,
        mods=read_mods(interp),
        parts=list(dict.fromkeys(interp.parts)),
        spec=None if derived else spec,
        body=body_plan_of(robot) if robot is not None and not derived else None,
    )
    substitute_missing_parts(ctx)
    ask = ask_of(ctx, text, [m.value for m in interp.intents])
    hits = planner.intent_recipes(ctx, interp)
    drafts = planner.draft_approaches(ctx, hits)
    shared: list[str] = []
    understood = interp.understood()
    if understood:
        shared.append("Understood: " + ", ".join(understood) + ".")
    default_used = not hits
    if default_used:
        what = ", ".join(f"'{w}'" for w in interp.unknown) or "no behavior words"
        shared.append(
            f"No behavior was recognised in the prompt (not understood: {what}); "
            f"assumed: {_ASSUMED[planner.domain_of(ctx)]}."
        )
    elif interp.unknown:
        shared.append("Not understood (ignored): " + ", ".join(f"'{w}'" for w in interp.unknown) + ".")
    shared += ctx.notes
    programs = []
    for d in drafts:
        notes = shared + ([d.note] if d.note else [])
        program = RewardProgram.model_validate(
            {
                "name": d.name[:MAX_NAME_CHARS],
                "summary": d.summary[:MAX_SUMMARY_CHARS],
                "terms": d.main,
                "notes": notes,
            }
        )
        motion, success = d.motion, d.success
        if d.reach and motion is None:
            motion, reach_check = _reach_shape(robot, d.reach)
            if motion is not None:  # the other behaviors' shapes ride along ("grab it and lift it")
                motion = _merged(motion, shapes.motion_from_terms(program.terms, spec, model=robot))
            if success is None and reach_check:
                own = shape_checks.success_from_terms(program.terms, spec) if spec is not None else []
                merged = reach_check + [
                    c.model_dump(mode="json")
                    for c in own
                    if c.metric not in {r["metric"] for r in reach_check}
                ]
                program = program.model_copy(
                    update={"success": [checks.Condition.model_validate(c) for c in merged[:6]]}
                )
        programs.append(with_shape(program, spec, profile.robot, motion, success, model=robot, ask=ask))
    # One behavior, one verdict: an approach whose terms name no measurable figure (expressions
    # only) is judged by a sibling's check.
    # Likewise an approach of expressions only (no rhythm, pose or gait the prior could be read from)
    # moves with a sibling's prior, so its behavior is there from the first step too.
    lead = next((k for k, p in enumerate(programs) if p.motion), None)
    lead_motion = programs[lead].motion if lead is not None else None
    if lead is not None and lead_motion is not None and spec is not None:
        programs = [
            p
            if p.motion
            else p.model_copy(
                update={
                    "motion": lead_motion,
                    # its check is judged again under the prior it now moves with
                    "success": (
                        outcome_checks.complete(p.success, lead_motion, robot, ask) or None
                        if robot is not None and p.success
                        else p.success
                    ),
                    "notes": [
                        *p.notes,
                        f"Motion prior (as approach {lead + 1}): "
                        + "; ".join(describe_motion(lead_motion))
                        + ".",
                    ],
                }
            )
            for p in programs
        ]
    sibling = next((p.success for p in programs if p.success), None)
    if sibling:
        programs = [
            p
            if p.success
            else p.model_copy(
                update={
                    "success": sibling,
                    "notes": [
                        *p.notes,
                        "Success check (as the other approaches): "
                        + " and ".join(c.label() for c in sibling)
                        + ".",
                    ],
                }
            )
            for p in programs
        ]
    if robot is not None and not derived:  # a still behavior, with no prior and no figure: it must not fall
        programs = [
            p
            if p.success or moved_joints(p.motion, spec)
            else p.model_copy(update={"success": outcome_checks.guards(robot, []) or None})
            for p in programs
        ]
    return Design(
        model_id=model_id,
        prompt=text,
        robot=profile.name,
        category=profile.category,
        interpretation=interp,
        programs=programs,
        notes=shared,
        default_used=default_used,
    )


def design_approaches(model_id: str, prompt: str) -> list[RewardProgram]:
    """Exactly three RewardPrograms for ``prompt`` on ``model_id`` (the interface services call)."""
    return design(model_id, prompt).programs


# Direction words the pool below adds to each behavior: a turn to the left and to the right, or a walk backwards,
# get priors of their own (mirrored rhythms), which a base should know too.
_POOL_DIRECTIONS = ("", " left", " right", " backward")


def motion_priors(model_id: str) -> list[Motion]:
    """Every distinct motion prior the built-in designer writes for ``model_id``, over its whole vocabulary.

    A base policy learns to balance under these (tabrl.train.base), so a fine-tune starts from a policy
    that already stands under the rhythm or pose it is given.
    """
    legged = _robot_profile(model_id)[0].category in ("quadruped", "humanoid")
    seen: dict[str, Motion] = {}
    for intent in INTENTS.values():
        if (intent.legged if legged else intent.manip) is None:
            continue
        for direction in _POOL_DIRECTIONS:
            for program in design_approaches(model_id, intent.label + direction):
                if program.motion is not None:
                    seen.setdefault(program.motion.model_dump_json(), program.motion)
    return list(seen.values())
