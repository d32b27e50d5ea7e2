"""Short readable labels for reward terms: what the page's chart and the curve summary call them.

A term's key (``joint_sine:hip_abduction``, ``expr:clip(mean(abs(qd_hip_abd``) names it uniquely
for reports and matching back; its label says what it rewards in a person's words ("hip abduction
swing", "hip abduction speed"). Labels are made here only, from the term itself, so every place
that shows a term says the same.
"""

from __future__ import annotations

import ast
from typing import Any

from tabrl.rewards import expressions

MAX_LABEL_CHARS = 40

# Primitive term -> what it rewards. "{group}", "{axis}", "{shape}", "{pattern}": the term's param.
_PRIMITIVE = {
    "upright": "upright",
    "base_height": "body height",
    "base_orientation": "body tilt",
    "joint_pose": "{group} pose",
    "track_velocity": "velocity tracking",
    "forward_speed": "forward speed",
    "spin": "turning",
    "stay_in_place": "staying in place",
    "joint_sine": "{group} swing",
    "base_oscillation": "body {axis} sway",
    "jump": "jump height",
    "air_time": "feet air time",
    "foot_contact_pattern": "{pattern} gait",
    "ee_target": "reach target",
    "ee_path": "{shape} path",
    "action_rate": "action rate",
    "torque": "torque",
    "joint_limits": "joint limits",
    "energy": "energy",
    "alive": "alive bonus",
}

# Where a param's value reads badly in the template: (term, value) -> the whole label.
_SPECIAL = {
    ("foot_contact_pattern", "stand"): "feet planted",
    ("base_oscillation", "height"): "body bounce",
    ("ee_path", "figure8"): "figure-8 path",
}

# Feature -> its words, for labels of expressions ("" : a constant or a clock, not worth naming).
_FEATURE = {
    "t": "time",
    "phase_sin": "",
    "phase_cos": "",
    "standing_height": "",
    "base_pos": "position",
    "base_height": "body height",
    "base_lin_vel": "body velocity",
    "base_ang_vel": "body rotation",
    "base_vel_world": "velocity",
    "gravity": "tilt",
    "roll": "roll",
    "pitch": "pitch",
    "yaw": "heading",
    "yaw_rate": "turning",
    "forward_speed": "forward speed",
    "lateral_speed": "sideways speed",
    "vertical_speed": "rising speed",
    "drift": "drift",
    "q": "joint angles",
    "qd": "joint speed",
    "q_rel": "joint offsets",
    "feet_pos": "feet position",
    "feet_height": "feet height",
    "feet_contact": "foot contact",
    "ee_pos": "hand position",
    "action": "action",
    "last_action": "last action",
    "torque": "torque",
}
# A vector feature indexed by a constant axis: its words per axis.
_AXES = {
    "base_lin_vel": ("forward velocity", "sideways velocity", "vertical velocity"),
    "base_vel_world": ("x velocity", "y velocity", "vertical velocity"),
    "base_ang_vel": ("roll rate", "pitch rate", "yaw rate"),
    "base_pos": ("x position", "y position", "body height"),
}


def words(name: str) -> str:
    """'hip_abduction' -> 'hip abduction'."""
    return " ".join(name.replace("_", " ").split())


def primitive_label(name: str, params: Any) -> str:
    """The label of a primitive term from its name and params (a Params model or a dict)."""
    template = _PRIMITIVE.get(name, words(name))

    def param(field: str) -> str:
        value = params.get(field) if isinstance(params, dict) else getattr(params, field, None)
        return words(str(value)) if value is not None else ""

    values = {f: param(f) for f in ("group", "axis", "shape", "pattern")}
    special = next((_SPECIAL[(name, v)] for v in values.values() if (name, v) in _SPECIAL), None)
    label = special or template.format(**values)
    if label.startswith("all "):  # joint_pose over the group "all"
        label = "joint " + label.removeprefix("all ")
    return _tidy(label) or words(name)


def _feature_words(name: str, index: ast.AST | None) -> str:
    if index is not None and name in _AXES:
        first = index.elts[0] if isinstance(index, ast.Tuple) and index.elts else index
        if isinstance(first, ast.Constant) and isinstance(first.value, int) and 0 <= first.value < 3:
            return _AXES[name][first.value]
    if name in _FEATURE:
        return _FEATURE[name]
    if name.startswith("qd_"):
        return f"{words(name[3:])} speed"
    if name.startswith("q_"):
        return f"{words(name[2:])} angle"
    return words(name)


def expr_label(source: str) -> str:
    """The label of an expression term: the quantities it reads, in words, in order of appearance.

    'clip(mean(abs(qd_hip_abduction)), 0, 3)' -> 'hip abduction speed';
    'abs(roll) + abs(pitch)' -> 'roll & pitch'; '-abs(base_lin_vel[1])' -> 'sideways velocity'.
    """
    try:
        tree = expressions.parse(source)
    except expressions.ExpressionError:
        return "expression"
    found: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            found.append(_feature_words(node.value.id, node.slice))
            visit(node.slice)
            return
        if isinstance(node, ast.Call):  # the function's name is not a quantity
            for arg in node.args:
                visit(arg)
            return
        if isinstance(node, ast.Name):
            found.append(_feature_words(node.id, None))
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    named = list(dict.fromkeys(w for w in found if w))
    if not named:
        return "expression"
    label = " & ".join(named[:2]) + (" & …" if len(named) > 2 else "")
    return _tidy(label)


def term_label(term: Any) -> str:
    """The label of a validated term (``PrimitiveTerm`` or ``ExprTerm``) or of its JSON."""
    get = term.get if isinstance(term, dict) else lambda k, d=None: getattr(term, k, d)
    name = str(get("term", ""))
    if name == "expr":
        return expr_label(str(get("expr", "")))
    return primitive_label(name, get("params") or {})


def unique_labels(labels: list[str]) -> list[str]:
    """Labels made distinct in order: a second 'hip swing' becomes 'hip swing 2'."""
    seen: set[str] = set()
    out = []
    for label in labels:
        candidate, n = label, 2
        while candidate in seen:
            candidate, n = f"{label} {n}", n + 1
        seen.add(candidate)
        out.append(candidate)
    return out


def _tidy(label: str) -> str:
    # Commas and quotes would need quoting in curves.csv's header; a label never needs them.
    label = " ".join(label.replace(",", " ").replace('"', "").split())
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1].rstrip() + "…"
