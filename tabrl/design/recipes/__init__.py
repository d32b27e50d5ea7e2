"""Recipes: each writes three approaches (drafts) for one behavior family on one kind of robot.

``locomotion`` (legged walking, turning, jumping; ``gaits`` holds the measured-rhythm scaffolds),
``legged`` (rhythms, postures and limbs of quadrupeds and humanoids), ``manipulation`` (arms and
hands) and ``classic`` (dm_control robots, and robots without a profile). Which recipe answers
which intent is one table in :mod:`tabrl.design.planner`.
"""
