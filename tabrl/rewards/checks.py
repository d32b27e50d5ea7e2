"""Success checks: what "it worked" means for an approach, in the same safe language as rewards.

A check is a list of conditions over the behavior metrics measured on the rendered rollout
(``tabrl/render/metrics.py``), e.g. ``abs_yaw_rate >= 1.0 and drift <= 0.5``. A condition names
a metric, or is a safe expression over metric names (parsed by ``expressions``' whitelisted AST,
never ``eval``), compared with a number. The text form is parsed the same way: comparisons joined
by ``and``, nothing else.
"""

from __future__ import annotations

import ast
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tabrl.rewards import expressions
from tabrl.robots.observables import Observables

MAX_CONDITIONS = 8
MAX_TEXT = 400
MAX_VALUE = 1e4
Op = Literal[">=", "<=", ">", "<"]
_OPS = {ast.GtE: ">=", ast.LtE: "<=", ast.Gt: ">", ast.Lt: "<"}
_SHOW = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}

# Every metric a check may name: name -> (unit, description). Robot-dependent families
# ({group}_amplitude, feet and end-effector metrics) exist where the robot has those parts.
BASE_METRICS: dict[str, tuple[str, str]] = {
    "forward_speed": ("m/s", "mean speed along the robot's heading (after the first second)"),
    "lateral_speed": ("m/s", "mean sideways speed (left positive)"),
    "yaw_rate": ("rad/s", "mean turning rate, counter-clockwise positive"),
    "abs_yaw_rate": ("rad/s", "size of the mean turning rate"),
    "base_height": ("m", "mean base height"),
    "height_ratio": ("", "mean base height / standing height"),
    "base_height_std": ("m", "standard deviation of the base height (bobbing, jumping)"),
    "roll": ("rad", "mean |roll|"),
    "lean_right": (
        "rad",
        "mean roll with its side: > 0 leaning to the right (its right side down), < 0 to the left",
    ),
    "pitch": ("rad", "mean |pitch|"),
    "rock": (
        "rad",
        "how far the body rocks to and fro: half the range of roll or pitch, the larger (hips shaking)",
    ),
    "upright": ("", "fraction of the time the base is within 0.5 rad of upright"),
    "drift": ("m", "horizontal distance from the start at the end"),
    "max_drift": ("m", "largest horizontal distance from the start"),
    "falls": ("", "number of falls"),
    "fallen_fraction": ("", "fraction of the time fallen"),
    "mean_reward": ("", "mean per-step reward of the program"),
}
FEET_METRICS: dict[str, tuple[str, str]] = {
    "contact_fraction": ("", "mean fraction of the time a foot touches the ground"),
    "air_time": ("s", "mean length of a foot's time in the air"),
    "airborne_moments": ("", "number of separate moments with every foot off the ground"),
    "airborne_fraction": ("", "fraction of the time with every foot off the ground"),
    "least_foot_air": ("", "the least-lifted foot's share of the time in the air (every foot steps)"),
    "feet_alternation": (
        "",
        "while some foot is up, the share of the time another stands (1: stepping, 0: hopping)",
    ),
}
# Outcomes: what the video shows, measured on the rollout (render/outcomes.py). Every limb of the body
# plan has the three limb figures; task scenes have their objects and passive joints.
LIMB_METRICS: dict[str, tuple[str, str]] = {
    "sweep": ("m", "largest extent of the tip's path relative to the body (a wave, a kick, a circle)"),
    "rise": (
        "m",
        "how far the tip rose above where it started, relative to the body (a raised hand or foot)",
    ),
    "reach": ("m", "how far the tip moved forward of where it started (a punch, a kick, a reach)"),
    "shift": ("m", "how far the tip's mean position is from where it started (a held pose: a hand opened)"),
    "loop": ("m", "second-largest extent of the tip's path: a circle spans two directions, a swing one"),
    "turns": ("", "how many times the tip went round (a circle counts up, a swing to and fro about zero)"),
    "at_x": (
        "m",
        "where the tip was held (median): forward, from the base in its frame (a body fixed in the world: "
        "from the world's origin)",
    ),
    "at_y": (
        "m",
        "where the tip was held (median): to the left (negative: right), from the base in its frame",
    ),
    "at_z": (
        "m",
        "where the tip was held (median): up, from the base in its frame (a body fixed in the world: from "
        "the floor; a pole kept up)",
    ),
}
# Both hands of a body (its left and right arm tips): a clap brings them together.
HANDS_METRICS: dict[str, tuple[str, str]] = {
    "hands_gap": ("m", "the closest the two hands came to each other (a clap, hands together)"),
}
# A body with a waist: the chest it carries turns in a torso twist, a sideways lean or a bend.
TRUNK_METRICS: dict[str, tuple[str, str]] = {
    "torso_turn": (
        "rad",
        "how far the upper body (the chest above the waist) turned from its start: a twist, a lean, a bend",
    ),
}
OBJECT_METRICS: dict[str, tuple[str, str]] = {
    "object_rise": ("m", "how far an object rose above where it started (picked up, lifted)"),
    "object_moved": ("m", "an object's horizontal distance from its start at the end (pushed, carried)"),
    "object_turn": (
        "rad",
        "the largest angle an object turned from its start orientation (reoriented, spun)",
    ),
}
PASSIVE_METRICS: dict[str, tuple[str, str]] = {
    "opening": ("", "how far the scene's passive joint moved from its start (m or rad: a drawer, a door)"),
}
# Conditions that guard a behavior but do not show it: a check needs something beside them. Staying
# near the start is a guard too (an upper bound on drift); moving away from it is an outcome.
GUARDS = frozenset({"falls", "fallen_fraction", "upright", "mean_reward"})
UPPER_GUARDS = frozenset({"drift", "max_drift", "roll", "pitch", "airborne_fraction"})
_WORDS = {  # metric -> (what it says on the page, scale, unit shown)
    "object_rise": ("the object rose", 100.0, "cm"),
    "object_moved": ("the object moved", 100.0, "cm"),
    "object_turn": ("the object turned", 180.0 / math.pi, "°"),
    "falls": ("falls", 1.0, ""),
    "forward_speed": ("forward speed", 1.0, "m/s"),
    "lateral_speed": ("sideways speed", 1.0, "m/s"),
    "yaw_rate": ("turning rate", 1.0, "rad/s"),
    "height_ratio": ("height", 100.0, "% of standing"),
    "upright": ("upright", 100.0, "% of the time"),
    "least_foot_air": ("the least-lifted foot was up", 100.0, "% of the time"),
    "feet_alternation": ("feet alternating", 100.0, "% of the time"),
    "drift": ("drifted", 100.0, "cm"),
    "rock": ("the body rocked", 180.0 / math.pi, "°"),
    "lean_right": ("the body leaned (right +, left −)", 180.0 / math.pi, "°"),
    "hands_gap": ("the hands came within", 100.0, "cm of each other"),
    "torso_turn": ("the upper body turned", 180.0 / math.pi, "°"),
}
_LIMB_WORDS = {
    "grip": ("spread changed by", 100.0, "cm"),
    "sweep": ("swept", 100.0, "cm"),
    "rise": ("rose", 100.0, "cm"),
    "reach": ("reached forward", 100.0, "cm"),
    "shift": ("moved", 100.0, "cm"),
    "loop": ("went round a loop", 100.0, "cm wide"),
    "turns": ("went round", 1.0, "times"),
    "at_x": ("was held", 100.0, "cm forward"),
    "at_y": ("was held", 100.0, "cm to the left"),
    "at_z": ("was held", 100.0, "cm up"),
}
EE_METRICS: dict[str, tuple[str, str]] = {
    "ee_path_length": ("m", "distance travelled by the end effectors (mean over them)"),
    "ee_extent": ("m", "largest extent of an end effector's path along x, y or z (mean over them)"),
    "ee_extent2": ("m", "second-largest extent of the path (a circle spans two axes, a line one)"),
    "ee_dx": ("m", "mean forward (x) displacement of the end effectors from their start"),
    "ee_dy": ("m", "mean leftward (y) displacement from their start"),
    "ee_dz": ("m", "mean upward (z) displacement from their start"),
}
GROUP_METRICS: dict[str, tuple[str, str]] = {
    "amplitude": ("rad", "oscillation amplitude of the group's joints (half the 5-95 % range, mean)"),
    "frequency": ("Hz", "dominant oscillation frequency of the group's joints"),
    "offset": ("rad", "mean offset of the group's joints from the default pose"),
}


def metric_names(spec: Any, observables: Observables | None = None) -> dict[str, tuple[str, str]]:
    """The metrics a check may name on this robot: name -> (unit, description). Without ``observables``
    (robots/observables.py) only the base, feet, end-effector and joint-group metrics are known."""
    names = dict(BASE_METRICS)
    if getattr(spec, "feet", ()):
        names.update(FEET_METRICS)
    if getattr(spec, "ee", ()):
        names.update(EE_METRICS)
    for group in getattr(spec, "groups", {}):
        for suffix, (unit, doc) in GROUP_METRICS.items():
            names[f"{group}_{suffix}"] = (unit, f"{doc} ('{group}')")
    if observables is not None:
        for limb in observables.limbs:
            for suffix, (unit, doc) in LIMB_METRICS.items():
                names[f"{limb}_{suffix}"] = (unit, f"{doc} ('{limb}')")
        for limb, _tips in observables.grips:
            names[f"{limb}_grip"] = (
                "m",
                f"change of the fingertips' spread from the start: < 0 closed, > 0 opened ('{limb}')",
            )
        if observables.hands:
            names.update(HANDS_METRICS)
        if observables.chest >= 0:
            names.update(TRUNK_METRICS)
        if observables.has_objects:
            names.update(OBJECT_METRICS)
        if observables.has_passive:
            names.update(PASSIVE_METRICS)
    return names


def is_outcome_name(name: str) -> bool:
    """A name of the outcome families, checkable before the robot's observables are known."""
    return (
        name in OBJECT_METRICS
        or name in PASSIVE_METRICS
        or name in HANDS_METRICS
        or name in TRUNK_METRICS
        or any(name.endswith("_" + s) for s in (*LIMB_METRICS, "grip"))
    )


def words(metric: str, value: float, unit: str = "") -> str:
    """'the object rose 0.0 cm', 'the right arm's tip swept 23 cm': a measured figure as a person says it."""
    for suffix, (verb, scale, shown) in _LIMB_WORDS.items():
        if metric.endswith("_" + suffix) and metric not in _WORDS and metric[: -len(suffix) - 1]:
            limb = metric[: -len(suffix) - 1].replace("_", " ")
            limb += " finger" if limb in ("index", "middle", "ring", "little", "pinky") else ""
            return f"the {limb}'s tip {verb} {value * scale:.3g} {shown}"
    if metric in _WORDS:
        text, scale, shown = _WORDS[metric]
        return f"{text} {value * scale:.3g}{(' ' + shown) if shown else ''}".rstrip()
    return f"{metric} {value:.3g}{(' ' + unit) if unit else ''}"


def _threshold_words(metric: str, value: float, unit: str) -> str:
    for suffix, (_verb, scale, shown) in _LIMB_WORDS.items():
        if metric.endswith("_" + suffix) and metric not in _WORDS:
            return f"{value * scale:g} {shown}"
    if metric in _WORDS:
        _text, scale, shown = _WORDS[metric]
        return f"{value * scale:.3g}{(' ' + shown) if shown else ''}".rstrip()
    return f"{value:g}{(' ' + unit) if unit else ''}"


class CheckError(ValueError):
    """A success check that is not allowed or does not fit the robot."""


def _finite(value: float) -> float:
    if not math.isfinite(value) or abs(value) > MAX_VALUE:
        raise ValueError(f"value must be a finite number within ±{MAX_VALUE:g}")
    return value


class Condition(BaseModel):
    """One measured figure compared with a number: {metric, op, value} or {expr, op, value}."""

    model_config = ConfigDict(extra="forbid")
    metric: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="A metric name, e.g. 'abs_yaw_rate', 'drift', '<group>_amplitude' (a joint group of the robot).",
    )
    expr: str | None = Field(
        None,
        max_length=200,
        description="Instead of a metric: a safe expression over metric names, "
        "e.g. 'forward_speed - abs(lateral_speed)'.",
    )
    op: Op = Field(..., description="Comparison.")
    value: float = Field(..., description="The threshold.")

    @field_validator("value")
    @classmethod
    def _value(cls, v: float) -> float:
        return _finite(v)

    @field_validator("expr")
    @classmethod
    def _safe(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                expressions.check_syntax(value)
            except expressions.ExpressionError as e:
                raise ValueError(str(e)) from None
        return value

    @model_validator(mode="after")
    def _one_subject(self) -> Condition:
        if (self.metric is None) == (self.expr is None):
            raise ValueError("a condition names exactly one of 'metric' or 'expr'")
        return self

    @property
    def subject(self) -> str:
        return self.metric if self.metric is not None else self.expr  # type: ignore[return-value]

    def label(self) -> str:
        return f"{self.subject} {_SHOW[self.op]} {self.value:g}"


def parse_text(text: str) -> list[dict[str, Any]]:
    """'abs_yaw_rate >= 1.0 and drift <= 0.5' -> conditions; only comparisons joined by 'and'."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"a success check is at most {MAX_TEXT} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        raise ValueError(f"success check is not valid syntax: {e.msg}") from None
    except (ValueError, RecursionError, MemoryError) as e:
        raise ValueError(f"success check cannot be read: {e}") from None
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    if isinstance(tree, ast.BoolOp) and not isinstance(tree.op, ast.And):
        raise ValueError("success checks join conditions with 'and' only")
    out = []
    for node in parts:
        if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _OPS):
            seg = ast.get_source_segment(text.strip(), node) or "?"
            raise ValueError(f"'{seg}' is not a comparison like 'metric >= number' (allowed: >=, <=, >, <)")
        right = node.comparators[0]
        sign = 1.0
        if isinstance(right, ast.UnaryOp) and isinstance(right.op, (ast.USub, ast.UAdd)):
            sign, right = (-1.0 if isinstance(right.op, ast.USub) else 1.0), right.operand
        if not (
            isinstance(right, ast.Constant)
            and isinstance(right.value, (int, float))
            and not isinstance(right.value, bool)
        ):
            seg = ast.get_source_segment(text.strip(), node) or "?"
            raise ValueError(f"'{seg}': the right-hand side must be a number")
        left = ast.get_source_segment(text.strip(), node.left) or ""
        key = "metric" if isinstance(node.left, ast.Name) else "expr"
        out.append({key: left, "op": _OPS[type(node.ops[0])], "value": sign * float(right.value)})
    return out


def coerce(value: Any) -> Any:
    """Accepts the text form and turns it into the list form (pydantic 'before' validator)."""
    return parse_text(value) if isinstance(value, str) else value


def check_conditions(conditions: list[Condition], spec: Any, observables: Observables | None = None) -> None:
    """Raises CheckError naming the condition when a name is not a metric of this robot. Without the
    robot's ``observables`` an outcome name (``<limb>_sweep``, ``object_rise``) is taken on trust and
    measured as missing (a failed check) where the robot lacks it."""
    names = metric_names(spec, observables)
    ranks = {n: 0 for n in names}
    for i, c in enumerate(conditions):
        where = f"success check {i + 1} ('{c.label()}')"
        known = c.metric in names or (observables is None and is_outcome_name(c.metric or ""))
        if c.metric is not None and not known:
            raise CheckError(f"{where}: unknown metric '{c.metric}'; allowed: {', '.join(names)}")
        if c.expr is not None:
            try:
                expressions.compile_expression(c.expr, ranks)
            except expressions.ExpressionError as e:
                raise CheckError(
                    f"{where}: {str(e).replace('expressions may use these features', 'allowed metrics')}"
                ) from None


def subjects(condition: Condition) -> set[str]:
    """The metric names a condition reads."""
    if condition.metric is not None:
        return {condition.metric}
    tree = ast.parse(condition.expr or "0", mode="eval")
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def own_prior(name: str, spec: Any, driven: set[str]) -> bool:
    """A joint-group figure of joints the motion prior itself drives (or a guard metric)."""
    if name in GUARDS:
        return True
    for suffix in GROUP_METRICS:
        group = name[: -len(suffix) - 1] if name.endswith("_" + suffix) else None
        if group and group in getattr(spec, "groups", {}):
            joints = {spec.joint_names[int(j)] for j in spec.groups[group]}
            return joints <= driven
    return False


def is_guard(condition: Condition) -> bool:
    """Falls, uprightness, staying near the start, and joints held within a bound ("keep the other
    fingers straight"): conditions a behavior keeps, not what shows it."""
    upper = condition.op in ("<=", "<")
    held = upper and any((condition.metric or "").endswith("_" + s) for s in ("amplitude", "offset"))
    return condition.metric in GUARDS or (upper and condition.metric in UPPER_GUARDS) or held


def is_outcome(condition: Condition, spec: Any, driven: set[str]) -> bool:
    """Whether the condition shows the behavior: neither a guard nor only the prior's own joints."""
    return not is_guard(condition) and not all(own_prior(n, spec, driven) for n in subjects(condition))


def require_outcome(conditions: list[Condition] | None, spec: Any, driven: set[str]) -> None:
    """Refuses a check made only of guards and figures of the joints its own prior drives (``driven``):
    such a joint moves because the prior moves it, so it cannot say the behavior happened."""
    if not conditions or not driven or any(is_outcome(c, spec, driven) for c in conditions):
        return  # without a prior, guards alone (stand still, do not fall) are the behavior
    labels = " and ".join(c.label() for c in conditions)
    raise CheckError(
        f"success check '{labels}' measures only guards (falls, upright, drift) and joints the motion "
        "prior itself drives: add a condition on the outcome the words ask for (a limb's sweep, rise or "
        "reach, the base's speed, height or tilt, the feet's air time, an object's rise or turn)"
    )


def measure(condition: Condition, values: dict[str, float]) -> float:
    """The condition's measured figure; NaN where the rollout lacks a name it reads (a failed check)."""
    if condition.metric is not None:
        return float(values.get(condition.metric, math.nan))
    import numpy as np

    if not subjects(condition) <= set(values):
        return math.nan
    compiled = expressions.compile_expression(condition.expr or "", {n: 0 for n in values})
    with np.errstate(all="ignore"):
        return float(np.asarray(compiled(np, {k: np.float64(v) for k, v in values.items()})))


def verdict(
    conditions: list[Condition], values: dict[str, float], units: dict[str, str] | None = None
) -> dict[str, Any]:
    """Evaluates every condition on measured values: pass/fail, each with its measured figure."""
    rows: list[dict[str, Any]] = []
    for c in conditions:
        measured = measure(c, values)
        ok = {
            ">=": measured >= c.value,
            "<=": measured <= c.value,
            ">": measured > c.value,
            "<": measured < c.value,
        }[c.op] and math.isfinite(measured)
        unit = (units or {}).get(c.metric or "", "")
        said = words(c.subject, measured, unit) if math.isfinite(measured) else f"{c.subject} not measured"
        need = f"{_SHOW[c.op]} {_threshold_words(c.subject, c.value, unit)}"
        rows.append(
            {
                "check": c.label(),
                "text": f"{said} ({'ok' if ok else 'need'} {need})",
                "subject": c.subject,
                "op": c.op,
                "value": c.value,
                "measured": measured,
                "unit": unit,
                "passed": bool(ok),
            }
        )
    passed = bool(rows) and all(r["passed"] for r in rows)
    summary = ", ".join(r["text"] for r in rows)
    return {"passed": passed, "checks": rows, "summary": ("✓ " if passed else "✗ ") + summary}
