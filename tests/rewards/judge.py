"""The labelled judge set's verdicts: the designer's success check for each labelled rollout's prompt and
approach, measured on the stored rollout, against the label a person gave it (data/judge/labels.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "judge"


def labels() -> list[dict[str, Any]]:
    return json.loads((DATA / "labels.json").read_text())["cases"]


def cases() -> dict[str, tuple[str, str, int, str]]:
    """name -> (model, prompt, approach, policy), as scripts/judge_set.py rolled them out."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("judge_set", DATA.parents[3] / "scripts" / "judge_set.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


def _robot(model_id: str) -> Any:
    from tabrl.robots.catalog import load_robot

    return load_robot(model_id)


def judge(name: str, model_id: str, prompt: str, approach: int) -> dict[str, Any]:
    from tabrl.design import design_approaches
    from tabrl.render.metrics import behavior_metrics, evaluate_success
    from tabrl.render.rollout import load_trajectory
    from tabrl.robots.observables import observables_of

    robot = _robot(model_id)
    program = design_approaches(model_id, prompt)[approach]
    metrics = behavior_metrics(robot, load_trajectory(robot, DATA / f"{name}.npz"))
    verdict = evaluate_success(robot.spec, metrics, program.success, observables_of(robot))
    return {
        "passed": bool(verdict and verdict["passed"]),
        "summary": verdict["summary"] if verdict else "(no check)",
    }


def judge_all(which: str | None = None) -> list[dict[str, Any]]:
    table = cases()
    rows = []
    # one robot at a time: the catalog keeps the last few compiled, so memory stays flat
    for label in sorted(labels(), key=lambda lb: table[lb["name"]][0]):
        if which and label["set"] != which:
            continue
        model_id, prompt, approach, _policy = table[label["name"]]
        got = judge(label["name"], model_id, prompt, approach)
        rows.append({**label, "label": label["pass"], **got, "agree": got["passed"] == label["pass"]})
    return rows
