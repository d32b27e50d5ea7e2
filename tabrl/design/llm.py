"""Prompt -> three RewardPrograms from LLM providers, validated and repaired.

What the service and the CLI call:

- ``list_providers()`` — configured providers, safe to show (``GET /api/llm/providers``).
- ``design_with_provider(model_id, prompt, provider, model, fresh=...)`` — one provider's three
  approaches (cached per robot, prompt, provider and model unless ``fresh``).
- ``design_with_providers(model_id, prompt, providers, fresh=...)`` — several at once, run
  concurrently, each result labelled by provider; the name ``builtin`` asks the offline designer.

A reply is parsed with ``json.loads`` and checked by the reward language only: schema
validation, compilation and a smoke test on sample states. Nothing a model writes is executed.
Failures go back to the model with the exact error for up to ``llm_repair_rounds`` rounds; an
approach still failing is replaced by one from the built-in designer and marked as a fallback.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, ValidationError, computed_field

from tabrl.config import Settings, get_settings
from tabrl.design.cache import ApproachCache, cache_key, normalize_prompt
from tabrl.design.providers import (
    OutputSpec,
    Provider,
    ProviderConfig,
    ProviderConfigError,
    ProviderError,
    ProviderInfo,
    Reply,
    Turn,
    make_provider,
    provider_config,
    provider_infos,
)

log = logging.getLogger(__name__)

PROMPT_VERSION = 2  # part of the cache key: change it when prompts change what a reply means
N_APPROACHES = 3
BUILTIN = "builtin"
FALLBACK_NOTE = "fallback: built-in designer"


class Approach(BaseModel):
    """One approach: a RewardProgram (as JSON) and where it came from."""

    program: dict[str, Any]
    source: str = Field(description="'llm', 'fallback' (built-in after the LLM failed) or 'builtin'.")
    fallback: bool = False
    error: str | None = Field(default=None, description="Why the LLM's approach was replaced (fallbacks only).")
    rounds: int = Field(default=0, description="Requests it took to get this approach right (0: not from an LLM).")


class DesignResult(BaseModel):
    """One provider's answer to one prompt, labelled by provider."""

    provider: str
    model: str
    kind: str
    label: str
    approaches: list[Approach] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Provider failure (bad key, unknown model, timeout...).")
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


class ProgramCheckError(ValueError):
    """A candidate program failed a check; ``stage`` is schema, compile or smoke test."""

    def __init__(self, stage: str, message: str):
        super().__init__(f"{stage}: {message}")
        self.stage, self.message = stage, message


class ReplyError(ValueError):
    """The reply as a whole is unusable (not JSON, wrong shape)."""


# --------------------------------------------------------------------------- providers


def list_providers(settings: Settings | None = None) -> list[ProviderInfo]:
    """Configured providers, ready or not, without keys (for ``GET /api/llm/providers``)."""
    return provider_infos(settings)


def providers_payload(settings: Settings | None = None) -> dict[str, Any]:
    """JSON for ``GET /api/llm/providers``: the providers, the default and whether the builtin is there."""
    infos = list_providers(settings)
    return {"providers": [i.model_dump() for i in infos],
            "default": next((i.name for i in infos if i.default), None),
            "builtin": True}


# --------------------------------------------------------------------------- reward language


def _rewards():
    """The reward language (imported late: it pulls in numpy/jax machinery)."""
    from tabrl.rewards import compiler, program, smoke

    return program, compiler, smoke


def program_schema() -> dict[str, Any]:
    """The RewardProgram JSON Schema as the reward language publishes it."""
    program, _, _ = _rewards()
    return program.RewardProgram.json_schema()


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolves local ``#/$defs/...`` references (some providers reject ``$ref``); keeps recursive ones."""
    defs = schema.get("$defs") or schema.get("definitions") or {}
    recursive = False

    def resolve(node: Any, stack: tuple[str, ...]) -> Any:
        nonlocal recursive
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
                name = ref.rsplit("/", 1)[1]
                if name in stack or name not in defs:
                    recursive = True
                    return node
                merged = {k: v for k, v in node.items() if k != "$ref"}
                target = resolve(defs[name], stack + (name,))
                return {**target, **merged} if merged else target
            # "discriminator" maps tags to "#/$defs/..." strings; the inlined oneOf with const tags says the same.
            return {k: resolve(v, stack) for k, v in node.items() if k not in ("$defs", "definitions", "discriminator")}
        if isinstance(node, list):
            return [resolve(v, stack) for v in node]
        return node

    out = resolve(schema, ())
    if recursive:
        out["$defs"] = defs
    return out


def reply_schema(n: int = N_APPROACHES) -> dict[str, Any]:
    """The schema of a whole reply: ``{"approaches": [n RewardPrograms]}``."""
    program = copy.deepcopy(program_schema())
    defs = program.pop("$defs", {})
    wrapper = {
        "type": "object",
        "properties": {"approaches": {"type": "array", "items": program, "minItems": n, "maxItems": n,
                                      "description": f"Exactly {n} reward programs that differ in kind."}},
        "required": ["approaches"],
    }
    if defs:
        wrapper["$defs"] = defs
    return _inline_refs(wrapper)


def _format_validation_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(program)"
        lines.append(f"{loc}: {err.get('msg')}")
    return "; ".join(lines)


def check_program(data: Any, robot: Any) -> Any:
    """Validates, compiles and smoke-tests one candidate; returns the RewardProgram or raises ProgramCheckError.

    ``data`` is parsed JSON (dict). It is only ever handed to the reward language's validators.
    """
    program_mod, compiler, smoke = _rewards()
    import numpy as np

    if not isinstance(data, dict):
        raise ProgramCheckError("schema", f"an approach must be a JSON object, got {type(data).__name__}")
    try:
        program = program_mod.RewardProgram.parse(data)
    except ValidationError as exc:
        raise ProgramCheckError("schema", _format_validation_error(exc)) from None
    except ValueError as exc:  # ProgramError: the reward language's own readable message
        raise ProgramCheckError("schema", str(exc)) from None
    try:
        compiler.compile_program(program, robot.spec, np)
    except ValidationError as exc:
        raise ProgramCheckError("compile", _format_validation_error(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any compile failure is the program's fault, reported back
        raise ProgramCheckError("compile", _exc_text(exc)) from None
    try:
        smoke.smoke_test(program, robot)
    except Exception as exc:  # noqa: BLE001 - ProgramError and friends
        raise ProgramCheckError("smoke test", _exc_text(exc)) from None
    if program.motion is None or program.success is None:
        # A model that left out the prior or the check gets the ones its own terms describe.
        from tabrl.design.builtin import with_shape

        program = with_shape(program, robot.spec, robot.profile.robot, explain=False)
        compiler.compile_program(program, robot.spec, np)
    return program


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
    name = type(exc).__name__
    return text if name in ("ProgramError", "ValueError", "ExpressionError") else f"{name}: {text}"


def extract_json(text: str) -> Any:
    """The JSON value in a reply's text (code fences and chatter around it allowed); ``json.loads`` only."""
    stripped = (text or "").strip()
    if not stripped:
        raise ReplyError("Your reply was empty. Reply with one JSON object: {\"approaches\": [...]}.")
    if stripped.startswith("```"):
        stripped = stripped.split("\n", 1)[1] if "\n" in stripped else ""
        stripped = stripped.rsplit("```", 1)[0].strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as first:
        starts = [i for i in (stripped.find("{"), stripped.find("[")) if i >= 0]
        if starts:
            try:
                value, _ = json.JSONDecoder().raw_decode(stripped[min(starts):])
                return value
            except json.JSONDecodeError:
                pass
        raise ReplyError(f"Your reply is not valid JSON: {first.msg} at line {first.lineno} column {first.colno} "
                         f"(char {first.pos}). Reply with one JSON object only.") from None


def reply_items(reply: Reply) -> list[Any]:
    """The list of candidate programs in a reply, or ReplyError saying what is wrong with its shape."""
    data = reply.data
    if data is None:
        try:
            data = extract_json(reply.text)
        except ReplyError as exc:
            if reply.finish_reason in ("length", "max_tokens"):
                raise ReplyError(f"{exc} Your reply was cut off at the token limit: keep the programs short.") from None
            raise
    if isinstance(data, dict) and isinstance(data.get("approaches"), str):  # some models double-encode
        data = {"approaches": extract_json(data["approaches"])}
    if isinstance(data, dict) and isinstance(data.get("approaches"), list):
        return data["approaches"]
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and "terms" in data:
        return [data]
    raise ReplyError('The reply must be a JSON object {"approaches": [three reward programs]}; '
                     f"got {type(data).__name__} with keys {sorted(data)[:8] if isinstance(data, dict) else '-'}.")


# --------------------------------------------------------------------------- prompting


def robot_text(robot: Any) -> str:
    """The robot's facts in a few lines: joints with their indices, groups, feet, end effectors, time steps."""
    profile, spec = robot.profile, robot.spec
    base = "floating base" if spec.floating_base else "fixed base"
    groups = "\n".join(f"  {name}: {', '.join(spec.joint_names[i] for i in idx)}" for name, idx in spec.groups.items())
    return "\n".join([
        f"model: {robot.model_id} ({profile.name}, {profile.category}, {base}, base body '{profile.base_body}')",
        f"control step: {robot.ctrl_dt:g} s (physics {robot.sim_dt:g} s); action size {robot.action_size}; "
        f"standing height {float(spec.standing_height):.3f} m; each video shows 10 s",
        "joints (index into q, qd, q_rel): " + ", ".join(f"{i} {n}" for i, n in enumerate(spec.joint_names)),
        "joint groups (use the names in params and as q_<group>, qd_<group>):\n" + (groups or "  (none)"),
        "joint default pose and range (rad; a motion prior's offset ± amplitude must stay inside): "
        + ", ".join(f"{n} {float(d):.2f} [{float(lo):.2f}, {float(hi):.2f}]" for n, d, (lo, hi) in
                    zip(spec.joint_names, spec.default_joint_pos, spec.joint_range)),
        "motion priors: " + ("yes (position-controlled joints)" if getattr(spec, "position_control", False)
                             else "no (motor-driven: leave 'motion' out)"),
        "feet: " + (", ".join(spec.feet) or "none"),
        "end effectors: " + (", ".join(spec.ee) or "none"),
    ])


def _features_text(robot: Any) -> str:
    """One line per feature this robot has, with its shape in this robot's sizes."""
    from tabrl.rewards import features as features_mod

    spec = robot.spec
    sizes = {"nj": spec.n_joints, "nu": robot.action_size, "nfeet": len(spec.feet), "nee": len(spec.ee)}
    docs: dict[str, Any] = dict(getattr(features_mod, "FEATURES", {}))
    for pattern, doc in getattr(features_mod, "GROUP_FEATURES", {}).items():
        text = doc[1] if isinstance(doc, tuple) and len(doc) == 2 else str(doc)
        if spec.groups:
            docs[pattern.replace("{group}", "<group>")] = ("group", f"{text}; one value per joint of the group")
    lines = []
    for name, doc in docs.items():
        shape, text = doc if isinstance(doc, tuple) and len(doc) == 2 else ("", str(doc))
        dims = [sizes.get(d.strip(), d.strip()) for d in str(shape).split(",") if d.strip()]
        if any(d == 0 for d in dims):
            continue  # e.g. feet features on a robot without feet
        shown = f" [{', '.join(str(d) for d in dims)}]" if dims else " (scalar)"
        lines.append(f"- {name}{shown}: {text}")
    return "\n".join(lines) or "(see the schema)"


def _terms_text(robot: Any) -> str:
    """The primitive terms this robot can use, with their parameters, and the expression functions."""
    from tabrl.rewards import expressions
    from tabrl.rewards import terms as terms_mod

    spec = robot.spec
    has = {"feet": bool(spec.feet), "ee": bool(spec.ee), "floating_base": bool(spec.floating_base)}
    lines = []
    for name, definition in terms_mod.TERMS.items():
        needs = getattr(definition, "needs", ())
        if not all(has.get(n, True) for n in needs):
            continue
        fields = getattr(getattr(definition, "params", None), "model_fields", {})
        params = ", ".join(f"{k}={'required' if f.is_required() else json.dumps(f.default, default=str)}"
                           for k, f in fields.items())
        doc = " ".join(str(getattr(definition, "description", "")).split())
        lines.append(f"- {name} [{getattr(definition, 'category', '')}]({params}): {doc}")
    lines.append('- expr (expr="..."): a safe expression over the features; functions: '
                 + ", ".join(f"{k}/{v[0]}" for k, v in expressions.FUNCTIONS.items())
                 + "; arithmetic, comparisons (give 0/1), indexing like base_lin_vel[0]; vectors reduce to their mean.")
    return "\n".join(lines)


# Worked examples for the prompt: (robot and request, three approaches). Tests check they are valid.
EXAMPLES: list[tuple[str, list[dict[str, Any]]]] = [
    ("Go1JoystickFlatTerrain (quadruped): spin in place", [
        {"name": "Spin Tracker", "summary": "Reward the turning rate directly and stay on the spot.",
         "notes": ["primitive terms aimed straight at the motion"],
         "motion": {"parts": [{"group": "hip", "amplitude": 0.2, "frequency_hz": 2.5, "pattern": "trot"},
                              {"group": "knee", "amplitude": 0.2, "frequency_hz": 2.5, "pattern": "trot", "phase": 0.25},
                              {"group": "hip_abduction", "amplitude": 0.15, "frequency_hz": 2.5,
                               "pattern": "left_right", "phase": 0.75}], "residual": 0.6},
         "success": "abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1", "terms": [
             {"term": "spin", "weight": 2.0, "params": {"yaw_rate": 1.5}},
             {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.3}},
             {"term": "upright", "weight": 1.0},
             {"term": "action_rate", "weight": -0.01}]},
        {"name": "Trotting Turn", "summary": "Turn through a trot rhythm, like a joystick command.",
         "notes": ["shapes the motion through gait timing"],
         "motion": {"parts": [{"group": "hip", "amplitude": 0.2, "frequency_hz": 2.0, "pattern": "trot"},
                              {"group": "knee", "amplitude": 0.25, "frequency_hz": 2.0, "pattern": "trot",
                               "phase": 0.25}], "residual": 0.6},
         "success": "yaw_rate >= 0.9 and falls < 1", "terms": [
             {"term": "track_velocity", "weight": 2.0, "params": {"vx": 0.0, "vy": 0.0, "yaw_rate": 1.5}},
             {"term": "foot_contact_pattern", "weight": 0.5, "params": {"pattern": "trot", "frequency_hz": 2.0}},
             {"term": "upright", "weight": 0.5},
             {"term": "action_rate", "weight": -0.01}]},
        {"name": "Heading Sweep", "summary": "Expressions: turn counter-clockwise, no drift, stay level.",
         "notes": ["written as expressions over features"],
         "success": [{"metric": "yaw_rate", "op": ">=", "value": 0.9}, {"metric": "drift", "op": "<=", "value": 0.5}],
         "terms": [
             {"term": "expr", "weight": 1.0, "expr": "clip(yaw_rate, -0.5, 2.0)"},
             {"term": "expr", "weight": -0.5, "expr": "drift"},
             {"term": "expr", "weight": -0.5, "expr": "abs(roll) + abs(pitch)"},
             {"term": "action_rate", "weight": -0.01}]},
    ]),
    ("PandaPickCube (arm with one end effector): draw circles in the air", [
        {"name": "Circle Tracer", "summary": "Follow a moving point around a vertical circle.", "notes": [],
         "motion": {"parts": [{"joint": "joint1", "amplitude": 0.3, "frequency_hz": 0.5},
                              {"joint": "joint2", "amplitude": 0.3, "frequency_hz": 0.5, "phase": 0.25}],
                    "residual": 0.5},
         "success": "ee_extent >= 0.12 and ee_extent2 >= 0.08", "terms": [
             {"term": "ee_path", "weight": 2.0, "params": {"shape": "circle", "radius": 0.15, "plane": "xz",
                                                            "frequency_hz": 0.5}},
             {"term": "action_rate", "weight": -0.01}]},
        {"name": "Shoulder Rhythm", "summary": "Swing shoulder and elbow in rhythm so the hand loops.", "notes": [],
         "motion": {"parts": [{"group": "shoulder", "amplitude": 0.4, "frequency_hz": 0.5, "pattern": "wave"},
                              {"group": "elbow", "amplitude": 0.3, "frequency_hz": 0.5, "pattern": "wave"}]},
         "success": "shoulder_amplitude >= 0.2 and ee_path_length >= 1.0", "terms": [
             {"term": "joint_sine", "weight": 1.0, "params": {"group": "shoulder", "amplitude": 0.4,
                                                               "frequency_hz": 0.5, "pattern": "wave"}},
             {"term": "joint_sine", "weight": 0.5, "params": {"group": "elbow", "amplitude": 0.3,
                                                               "frequency_hz": 0.5, "pattern": "wave"}},
             {"term": "joint_limits", "weight": -1.0},
             {"term": "action_rate", "weight": -0.01}]},
        {"name": "Hand Speed", "summary": "Keep the hand moving at a steady pace, wrist still.", "notes": [],
         "terms": [
             {"term": "expr", "weight": 1.0, "expr": "clip(sum(abs(qd_shoulder)), 0, 2)"},
             {"term": "joint_pose", "weight": 0.5, "params": {"group": "wrist", "offset": 0.0}},
             {"term": "energy", "weight": -0.001},
             {"term": "action_rate", "weight": -0.01}]},
    ]),
]


MOTION_AND_CHECKS = """## Motion priors and success checks (give both with every approach)
A few tens of thousands of training steps are too few to discover a rhythm or a gait from a reward
alone. So each approach may carry a "motion" prior: a reference motion per joint group (or joint)
that the policy's action is added to as a residual: target = default pose + offset + amplitude *
sin(2 pi (frequency_hz * t + phase + pattern)) + residual * action. The behavior is then visible
from the first step, and the rewards only have to stabilise and refine it. Give one whenever the
behavior has a shape:
- rhythms (shake, wag, dance, nod): a sine on the group the words name, at the rewarded frequency
  and pattern, e.g. {"parts": [{"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0}]};
- gaits (walk, trot, spin, jump): thighs and knees with a trot pattern, knees a quarter cycle ahead,
  e.g. [{"group": "hip", "amplitude": 0.3, "frequency_hz": 2.0, "pattern": "trot"},
  {"group": "knee", "amplitude": 0.3, "frequency_hz": 2.0, "pattern": "trot", "phase": 0.25}],
  "residual": 0.6; all legs together ("sync") for jumping;
- postures (sit, lie down, crouch, bow): pose offsets ("offset") that bend the legs, with
  "joint_scale" per joint where axes are mirrored;
- arm paths (wave, circle): sines on two shoulder joints a quarter cycle apart trace a loop;
- hands (open and close, wiggle): an offset plus a sine on the finger joints.
Keep offset ± amplitude inside each joint's range (listed above) and the rhythmic reward terms at
the prior's frequency (the policy's clock follows the first sine). Leave "motion" out on
motor-driven robots. "residual" 0.3-0.7: lower keeps the prior's shape, higher lets the policy
balance; "other_residual" (default 1.0) is the policy's share on joints no part names: 0.3 keeps a
legged robot standing while it learns.
"success" says how to tell the behavior worked, measured on the 10 s video's trajectory, e.g.
"abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1" or "hip_abduction_amplitude >= 0.15 and
upright >= 0.9"; use the metric names of the schema (joint-group metrics are <group>_amplitude,
<group>_frequency, <group>_offset) and thresholds a clearly visible behavior reaches."""


def system_prompt(robot: Any, *, task: str = "design") -> str:
    """Instructions, robot facts, features, terms, schema and worked examples."""
    parts = [
        "You design reward functions for reinforcement learning of MuJoCo robots in TabRL's reward language. "
        "A reward program is JSON data: a list of weighted terms, each a library primitive with typed params "
        "or a safe arithmetic expression over named features. Never write code: no imports, no attribute "
        "access, no function calls beyond the allowed math functions. Anything else is rejected.",
        "Reply with JSON only, matching the schema below: {\"approaches\": [three reward programs]}.",
        "Rules: the three approaches must differ in kind (for example: one built from library primitives that "
        "target the motion directly; one that shapes it through rhythm, phase or contact timing; one that uses "
        "expressions over features or a different body part or strategy), not just in weights. Positive "
        "weights reward, negative weights penalise. Keep the robot stable (an upright/alive term for robots "
        "with a floating base) and actions smooth (a small action_rate penalty). Use only joint groups, feet "
        "and features this robot has. 3 to 8 terms each. 'name' is 2-4 words, 'summary' one sentence.",
        "## Robot\n" + robot_text(robot),
        "## Features (use them in expressions by name; vectors take an index, e.g. base_lin_vel[0])\n"
        + _features_text(robot),
    ]
    parts.append("## Terms this robot can use (params with defaults; regularisers take negative weights)\n"
                 + _terms_text(robot))
    parts.append(MOTION_AND_CHECKS)
    schema = {k: v for k, v in program_schema().items() if k != "description"}  # features are listed above
    parts.append("## Reward program JSON Schema\n" + json.dumps(schema, separators=(",", ":")))
    for i, (prompt, programs) in enumerate(EXAMPLES, 1):
        parts.append(f"## Example {i} (another robot's groups may differ: use this robot's)\nRequest: {prompt}\n"
                     f"Reply: " + json.dumps({"approaches": programs}))
    if task == "refine":
        parts.append("You are improving a program that was already trained: read its reward shares and the "
                     "measured behavior, then propose three improved programs that differ in kind.")
    return "\n\n".join(parts)


def user_prompt(robot: Any, prompt: str) -> str:
    return (f"Robot: {robot.model_id} ({robot.profile.name}).\nBehavior wanted: {prompt.strip()}\n"
            f"Give three approaches that differ in kind, as JSON.")


# --------------------------------------------------------------------------- the repair loop


class _Slot:
    __slots__ = ("program", "error", "rounds")

    def __init__(self) -> None:
        self.program: Any = None
        self.error: str | None = "no reply yet"
        self.rounds = 0


def _feedback(slots: list[_Slot], pending: list[int], whole: str | None) -> str:
    if whole:
        return (f"{whole}\nReply again with all three approaches as {{\"approaches\": [...]}}, "
                f"following the schema.")
    lines = ["Some approaches failed the checks. Reply again with all three approaches "
             "(keep the valid ones unchanged; fix the failing ones). Errors:"]
    for i in pending:
        lines.append(f"Approach {i + 1}: {slots[i].error}")
    return "\n".join(lines)


def _same_program(a: Any, b: Any) -> bool:
    strip = lambda p: json.dumps(p.model_dump(mode="json", exclude={"name", "summary", "notes"}), sort_keys=True)  # noqa: E731
    return strip(a) == strip(b)


def converse(provider: Provider, robot: Any, system: str, first_user: str, *, repair_rounds: int,
             n: int = N_APPROACHES, check: Callable[[Any, Any], Any] = check_program,
             deadline_s: float | None = None) -> tuple[list[_Slot], int]:
    """Asks for ``n`` programs and repairs failures; returns the slots and the number of requests.

    Raises ProviderError only when the first request fails (later failures end the repairs). No
    repair round starts after ``deadline_s`` seconds.
    """
    started = time.monotonic()
    output = OutputSpec(schema=reply_schema(n), description=f"Submit exactly {n} reward programs.")
    slots = [_Slot() for _ in range(n)]
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
        except ProviderError as exc:
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
        except ReplyError as exc:
            whole = str(exc)
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
                except ProgramCheckError as exc:
                    slots[i].error = str(exc)
                    continue
                twin = next((j + 1 for j, s in enumerate(slots) if s.program is not None
                             and _same_program(s.program, program)), None)
                if twin is not None:
                    slots[i].error = f"duplicate: it is the same program as approach {twin}; make it differ in kind"
                    continue
                slots[i].program, slots[i].error = program, None
        pending = [i for i, s in enumerate(slots) if s.program is None]
        if not pending:
            break
        if round_no < repair_rounds:
            turns.append(Turn("user", _feedback(slots, pending, whole), is_error=True))
    return slots, requests


def builtin_programs(model_id: str, prompt: str) -> list[Any]:
    """The offline designer's three programs."""
    from tabrl.design.builtin import design_approaches

    return list(design_approaches(model_id, prompt))


def _with_note(program: Any, note: str) -> dict[str, Any]:
    data = program.model_dump(mode="json") if hasattr(program, "model_dump") else dict(program)
    data["notes"] = [*(data.get("notes") or []), note]
    return data


def fill_fallbacks(slots: list[_Slot], fallback: Callable[[], list[Any]], source: str = "llm") -> list[Approach]:
    """Approaches from the slots; failed ones replaced by built-in programs with a note saying why."""
    approaches: list[Approach | None] = [None] * len(slots)
    used_names = set()
    for i, slot in enumerate(slots):
        if slot.program is not None:
            approaches[i] = Approach(program=slot.program.model_dump(mode="json"), source=source, rounds=slot.rounds)
            used_names.add(slot.program.name)
    failed = [i for i, s in enumerate(slots) if s.program is None]
    if failed:
        spare = fallback()
        taken: set[int] = set()
        for i in failed:
            order = [i % len(spare)] + list(range(len(spare)))
            pick = next((j for j in order if j not in taken and getattr(spare[j], "name", None) not in used_names),
                        next((j for j in order if j not in taken), i % len(spare)))
            taken.add(pick)
            error = (slots[i].error or "unknown error")[:400]
            note = f"{FALLBACK_NOTE} (LLM approach failed: {error})"
            approaches[i] = Approach(program=_with_note(spare[pick], note), source="fallback", fallback=True,
                                     error=slots[i].error, rounds=slots[i].rounds)
    return [a for a in approaches if a is not None]


# --------------------------------------------------------------------------- public entry points


def _checked_prompt(prompt: str) -> str:
    """The stripped prompt; DesignError (a ValueError) if empty or too long, as the built-in designer decides."""
    from tabrl.design.builtin import check_prompt

    return check_prompt(prompt)


def _design_key(model_id: str, prompt: str, config: ProviderConfig) -> str:
    return cache_key(kind="design", v=PROMPT_VERSION, model_id=model_id, prompt=normalize_prompt(prompt),
                     provider=config.name, provider_kind=config.kind, model=config.model, base_url=config.base_url)


def _builtin_result(model_id: str, prompt: str) -> DesignResult:
    start = time.perf_counter()
    programs = builtin_programs(model_id, prompt)
    return DesignResult(provider=BUILTIN, model=BUILTIN, kind=BUILTIN, label="Built-in designer",
                        approaches=[Approach(program=p.model_dump(mode="json"), source=BUILTIN) for p in programs],
                        elapsed_s=time.perf_counter() - start)


def design_with_config(model_id: str, prompt: str, config: ProviderConfig, *, fresh: bool = False,
                       settings: Settings | None = None, robot: Any = None) -> DesignResult:
    """Three approaches from one configured provider; provider failures are reported in ``error``."""
    settings = settings or get_settings()
    start = time.perf_counter()
    result = DesignResult(provider=config.name, model=config.model, kind=config.kind, label=config.label)
    cache = ApproachCache() if settings.llm_cache else None
    key = _design_key(model_id, prompt, config)
    if cache is not None and not fresh:
        stored = cache.get(key)
        if stored is not None:
            try:
                hit = DesignResult.model_validate(stored)
                return hit.model_copy(update={"cached": True, "elapsed_s": time.perf_counter() - start})
            except ValidationError:
                log.warning("ignoring stale cache entry %s", key)
    if robot is None:
        from tabrl.robots.catalog import load_robot

        robot = load_robot(model_id)
    provider = make_provider(config)
    try:
        slots, requests = converse(provider, robot, system_prompt(robot), user_prompt(robot, prompt),
                                   repair_rounds=settings.llm_repair_rounds, deadline_s=settings.llm_deadline_s)
    except ProviderError as exc:
        result.error, result.error_kind = str(exc), exc.kind
        result.elapsed_s = time.perf_counter() - start
        return result
    finally:
        provider.close()
    result.requests = requests
    result.approaches = fill_fallbacks(slots, lambda: builtin_programs(model_id, prompt))
    result.elapsed_s = time.perf_counter() - start
    if cache is not None and result.fallbacks < len(result.approaches):
        cache.put(key, result.model_dump(mode="json"))
    return result


def design_with_provider(model_id: str, prompt: str, provider: str | None = None, model: str | None = None, *,
                         fresh: bool = False, settings: Settings | None = None) -> DesignResult:
    """Three approaches from provider ``provider`` (the default one when None), optionally another model.

    Raises ProviderConfigError for an unknown or unready provider, UnknownModel for an unknown robot,
    DesignError for an empty or too long prompt. ``provider="builtin"`` returns the offline designer's approaches.
    """
    prompt = _checked_prompt(prompt)
    if provider and provider.strip().lower() == BUILTIN:
        return _builtin_result(model_id, prompt)
    config = provider_config(provider, model, settings)
    return design_with_config(model_id, prompt, config, fresh=fresh, settings=settings)


def design_with_providers(model_id: str, prompt: str, providers: Sequence[str] | None = None, *,
                          models: Mapping[str, str] | None = None, fresh: bool = False,
                          settings: Settings | None = None) -> list[DesignResult]:
    """Each named provider's three approaches (all ready providers when None), asked concurrently.

    Results come back in the order asked; a provider that fails carries ``error`` (configuration
    problems included) and does not affect the others.
    """
    from tabrl.robots.catalog import load_robot

    prompt = _checked_prompt(prompt)
    settings = settings or get_settings()
    models = {k.lower(): v for k, v in (models or {}).items()}
    if providers is None:
        names = [i.name for i in provider_infos(settings) if i.ready]
    else:
        names = list(dict.fromkeys(p.strip().lower() for p in providers if p.strip()))
    robot = load_robot(model_id) if any(n != BUILTIN for n in names) else None

    def one(name: str) -> DesignResult:
        if name == BUILTIN:
            return _builtin_result(model_id, prompt)
        try:
            config = provider_config(name, models.get(name), settings)
        except ProviderConfigError as exc:
            return DesignResult(provider=name, model=models.get(name) or "", kind="", label=name,
                                error=str(exc), error_kind=exc.kind)
        return design_with_config(model_id, prompt, config, fresh=fresh, settings=settings, robot=robot)

    if not names:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="tabrl-llm") as pool:
        return list(pool.map(one, names))


async def adesign_with_providers(model_id: str, prompt: str, providers: Sequence[str] | None = None,
                                 **kwargs: Any) -> list[DesignResult]:
    """``design_with_providers`` for async callers (FastAPI): runs in a worker thread."""
    return await asyncio.to_thread(design_with_providers, model_id, prompt, providers, **kwargs)


async def adesign_with_provider(model_id: str, prompt: str, provider: str | None = None, model: str | None = None,
                                **kwargs: Any) -> DesignResult:
    """``design_with_provider`` for async callers."""
    return await asyncio.to_thread(design_with_provider, model_id, prompt, provider, model, **kwargs)
