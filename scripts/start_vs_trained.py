"""Does training beat its own start? Suite prompts trained as the page's Train All does, start against trained.

    python scripts/start_vs_trained.py --model Go1JoystickFlatTerrain --steps 10000 --seed 0 \\
        --prompt "walk forward" --prompt "spin in place" [--json out.json]

For each prompt the built-in designer's three approaches are rehearsed (as the page does when it designs them)
and trained as one batch (``pipeline.run_training_batch``); the pipeline measures each approach's start (the
base policy, or the zero action, with the approach's prior and a zero residual) and the trained policy on the
video's deterministic rollout and keeps the better (``tabrl/render/beat_start.py``). This prints, per
approach: falls, the approach's own success check and the mean per-step reward of both, which was kept, and
whether the kept policy passes the suite's check. The table is markdown, for docs/behaviors.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's tabrl, also when run as a plain script

from tabrl.bench.behaviors import check_metrics, suite_for  # noqa: E402


def _verdict(passed: bool | None) -> str:
    return "–" if passed is None else ("✓" if passed else "✗")


def _side(f: dict[str, Any]) -> str:
    return f"{f['falls']} / {_verdict(f['passed'])} / {f['mean_step_reward']:.2f}"


def run(model: str, prompts: list[str], steps: int, seed: int, out_root: Path) -> list[dict[str, Any]]:
    from tabrl.design.builtin import design_approaches
    from tabrl.pipeline import run_training_batch
    from tabrl.render.rehearsal import rehearse
    from tabrl.robots.catalog import load_robot

    robot = load_robot(model)
    suite = suite_for(model)
    rows = []
    for prompt in prompts:
        if prompt not in suite:
            raise SystemExit(f"unknown suite prompt '{prompt}' for {model}; allowed: {', '.join(suite)}")
        t0 = time.perf_counter()
        programs = [rehearse(robot, p) for p in design_approaches(model, prompt)]
        outs = [
            out_root / prompt.replace(" ", "_").strip("!") / f"approach-{i}"
            for i in range(1, len(programs) + 1)
        ]
        results = run_training_batch(model, programs, steps, outs, seeds=[seed] * len(programs))
        wall = time.perf_counter() - t0
        for i, (program, res) in enumerate(zip(programs, results, strict=True), start=1):
            if isinstance(res, BaseException):
                raise res
            cmp = res.start_vs_trained or {}
            suite_ok, _ = check_metrics(robot.spec, suite[prompt], res.metrics)
            rows.append(
                {
                    "prompt": prompt,
                    "approach": i,
                    "name": program.name,
                    "rehearsal": program.rehearsal.note if program.rehearsal else None,
                    "start_label": cmp["start_label"],
                    "start": cmp["start"],
                    "trained": cmp["trained"],
                    "kept": cmp["kept"],
                    "reason": cmp["reason"],
                    "kept_passes_suite": suite_ok,
                    "prompt_wall_s": round(wall, 1),
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| prompt | approach | start: falls / check / reward | trained: falls / check / reward | kept | suite check (kept) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        kept = "**start**" if r["kept"] == "start" else "trained"
        if r["reason"]:
            kept += f" ({r['reason']})"
        lines.append(
            f"| {r['prompt']} | #{r['approach']} {r['name']} | {_side(r['start'])} | {_side(r['trained'])} "
            f"| {kept} | {'pass' if r['kept_passes_suite'] else '–'} |"
        )
    fell = [r for r in rows if r["trained"]["falls"] and not r["start"]["falls"]]
    kept_start = [r for r in rows if r["kept"] == "start"]
    kept_fell = [r for r in rows if r[r["kept"]]["falls"] and not r["start"]["falls"]]
    lines.append("")
    lines.append(
        f"{len(rows)} approaches: training fell where its start stood in {len(fell)}; the start was kept in "
        f"{len(kept_start)}; the kept policy fell where its start stood in {len(kept_fell)}."
    )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="Go1JoystickFlatTerrain")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--prompt", action="append", help="a suite prompt (repeatable; default: the whole suite)")
    ap.add_argument("--json", type=Path, help="also write the rows here")
    ap.add_argument("--keep", type=Path, help="keep the jobs' folders here (default: a temporary folder)")
    args = ap.parse_args()
    prompts = args.prompt or list(suite_for(args.model))
    out_root = args.keep or Path(tempfile.mkdtemp(prefix="start-vs-trained-"))
    try:
        rows = run(args.model, prompts, args.steps, args.seed, out_root)
    finally:
        if args.keep is None:
            shutil.rmtree(out_root, ignore_errors=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(table(rows))


if __name__ == "__main__":
    main()
