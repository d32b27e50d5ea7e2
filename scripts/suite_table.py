"""The public suites' table from `tabrl eval-behaviors --json` reports: each report's approaches re-checked
with today's suite checks (from their saved metrics.json), one markdown row per report.

    tabrl eval-behaviors --model Op3Joystick --suite body --steps 50000 --json op3.json
    python scripts/suite_table.py op3.json=dd63548 spot.json ...   # =COMMIT: the code the report ran

A row: robot, prompts passed (a prompt passes when one approach passes), each prompt's passing approaches,
approaches that fell, the report's wall time.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tabrl.bench.behaviors import check_metrics, suite_for
from tabrl.robots.catalog import load_robot


def row(report_path: Path, commit: str = "") -> str:
    report = json.loads(report_path.read_text())
    model = report["model"]
    spec = load_robot(model).spec
    suite = suite_for(model, report.get("suite", "body"), spec)
    by_prompt: dict[str, list[bool]] = {}
    fell = 0
    for approach in report["approaches"]:
        out_dir = Path(approach["out_dir"])
        if not out_dir.is_absolute():  # written relative to where the report's command ran
            out_dir = report_path.parent.parent / out_dir
        metrics = json.loads((out_dir / "metrics.json").read_text())
        passed, _ = check_metrics(spec, suite[approach["prompt"]], metrics)
        by_prompt.setdefault(approach["prompt"], []).append(passed)
        fell += int((metrics.get("falls") or 0) > 0)
    passed = sum(any(v) for v in by_prompt.values())
    each = "; ".join(f"{p} {sum(v)}/{len(v)}" for p, v in by_prompt.items())
    n = sum(len(v) for v in by_prompt.values())
    wall = f"{report['wall_s']:.0f} s"
    return f"| {model} | **{passed} / {len(by_prompt)}** | {each} | {fell} / {n} | {wall} | {commit} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("reports", nargs="+", help="REPORT.json or REPORT.json=COMMIT")
    args = parser.parse_args()
    print(
        "| robot | prompts passed | approaches passing, per prompt | approaches that fell | wall | commit |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for arg in args.reports:
        path, _, commit = arg.partition("=")
        print(row(Path(path), f"`{commit}`" if commit else ""))


if __name__ == "__main__":
    main()
