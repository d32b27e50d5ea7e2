"""The public behavior suites: does a sentence become the behavior it names, on each seed robot?

For each prompt the built-in designer's three approaches are trained and their 10 s rollouts
measured; a prompt passes when at least one approach meets the suite's check. Suite checks are
written in the success-check language (``tabrl/rewards/checks.py``) over the metrics measured
from the trajectory, independent of the check each approach carries itself (both are reported).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tabrl.rewards import checks

MODEL = "Go1JoystickFlatTerrain"

# A check that passes on a video which does not show the behavior is a wrong check: each one
# names the motion itself and that the robot did not fall or wander off doing it.
SUITES: dict[str, dict[str, str]] = {
    "Go1JoystickFlatTerrain": {
        "walk forward": "forward_speed >= 0.3 and falls < 1",
        "spin in place": "abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1",
        "keep shaking your hips aloha dude!": "hip_abduction_amplitude >= 0.15 and hip_abduction_frequency >= 0.5 and "
        "hip_abduction_frequency <= 4 and drift <= 0.5 and upright >= 0.9 and "
        "falls < 1",
        # Tumbling varies the height too: no falls, and every foot off the ground several times.
        "jump up and down": "base_height_std >= 0.03 and airborne_moments >= 3 and falls < 1",
        "lie down": "height_ratio <= 0.6 and upright >= 0.9 and falls < 1",
    },
    "AnymalC": {
        "walk forward": "forward_speed >= 0.3 and falls < 1",
        "spin in place": "abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1",
        "shake your hips": "hip_abduction_amplitude >= 0.1 and hip_abduction_frequency >= 0.5 and drift <= 0.5 and "
        "upright >= 0.9 and falls < 1",
        "sit": "pitch >= 0.2 and height_ratio <= 0.9 and falls < 1",
    },
    "UR5e": {
        "wave": "ee_extent >= 0.15 and ee_path_length >= 1.5",
        "draw a circle in the air": "ee_extent >= 0.15 and ee_extent2 >= 0.1 and ee_path_length >= 1.0",
        "reach up high": "ee_dz >= 0.15",
    },
    "PandaPickCube": {
        "draw a circle": "ee_extent >= 0.15 and ee_extent2 >= 0.1 and ee_path_length >= 1.0",
        "reach forward": "ee_dx >= 0.1",
        "open and close the gripper": "gripper_amplitude >= 0.01 and gripper_frequency >= 0.2",
    },
    "AllegroHand": {
        "open and close the hand": "knuckles_amplitude >= 0.3 and knuckles_frequency >= 0.2",
        "wiggle the fingers": "non_thumb_amplitude >= 0.1 and non_thumb_frequency >= 1.0",
        "point with the index finger": "middle_offset >= 0.4 and ring_offset >= 0.4 and index_offset <= 0.2",
    },
}
SUITE = SUITES[MODEL]  # the Go1 suite, as before


def suite_for(model_id: str) -> dict[str, str]:
    if model_id not in SUITES:
        raise ValueError(f"no behavior suite for '{model_id}'; suites exist for: {', '.join(SUITES)}")
    return SUITES[model_id]


def check_metrics(spec: Any, check: str, metrics: dict[str, Any]) -> tuple[bool, str]:
    """(passed, the measured figures) of a suite check on an approach's rollout metrics."""
    from tabrl.render.metrics import metric_values

    conditions = [checks.Condition.model_validate(c) for c in checks.parse_text(check)]
    units = {k: unit for k, (unit, _) in checks.metric_names(spec).items()}
    v = checks.verdict(conditions, metric_values(metrics), units)
    return v["passed"], v["summary"][2:]


@dataclasses.dataclass
class ApproachResult:
    prompt: str
    approach: int
    name: str
    passed: bool
    detail: str
    wall_s: float
    out_dir: str
    own_check: str = ""  # the approach's own success check and its verdict
    own_passed: bool | None = None


def run_suite(
    steps: int,
    out_root: Path,
    *,
    prompts: list[str] | None = None,
    seed: int = 0,
    model: str = MODEL,
    on_result: Callable[[ApproachResult], None] | None = None,
    from_base: bool | None = None,
    batch: bool = True,
) -> dict[str, Any]:
    """Trains each prompt's three approaches and checks them. ``batch``: as the page's Train All does
    (one physics batch, ``pipeline.run_training_batch``); else one job after another, as "Train This"."""
    from tabrl.design.builtin import design_approaches
    from tabrl.pipeline import run_training_batch, run_training_job
    from tabrl.robots.catalog import load_robot

    suite = suite_for(model)
    spec = load_robot(model).spec
    chosen = prompts or list(suite)
    for p in chosen:
        if p not in suite:
            raise ValueError(f"unknown suite prompt '{p}' for {model}; allowed: {', '.join(suite)}")
    results: list[ApproachResult] = []
    start = time.perf_counter()
    for prompt in chosen:
        programs = design_approaches(model, prompt)
        outs = [
            Path(out_root) / model / prompt.replace(" ", "_").strip("!") / f"approach-{i}"
            for i in range(1, len(programs) + 1)
        ]
        t0 = time.perf_counter()
        if batch:
            trained = run_training_batch(
                model, programs, steps, outs, seeds=[seed] * len(programs), from_base=from_base
            )
        for i, (program, out) in enumerate(zip(programs, outs, strict=True), start=1):
            if batch:
                res = trained[i - 1]
                if isinstance(res, BaseException):
                    raise res
            else:
                t0 = time.perf_counter()
                res = run_training_job(model, program, steps, out, seed=seed, from_base=from_base)
            metrics: dict[str, Any] = res.metrics  # the rollout's figures (JSON)
            ok, detail = check_metrics(spec, suite[prompt], metrics)
            own = metrics.get("verdict")
            r = ApproachResult(
                prompt,
                i,
                program.name,
                ok,
                detail,
                time.perf_counter() - t0,  # batched: the batch's wall time so far
                str(out),
                own_check=own["summary"] if own else "",
                own_passed=own["passed"] if own else None,
            )
            results.append(r)
            if on_result is not None:
                on_result(r)
    by_prompt = {p: any(r.passed for r in results if r.prompt == p) for p in chosen}
    return {
        "model": model,
        "steps": steps,
        "seed": seed,
        "from_base": from_base,
        "batch": batch,
        "wall_s": time.perf_counter() - start,
        "passed": sum(by_prompt.values()),
        "prompts": len(by_prompt),
        "by_prompt": by_prompt,
        "checks": {p: suite[p] for p in chosen},
        "approaches": [dataclasses.asdict(r) for r in results],
    }
