"""Safe reward expressions: a small arithmetic language over feature names.

An expression such as ``-abs(base_lin_vel[0]) + 0.5 * mean(feet_contact)`` is parsed with
``ast`` and checked against a whitelist, then turned into a tree of closures over ``xp``.
Nothing is ever passed to ``eval``/``exec``/``compile``: model-written rewards are data.
"""

from __future__ import annotations

import ast
from typing import Any, Callable

MAX_LENGTH = 500
MAX_POWER = 8
MAX_NODES = 200
EPS = 1e-6

POINT_FEATURES = {"feet_pos", "ee_pos"}  # lists of 3-D points: x[i] picks a point
Node = Callable[[Any, dict[str, Any]], Any]  # (xp, features) -> array


class ExpressionError(ValueError):
    """An expression that is not allowed, with the offending part named."""


def _reduce(fn: str) -> Callable[[Any, Any], Any]:
    def reduce(xp: Any, x: Any) -> Any:
        x = xp.asarray(x)
        if x.ndim == 0:
            return x
        return getattr(xp, fn)(x, axis=-1)

    return reduce


# Functions an expression may call: name -> (arity, implementation over xp).
FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "abs": (1, lambda xp, x: xp.abs(x)),
    "exp": (1, lambda xp, x: xp.exp(xp.clip(x, -50.0, 50.0))),
    "log": (1, lambda xp, x: xp.log(xp.abs(x) + EPS)),
    "sqrt": (1, lambda xp, x: xp.sqrt(xp.abs(x))),
    "sin": (1, lambda xp, x: xp.sin(x)),
    "cos": (1, lambda xp, x: xp.cos(x)),
    "tanh": (1, lambda xp, x: xp.tanh(x)),
    "square": (1, lambda xp, x: x * x),
    "sum": (1, _reduce("sum")),
    "mean": (1, _reduce("mean")),
    "norm": (1, lambda xp, x: xp.sqrt(_reduce("sum")(xp, x * x) + 1e-12)),
    "clip": (3, lambda xp, x, lo, hi: xp.clip(x, lo, hi)),
    "min": (2, lambda xp, a, b: xp.minimum(a, b)),
    "max": (2, lambda xp, a, b: xp.maximum(a, b)),
}

_BINOPS = {
    ast.Add: lambda xp, a, b: a + b,
    ast.Sub: lambda xp, a, b: a - b,
    ast.Mult: lambda xp, a, b: a * b,
    ast.Div: lambda xp, a, b: a / xp.where(xp.abs(b) < EPS, xp.where(b < 0, -EPS, EPS), b),
}
_COMPARE = {
    ast.Lt: lambda xp, a, b: a < b,
    ast.LtE: lambda xp, a, b: a <= b,
    ast.Gt: lambda xp, a, b: a > b,
    ast.GtE: lambda xp, a, b: a >= b,
    ast.Eq: lambda xp, a, b: a == b,
    ast.NotEq: lambda xp, a, b: a != b,
}


def _describe(node: ast.AST, source: str) -> str:
    text = ast.get_source_segment(source, node) or type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


class _Compiler:
    def __init__(self, source: str, features: set[str]):
        self.source = source
        self.features = features
        self.nodes = 0

    def fail(self, node: ast.AST, what: str) -> ExpressionError:
        return ExpressionError(f"{what} '{_describe(node, self.source)}' is not allowed in a reward expression")

    def build(self, node: ast.AST) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"expression is too complex (more than {MAX_NODES} parts)")
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(node, "constant")
            value = float(node.value)
            return lambda xp, f: value
        if isinstance(node, ast.Name):
            if node.id not in self.features:
                allowed = ", ".join(sorted(self.features)[:40])
                raise ExpressionError(f"unknown name '{node.id}'; expressions may use features: {allowed}, ...")
            name = node.id
            return lambda xp, f: f[name]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand)
            return (lambda xp, f: -inner(xp, f)) if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self.power(node)
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.fail(node, f"operator {type(node.op).__name__}")
            left, right = self.build(node.left), self.build(node.right)
            return lambda xp, f: op(xp, left(xp, f), right(xp, f))
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
                raise self.fail(node, "comparison")
            op = _COMPARE[type(node.ops[0])]
            left, right = self.build(node.left), self.build(node.comparators[0])
            return lambda xp, f: xp.where(op(xp, left(xp, f), right(xp, f)), 1.0, 0.0)
        if isinstance(node, ast.IfExp):
            test, body, orelse = self.build(node.test), self.build(node.body), self.build(node.orelse)
            return lambda xp, f: xp.where(test(xp, f) > 0, body(xp, f), orelse(xp, f))
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Attribute):
            raise ExpressionError(f"attribute access '.{node.attr}' is not allowed in a reward expression")
        kinds = {ast.Lambda: "lambda", ast.ListComp: "comprehension", ast.GeneratorExp: "comprehension",
                 ast.SetComp: "comprehension", ast.DictComp: "comprehension", ast.JoinedStr: "f-string",
                 ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set", ast.Starred: "starred",
                 ast.NamedExpr: "assignment", ast.BoolOp: "boolean operator (and/or)", ast.Await: "await"}
        raise self.fail(node, kinds.get(type(node), type(node).__name__))

    def power(self, node: ast.BinOp) -> Node:
        exp_node = node.right
        sign = 1.0
        if isinstance(exp_node, ast.UnaryOp) and isinstance(exp_node.op, ast.USub):
            sign, exp_node = -1.0, exp_node.operand
        if not (isinstance(exp_node, ast.Constant) and isinstance(exp_node.value, (int, float))
                and not isinstance(exp_node.value, bool)):
            raise ExpressionError(f"power '{_describe(node, self.source)}': the exponent must be a number")
        exponent = sign * float(exp_node.value)
        if abs(exponent) > MAX_POWER:
            raise ExpressionError(f"power '{_describe(node, self.source)}': exponent {exponent:g} exceeds {MAX_POWER}")
        base = self.build(node.left)
        if exponent == int(exponent) and exponent >= 0:
            return lambda xp, f: base(xp, f) ** int(exponent)
        return lambda xp, f: (xp.abs(base(xp, f)) + EPS) ** exponent

    def call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise ExpressionError(f"attribute access '.{node.func.attr}' is not allowed in a reward expression")
            raise self.fail(node, "call")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(f"function '{name}' is not allowed; allowed functions: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise ExpressionError(f"keyword arguments in '{_describe(node, self.source)}' are not allowed")
        arity, fn = FUNCTIONS[name]
        if len(node.args) != arity:
            raise ExpressionError(f"function '{name}' takes {arity} argument(s), got {len(node.args)}")
        args = [self.build(a) for a in node.args]
        return lambda xp, f: fn(xp, *[a(xp, f) for a in args])

    def subscript(self, node: ast.Subscript) -> Node:
        if not isinstance(node.value, (ast.Name, ast.Subscript)):
            raise self.fail(node, "indexing of a non-feature")
        base = self.build(node.value)
        index = node.slice

        def literal_int(n: ast.AST | None) -> int | None:
            if n is None:
                return None
            sign = 1
            if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
                sign, n = -1, n.operand
            if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
                return sign * n.value
            raise ExpressionError(f"index '{_describe(node, self.source)}': indices must be whole numbers")

        if isinstance(index, ast.Slice):
            if index.step is not None:
                raise ExpressionError(f"index '{_describe(node, self.source)}': slice steps are not allowed")
            lo, hi = literal_int(index.lower), literal_int(index.upper)
            return lambda xp, f: base(xp, f)[..., lo:hi]
        if isinstance(index, ast.Tuple):  # feet_pos[0, 2]: a point's coordinate
            idx = tuple(literal_int(e) for e in index.elts)
            if len(idx) != 2:
                raise ExpressionError(f"index '{_describe(node, self.source)}': at most two indices")
            return lambda xp, f: base(xp, f)[..., idx[0], idx[1]]
        i = literal_int(index)
        if isinstance(node.value, ast.Name) and node.value.id in POINT_FEATURES:  # feet_pos[1]: the second foot's (x, y, z)
            return lambda xp, f: base(xp, f)[..., i, :]
        return lambda xp, f: base(xp, f)[..., i]


def parse(source: str) -> ast.Expression:
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(source)} characters long; at most {MAX_LENGTH} are allowed")
    if not source.strip():
        raise ExpressionError("expression is empty")
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"expression is not valid syntax: {e.msg} (at column {e.offset})") from None


def compile_expression(source: str, feature_names: set[str] | list[str]) -> Node:
    """Checks ``source`` against the whitelist and returns ``fn(xp, features) -> array``."""
    tree = parse(source)
    return _Compiler(source.strip(), set(feature_names)).build(tree)


def check_syntax(source: str) -> None:
    """Whitelist check without a robot (names are checked when compiled for one)."""
    tree = parse(source)

    class AnyName(set):
        def __contains__(self, item: object) -> bool:
            return True

    _Compiler(source.strip(), AnyName()).build(tree)
