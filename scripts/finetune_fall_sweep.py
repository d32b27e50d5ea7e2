"""How often a fine-tune from the base policy falls: the designer's approaches for one prompt x seeds, one batch.

    python scripts/finetune_fall_sweep.py OUT_DIR [--steps 20000] [--seeds 0,1,2] [--set learning_rate=3e-4]
        [--warmup 10] [--std-factor 0.5] [--from-scratch] [--model ID] [--prompt "walk forward"]

Trains every (approach, seed) pair as one Train All batch (``pipeline.run_training_batch``), then prints
each slice's 10 s rollout figures and the fall rate: the share of slices with upright_fraction < 0.8
or falls >= 1 (metrics.json). ``--set`` overrides a PPOConfig field of the budget's settings,
``--warmup`` the critic warm-up iterations, ``--std-factor`` scales the base's starting action noise
(the softplus std of the policy's last layer, at its bias).
"""

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from tabrl import pipeline
from tabrl.design.builtin import design_approaches
from tabrl.train import finetune, ppo


def _scale_start_noise(factor: float) -> None:
    load = finetune.init_from_base

    def init_from_base(robot, motion, cfg, folder=None):
        params, note = load(robot, motion, cfg, folder)
        if params is None:
            return params, note
        normalizer, policy, value = params
        layers = policy["params"]
        last = sorted(layers, key=lambda k: int(k.rsplit("_", 1)[-1]))[-1]
        bias = np.array(layers[last]["bias"])
        nu = bias.shape[0] // 2
        bias[nu:] = np.log(np.expm1(factor * np.log1p(np.exp(bias[nu:]))))  # softplus^-1(factor * softplus)
        policy = {**policy, "params": {**layers, last: {**layers[last], "bias": bias}}}
        return (normalizer, policy, value), f"{note} (start noise x{factor})"

    finetune.init_from_base = init_from_base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--model", default="Go1JoystickFlatTerrain")
    ap.add_argument("--prompt", default="walk forward")
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    ap.add_argument("--warmup", type=int, default=None)
    ap.add_argument("--std-factor", type=float, default=1.0)
    ap.add_argument("--from-scratch", action="store_true")
    a = ap.parse_args()

    overrides = {k: json.loads(v) for k, v in (s.split("=", 1) for s in a.set)}
    budget_settings = ppo.ppo_config_for
    # The script's knobs go in where the pipeline asks for them (measurement only, not a product setting).
    pipeline.job._ppo_config_for = lambda steps, category="classic": dataclasses.replace(
        budget_settings(steps, category), **overrides
    )
    if a.warmup is not None:
        finetune.CRITIC_WARMUP_ITERS = a.warmup
    if a.std_factor != 1.0:
        _scale_start_noise(a.std_factor)

    seeds = [int(s) for s in a.seeds.split(",")]
    approaches = design_approaches(a.model, a.prompt)
    programs = [p for p in approaches for _ in seeds]
    slice_seeds = seeds * len(approaches)
    outs = [a.out / f"{i}_{s}" for i in range(len(approaches)) for s in seeds]
    start = time.perf_counter()
    results = pipeline.run_training_batch(
        a.model, programs, a.steps, outs, seeds=slice_seeds, from_base=not a.from_scratch
    )
    fell = 0
    for out, result, program in zip(outs, results, programs, strict=True):
        if isinstance(result, BaseException):
            raise result
        m = json.loads((out / "metrics.json").read_text())
        down = m["upright_fraction"] < 0.8 or m["falls"] >= 1
        fell += down
        print(
            f"{out.name:5} {program.name[:22]:22} forward {m['forward_speed_mps']:5.2f} m/s "
            f"upright {m['upright_fraction']:.2f} roll {m['roll_mean_abs_rad']:.2f} falls {m['falls']}"
            f"{'  FELL' if down else ''}"
        )
    print(
        f"fell {fell}/{len(outs)} ({a.steps} steps, seeds {a.seeds}, overrides {overrides}, "
        f"warm-up {finetune.CRITIC_WARMUP_ITERS}, start noise x{a.std_factor}, from "
        f"{'scratch' if a.from_scratch else 'the base'}; {time.perf_counter() - start:.0f} s)"
    )


if __name__ == "__main__":
    main()
