"""The repair session: ask a provider for programs, check each, send the errors back, fill the gaps.

One session serves designing and refining alike (:func:`run_session`): the reply is parsed with
``json.loads`` and every candidate is checked by the reward language only
(:func:`tabrl.rewards.validate.validate_program`: schema, compile, smoke test); nothing a model
writes is executed. Failures go back to the model with the exact error for up to
``llm_repair_rounds`` rounds; an approach still failing is replaced by a fallback program (the
built-in designer's, or the rule-based refiner's) marked as such. Whatever goes wrong inside one
provider's session, including exceptions nobody foresaw, ends up in that result's ``error`` or
its approaches' ``error``: it never reaches the caller, so one provider cannot fail a request
that others answered.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, computed_field

from tabrl.config import Settings
from tabrl.design.body_words import prior_off_named_limb
from tabrl.design.builtin import with_shape
from tabrl.design.prompting import reply_schema
from tabrl.design.providers import (
    OutputSpec,
    Provider,
    ProviderConfig,
    ProviderError,
    Reply,
    Turn,
    make_provider,
)
from tabrl.rewards import checks
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.limits import N_APPROACHES
from tabrl.rewards.program import RewardProgram
from tabrl.rewards.validate import exception_text, validate_program
from tabrl.robots.model import Robot
from tabrl.robots.observables import observables_of

log = logging.getLogger(__name__)

FALLBACK_NOTE = "fallback: built-in designer"
Check = Callable[[Any, "Robot"], "RewardProgram"]


class Approach(BaseModel):
    """One approach: a RewardProgram (as JSON) and where it came from."""

    program: dict[str, Any]
    source: str = Field(description="'llm', 'fallback' (built-in after the LLM failed) or 'builtin'.")
    fallback: bool = False
    error: str | None = Field(
        default=None, description="Why the LLM's approach was replaced (fallbacks only)."
    )
    rounds: int = Field(
        default=0, description="Requests it took to get this approach right (0: not from an LLM)."
    )


class DesignResult(BaseModel):
    """One provider's answer to one prompt, labelled by provider."""

    provider: str
    model: str
    kind: str
    label: str
    approaches: list[Approach] = Field(default_factory=list)
    error: str | None = Field(
        default=None, description="Provider failure (bad key, unknown model, timeout...)."
    )
    error_kind: str | None = None
    cached: bool = False
    requests: int = 0
    elapsed_s: float = 0.0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """No provider error and three approaches (some may be fallbacks)."""
        return self.error is None and len(self.approaches) == N_APPROACHES

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fallbacks(self) -> int:
        """How many approaches the built-in designer had to supply."""
        return sum(a.fallback for a in self.approaches)


class ReplyError(ValueError):
    """The reply as a whole is unusable (not JSON, wrong shape)."""


def extract_json(text: str) -> Any:
    """The JSON value in a reply's text (code fences and chatter around it allowed); ``json.loads`` only."""
    stripped = (text or "").strip()
    if not stripped:
        raise ReplyError('Your reply was empty. Reply with one JSON object: {"approaches": [...]}.')
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0].strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as first:
        starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
        if starts:
            try:
                value, _ = json.JSONDecoder().raw_decode(stripped[min(starts) :])
                return value
            except json.JSONDecodeError:
                pass
        raise ReplyError(
            f"Your reply is not valid JSON: {first.msg} at line {first.lineno} column {first.colno} "
            f"(char {first.pos}). Reply with one JSON object only."
        ) from None


def reply_items(reply: Reply) -> list[Any]:
    """The list of candidate programs in a reply, or ReplyError saying what is wrong with its shape."""
    data = reply.data
    if data is None:
        try:
            data = extract_json(reply.text)
        except ReplyError as exc:
            if reply.finish_reason in ("length", "max_tokens"):
                raise ReplyError(
                    f"{exc} Your reply was cut off at the token limit: keep the programs short."
                ) from None
            raise
    if isinstance(data, dict) and isinstance(data.get("approaches"), str):  # some models double-encode
        data = {"approaches": extract_json(data["approaches"])}
    if isinstance(data, dict) and isinstance(data.get("approaches"), list):
        return data["approaches"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "terms" in data:
        return [data]
    raise ReplyError(
        'The reply must be a JSON object {"approaches": [three reward programs]}; '
        f"got {type(data).__name__} with keys {sorted(data)[:8] if isinstance(data, dict) else '-'}."
    )


class Slot:
    """One approach being asked for: the valid program once there is one, else the latest error."""

    __slots__ = ("program", "error", "rounds")

    def __init__(self, error: str = "no reply yet") -> None:
        self.program: RewardProgram | None = None
        self.error: str | None = error
        self.rounds = 0


def check_candidate(data: Any, robot: Robot) -> RewardProgram:
    """The candidate through the reward language's one validation path (imported late: it pulls in numpy
    and MuJoCo); a program that left out the motion prior or the success check gets the ones its own
    terms describe."""
    import numpy as np

    program = validate_program(data, robot)
    if program.success is not None:  # outcome names against this robot's limbs and objects
        checks.check_conditions(program.success, robot.spec, observables_of(robot))
    if program.motion is None or program.success is None:
        program = with_shape(program, robot.spec, robot.profile.robot, explain=False, model=robot)
        compile_program(program, robot.spec, np)
    return program


def words_check(prompt: str) -> Callable[[Any, Robot], RewardProgram]:
    """The repair loop's candidate check for ``prompt``: the reward language's own, then the body plan's
    (a prior on the legs for an arm gesture is sent back with the arm it should move)."""

    def check(data: Any, robot: Robot) -> RewardProgram:
        program = check_candidate(data, robot)
        problem = prior_off_named_limb(program, robot, prompt)
        if problem:
            raise ValueError(problem)
        return program

    return check


def _exception_text(exc: BaseException) -> str:
    return exception_text(exc)


def _feedback(slots: list[Slot], pending: list[int], whole: str | None) -> str:
    if whole:
        return (
            f'{whole}\nReply again with all three approaches as {{"approaches": [...]}}, '
            f"following the schema."
        )
    lines = [
        "Some approaches failed the checks. Reply again with all three approaches "
        "(keep the valid ones unchanged; fix the failing ones). Errors:"
    ]
    for i in pending:
        lines.append(f"Approach {i + 1}: {slots[i].error}")
    return "\n".join(lines)


def _same_program(a: Any, b: Any) -> bool:
    def strip(p: Any) -> str:
        return json.dumps(p.model_dump(mode="json", exclude={"name", "summary", "notes"}), sort_keys=True)

    return strip(a) == strip(b)


def converse(
    provider: Provider,
    robot: Robot,
    system: str,
    first_user: str,
    *,
    repair_rounds: int,
    n: int = N_APPROACHES,
    check: Check = check_candidate,
    deadline_s: float | None = None,
) -> tuple[list[Slot], int]:
    """Asks for ``n`` programs and repairs failures; returns the slots and the number of requests.

    Raises only when the first request fails (ProviderError, or whatever the client raised); later
    failures end the repairs. No repair round starts after ``deadline_s`` seconds.
    """
    started = time.monotonic()
    output = OutputSpec(schema=reply_schema(n), description=f"Submit exactly {n} reward programs.")
    slots = [Slot() for _ in range(n)]
    turns = [Turn("user", first_user)]
    requests = 0
    for round_no in range(1 + max(0, repair_rounds)):
        pending = [i for i, s in enumerate(slots) if s.program is None]
        if round_no and deadline_s is not None and time.monotonic() - started > deadline_s:
            for i in pending:
                slots[i].error = f"{slots[i].error} (no time left for another repair round)"
            break
        try:
            reply = provider.ask(system, turns, output)
        except Exception as exc:  # noqa: BLE001 - ProviderError, or a client's surprise
            if requests == 0:
                raise
            for i in pending:
                slots[i].error = f"{slots[i].error} (repair request failed: {exc})"
            break
        requests += 1
        turns.append(Turn("assistant", reply=reply))
        whole = None
        try:
            items = reply_items(reply)
        except Exception as exc:  # noqa: BLE001 - ReplyError, or e.g. a number too long for int(): the reply's fault
            whole = (
                str(exc)
                if isinstance(exc, ReplyError)
                else (
                    f"Your reply could not be read ({_exception_text(exc)}). Reply with one JSON object only."
                )
            )
            for i in pending:
                slots[i].error = whole
        else:
            if len(items) == n:
                chosen = {i: items[i] for i in pending}
            else:
                chosen = dict(zip(pending, items, strict=False))
            for i in pending:
                slots[i].rounds = round_no + 1
                if i not in chosen:
                    slots[i].error = f"missing: the reply held {len(items)} approaches; {n} are needed"
                    continue
                try:
                    program = check(chosen[i], robot)
                except Exception as exc:  # noqa: BLE001 - ProgramCheckError; any other failure is the candidate's too
                    slots[i].error = str(exc) if isinstance(exc, ValueError) else _exception_text(exc)
                    continue
                twin = next(
                    (
                        j + 1
                        for j, s in enumerate(slots)
                        if s.program is not None and _same_program(s.program, program)
                    ),
                    None,
                )
                if twin is not None:
                    slots[
                        i
                    ].error = f"duplicate: it is the same program as approach {twin}; make it differ in kind"
                    continue
                slots[i].program, slots[i].error = program, None
        pending = [i for i, s in enumerate(slots) if s.program is None]
        if not pending:
            break
        if round_no < repair_rounds:
            turns.append(Turn("user", _feedback(slots, pending, whole), is_error=True))
    return slots, requests


def _with_note(program: Any, note: str) -> dict[str, Any]:
    data = program.model_dump(mode="json") if hasattr(program, "model_dump") else dict(program)
    data["notes"] = [*(data.get("notes") or []), note]
    return data


def fill_fallbacks(
    slots: list[Slot], fallback: Callable[[], list[Any]], source: str = "llm", note: str = FALLBACK_NOTE
) -> list[Approach]:
    """Approaches from the slots; failed ones replaced by built-in programs with a note saying why."""
    approaches: list[Approach | None] = [None] * len(slots)
    used_names = set()
    for i, slot in enumerate(slots):
        if slot.program is not None:
            approaches[i] = Approach(
                program=slot.program.model_dump(mode="json"), source=source, rounds=slot.rounds
            )
            used_names.add(slot.program.name)
    failed = [i for i, s in enumerate(slots) if s.program is None]
    if failed:
        spare = fallback()
        taken: set[int] = set()
        for i in failed:
            order = [i % len(spare)] + list(range(len(spare)))
            pick = next(
                (j for j in order if j not in taken and getattr(spare[j], "name", None) not in used_names),
                next((j for j in order if j not in taken), i % len(spare)),
            )
            taken.add(pick)
            error = (slots[i].error or "unknown error")[:400]
            note_text = f"{note} (LLM approach failed: {error})"
            approaches[i] = Approach(
                program=_with_note(spare[pick], note_text),
                source="fallback",
                fallback=True,
                error=slots[i].error,
                rounds=slots[i].rounds,
            )
    return [a for a in approaches if a is not None]


def run_session(
    config: ProviderConfig,
    robot: Robot,
    system: str,
    user: str,
    *,
    settings: Settings,
    fallback: Callable[[], list[Any]],
    fallback_note: str = FALLBACK_NOTE,
    fallback_on_provider_error: bool = False,
    check: Check = check_candidate,
) -> DesignResult:
    """One provider's session: its approaches (failed ones replaced from ``fallback()``) or its ``error``.

    A provider failure (bad key, timeout, unknown model...) sets ``error``; with
    ``fallback_on_provider_error`` every approach then comes from ``fallback()`` too. Never raises
    for anything the provider or its replies do.
    """
    result = DesignResult(provider=config.name, model=config.model, kind=config.kind, label=config.label)
    failed: str | None = None
    try:
        provider = make_provider(config)
        try:
            slots, result.requests = converse(
                provider,
                robot,
                system,
                user,
                repair_rounds=settings.llm_repair_rounds,
                deadline_s=settings.llm_deadline_s,
                check=check,
            )
        finally:
            provider.close()
    except ProviderError as exc:
        result.error, result.error_kind, failed = str(exc), exc.kind, str(exc)
    except Exception as exc:  # noqa: BLE001 - a surprise in one provider's session stays in its result
        log.exception("LLM session with %s failed", config.name)
        failed = f"unexpected error in the session with {config.name}: {_exception_text(exc)}"
        result.error, result.error_kind = failed, "internal"
    if failed is not None:
        if not fallback_on_provider_error:
            return result
        slots = [Slot(failed) for _ in range(N_APPROACHES)]
    result.approaches = fill_fallbacks(slots, fallback, note=fallback_note)
    return result
