"""Training settings per model and per robot category, as plain data in one table module.

Like MuJoCo Playground's ``config/locomotion_params.py``: what differs between robots is read here, and the
code that trains (``ppo.ppo_config_for``, ``base.default_steps``, ``base.wants_base``) only looks it up.
Categories are the robot profiles' (quadruped, humanoid, arm, hand, classic). Nothing of tabrl is imported,
so any layer from train/ up may read the table without loading JAX.
"""

from __future__ import annotations

from typing import Any

# PPO settings per training budget and kind of robot, from measurements (docs/how-it-works.md, "PPO settings"):
# the studio's budgets (10k-100k steps) are tiny by RL standards, so what matters most is the
# number of PPO iterations the budget buys. 64 envs x 16 steps gives only 10 updates in 10k
# steps; 32 x 8 gives 40 and learned the Go1 walk at 10k where the former did not (and reached a
# higher mean reward on UR5e, Allegro and Cartpole programs at 10k and 50k).
# Keys: (kind, largest budget the row serves); the first matching row wins.
BUDGET_TABLE: list[tuple[str, int, dict[str, Any]]] = [
    ("legged", 60_000, dict(num_envs=32, unroll_length=8)),
    # From 100k a larger batch wins again: Go1 spin 3.5 rad/s with 64 x 16 vs 2.3 (and a fall) with 32 x 8.
    ("legged", 10**9, dict(num_envs=64, unroll_length=16)),
    ("arm", 10**9, dict(num_envs=32, unroll_length=8)),
    ("hand", 10**9, dict(num_envs=32, unroll_length=8)),
    ("classic", 10**9, dict(num_envs=32, unroll_length=8)),
]
# The budget table's kind of each robot category: quadrupeds and humanoids balance while they move, so they
# share the legged rows; an unlisted category trains as classic.
CATEGORY_OF = {
    "quadruped": "legged",
    "humanoid": "legged",
    "arm": "arm",
    "hand": "hand",
    "classic": "classic",
}

# Base-policy budgets that differ from the category recipe's, per model (measured): ANYmal C's suite passed
# 3 / 4 at 50k from a 600k-step base (its spin drifted 0.50 m) and 4 / 4 from a 1.2M one (docs/behaviors.md,
# "ANYmal C").
# H1's base under the designer's priors: at 240k it fell in 75 % of pushed episodes, at 1.2M in 38 % (the zero
# action 81 %), and fine-tunes from it fell 5 of 15 times in the humanoid suite (docs/base-policies.md).
# G1's, T1's and Apollo's bases train with the whole action scale (their profiles' balance_share: soft legs); at
# 1.2M steps they fall in 38 %, 31 % and 19 % of pushed episodes under the designer's priors (zero actions: 100 %).
# The packaged G1 and T1 bases were then trained on for 2.4M more (`--resume`): 38 % and 12 %.
STEPS_FOR_MODEL: dict[str, int] = {
    "AnymalC": 1_200_000,
    "H1InplaceGaitTracking": 1_200_000,
    "T1JoystickFlatTerrain": 1_200_000,
    "G1JoystickFlatTerrain": 1_200_000,
    "ApolloJoystickFlatTerrain": 1_200_000,
}

# Whether training starts from the base by default, per robot category (docs/base-policies.md): measured
# on the Go1 suite for quadrupeds; humanoid bases are used where they beat the zero action (no humanoid suite
# yet); the arm and hand bases trained so far do not beat the zero action, so `judge` keeps them unused.
FROM_BASE_DEFAULT: dict[str, bool] = {"quadruped": True, "humanoid": True, "arm": True, "hand": True}
