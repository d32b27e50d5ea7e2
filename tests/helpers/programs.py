"""Sample reward programs shared by tests (program JSON as a designer or an LLM would write it)."""

from __future__ import annotations

from typing import Any

# Go1's hip sway: a rhythm, a posture, a hand-written expression and a penalty (four term kinds).
HIP_OSCILLATOR: dict[str, Any] = {
    "name": "Hip Oscillator",
    "summary": "Sway the hips",
    "notes": ["hips swing in opposition"],
    "terms": [
        {
            "term": "joint_sine",
            "weight": 2.0,
            "params": {
                "group": "hip_abduction",
                "amplitude": 0.3,
                "frequency_hz": 1.5,
                "pattern": "alternate",
            },
        },
        {"term": "upright", "weight": 1.0},
        {"term": "expr", "weight": 0.3, "expr": "-abs(base_lin_vel[0])"},
        {"term": "action_rate", "weight": -0.01},
    ],
}
