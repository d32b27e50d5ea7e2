"""`tabrl bench`: the engine's performance figures, measured in one run on this machine."""

from __future__ import annotations

import os
from typing import Any

from tabrl.bench.drawing import RENDER_MODELS, camera_trace_all, render_ms_per_frame
from tabrl.bench.engine import (
    BENCH_MODEL,
    end_to_end,
    envpool_throughput,
    native_env_throughput,
    ppo_throughput,
    rehearsal_cost,
)
from tabrl.bench.studio_runs import first_and_warm_train_all, studio
from tabrl.config import VIDEO_SECONDS


def run_all(quick: bool = False, train_all: bool = False, studio_jobs: bool = True) -> dict[str, Any]:
    """Every figure in one run; each ratio's two sides are measured one right after the other."""
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}
    native = native_env_throughput(seconds=1.0 if quick else 3.0)
    out["native_env"] = native
    out["ppo"] = [ppo_throughput(BENCH_MODEL, 10_000 if quick else 30_000)]
    if not quick:
        out["ppo"].append(ppo_throughput("CheetahRun", 30_000, prompt="run forward fast"))
    go1_ppo = out["ppo"][0]
    render = render_ms_per_frame(seconds=2.0 if quick else VIDEO_SECONDS)
    out["render"] = render
    if not quick:  # the other robots the issue names, shorter (2 s videos)
        out["render_other_robots"] = {}
        for model_id in RENDER_MODELS:
            try:
                r = render_ms_per_frame(model_id, seconds=2.0)
            except Exception as e:  # a robot whose assets are missing here
                out["render_other_robots"][model_id] = {"error": f"{type(e).__name__}: {e}"}
                continue
            out["render_other_robots"][model_id] = {
                k: r[k]
                for k in (
                    "ours_ms_per_frame",
                    "bare_renderer_ms_per_frame",
                    "bare_renderer_decimated_ms_per_frame",
                    "ratio_ours_to_bare",
                )
            }
    out["camera_trace"] = camera_trace_all(seconds=2.0 if quick else 4.0)
    out["rehearsal"] = rehearsal_cost()
    out["envpool"] = envpool_throughput(seconds=1.0 if quick else 3.0)
    if train_all and not quick:  # first: a fresh server, as after `make run`
        out["train_all_first_and_warm"] = first_and_warm_train_all(
            native["raw_rollout_steps_per_s"], render["bare_renderer_ms_per_frame"]
        )
    if studio_jobs and not quick:
        out["studio"] = studio(
            train_all, native["raw_rollout_steps_per_s"], render["bare_renderer_ms_per_frame"]
        )
    elif not quick:
        out["end_to_end"] = end_to_end()
    ratios = {
        "native_env_to_raw_physics": native["ratio_to_raw_rollout"],
        "ppo_to_native_env": go1_ppo["steps_per_s_after_compile"] / native["env_steps_per_s"],
        "render_to_bare_renderer": render["ratio_ours_to_bare"],
        "decimated_floor_to_bare_renderer": render["ratio_floor_lowered"],
    }
    for r in out["camera_trace"]:
        if "ratio_camera_and_trace_to_fixed" in r:
            ratios[f"camera_and_trace_to_fixed_camera_{r['model']}"] = r["ratio_camera_and_trace_to_fixed"]
    if "studio" in out:
        ratios["warm_job_dequeue_to_first_progress_s"] = out["studio"]["job_start"][
            "warm_dequeue_to_first_progress_s"
        ]
        ratios["approaches_cli_warm_s"] = out["studio"]["approaches_cli"]["warm_s"]
        if "train_all" in out["studio"]:
            ratios["train_all_to_physics_plus_bare_render"] = out["studio"]["train_all"][
                "ratio_wall_to_physics_plus_bare_render"
            ]
            ratios["train_all_batched_to_separate_jobs"] = out["studio"]["train_all"][
                "ratio_to_separate_jobs"
            ]
            ratios["train_all_estimate_error"] = out["studio"]["train_all"]["estimate_error"]
    if "train_all_first_and_warm" in out:
        ratios["train_all_first_to_warm"] = out["train_all_first_and_warm"]["ratio_first_to_warm"]
    out["ratios"] = ratios
    out["machine"]["load_avg_at_end"] = os.getloadavg()
    return out
