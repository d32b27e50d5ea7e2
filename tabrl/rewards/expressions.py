"""Safe reward expressions: a small arithmetic language over feature names.

An expression such as ``-abs(base_lin_vel[0]) + 0.5 * mean(feet_contact)`` is parsed with
``ast`` and checked against a whitelist, then turned into a tree of closures over ``xp``.
Nothing is ever passed to ``eval``/``exec``/``compile``: model-written rewards are data.

Every node knows its per-state rank (0 for one number per state, 1 for a vector, 2 for a list
of points). Indexing, reductions and broadcasting act on the trailing per-state axes only, so
one expression gives the same numbers on a numpy batch ``(B, ...)`` and on one jax state.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tabrl.rewards.features import rank_of

MAX_LENGTH = 500
MAX_POWER = 8
MAX_NODES = 200
EPS = 1e-6
# The largest number a 32-bit float holds (MJX trains in float32): a literal beyond it can only overflow.
MAX_CONSTANT = 3.4e38
MAX_INDEX = 10_000  # far more than any robot's joints; keeps a huge literal out of numpy's indexing

Fn = Callable[[Any, dict[str, Any]], Any]  # (xp, features) -> array


class ExpressionError(ValueError):
    """An expression that is not allowed, with the offending part named."""


class CompiledExpression:
    """``expr(xp, features)`` gives the raw value; ``per_state`` reduces it to one per state."""

    def __init__(self, source: str, fn: Fn, rank: int):
        self.source, self.fn, self.rank = source, fn, rank

    def __call__(self, xp: Any, features: dict[str, Any]) -> Any:
        return self.fn(xp, features)

    def per_state(self, xp: Any, features: dict[str, Any]) -> Any:
        """The value, with any per-state vector averaged (e.g. ``feet_contact`` -> its mean)."""
        return _reduce_trailing(xp, "mean", self.fn(xp, features), self.rank)


def _reduce_trailing(xp: Any, how: str, x: Any, rank: int) -> Any:
    if rank == 0:
        return x
    return getattr(xp, how)(x, axis=tuple(range(-rank, 0)))


def _expand(x: Any, rank: int, to: int) -> Any:
    """Adds trailing axes so a lower-rank value broadcasts against per-state vectors."""
    if rank >= to or isinstance(x, float):
        return x
    return x[(Ellipsis,) + (None,) * (to - rank)]


def _guard(xp: Any, b: Any) -> Any:
    """A divisor kept at least EPS away from zero (sign kept), so division never gives inf."""
    return xp.where(xp.abs(b) < EPS, xp.where(b < 0, -EPS, EPS), b)


def _norm(xp: Any, x: Any, rank: int) -> Any:
    return xp.sqrt(_reduce_trailing(xp, "sum", x * x, rank) + 1e-12)


# Functions an expression may call: name -> (arity, implementation). Elementwise functions take
# (xp, *args); reductions (in REDUCTIONS) also get the argument's rank.
FUNCTIONS: dict[str, tuple[int, Callable[..., Any]]] = {
    "abs": (1, lambda xp, x: xp.abs(x)),
    "exp": (1, lambda xp, x: xp.exp(xp.clip(x, -50.0, 50.0))),
    "log": (1, lambda xp, x: xp.log(xp.abs(x) + EPS)),
    "sqrt": (1, lambda xp, x: xp.sqrt(xp.abs(x))),
    "sin": (1, lambda xp, x: xp.sin(x)),
    "cos": (1, lambda xp, x: xp.cos(x)),
    "tanh": (1, lambda xp, x: xp.tanh(x)),
    "square": (1, lambda xp, x: x * x),
    "sum": (1, lambda xp, x, rank: _reduce_trailing(xp, "sum", x, rank)),
    "mean": (1, lambda xp, x, rank: _reduce_trailing(xp, "mean", x, rank)),
    "norm": (1, _norm),
    "clip": (3, lambda xp, x, lo, hi: xp.clip(x, lo, hi)),
    "min": (2, lambda xp, a, b: xp.minimum(a, b)),
    "max": (2, lambda xp, a, b: xp.maximum(a, b)),
}
REDUCTIONS = {"sum", "mean", "norm"}
FUNCTION_DOCS = {
    "abs": "absolute value",
    "exp": "e^x (x clipped to [-50, 50])",
    "log": "log(|x| + 1e-6)",
    "sqrt": "sqrt(|x|)",
    "sin": "sine",
    "cos": "cosine",
    "tanh": "hyperbolic tangent",
    "square": "x*x",
    "sum": "sum over a vector's entries (per state)",
    "mean": "mean over a vector's entries (per state)",
    "norm": "Euclidean length of a vector (per state)",
    "clip": "clip(x, lo, hi)",
    "min": "min(a, b) elementwise",
    "max": "max(a, b) elementwise",
}

_BINOPS = {
    ast.Add: ("+", lambda xp, a, b: a + b),
    ast.Sub: ("-", lambda xp, a, b: a - b),
    ast.Mult: ("*", lambda xp, a, b: a * b),
    ast.Div: ("/", lambda xp, a, b: a / _guard(xp, b)),
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}
_KINDS = {
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.List: "list",
    ast.Tuple: "tuple",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.Starred: "starred argument",
    ast.NamedExpr: "assignment",
    ast.BoolOp: "boolean operator (and/or)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slice",
}
_OP_NAMES = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.Not: "not",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _describe(node: ast.AST, source: str) -> str:
    text = ast.get_source_segment(source, node) or type(node).__name__
    return text if len(text) <= 60 else text[:57] + "..."


class _Compiler:
    def __init__(self, source: str, ranks: Mapping[str, int] | None):
        self.source = source
        self.ranks = ranks  # None: any name is accepted (syntax check without a robot)
        self.nodes = 0

    def fail(self, node: ast.AST, what: str) -> ExpressionError:
        return ExpressionError(
            f"{what} '{_describe(node, self.source)}' is not allowed in a reward expression"
        )

    def build(self, node: ast.AST) -> tuple[Fn, int]:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(f"expression is too complex (more than {MAX_NODES} parts)")
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                kind = type(node.value).__name__.replace("str", "string").replace("NoneType", "None")
                raise self.fail(node, f"constant of type {kind}")
            value = self.number(node)
            return (lambda xp, f: value), 0
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(node, f"operator '{_OP_NAMES.get(type(node.op), type(node.op).__name__)}'")
            inner, rank = self.build(node.operand)
            return ((lambda xp, f: -inner(xp, f)) if isinstance(node.op, ast.USub) else inner), rank
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                return self.power(node)
            if type(node.op) not in _BINOPS:
                raise self.fail(node, f"operator '{_OP_NAMES.get(type(node.op), type(node.op).__name__)}'")
            return self.elementwise(_BINOPS[type(node.op)][1], [node.left, node.right])
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.IfExp):
            (test, rt), (body, rb), (orelse, ro) = (
                self.build(node.test),
                self.build(node.body),
                self.build(node.orelse),
            )
            r = max(rt, rb, ro)
            return (
                lambda xp, f: xp.where(
                    _expand(test(xp, f), rt, r) > 0,
                    _expand(body(xp, f), rb, r),
                    _expand(orelse(xp, f), ro, r),
                )
            ), r
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Attribute):
            raise ExpressionError(
                f"attribute access '{node.attr}' is not allowed in a reward expression "
                f"(in '{_describe(node, self.source)}')"
            )
        raise self.fail(node, _KINDS.get(type(node), type(node).__name__))

    def number(self, node: ast.Constant) -> float:
        """A literal as a float; an integer too large for any float (400 digits, say) is refused.

        Large but representable numbers (1e300) pass here: the smoke test bounds what a term gives.
        """
        try:
            return float(node.value)  # type: ignore[arg-type]  # only called on int/float constants
        except OverflowError:
            raise ExpressionError(
                f"number '{_describe(node, self.source)}' is too large: a reward expression's "
                f"numbers must fit a float (at most about {MAX_CONSTANT:g} where MJX trains "
                "in 32 bits)"
            ) from None

    def name(self, node: ast.Name) -> tuple[Fn, int]:
        name = node.id
        if self.ranks is None:
            rank = rank_of(name)
        elif name in self.ranks:
            rank = self.ranks[name]
        else:
            hint = ""
            if name in FUNCTIONS:
                hint = f" ('{name}' is a function: call it, e.g. {name}(...))"
            allowed = ", ".join(sorted(self.ranks))
            raise ExpressionError(
                f"unknown name '{name}'{hint}; expressions may use these features: {allowed}"
            )
        return (lambda xp, f: f[name]), rank

    def elementwise(self, op: Callable[..., Any], args: list[ast.AST]) -> tuple[Fn, int]:
        built = [self.build(a) for a in args]
        r = max(rank for _, rank in built)
        if len(built) == 2:
            (a, ra), (b, rb) = built
            return (lambda xp, f: op(xp, _expand(a(xp, f), ra, r), _expand(b(xp, f), rb, r))), r
        return (lambda xp, f: op(xp, *[_expand(fn(xp, f), rank, r) for fn, rank in built])), r

    def compare(self, node: ast.Compare) -> tuple[Fn, int]:
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise self.fail(node, f"comparison '{_OP_NAMES.get(type(op), type(op).__name__)}'")
        operands = [self.build(n) for n in [node.left, *node.comparators]]
        ops = [_COMPARE[type(op)] for op in node.ops]
        r = max(rank for _, rank in operands)

        def evaluate(xp: Any, f: dict[str, Any]) -> Any:
            values = [_expand(fn(xp, f), rank, r) for fn, rank in operands]
            result = ops[0](values[0], values[1])
            for i in range(1, len(ops)):  # 0 < x < 1 means both comparisons hold
                result = result & ops[i](values[i], values[i + 1])
            return xp.where(result, 1.0, 0.0)

        return evaluate, r

    def power(self, node: ast.BinOp) -> tuple[Fn, int]:
        exp_node = node.right
        sign = 1.0
        if isinstance(exp_node, ast.UnaryOp) and isinstance(exp_node.op, (ast.USub, ast.UAdd)):
            sign, exp_node = (-1.0 if isinstance(exp_node.op, ast.USub) else 1.0), exp_node.operand
        if not (
            isinstance(exp_node, ast.Constant)
            and isinstance(exp_node.value, (int, float))
            and not isinstance(exp_node.value, bool)
        ):
            raise ExpressionError(
                f"power '{_describe(node, self.source)}': the exponent must be a number "
                f"with |exponent| <= {MAX_POWER}"
            )
        exponent = sign * (float(exp_node.value) if abs(exp_node.value) <= MAX_CONSTANT else float("inf"))
        if not abs(exponent) <= MAX_POWER:
            raise ExpressionError(
                f"power '{_describe(node, self.source)}': exponent {exponent:g} exceeds "
                f"the limit of {MAX_POWER}"
            )
        base, rank = self.build(node.left)
        if exponent == int(exponent):
            n = int(abs(exponent))
            if exponent >= 0:
                return (lambda xp, f: base(xp, f) ** n), rank
            return (lambda xp, f: 1.0 / _guard(xp, base(xp, f) ** n)), rank
        # Fractional powers of negative numbers are not real: use |x| (+eps so x**-0.5 stays finite).
        return (lambda xp, f: (xp.abs(base(xp, f)) + EPS) ** exponent), rank

    def call(self, node: ast.Call) -> tuple[Fn, int]:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise ExpressionError(
                    f"attribute access '{node.func.attr}' is not allowed in a reward expression "
                    f"(in '{_describe(node, self.source)}')"
                )
            raise self.fail(node, "call of a non-function")
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExpressionError(
                f"function '{name}' is not allowed; allowed functions: {', '.join(FUNCTIONS)}"
            )
        if node.keywords:
            raise ExpressionError(f"keyword arguments in '{_describe(node, self.source)}' are not allowed")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise ExpressionError(f"starred argument in '{_describe(node, self.source)}' is not allowed")
        arity, fn = FUNCTIONS[name]
        if len(node.args) != arity:
            raise ExpressionError(
                f"function '{name}' takes {arity} argument(s), got {len(node.args)} "
                f"in '{_describe(node, self.source)}'"
            )
        if name in REDUCTIONS:
            arg, rank = self.build(node.args[0])
            return (lambda xp, f: fn(xp, arg(xp, f), rank)), 0
        return self.elementwise(fn, list(node.args))

    def subscript(self, node: ast.Subscript) -> tuple[Fn, int]:
        base, rank = self.build(node.value)
        where = _describe(node, self.source)
        parts = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if rank == 0:
            raise ExpressionError(
                f"index '{where}': '{_describe(node.value, self.source)}' is one number per "
                "state and cannot be indexed"
            )
        if len(parts) > rank:
            raise ExpressionError(f"index '{where}': {len(parts)} indices for a value with {rank} axis(es)")

        def literal_int(n: ast.AST | None) -> int | None:
            if n is None:
                return None
            sign = 1
            if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
                sign, n = -1, n.operand
            if isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool):
                if abs(n.value) > MAX_INDEX:
                    raise ExpressionError(
                        f"index '{where}': {_describe(n, self.source)} is out of range "
                        f"(indices lie within ±{MAX_INDEX})"
                    )
                return sign * n.value
            raise ExpressionError(
                f"index '{where}': indices must be whole numbers written out (like 0, -1, 1:3)"
            )

        index: list[Any] = [Ellipsis]
        dropped = 0
        for part in parts:
            if isinstance(part, ast.Slice):
                if part.step is not None:
                    raise ExpressionError(f"index '{where}': slice steps are not allowed")
                index.append(slice(literal_int(part.lower), literal_int(part.upper)))
            else:
                index.append(literal_int(part))
                dropped += 1
        # Indices address the per-state axes (the first of them first), never a batch axis.
        index += [slice(None)] * (rank - len(parts))
        key = tuple(index)
        return (lambda xp, f: base(xp, f)[key]), rank - dropped


def parse(source: str) -> ast.Expression:
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(source)} characters long; at most {MAX_LENGTH} are allowed"
        )
    if not source.strip():
        raise ExpressionError("expression is empty")
    try:
        return ast.parse(source.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"expression is not valid syntax: {e.msg} (at column {e.offset})") from None
    except (ValueError, RecursionError, MemoryError) as e:  # e.g. NUL bytes, absurd nesting
        raise ExpressionError(f"expression cannot be read: {e}") from None


def compile_expression(source: str, features: Mapping[str, int] | Iterable[str]) -> CompiledExpression:
    """Checks ``source`` against the whitelist and returns ``expr(xp, features) -> array``.

    ``features`` maps the allowed feature names to their per-state ranks
    (:func:`tabrl.rewards.features.feature_ranks`); a plain list of names takes the ranks the
    feature table documents.
    """
    if isinstance(features, Mapping):
        ranks = dict(features)
    else:
        ranks = {name: rank_of(name) for name in features}
    text = source.strip() if isinstance(source, str) else source
    tree = parse(source)
    fn, rank = _Compiler(text, ranks).build(tree)
    return CompiledExpression(text, fn, rank)


def check_syntax(source: str) -> None:
    """Whitelist check without a robot (names are checked when compiled for one)."""
    tree = parse(source)
    _Compiler(source.strip(), None).build(tree)
