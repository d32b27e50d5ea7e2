"""The small inverse kinematics the prior shapes solve on a compiled robot: a finite-difference Jacobian of
any pose function of some joints, and damped least squares towards a goal inside the joints' ranges
(an end effector's reach in ``shapes``, a squat's feet in ``postures``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Pose = Callable[[np.ndarray], np.ndarray]  # joint values -> a pose vector (a position, a foot's x, z, pitch)
FD_STEP = 1e-4  # rad


def fd_jacobian(pose: Pose, q: np.ndarray, at_q: np.ndarray | None = None) -> np.ndarray:
    """(len(pose) x len(q)) forward-difference Jacobian of ``pose`` at ``q`` (``at_q``: ``pose(q)``, if known)."""
    base = pose(q) if at_q is None else at_q
    return np.stack([(pose(q + FD_STEP * np.eye(len(q))[k]) - base) / FD_STEP for k in range(len(q))], axis=1)


def solve_damped(
    pose: Pose,
    q: np.ndarray,
    goal: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    *,
    iterations: int,
    max_step: float,
    damping: float,
    reached: Callable[[np.ndarray], bool],
) -> np.ndarray:
    """Joint values moved from ``q`` towards ``pose(q) == goal`` by damped least squares, each step clipped
    to ``max_step`` and the joints kept 2 % inside their ranges; stops when ``reached(goal - pose(q))``."""
    q = q.copy()
    for _ in range(iterations):
        here = pose(q)
        err = goal - here
        if reached(err):
            break
        jac = fd_jacobian(pose, q, here)
        step = jac.T @ np.linalg.solve(jac @ jac.T + damping * np.eye(len(err)), err)
        q = np.clip(q + np.clip(step, -max_step, max_step), lo + 0.02 * (hi - lo), hi - 0.02 * (hi - lo))
    return q


def quat_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation angle (rad) between unit quaternions, row by row (an object turned, a chest twisted)."""
    dot = np.abs(np.sum(a * b, axis=-1)) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)
    return np.asarray(2.0 * np.arccos(np.clip(dot, 0.0, 1.0)))
