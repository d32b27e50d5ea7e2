"""RewardProgram: an approach to a behavior, as data (JSON) an LLM can write.

A program is a list of weighted terms; each term is a library primitive with typed params or
a safe expression over feature names. The JSON Schema (``tabrl schema``) is a discriminated
union on ``term``, so a validator (or a model's structured output) knows every term's params.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model, field_validator

from tabrl.rewards import expressions
from tabrl.rewards.features import FEATURES, GROUP_FEATURES
from tabrl.rewards.terms import TERMS

MAX_WEIGHT = 100.0


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
    weight: float = Field(1.0, description="Multiplier; negative for penalties (regularisers).")

    _check = field_validator("weight")(classmethod(lambda cls, v: _check_weight(v)))


class ExprTerm(_TermBase):
    """A safe expression over feature names (arithmetic, comparisons, whitelisted functions)."""

    term: Literal["expr"] = "expr"
    expr: str = Field(..., max_length=expressions.MAX_LENGTH,
                      description="e.g. '-abs(base_lin_vel[0])' or 'mean(feet_contact) * (base_height > 0.2)'")
    params: dict[str, Any] = Field(default_factory=dict, description="Unused for expressions; leave empty.")

    @field_validator("expr")
    @classmethod
    def _safe(cls, value: str) -> str:
        expressions.check_syntax(value)
        return value

    @field_validator("params")
    @classmethod
    def _no_params(cls, value: dict) -> dict:
        if value:
            raise ValueError("an expr term takes no params")
        return value


def _primitive_model(name: str) -> type[BaseModel]:
    definition = TERMS[name]
    return create_model(
        f"{''.join(w.title() for w in name.split('_'))}Term",
        __base__=_TermBase,
        __doc__=definition.description,
        term=(Literal[name], name),  # type: ignore[valid-type]
        params=(definition.params, Field(default_factory=definition.params)),
    )


PRIMITIVE_MODELS = {name: _primitive_model(name) for name in TERMS}
Term = Annotated[Union[tuple(PRIMITIVE_MODELS.values()) + (ExprTerm,)], Field(discriminator="term")]  # type: ignore[misc]


class RewardProgram(BaseModel):
    """Three of these make the approaches for one prompt."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., min_length=1, max_length=60, description="Short title, e.g. 'Hip Oscillator'.")
    summary: str = Field("", max_length=200, description="One line: what this approach focuses on.")
    terms: list[Term] = Field(..., min_length=1, max_length=12)
    notes: list[str] = Field(default_factory=list, description="Explanations: understood words, assumptions.")

    @classmethod
    def parse(cls, data: Any) -> "RewardProgram":
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
        schema["description"] = (
            "A reward program: weighted terms summed each control step. Regularisers (action_rate, torque, "
            "joint_limits, energy) return positive magnitudes and take negative weights. Features for 'expr' terms: "
            + "; ".join(f"{k} [{v[0] or 'scalar'}]: {v[1]}" for k, v in {**FEATURES, **GROUP_FEATURES}.items())
        )
        return schema


def describe_validation_error(error: ValidationError) -> str:
    lines = []
    allowed = ", ".join(list(TERMS) + ["expr"])
    for e in error.errors():
        loc = ".".join(str(p) for p in e["loc"])
        if e["type"] == "union_tag_invalid":
            tag = e.get("ctx", {}).get("tag", "?")
            lines.append(f"{loc}: unknown term '{tag}'; allowed: {allowed}")
        elif e["type"] == "union_tag_not_found":
            lines.append(f"{loc}: every term needs a 'term' field; allowed: {allowed}")
        elif e["type"] == "extra_forbidden":
            where = loc.rsplit(".", 1)
            field = where[-1]
            term_name = next((p for p in e["loc"] if isinstance(p, str) and p in PRIMITIVE_MODELS), None)
            if term_name and "params" in e["loc"]:
                params = ", ".join(TERMS[term_name].params.model_fields)
                lines.append(f"{loc}: '{term_name}' has no parameter '{field}'; allowed: {params or 'none'}")
            else:
                lines.append(f"{loc}: unexpected field '{field}'")
        else:
            lines.append(f"{loc}: {e['msg']}")
    return "invalid reward program: " + "; ".join(lines)


def schema_json() -> str:
    return json.dumps(RewardProgram.json_schema(), indent=2)


TermAdapter = TypeAdapter(Term)
