"""`tabrl bench | eval-behaviors`: performance figures, and the behavior suite trained and checked."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tabrl.config import get_settings
from tabrl.terminal import console, err_console, fail


def bench(
    quick: bool = typer.Option(False, "--quick", help="Shorter measurements, no studio run."),
    train_all: bool = typer.Option(
        False,
        "--train-all",
        help="Also time a Train All of three Go1 approaches (50k steps, 10 s videos) through `tabrl serve`.",
    ),
    no_studio: bool = typer.Option(
        False,
        "--no-studio",
        help="Skip the `tabrl serve` measurements (job start, CLI); time one job in-process instead.",
    ),
    camera_trace: bool = typer.Option(
        False,
        "--camera-trace",
        help="Only the arms' per-frame drawing cost: fixed camera, video camera, video camera + trace.",
    ),
    rehearsal: bool = typer.Option(
        False, "--rehearsal", help="Only the rehearsal's cost per approach (Go1 and H1), beside raw physics."
    ),
    first_train_all: bool = typer.Option(
        False,
        "--first-train-all",
        help="Only the first Train All after a fresh `tabrl serve` beside a warm one (and raw Go1 physics).",
    ),
    load: bool = typer.Option(
        False,
        "--load",
        help="Only the load test: catalog reads idle, then --reads concurrent reads and --ws-clients "
        "WebSocket clients beside a Train All.",
    ),
    reads: int = typer.Option(300, "--reads", min=1, max=2000, help="Concurrent catalog reads (--load)."),
    ws_clients: int = typer.Option(10, "--ws-clients", min=1, max=200, help="WebSocket clients (--load)."),
    soak: int = typer.Option(
        0,
        "--soak",
        min=0,
        help="Only a soak: N Train Alls back to back through `tabrl serve` (mixed robots, some cancels), "
        "recording workers' and server's memory and open files, data and database size, event rows, errors.",
    ),
    soak_steps: int = typer.Option(
        2_000, "--soak-steps", min=1_000, help="Training steps per soak approach."
    ),
) -> None:
    """Print performance figures and their ratios as JSON: native env / raw physics, PPO / native env, our video /
    a bare renderer, warm-job start latency and the CLI's `approaches` latency, each pair measured in one run."""
    from tabrl.bench.drawing import camera_trace_all  # MuJoCo, JAX: each bench loads its own
    from tabrl.bench.engine import native_env_throughput, rehearsal_cost
    from tabrl.bench.perf import run_all

    if rehearsal:
        print(json.dumps(rehearsal_cost(), indent=2))
        return
    if soak:
        from tabrl.bench.soak import markdown_table, run_soak  # a served studio's client: only with --soak

        report = run_soak(
            soak,
            steps=soak_steps,
            on_round=lambda r: err_console.print(
                f"Train All {r['round']} ({r['robot']}): {r['wall_s']} s, "
                f"{sorted(r['statuses'].values())}, {r['errors']} errors so far",
                highlight=False,
                soft_wrap=True,
            ),
        )
        err_console.print(markdown_table(report), highlight=False, soft_wrap=True)
        print(json.dumps(report, indent=2))
        return
    if camera_trace:
        print(json.dumps(camera_trace_all(seconds=2.0 if quick else 4.0), indent=2))
        return
    if load or first_train_all:  # each beside raw Go1 physics, measured just before it
        raw = native_env_throughput(seconds=3.0)["raw_rollout_steps_per_s"]
        if load:
            from tabrl.bench.load import run_load  # only with --load

            result = run_load(reads=reads, clients=ws_clients)
        else:
            from tabrl.bench.studio_runs import first_and_warm_train_all  # only without --load

            result = first_and_warm_train_all(raw, None)
        print(json.dumps({"raw_go1_physics_steps_per_s": raw, **result}, indent=2))
        return
    print(json.dumps(run_all(quick=quick, train_all=train_all, studio_jobs=not no_studio), indent=2))


def eval_behaviors(
    steps: int = typer.Option(200_000, "--steps", min=1_000, help="Training steps per approach."),
    prompt: list[str] | None = typer.Option(None, "--prompt", help="Only these suite prompts."),
    model: str = typer.Option("Go1JoystickFlatTerrain", "--model", help="Robot whose suite to run."),
    out: Path | None = typer.Option(None, "--out"),
    report_file: Path | None = typer.Option(
        None, "--json", help="Also write the full report (every approach)."
    ),
    from_base: bool | None = typer.Option(
        None,
        "--from-base/--from-scratch",
        help="Start every approach from the base policy, or from scratch "
        "(default: the robot category's default).",
    ),
    one_by_one: bool = typer.Option(
        False,
        "--one-by-one",
        help="Train each approach as its own job (as 'Train This'); default: the three as one batch, "
        "as the page's Train All.",
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Training seed of every approach."),
    suite_kind: str = typer.Option(
        "own",
        "--suite",
        help="'own': the robot's own suite (a seed robot's; else its body's public suite); 'body': the public "
        "suite of its body's kind (humanoid, quadruped, hand, arm, ...).",
    ),
) -> None:
    """Train the built-in designer's approaches for a robot's behavior suite and check the metrics."""
    from tabrl.bench.behaviors import run_suite, suite_for  # JAX: this command only

    try:
        suite = suite_for(model, suite_kind)
    except ValueError as e:
        fail(str(e))
    for p in prompt or []:
        if p not in suite:
            fail(f"unknown suite prompt '{p}' for {model}; allowed: {', '.join(suite)}")
    root = out or get_settings().data_dir / "behavior-suite"
    report = run_suite(
        steps,
        root,
        prompts=prompt,
        seed=seed,
        model=model,
        from_base=from_base,
        batch=not one_by_one,
        suite_kind=suite_kind,
        on_result=lambda r: console.print(
            f"{'[green]PASS[/]' if r.passed else '[red]fail[/]'} {r.prompt!r} #{r.approach} {r.name}: "
            f"{r.detail} ({r.wall_s:.0f} s); own check: {r.own_check or 'none'}",
            highlight=False,
        ),
    )
    if report_file is not None:
        report_file.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "approaches"}, indent=2))
