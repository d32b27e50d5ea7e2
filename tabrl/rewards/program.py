"""RewardProgram: an approach to a behavior, as data (JSON) an LLM can write.

A program is a list of weighted terms; each term is a library primitive with typed params or
a safe expression over feature names. The JSON Schema (``tabrl schema``) is a discriminated
union on ``term``, so a validator (or a model's structured output) knows every term's params.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from pydantic.json_schema import SkipJsonSchema

from tabrl.rewards import checks, expressions
from tabrl.rewards.features import FEATURES, GROUP_FEATURES
from tabrl.rewards.limits import MAX_NAME_CHARS, MAX_SUMMARY_CHARS, MAX_TERMS, MAX_WEIGHT
from tabrl.rewards.motion import Motion
from tabrl.rewards.terms import TERMS, Params


class ProgramError(ValueError):
    """A program that is invalid, cannot apply to the robot, or fails the smoke test."""


def _check_weight(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("weight must be a finite number")
    if abs(value) > MAX_WEIGHT:
        raise ValueError(f"weight {value:g} is outside [-{MAX_WEIGHT:g}, {MAX_WEIGHT:g}]")
    return value


class _TermBase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weight: float = Field(
        1.0,
        description="Multiplier; negative for penalties (regularisers).",
        json_schema_extra={"minimum": -MAX_WEIGHT, "maximum": MAX_WEIGHT},
    )

    @field_validator("weight")
    @classmethod
    def _check(cls, v: float) -> float:
        return _check_weight(v)


class PrimitiveTerm(_TermBase):
    """What every primitive term's model has (each one is made from the term table below)."""

    term: str
    params: Params


class ExprTerm(_TermBase):
    """A safe expression over feature names, giving one value per state (vectors are averaged).

    Allowed: numbers, feature names, + - * / and ** with a literal exponent |p| <= 8, comparisons
    (1.0 when true, else 0.0; chains like 0.2 < base_height < 0.4), 'a if cond else b', indexing
    with whole numbers or slices (base_lin_vel[0], feet_pos[1, 2], feet_contact[0:2]) and the
    functions abs, exp, log, sqrt, sin, cos, tanh, square, clip(x, lo, hi), min(a, b), max(a, b),
    sum, mean, norm. Nothing else: no attributes, strings, other calls or keywords.
    """

    term: Literal["expr"] = "expr"
    expr: str = Field(
        ...,
        max_length=expressions.MAX_LENGTH,
        description="e.g. '-abs(base_lin_vel[0])' or 'mean(feet_contact) * (base_height > 0.2)'",
    )
    params: dict[str, Any] = Field(default_factory=dict, description="Unused for expressions; leave empty.")

    @field_validator("expr")
    @classmethod
    def _safe(cls, value: str) -> str:
        expressions.check_syntax(value)
        return value

    @field_validator("params")
    @classmethod
    def _no_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        if value:
            raise ValueError("an expr term takes no params")
        return value


def _primitive_model(name: str) -> type[PrimitiveTerm]:
    definition = TERMS[name]
    return create_model(
        f"{''.join(w.title() for w in name.split('_'))}Term",
        __base__=PrimitiveTerm,
        __doc__=definition.description,
        term=(Literal[name], name),  # type: ignore[arg-type]  # a Literal of a name known at run time
        # Validated default: a missing 'params' reports the term's missing required params.
        params=(definition.params, Field(default_factory=dict, validate_default=True)),
    )


PRIMITIVE_MODELS = {name: _primitive_model(name) for name in TERMS}
if TYPE_CHECKING:  # what a term is to a type checker; the models themselves are made at import
    Term = PrimitiveTerm | ExprTerm
else:  # a Union built from the primitive table, so a new primitive is one table entry
    Term = Annotated[
        Union[tuple(PRIMITIVE_MODELS.values()) + (ExprTerm,)],  # noqa: UP007
        Field(discriminator="term"),
    ]


class Rehearsal(BaseModel):
    """The motion prior played before training (``tabrl.render.rehearsal``): the studio writes it, never a
    designer, and it is the start a trained policy must beat."""

    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="The starting policy: 'base policy' or 'zero action'.")
    copies: int = Field(ge=1, description="Noisy starts played.")
    upright: int = Field(ge=0, description="Starts that stayed upright for the whole length.")
    share: float = Field(gt=0, le=1, description="Share of the prior's amplitude kept (1: as designed).")
    tries: int = Field(ge=1, description="Shares of the prior tried.")
    plays: int = Field(ge=1, description="Plays in all (the tries, and the prior off where it fell).")
    stands: bool
    figures: dict[str, float] = Field(default_factory=dict)
    note: str = Field(max_length=500, description="What the approach card says of it.")


class RewardProgram(BaseModel):
    """Three of these make the approaches for one prompt."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        ..., min_length=1, max_length=MAX_NAME_CHARS, description="Short title, e.g. 'Hip Oscillator'."
    )
    summary: str = Field(
        "", max_length=MAX_SUMMARY_CHARS, description="One line: what this approach focuses on."
    )
    terms: list[Term] = Field(..., min_length=1, max_length=MAX_TERMS)
    notes: list[Annotated[str, Field(max_length=20_000)]] = Field(  # a note may name every word of a prompt
        default_factory=list, max_length=16, description="Explanations: understood words, assumptions."
    )
    motion: Motion | None = Field(
        None,
        description="Optional motion prior: a reference motion (pose offsets and sines per joint group) that the "
        "policy's action is added to as a residual, so the behavior's shape is there from the first training step. "
        "Give one whenever the behavior has a shape: a rhythm (shake, dance, wag), a gait (walk, trot, spin), a "
        "posture (sit, lie down, crouch), an arm path (wave) or a hand motion (open and close). Example, a sway of "
        'a group named in the robot\'s groups: {"parts": [{"group": "<group>", "amplitude": 0.3, '
        '"frequency_hz": 2.0}], "residual": 0.5}. The observation\'s phase clock runs at the first sine\'s '
        "frequency, so rhythmic reward terms should use that frequency too.",
    )
    success: list[checks.Condition] | None = Field(
        None,
        max_length=checks.MAX_CONDITIONS,
        description="How to tell the behavior worked, measured on the 10 s rollout: conditions that must all hold, "
        "each a metric (or a safe expression over metric names) compared with a number, e.g. "
        '[{"metric": "abs_yaw_rate", "op": ">=", "value": 1.0}, {"metric": "drift", '
        '"op": "<=", "value": 0.5}] (the text \'abs_yaw_rate >= 1.0 and drift <= 0.5\' is accepted too). '
        "Metrics: "
        + "; ".join(
            f"{k} [{u or '-'}]: {d}"
            for k, (u, d) in {**checks.BASE_METRICS, **checks.FEET_METRICS, **checks.EE_METRICS}.items()
        )
        + "; and per joint group G of the robot: "
        + "; ".join(f"G_{k} [{u}]: {d}" for k, (u, d) in checks.GROUP_METRICS.items())
        + ".",
    )

    # Written by the studio after designing (a rehearsal of the prior), not part of what a designer writes.
    rehearsal: SkipJsonSchema[Rehearsal | None] = None

    @field_validator("success", mode="before")
    @classmethod
    def _success_text(cls, v: Any) -> Any:
        return checks.coerce(v)

    @classmethod
    def parse(cls, data: Any) -> RewardProgram:
        """Validates JSON text or a dict, raising ProgramError with a readable message."""
        try:
            if isinstance(data, (str, bytes)):
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as e:
            raise ProgramError(describe_validation_error(e)) from None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        schema = cls.model_json_schema()
        for name, definition in schema.get("$defs", {}).items():
            if name.endswith("Term") and "term" in definition.get("properties", {}):
                definition["required"] = sorted(set(definition.get("required", [])) | {"term"})
        schema["description"] = (
            "A reward program: weighted terms summed each control step. Regularisers (action_rate, torque, "
            "joint_limits, energy) return positive magnitudes and take negative weights. Features for 'expr' terms: "
            + "; ".join(
                f"{k} [{v[0] or 'scalar'}]: {v[1]}" for k, v in {**FEATURES, **GROUP_FEATURES}.items()
            )
        )
        return schema


def _where(loc: tuple[int | str, ...]) -> str:
    """'term 2 (joint_sine) params.amplitude' from pydantic's ('terms', 1, 'joint_sine', 'params', 'amplitude')."""
    parts = list(loc)
    if len(parts) >= 2 and parts[0] == "success" and isinstance(parts[1], int):
        return " ".join([f"success check {parts[1] + 1}", ".".join(str(p) for p in parts[2:])]).strip()
    if len(parts) >= 3 and parts[:2] == ["motion", "parts"] and isinstance(parts[2], int):
        return " ".join([f"motion part {parts[2] + 1}", ".".join(str(p) for p in parts[3:])]).strip()
    if len(parts) >= 2 and parts[0] == "terms" and isinstance(parts[1], int):
        head = f"term {parts[1] + 1}"
        rest = parts[2:]
        if rest and isinstance(rest[0], str) and (rest[0] in PRIMITIVE_MODELS or rest[0] == "expr"):
            head += f" ({rest[0]})"
            rest = rest[1:]
        return " ".join([head, ".".join(str(p) for p in rest)]).strip()
    return ".".join(str(p) for p in parts) or "program"


def describe_validation_error(error: ValidationError) -> str:
    """One readable line per problem: where, what was wrong, and what is allowed."""
    lines = []
    allowed = ", ".join(list(TERMS) + ["expr"])
    for e in error.errors():
        where = _where(e["loc"])
        if e["type"] == "union_tag_invalid":
            tag = e.get("ctx", {}).get("tag", "?")
            lines.append(f"{where}: unknown term '{tag}'; allowed: {allowed}")
        elif e["type"] == "union_tag_not_found":
            lines.append(f"{where}: every term needs a 'term' field; allowed: {allowed}")
        elif e["type"] == "extra_forbidden":
            field = str(e["loc"][-1])
            term_name = next((p for p in e["loc"] if isinstance(p, str) and p in PRIMITIVE_MODELS), None)
            if term_name and "params" in e["loc"]:
                params = ", ".join(TERMS[term_name].params.model_fields)
                lines.append(
                    f"{where}: '{term_name}' has no parameter '{field}'; allowed: {params or 'none'}"
                )
            else:
                lines.append(f"{where}: unexpected field '{field}'")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "missing" and "params" in e["loc"]:
                term_name = next((p for p in e["loc"] if isinstance(p, str) and p in PRIMITIVE_MODELS), None)
                if term_name:
                    msg = f"required parameter of '{term_name}' is missing"
            lines.append(f"{where}: {msg}")
    return "invalid reward program: " + "; ".join(lines)


def schema_json() -> str:
    return json.dumps(RewardProgram.json_schema(), indent=2)
