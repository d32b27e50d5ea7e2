"""Readable term labels: what the chart calls a term instead of its report key."""

from __future__ import annotations

import numpy as np
import pytest

from tabrl.rewards.compiler import compile_program
from tabrl.rewards.labels import MAX_LABEL_CHARS, expr_label, term_label, unique_labels
from tabrl.rewards.program import RewardProgram
from tabrl.rewards.terms import TERMS
from tabrl.robots.catalog import load_robot


@pytest.mark.parametrize(
    ("term", "label"),
    [
        ({"term": "joint_sine", "params": {"group": "hip_abduction"}}, "hip abduction swing"),
        ({"term": "joint_sine", "params": {"group": "all"}}, "joint swing"),
        ({"term": "upright"}, "upright"),
        ({"term": "joint_pose", "params": {"group": "front_legs", "offset": 0.2}}, "front legs pose"),
        ({"term": "foot_contact_pattern", "params": {"pattern": "trot"}}, "trot gait"),
        ({"term": "foot_contact_pattern", "params": {"pattern": "stand"}}, "feet planted"),
        ({"term": "base_oscillation", "params": {"axis": "height"}}, "body bounce"),
        ({"term": "base_oscillation", "params": {"axis": "roll"}}, "body roll sway"),
        ({"term": "action_rate"}, "action rate"),
        ({"term": "expr", "expr": "clip(mean(abs(qd_hip_abduction)), 0, 3)"}, "hip abduction speed"),
        ({"term": "expr", "expr": "abs(roll) + abs(pitch)"}, "roll & pitch"),
        ({"term": "expr", "expr": "-abs(base_lin_vel[1])"}, "sideways velocity"),
        ({"term": "expr", "expr": "clip((base_height - standing_height) / 0.1, 0, 1.5)"}, "body height"),
        ({"term": "expr", "expr": "drift + yaw_rate + abs(q_knee[0]) + t"}, "drift & turning & …"),
        ({"term": "expr", "expr": "1.0"}, "expression"),
    ],
)
def test_a_term_is_labelled_by_what_it_rewards(term, label):
    assert term_label(term) == label


def test_every_primitive_has_a_short_label_without_underscores_or_commas():
    for name in TERMS:
        label = term_label(
            {"term": name, "params": {"group": "left_arm", "axis": "pitch", "shape": "circle"}}
        )
        assert label and "_" not in label and "," not in label and len(label) <= MAX_LABEL_CHARS, name


def test_labels_are_cut_to_length_and_made_unique():
    long = expr_label("mean(qd_" + "very_long_group_name_" * 4 + "x)")
    assert len(long) == MAX_LABEL_CHARS and long.endswith("…")
    assert unique_labels(["hip swing", "upright", "hip swing", "hip swing"]) == [
        "hip swing",
        "upright",
        "hip swing 2",
        "hip swing 3",
    ]


def test_a_compiled_program_gives_every_term_key_its_label():
    program = RewardProgram.parse(
        {
            "name": "Hips",
            "terms": [
                {"term": "joint_sine", "weight": 2.0, "params": {"group": "hip_abduction"}},
                {"term": "joint_sine", "weight": 1.0, "params": {"group": "hip_abduction"}},
                {"term": "expr", "weight": 0.3, "expr": "clip(mean(abs(qd_hip_abduction)), 0, 3)"},
                {"term": "upright", "weight": 1.0},
            ],
        }
    )
    compiled = compile_program(program, load_robot("Go1JoystickFlatTerrain").spec, np)
    assert compiled.labels == {
        "joint_sine:hip_abduction": "hip abduction swing",
        "joint_sine:hip_abduction#2": "hip abduction swing 2",
        "expr:clip(mean(abs(qd_hip_abd": "hip abduction speed",
        "upright": "upright",
    }
