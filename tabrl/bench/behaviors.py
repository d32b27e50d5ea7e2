"""The public behavior suite: does a sentence become the behavior it names?

For each prompt the built-in designer's three approaches are trained on Go1 and their 10 s
rollouts measured; a prompt passes when at least one approach meets its check.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable

MODEL = "Go1JoystickFlatTerrain"


def _walk(m: dict) -> tuple[bool, str]:
    v = m["forward_speed_mps"]
    return v >= 0.3, f"forward speed {v:.2f} m/s (need >= 0.3)"


def _spin(m: dict) -> tuple[bool, str]:
    w, d = m["abs_yaw_rate_radps"], m["drift_m"]
    return w >= 1.0 and d <= 0.5, f"|yaw rate| {w:.2f} rad/s (need >= 1.0), drift {d:.2f} m (need <= 0.5)"


def _hips(m: dict) -> tuple[bool, str]:
    g = m["joint_groups"]["hip_abduction"]
    a, f, d, up = g["amplitude_rad"], g["frequency_hz"], m["drift_m"], m["upright_fraction"]
    ok = a >= 0.15 and 0.5 <= f <= 4.0 and d <= 0.5 and up >= 0.9 and m["falls"] == 0
    return ok, f"hip_abduction amplitude {a:.2f} rad at {f:.2f} Hz (need >= 0.15 at 0.5-4), drift {d:.2f} m, upright {up:.0%}"


def _jump(m: dict) -> tuple[bool, str]:
    # Stricter than height variation alone: tumbling also varies the height, so no falls either.
    s, n = m["base_height_std_m"], m.get("feet", {}).get("all_feet_off_moments", 0)
    falls = m["falls"]
    return s >= 0.03 and n >= 3 and falls == 0, (
        f"base height std {s:.3f} m (need >= 0.03), all-feet-off moments {n} (need >= 3), falls {falls} (need 0)")


def _lie(m: dict) -> tuple[bool, str]:
    h, h0, falls = m["base_height_mean_m"], m["standing_height_m"], m["falls"]
    upright = m["upright_fraction"]
    return h <= 0.6 * h0 and falls == 0 and upright >= 0.9, (
        f"mean base height {h:.3f} m = {h / h0:.0%} of standing (need <= 60%), falls {falls}, upright {upright:.0%}")


SUITE: dict[str, Callable[[dict], tuple[bool, str]]] = {
    "walk forward": _walk,
    "spin in place": _spin,
    "keep shaking your hips aloha dude!": _hips,
    "jump up and down": _jump,
    "lie down": _lie,
}


@dataclasses.dataclass
class ApproachResult:
    prompt: str
    approach: int
    name: str
    passed: bool
    detail: str
    wall_s: float
    out_dir: str


def run_suite(steps: int, out_root: Path, *, prompts: list[str] | None = None, seed: int = 0,
              on_result: Callable[[ApproachResult], None] | None = None) -> dict[str, Any]:
    from tabrl.design.builtin import design_approaches
    from tabrl.render.metrics import behavior_metrics  # noqa: F401  (metrics come with each job)
    from tabrl.train.pipeline import run_training_job

    results: list[ApproachResult] = []
    start = time.perf_counter()
    for prompt in prompts or list(SUITE):
        check = SUITE[prompt]
        for i, program in enumerate(design_approaches(MODEL, prompt), start=1):
            out = Path(out_root) / prompt.replace(" ", "_").strip("!") / f"approach-{i}"
            t0 = time.perf_counter()
            res = run_training_job(MODEL, program, steps, out, seed=seed)
            ok, detail = check(res["metrics"])
            r = ApproachResult(prompt, i, program.name, ok, detail, time.perf_counter() - t0, str(out))
            results.append(r)
            if on_result is not None:
                on_result(r)
    by_prompt = {p: any(r.passed for r in results if r.prompt == p) for p in (prompts or list(SUITE))}
    return {
        "model": MODEL,
        "steps": steps,
        "wall_s": time.perf_counter() - start,
        "passed": sum(by_prompt.values()),
        "prompts": len(by_prompt),
        "by_prompt": by_prompt,
        "approaches": [dataclasses.asdict(r) for r in results],
    }
