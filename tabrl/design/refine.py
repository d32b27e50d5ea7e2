"""Refine a trained approach: its program, reward shares and measured behavior -> three improved programs.

With an LLM provider the model reads the run and proposes three programs, in the same repair
session as designs (:func:`tabrl.design.repair.run_session`); a failing one is replaced by a
rule-based refinement. Without one, a deterministic rule set does it: first the run's failed success
checks (the verdict under its video) strengthen the terms and the motion prior behind each one, then
terms the user names are raised or lowered ("more hips, less jumping"), weights are rebalanced from
the reward shares, and stability terms are strengthened when the robot fell. Every refined program is checked by
the reward language before it is returned.
"""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tabrl.config import Settings, get_settings
from tabrl.design.feedback import (
    apply_failed_checks,
    apply_metrics,
    scale_term,
    terms_named,
)
from tabrl.design.llm import BUILTIN
from tabrl.design.prompting import refine_prompt, system_prompt
from tabrl.design.providers import provider_config, provider_infos
from tabrl.design.repair import Approach, DesignResult, check_candidate, run_session
from tabrl.design.runs import RunNotFound, RunSummary, StudioJobDir, load_run
from tabrl.design.vocabulary import LEXICON, base_forms
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.limits import MAX_NAME_CHARS, MAX_SUMMARY_CHARS, MAX_TERMS
from tabrl.robots.catalog import load_robot
from tabrl.robots.model import Robot

__all__ = [
    "REFINER_NOTE",
    "RunNotFound",
    "RunSummary",
    "load_run",
    "parse_wishes",
    "refine_approaches",
    "refine_run",
    "rule_based_programs",
    "shares_by_index",
]

REFINER_NOTE = "fallback: built-in refiner"

# ----------------------------------------------------------------------------- the rule set


_MORE = {
    "more",
    "stronger",
    "bigger",
    "larger",
    "higher",
    "faster",
    "increase",
    "extra",
    "amplify",
    "boost",
    "harder",
    "wider",
    "louder",
    "much",
}
_LESS = {
    "less",
    "fewer",
    "weaker",
    "smaller",
    "lower",
    "slower",
    "reduce",
    "no",
    "stop",
    "avoid",
    "without",
    "never",
    "dont",
    "don't",
    "not",
    "minus",
    "calmer",
    "decrease",
}
_STOP = {
    "the",
    "a",
    "an",
    "of",
    "on",
    "in",
    "with",
    "and",
    "its",
    "it",
    "your",
    "his",
    "her",
    "their",
    "please",
    "bit",
    "lot",
    "little",
    "way",
    "too",
    "so",
    "very",
    "be",
    "do",
    "some",
    "just",
    "to",
    "should",
}

# A word a person uses -> fragments of term names, params or expressions it refers to.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "jump": ("jump", "hop", "air", "feet_height", "base_lin_vel[2]", "vertical_speed", "vertical"),
    "hop": ("jump", "hop", "air", "feet_height", "base_lin_vel[2]", "vertical_speed"),
    "bounce": ("jump", "hop", "base_lin_vel[2]", "vertical_speed", "base_height"),
    "spin": ("yaw", "spin", "turn", "base_ang_vel[2]", "ang_vel"),
    "turn": ("yaw", "spin", "turn", "base_ang_vel[2]", "ang_vel"),
    "rotate": ("yaw", "spin", "turn", "base_ang_vel[2]"),
    "shake": ("sine", "oscillat", "sway", "wiggle", "shake", "rhythm"),
    "wiggle": ("sine", "oscillat", "sway", "wiggle", "shake"),
    "sway": ("sine", "oscillat", "sway", "wiggle"),
    "dance": ("sine", "oscillat", "rhythm", "phase"),
    "swing": ("sine", "oscillat", "swing"),
    "walk": ("lin_vel", "velocity", "forward", "speed", "track", "gait"),
    "run": ("lin_vel", "velocity", "forward", "speed", "track"),
    "move": ("lin_vel", "velocity", "forward", "speed", "track"),
    "forward": ("forward", "base_lin_vel[0]", "lin_vel", "velocity"),
    "speed": ("lin_vel", "velocity", "speed", "forward"),
    "sideway": ("lateral", "base_lin_vel[1]"),
    "smooth": ("action_rate", "smooth", "jerk"),
    "jitter": ("action_rate", "smooth", "jerk"),
    "jerky": ("action_rate", "smooth", "jerk"),
    "fall": ("upright", "alive", "orientation", "fall", "gravity"),
    "balance": ("upright", "alive", "orientation", "gravity"),
    "stable": ("upright", "alive", "orientation", "gravity"),
    "stability": ("upright", "alive", "orientation", "gravity"),
    "upright": ("upright", "orientation", "gravity"),
    "tilt": ("upright", "orientation", "roll", "pitch"),
    "still": ("stay_in_place", "drift", "still"),
    "drift": ("stay_in_place", "drift"),
    "wander": ("stay_in_place", "drift"),
    "place": ("stay_in_place", "drift"),
    "energy": ("torque", "energy", "effort", "power"),
    "effort": ("torque", "energy", "effort"),
    "height": ("height", "base_height", "base_pos[2]"),
    "tall": ("height", "base_height"),
    "crouch": ("height", "base_height"),
}
_PENALTY_FOR_LESS: dict[str, str] = {  # a safe expression to add when nothing matches "less X"
    "jump": "abs(vertical_speed)",
    "hop": "abs(vertical_speed)",
    "bounce": "abs(vertical_speed)",
    "spin": "abs(yaw_rate)",
    "turn": "abs(yaw_rate)",
    "rotate": "abs(yaw_rate)",
    "drift": "drift",
    "wander": "drift",
    "move": "abs(forward_speed) + abs(lateral_speed)",
    "tilt": "abs(roll) + abs(pitch)",
    "wobble": "abs(roll) + abs(pitch)",
}
_SMOOTH = ("action_rate",)


class Wish(BaseModel):
    """One clause of the user's words: more (+1) or less (-1) of something."""

    direction: int
    words: list[str]
    text: str


# The words the rules know, for picking a word's base form.
_KNOWN = LEXICON | set(SYNONYMS) | set(_PENALTY_FOR_LESS)


def _stem(word: str) -> str:
    """The shortest known base form (the designer's stemmer): hips -> hip, jumping -> jump, arms -> arm."""
    word = word.lower().strip("'\"")
    return min((f for f in base_forms(word) if f in _KNOWN), key=len, default=word)


def parse_wishes(words: str | None) -> list[Wish]:
    """ "more hips, less jumping" -> [Wish(+1, ['hip']), Wish(-1, ['jump'])]."""
    if not words:
        return []
    wishes = []
    for clause in re.split(r"[,;.!\n]+|\band\b|\bbut\b|\bplus\b", words.lower()):
        tokens = re.findall(r"[a-z_][a-z_']*", clause)
        if not tokens:
            continue
        direction = 0
        rest = []
        for token in tokens:
            if token in _MORE and direction == 0:
                direction = 1
            elif token in _LESS and direction == 0:
                direction = -1
            elif token not in _STOP and token not in _MORE and token not in _LESS:
                rest.append(_stem(token))
        if direction and rest:
            wishes.append(Wish(direction=direction, words=rest, text=clause.strip()))
    return wishes


def _term_text(term: dict[str, Any]) -> str:
    parts = [str(term.get("term", ""))]
    params = term.get("params")
    if isinstance(params, dict):
        parts += [f"{k} {v}" for k, v in params.items()]
    for key in ("expr", "name", "label"):
        if isinstance(term.get(key), str):
            parts.append(term[key])
    return " ".join(parts).lower()


def _synonyms(word: str) -> tuple[str, ...]:
    for w in (word, word + "e"):  # shak(ing) -> shake, danc(ing) -> dance
        if w in SYNONYMS:
            return SYNONYMS[w] + (word,)
    return (word,)


def _matches(word: str, term: dict[str, Any]) -> bool:
    text = _term_text(term)
    return any(f in text for f in _synonyms(word) if len(f) >= 3)


def _key_matches(key: str, term: dict[str, Any]) -> bool:
    """Whether a report key ('joint_sine:hip_abduction', 'expr:-abs(base_lin…', 'upright') names this term."""
    name, _, detail = key.partition(":")
    if name != str(term.get("term")):
        return False
    if not detail:
        return True
    if name == "expr":
        return str(term.get("expr", "")).startswith(detail)
    raw = term.get("params")
    params: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return detail in {str(v) for v in params.values()}


def shares_by_index(
    program: dict[str, Any], shares: dict[str, float], keys: list[str] | None = None
) -> list[float | None]:
    """Each term's reward share, by term index.

    ``keys`` are the compiled program's term keys in term order (exact); without them, keys such as
    'joint_sine:hip_abduction', 'expr:<start of expr>', 'name#2', 'i:term' or a bare term name are matched.
    """
    terms = program.get("terms") or []
    out: list[float | None] = [None] * len(terms)
    if keys is not None and len(keys) == len(terms):
        for i, key in enumerate(keys):
            if key in shares:
                out[i] = float(shares[key])
        return out
    for key, value in shares.items():
        index = None
        m = re.fullmatch(r"(\d+)[:_\-](.+)", key) or re.fullmatch(r"(.+?)[_\-](\d+)", key)
        if m:
            num = m.group(1) if m.group(1).isdigit() else m.group(2)
            index = int(num) if int(num) < len(terms) else None
        if index is None:
            base, _, nth = key.partition("#")
            matches = [i for i, t in enumerate(terms) if _key_matches(base, t)]
            k = int(nth) - 1 if nth.isdigit() else 0
            index = matches[k] if k < len(matches) else None
        if index is not None:
            out[index] = float(value) + (out[index] or 0.0)
    return out


def compiled_keys(program: dict[str, Any], robot: Robot) -> list[str] | None:
    """The compiled program's term keys (how training reports shares), or None if it does not compile."""
    try:
        import numpy as np

        return list(compile_program(program, robot.spec, np).keys)
    except Exception:  # noqa: BLE001 - fall back to matching keys by name
        return None


def apply_wishes(program: dict[str, Any], wishes: list[Wish], strength: float, notes: list[str]) -> set[int]:
    """Raises terms the user wants more of, lowers those they want less of (penalties the other way).

    Returns the indices of the terms it changed or added.
    """
    touched: set[int] = set()
    for wish in wishes:
        matched = [i for i, t in enumerate(program["terms"]) if any(_matches(w, t) for w in wish.words)]
        touched.update(matched)
        for i in matched:
            weight = float(program["terms"][i].get("weight", 1.0))
            same_sign = (wish.direction > 0) == (weight > 0)
            scale_term(program, i, strength if same_sign else 1 / strength, f"you asked: {wish.text}", notes)
        if not matched and wish.direction < 0:
            expr = next((_PENALTY_FOR_LESS[w] for w in wish.words if w in _PENALTY_FOR_LESS), None)
            if expr and len(program["terms"]) < MAX_TERMS:
                touched.add(len(program["terms"]))
                program["terms"].append({"term": "expr", "weight": round(-0.5 * strength, 3), "expr": expr})
                notes.append(f"added penalty -{expr} (you asked: {wish.text})")
                continue
        if not matched:
            notes.append(f"no term matches '{wish.text}'")
    return touched


def _stabilize(program: dict[str, Any], notes: list[str]) -> None:
    if not terms_named(program, _SMOOTH) and len(program["terms"]) < MAX_TERMS:
        program["terms"].append({"term": "action_rate", "weight": -0.01})
        notes.append("added action_rate smoothing")
    else:
        for i in terms_named(program, _SMOOTH):
            scale_term(program, i, 1.5, "smoother actions", notes)


def _fingerprint(program: dict[str, Any]) -> str:
    return json.dumps(program.get("terms"), sort_keys=True)


VARIANTS = ("Tuned", "Rebalanced", "Bold")


def rule_based_programs(
    program: dict[str, Any],
    term_shares: dict[str, float] | None,
    metrics: dict[str, Any] | None,
    words: str | None,
    robot: Robot | None = None,
    check: Callable[[Any, Robot], Any] | None = None,
) -> list[dict[str, Any]]:
    """Three deterministic refinements (as program JSON), each checked by the reward language when ``robot`` is given.

    Each starts from the run's own success check: every failed condition strengthens the terms and the
    motion prior behind it (``apply_failed_checks``). Then:

    1. Tuned: the user's words applied (or, with no words and no failed check, a gentle rebalance).
    2. Rebalanced: the reward shares and behavior metrics applied.
    3. Bold: both, stronger, plus smoothing.
    """
    wishes = parse_wishes(words)
    metrics = metrics or {}
    floating = bool(getattr(getattr(robot, "spec", None), "floating_base", True))
    base = copy.deepcopy(program)
    base.setdefault("terms", [])
    shares = shares_by_index(
        base, term_shares or {}, compiled_keys(base, robot) if robot is not None else None
    )

    # The run's failed success checks come first in every variant: they say what the behavior lacked.
    def tuned(p: dict[str, Any], n: list[str]) -> None:
        done = apply_failed_checks(p, metrics, 1.5, n, robot)
        if wishes:
            apply_wishes(p, wishes, 1.5, n)
        elif not done:
            apply_metrics(p, shares, metrics, 1.25, n, floating=floating)

    def rebalanced(p: dict[str, Any], n: list[str]) -> None:
        done = apply_failed_checks(p, metrics, 1.5, n, robot)
        apply_metrics(p, shares, metrics, 1.5, n, protect=done, floating=floating)

    def bold(p: dict[str, Any], n: list[str]) -> None:
        done = apply_failed_checks(p, metrics, 2.0, n, robot)
        done |= apply_wishes(p, wishes, 2.0, n)
        apply_metrics(p, shares, metrics, 2.0, n, protect=done, floating=floating)
        _stabilize(p, n)

    recipes: list[Callable[[dict[str, Any], list[str]], None]] = [tuned, rebalanced, bold]
    out: list[dict[str, Any]] = []
    seen = {_fingerprint(base)}
    for variant, recipe in zip(VARIANTS, recipes, strict=True):
        candidate = copy.deepcopy(base)
        notes: list[str] = []
        recipe(candidate, notes)
        if _fingerprint(candidate) in seen:  # nothing changed, or the same as another: nudge it apart
            _nudge(candidate, len(out), notes)
        candidate = _finish(candidate, base, variant, notes)
        if robot is not None and check is not None:
            try:
                check(candidate, robot)
            except ValueError as exc:  # ProgramCheckError
                notes = [f"kept the original: refinement failed ({exc})"]
                candidate = _finish(copy.deepcopy(base), base, variant, notes)
                _nudge(candidate, len(out), candidate["notes"])
        seen.add(_fingerprint(candidate))
        out.append(candidate)
    return out


def _nudge(program: dict[str, Any], k: int, notes: list[str]) -> None:
    """A small, deterministic change so the three refinements differ even when no rule fired."""
    terms = program["terms"]
    positive = [i for i, t in enumerate(terms) if float(t.get("weight", 1.0)) > 0]
    if k == 0 and positive:
        scale_term(program, positive[0], 1.25, "emphasise the main behavior", notes)
    elif k == 1 and len(positive) > 1:
        scale_term(program, positive[-1], 1.5, "give the supporting terms more say", notes)
    else:
        _stabilize(program, notes)


def _finish(
    candidate: dict[str, Any], base: dict[str, Any], variant: str, notes: list[str]
) -> dict[str, Any]:
    name = str(base.get("name") or "Approach")
    suffix = f" ({variant})"
    candidate["name"] = name[: MAX_NAME_CHARS - len(suffix)].rstrip() + suffix
    summary = str(base.get("summary") or "")
    candidate["summary"] = f"{variant} refinement: {summary}".strip()[:MAX_SUMMARY_CHARS]
    candidate["notes"] = [*notes] or ["no change suggested"]
    return candidate


# ----------------------------------------------------------------------------- entry point


def refine_approaches(
    model_id: str,
    program: dict[str, Any] | Any,
    term_shares: dict[str, float] | None = None,
    metrics: dict[str, Any] | None = None,
    words: str | None = None,
    *,
    provider: str | None = None,
    model: str | None = None,
    settings: Settings | None = None,
) -> DesignResult:
    """Three improved programs for a finished run.

    ``provider``: a configured provider name; None uses the default one if any is configured, else the
    built-in rules; ``"builtin"`` forces the rules. A provider failure is reported in ``error`` and the
    rule-based refinements are returned in its place. Raises ProviderConfigError for an unknown provider.
    """
    settings = settings or get_settings()
    start = time.perf_counter()
    program_json = (
        program.model_dump(mode="json") if hasattr(program, "model_dump") else copy.deepcopy(dict(program))
    )
    shares = dict(term_shares or {})
    metrics = dict(metrics or {})
    robot = load_robot(model_id)
    name = provider.strip().lower() if provider else None
    if name is None and any(i.ready for i in provider_infos(settings)):
        name = next(i.name for i in provider_infos(settings) if i.default)

    def rules() -> list[dict[str, Any]]:
        programs = rule_based_programs(program_json, shares, metrics, words, robot, check_candidate)
        return [_validated(p, robot) for p in programs]

    if name in (None, BUILTIN):
        return DesignResult(
            provider=BUILTIN,
            model=BUILTIN,
            kind=BUILTIN,
            label="Built-in refiner",
            approaches=[Approach(program=p, source=BUILTIN) for p in rules()],
            elapsed_s=time.perf_counter() - start,
        )
    config = provider_config(name, model, settings)
    result = run_session(
        config,
        robot,
        system_prompt(robot, task="refine"),
        refine_prompt(program_json, shares, metrics, words),
        settings=settings,
        fallback=rules,
        fallback_note=REFINER_NOTE,
        fallback_on_provider_error=True,
    )
    result.elapsed_s = time.perf_counter() - start
    return result


def _validated(data: dict[str, Any], robot: Robot) -> dict[str, Any]:
    """The program as the reward language normalises it (it was checked already; re-check is cheap)."""
    try:
        return check_candidate(data, robot).model_dump(mode="json")
    except ValueError:  # ProgramCheckError: keep it as it is
        return data


def refine_run(
    job: str | Path,
    words: str | None = None,
    *,
    provider: str | None = None,
    model: str | None = None,
    settings: Settings | None = None,
    studio_job_dir: StudioJobDir | None = None,
) -> DesignResult:
    """``load_run`` + ``refine_approaches``: three improved programs for a finished job (directory or id)."""
    run = load_run(job, settings, studio_job_dir=studio_job_dir)
    return refine_approaches(
        run.model_id,
        run.program,
        run.term_shares,
        run.metrics,
        words,
        provider=provider,
        model=model,
        settings=settings,
    )
