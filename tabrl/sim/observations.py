"""The policy's observation, written once for numpy and jax (``xp`` is the array module).

Proprioception only, so a behavior never depends on a Playground task's command inputs:
projected gravity (3), base angular velocity in the body frame (3), joint positions relative
to the default pose (nj), joint velocities (nj), the last action (nu) and a phase clock (2).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Defined below the simulation: the phase features (rewards/features.py) read the same default clock, and
# the catalog (robots/catalog.py) lists every model's observation size.
from tabrl.rewards.features import PHASE_CLOCK_HZ
from tabrl.robots.model import observation_size

__all__ = ["PHASE_CLOCK_HZ", "observation_size", "observe"]


def observe(xp: Any, features: dict[str, Any], clock_hz: float | np.ndarray = PHASE_CLOCK_HZ) -> Any:
    """Concatenates the observation from computed features (batched or not; a batch's ``clock_hz`` may be
    one per env)."""
    phase = 2 * xp.pi * clock_hz * features["t"]
    return xp.concatenate(
        [
            features["gravity"],
            features["base_ang_vel"],
            features["q_rel"],
            features["qd"],
            features["action"],  # the action just applied
            xp.stack([xp.sin(phase), xp.cos(phase)], axis=-1),
        ],
        axis=-1,
    )
