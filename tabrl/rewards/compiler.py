"""Compiling a RewardProgram for one robot into a reward function for numpy or jax.

The compiled function maps features (see ``features.py``) to ``(total, {term key: weighted
value})``. Everything robot-specific (group indices, feet, end effectors, expression names) is
checked here, once, so the function itself has no Python control flow on array values: it
vectorises over a numpy batch and jits under jax.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tabrl.rewards import checks, expressions, labels, motion
from tabrl.rewards.features import compute_features, feature_ranks
from tabrl.rewards.program import ExprTerm, ProgramError, RewardProgram
from tabrl.rewards.terms import TERMS, Features, Params, TermFn, term_key
from tabrl.robots.model import RobotSpec

# The most a term or the total may give in one step. The smoke test refuses programs that exceed it
# on sampled and extreme states; at run time (both backends call CompiledReward) values beyond it are
# clipped and NaN becomes 0, so training never sees a non-finite or float32-overflowing reward.
MAX_REWARD = 1e8


class CompiledReward:
    """``reward(features) -> (total, {term: weighted value})``; ``keys`` lists the terms and ``labels``
    gives each key its readable label (``tabrl/rewards/labels.py``).

    Calling it gives guarded values (finite, within ±MAX_REWARD); ``raw`` gives them as computed.
    On numpy, ``clipped`` counts per term (and "total") the values the guard had to change.
    """

    def __init__(
        self,
        xp: Any,
        parts: list[tuple[str, float, Callable[[dict[str, Any]], Any]]],
        term_labels: list[str] | None = None,
    ):
        self.xp = xp
        self.parts = parts
        self.keys = [k for k, _, _ in parts]
        self.labels = dict(zip(self.keys, labels.unique_labels(term_labels or self.keys), strict=True))
        self.clipped: dict[str, int] = {}

    def raw(self, features: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        xp = self.xp
        shape = features["t"].shape
        terms = {}
        total = xp.zeros(shape, dtype=features["t"].dtype)
        for key, weight, fn in self.parts:
            value = weight * xp.broadcast_to(fn(features), shape)
            terms[key] = value
            total = total + value
        return total, terms

    def __call__(self, features: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        total, terms, counts = self.with_counts(features)
        if self.xp is np:
            for key, bad in counts.items():
                if bad:
                    self.clipped[key] = self.clipped.get(key, 0) + int(bad)
        return total, terms

    def with_counts(self, features: dict[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        """Guarded ``(total, terms)`` and, per term and "total", how many values the guard changed.

        Pure (no counting on ``self``), so it also runs under jit: the MJX env reports the counts in
        its metrics, where the numpy path keeps them in ``clipped``."""
        xp = self.xp
        shape = features["t"].shape
        terms, counts = {}, {}
        total = xp.zeros(shape, dtype=features["t"].dtype)
        for key, weight, fn in self.parts:
            value, counts[key] = _guard(xp, weight * xp.broadcast_to(fn(features), shape))
            terms[key] = value
            total = total + value
        total, counts["total"] = _guard(xp, total)
        return total, terms, counts


def _guard(xp: Any, value: Any) -> tuple[Any, Any]:
    """``value`` made finite and clipped to ±MAX_REWARD, and the number of entries that changed."""
    with np.errstate(invalid="ignore"):
        bad = xp.sum(xp.logical_not(xp.abs(value) <= MAX_REWARD))  # NaN counts too
    guarded = xp.clip(
        xp.nan_to_num(value, nan=0.0, posinf=MAX_REWARD, neginf=-MAX_REWARD), -MAX_REWARD, MAX_REWARD
    )
    return guarded, bad


def check_fits(program: RewardProgram, spec: RobotSpec) -> None:
    """Raises ProgramError if the program names something this robot lacks."""
    if program.motion is not None:
        try:
            motion.check_motion(program.motion, spec)
        except motion.MotionError as e:
            raise ProgramError(str(e)) from None
    if program.success is not None:
        try:
            checks.check_conditions(program.success, spec)
            checks.require_outcome(program.success, spec, motion.moved_joints(program.motion, spec))
        except checks.CheckError as e:
            raise ProgramError(str(e)) from None
    ranks = feature_ranks(spec)
    probe: dict[str, np.ndarray] | None = None
    for i, t in enumerate(program.terms):
        where = f"term {i + 1} ('{t.term}')"
        if isinstance(t, ExprTerm):
            try:
                compiled = expressions.compile_expression(t.expr, ranks)
            except expressions.ExpressionError as e:
                raise ProgramError(f"{where}: {e}") from None
            probe = probe if probe is not None else _probe_features(spec)
            _dry_run(where, t.expr, compiled, probe)
            continue
        definition = TERMS[t.term]
        if definition.group_param:
            group = getattr(t.params, definition.group_param)
            if group not in spec.groups:
                raise ProgramError(
                    f"{where}: {spec.model_id} has no joint group '{group}'; "
                    f"its groups are: {', '.join(spec.groups)}"
                )
            targets = getattr(t.params, "targets", None)
            if targets is not None and len(targets) != len(spec.groups[group]):
                raise ProgramError(
                    f"{where}: 'targets' has {len(targets)} values but group '{group}' has "
                    f"{len(spec.groups[group])} joints"
                )
        if "feet" in definition.needs and not spec.feet:
            raise ProgramError(
                f"{where}: {spec.model_id} has no feet; use posture or end-effector terms instead"
            )
        if "ee" in definition.needs:
            if not spec.ee:
                raise ProgramError(
                    f"{where}: {spec.model_id} has no end effector; use joint or base terms instead"
                )
            index = getattr(t.params, "index", 0) or 0  # None: every end effector's centre
            if index >= len(spec.ee):
                raise ProgramError(
                    f"{where}: end effector index {index} is out of range; {spec.model_id} has "
                    f"{len(spec.ee)} ({', '.join(spec.ee)})"
                )
        if "object" in definition.needs and not spec.has_objects:
            raise ProgramError(
                f"{where}: {spec.model_id}'s scene has no free object to act on; object terms need one "
                "(e.g. PandaPickCube's cube)"
            )
        if "passive" in definition.needs and not spec.has_passive:
            raise ProgramError(
                f"{where}: {spec.model_id}'s scene has no drawer or door (a passive joint) to open"
            )
        if "floating_base" in definition.needs and not spec.floating_base:
            raise ProgramError(
                f"{where}: {spec.model_id} is fixed to the world, so its base cannot move that way"
            )


def _probe_features(spec: RobotSpec, n: int = 2) -> dict[str, np.ndarray]:
    """Features of ``n`` default-pose states built from the spec alone (no model needed).

    Enough to check an expression's indices and shapes: jax clamps an out-of-range index
    silently, so ``q[40]`` on a 12-joint robot must be refused here, not found in training.
    """
    adrs = [
        spec.base_pos_adr,
        spec.base_quat_adr,
        spec.base_linvel_adr,
        spec.base_angvel_adr,
        spec.feet_pos_adr,
        spec.ee_pos_adr,
        spec.torque_adr,
    ]
    nsens = max((int(np.max(a)) + 1 for a in adrs if np.size(a)), default=0)
    qvel_adrs = [a for a in (spec.joint_qvel_adr, spec.object_qvel_adr) if np.size(a)]
    nv = max((int(np.max(a)) + 1 for a in qvel_adrs), default=0)  # objects' velocities too
    nu = len(spec.torque_adr)
    sens = np.zeros((n, nsens))
    sens[:, spec.base_quat_adr[0]] = 1.0
    sens[:, spec.base_pos_adr] = spec.default_base_pos
    qpos = np.tile(spec.default_qpos, (n, 1))
    return compute_features(
        np, spec, qpos, np.zeros((n, nv)), sens, np.arange(n) * 0.1, np.zeros((n, nu)), np.zeros((n, nu))
    )


def _dry_run(
    where: str, source: str, compiled: expressions.CompiledExpression, probe: dict[str, np.ndarray]
) -> None:
    batch = probe["t"].shape
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(compiled.per_state(np, probe))
            np.broadcast_to(value, batch)
    except (IndexError, ValueError, TypeError) as e:
        raise ProgramError(
            f"{where}: expression '{source}' does not fit this robot's features: {e}"
        ) from None


def compile_program(program: RewardProgram | dict[str, Any], spec: RobotSpec, xp: Any) -> CompiledReward:
    program = program if isinstance(program, RewardProgram) else RewardProgram.parse(program)
    check_fits(program, spec)
    ranks = feature_ranks(spec)
    parts = []
    taken: set[str] = set()
    for t in program.terms:
        if isinstance(t, ExprTerm):
            node = expressions.compile_expression(t.expr, ranks)
            key = f"expr:{t.expr[:24].rstrip()}"  # a prefix of the source, so reports can be matched back
            fn = _expr_fn(xp, node)
        else:
            definition = TERMS[t.term]
            key = term_key(t.term, t.params, taken)
            fn = _term_fn(xp, definition.fn, t.params, spec)
        n = 2
        base_key = key
        while key in taken:
            key, n = f"{base_key}#{n}", n + 1
        taken.add(key)
        parts.append((key, float(t.weight), fn))
    return CompiledReward(xp, parts, [labels.term_label(t) for t in program.terms])


def _term_fn(xp: Any, fn: TermFn, params: Params, spec: RobotSpec) -> Callable[[Features], Any]:
    return lambda f: fn(xp, f, params, spec)


def _expr_fn(xp: Any, node: expressions.CompiledExpression) -> Callable[[Features], Any]:
    def evaluate(f: Features) -> Any:
        # An expression over a vector reduces to one value per state (e.g. 'feet_contact' -> its mean).
        return xp.asarray(node.per_state(xp, f), dtype=f["t"].dtype)

    return evaluate
