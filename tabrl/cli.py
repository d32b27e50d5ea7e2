"""The `tabrl` command line (Typer). Each command is a thin shell over a package module."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from tabrl.base_cli import base_app
from tabrl.run_events import JobEvent, Progress, Rendering, Started
from tabrl.sessions_cli import sessions_app
from tabrl.terminal import console, err_console, fail

if TYPE_CHECKING:  # the pipeline imports JAX: only the commands that train load it
    from tabrl.pipeline import RunResult

os.environ.setdefault("MUJOCO_GL", "egl")

app = typer.Typer(
    help="TabRL Training Studio: a sentence in, trained robot behaviors out.", no_args_is_help=True
)
app.add_typer(base_app, name="base")
app.add_typer(sessions_app, name="sessions")


@app.command()
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List every trainable model: Playground environments and Menagerie robots."""
    from tabrl.robots.catalog import list_models

    entries = list_models()
    if as_json:
        print(json.dumps([e.model_dump() for e in entries], indent=2))
        return
    table = Table(title=f"{len(entries)} models ({sum(e.assets_available for e in entries)} with assets)")
    for col in ("id", "robot", "category", "body", "suite", "act", "obs", "ctrl dt"):
        table.add_column(col, no_wrap=col == "id")
    table.add_column("base policy", no_wrap=True)
    table.add_column("assets", overflow="fold", min_width=10)
    for e in entries:
        assets = "[green]yes[/]" if e.assets_available else f"[red]missing[/] {e.assets_reason}"
        bp = e.base_policy
        base_cell = (
            f"[green]✓ Available[/] (trained for {bp.steps:,} steps)" if bp.available and bp.steps else "-"
        )
        table.add_row(
            e.id,
            e.robot_name,
            e.category,
            e.body_plan.summary() if e.body_plan else "-",
            e.suite,
            str(e.action_size or "-"),
            str(e.observation_size or "-"),
            f"{e.ctrl_dt:g}" if e.ctrl_dt else "-",
            base_cell,
            assets,
        )
    console.print(table)


@app.command()
def schema() -> None:
    """Print the RewardProgram JSON Schema (what an LLM is given to write approaches)."""
    from tabrl.rewards.program import schema_json

    print(schema_json())


@app.command()
def doctor() -> None:
    """Check Python packages, GL rendering, ffmpeg and Menagerie assets; say how to fix each."""
    from tabrl.doctor import run_checks

    ok = True
    for check in run_checks():
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.name}: {check.detail}")
        if not check.ok:
            ok = False
            console.print(f"      fix: {check.fix}")
    if not ok:
        raise typer.Exit(1)


@app.command()
def providers(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the configured LLM providers (never their keys)."""
    from tabrl.design.llm import list_providers

    infos = list_providers()
    if as_json:
        print(json.dumps([i.model_dump() for i in infos], indent=2))
        return
    if not infos:
        console.print(
            "No LLM provider configured; the built-in designer is used. Set OPENAI_API_KEY or "
            "ANTHROPIC_API_KEY, or TABRL_LLM_PROVIDERS=NAME with TABRL_LLM_<NAME>_KIND/_BASE_URL/_API_KEY/_MODEL."
        )
        return
    table = Table(title=f"{len(infos)} LLM provider(s)")
    for col in ("name", "kind", "model", "base url", "mode", "key", "status"):
        table.add_column(col)
    for i in infos:
        key = f"set ({i.key_source})" if i.key_set else "none"
        status = (
            ("[green]ready[/]" + (" (default)" if i.default else "")) if i.ready else f"[red]{i.problem}[/]"
        )
        table.add_row(
            i.name, i.kind or "-", i.model or "-", i.base_url or "default", i.mode or "auto", key, status
        )
    console.print(table)


@app.command()
def approaches(
    prompt: str = typer.Argument(..., help='The behavior, in plain words, e.g. "keep shaking your hips".'),
    model: str = typer.Option(..., "--model", help="Catalog model id, e.g. Go1JoystickFlatTerrain."),
    as_json: bool = typer.Option(False, "--json", help="Print the three programs as JSON."),
    provider: str | None = typer.Option(
        None, "--provider", help="LLM provider name (default: built-in designer)."
    ),
    llm_model: str | None = typer.Option(None, "--llm-model", help="Model id for --provider."),
    fresh: bool = typer.Option(
        False, "--fresh", help="With --provider: ask again instead of using stored approaches."
    ),
    rehearse: bool = typer.Option(
        False,
        "--rehearse",
        help="Play each approach's motion prior in MuJoCo first (as the studio does), scaled down where the "
        "robot cannot stand under it.",
    ),
) -> None:
    """Design three reward approaches for PROMPT (built-in offline designer unless --provider is given)."""
    from rich.markup import escape

    from tabrl.design.builtin import DesignError, design
    from tabrl.robots.catalog import UnknownModel

    try:
        if provider and provider.strip().lower() != "builtin":
            from tabrl.design.builtin import check_prompt
            from tabrl.design.llm import design_with_provider
            from tabrl.design.providers import ProviderConfigError

            try:
                result = design_with_provider(model, check_prompt(prompt), provider, llm_model, fresh=fresh)
            except ProviderConfigError as e:
                fail(str(e))
            if result.error and not result.approaches:
                fail(result.error)
            if as_json:
                print(json.dumps([a.program for a in result.approaches], indent=2))
                return
            _print_design(result)
            return
        found = design(model, prompt)
    except (UnknownModel, DesignError) as e:
        fail(str(e))
    if rehearse:
        from tabrl.render.rehearsal import rehearse as rehearse_program
        from tabrl.robots.catalog import load_robot

        robot = load_robot(model)
        found.programs = [rehearse_program(robot, p) for p in found.programs]
    if as_json:
        print(json.dumps([p.model_dump(mode="json", exclude_none=True) for p in found.programs], indent=2))
        return
    table = Table(title=f"{found.robot} ({found.category}): {found.prompt[:60]}", show_lines=True)
    for col in ("#", "approach", "focus", "terms (weight)"):
        table.add_column(col, overflow="fold")
    for i, p in enumerate(found.programs, 1):
        lines = []
        for t in p.terms:
            data = t.model_dump(mode="json", exclude_none=True)
            params = data.get("params") or {}
            key = next((str(params[k]) for k in ("group", "axis", "pattern", "shape") if k in params), "")
            detail = data["expr"] if data["term"] == "expr" else key
            detail = detail if len(detail) <= 60 else detail[:57] + "..."
            lines.append(f"{data['weight']:>7g}  {data['term']}" + (f" [{detail}]" if detail else ""))
        if p.motion is not None:  # the motion prior and the success check, as on the page's cards
            from tabrl.rewards.motion import describe

            lines += ["motion: " + m for m in describe(p.motion)]
        if p.success:
            lines.append("success: " + " and ".join(c.label() for c in p.success))
        if p.rehearsal is not None:
            lines.append(p.rehearsal.note)
        table.add_row(str(i), escape(p.name), escape(p.summary), escape("\n".join(lines)))
    console.print(table)
    for note in found.notes:
        console.print(f"[dim]note: {escape(note)}[/]")


@app.command()
def refine(
    job: str = typer.Argument(
        ..., help="A finished job's directory (metadata.json, metrics.json) or its id."
    ),
    say: str | None = typer.Option(None, "--say", help='What to change, e.g. "more hips, less jumping".'),
    provider: str | None = typer.Option(
        None, "--provider", help="LLM provider name; 'builtin' for the rules."
    ),
    model: str | None = typer.Option(None, "--model", help="Model id for the provider."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Propose three improved programs for a finished run (LLM if configured, else built-in rules)."""
    from tabrl.design.providers import ProviderConfigError
    from tabrl.design.refine import RunNotFound, load_run, refine_approaches
    from tabrl.jobs.runs import run_dir
    from tabrl.robots.catalog import UnknownModel

    try:
        run = load_run(job, studio_job_dir=run_dir)
        result = refine_approaches(
            run.model_id, run.program, run.term_shares, run.metrics, say, provider=provider, model=model
        )
    except (RunNotFound, ProviderConfigError, UnknownModel, FileNotFoundError) as e:
        fail(str(e))
    if as_json:
        print(result.model_dump_json(indent=2))
        return
    _print_design(result)


def _print_design(result) -> None:
    """Prints one provider's approaches (shared by `approaches --provider` and `refine`)."""
    head = f"[bold]{result.label}[/]" + (" [dim](cached)[/]" if result.cached else "")
    console.print(head)
    if result.error:
        err_console.print(f"[bold red]error:[/] {result.error}")
    for i, a in enumerate(result.approaches, 1):
        p = a.program
        tag = " [yellow](fallback)[/]" if a.fallback else ""
        console.print(f"[bold]{i}. {p.get('name')}[/]{tag} — {p.get('summary', '')}")
        for t in p.get("terms", []):
            detail = t.get("expr") or json.dumps(t.get("params") or {})
            console.print(f"     {t.get('weight'):>8g}  {t.get('term')}  {detail}")
        for note in p.get("notes") or []:
            console.print(f"     [dim]note: {note}[/]")
    if result.error and not result.approaches:
        raise typer.Exit(1)


def _runs_dir(model: str, prompt: str):
    import re
    import time as _time

    from tabrl.config import get_settings

    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:40] or "run"
    return get_settings().data_dir / "runs" / f"{_time.strftime('%Y%m%d-%H%M%S')}-{model}-{slug}"


@app.command()
def train(
    model: str = typer.Option(..., "--model", help="Catalog model id, e.g. Go1JoystickFlatTerrain."),
    prompt: str = typer.Option(..., "--prompt", help="The behavior, in plain words."),
    approach: str = typer.Option("all", "--approach", help="1, 2, 3 or all."),
    steps: int = typer.Option(
        50_000, "--steps", min=1_000, max=100_000_000, help="Environment steps to train."
    ),
    backend: str = typer.Option("auto", "--backend", help="native (CPU), mjx (GPU) or auto."),
    init: Path | None = typer.Option(None, "--init", help="Checkpoint to fine-tune from."),
    from_scratch: bool = typer.Option(
        False,
        "--from-scratch",
        help="Do not start from the robot's base policy (the default where one fits).",
    ),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: data dir/runs/...)."),
    seed: int = typer.Option(0, "--seed"),
    seconds: float = typer.Option(10.0, "--seconds", min=1.0, max=60.0, help="Video length."),
) -> None:
    """Design three approaches for PROMPT, train them (PPO), render their videos."""
    from tqdm import tqdm

    from tabrl.design.builtin import design_approaches
    from tabrl.pipeline import run_training_job
    from tabrl.robots.catalog import UnknownModel

    if approach not in ("1", "2", "3", "all"):
        fail(f"--approach must be 1, 2, 3 or all (got '{approach}')")
    if backend not in ("auto", "native", "mjx"):
        fail(f"--backend must be native, mjx or auto (got '{backend}')")
    try:
        programs = design_approaches(model, prompt)
    except UnknownModel as e:
        fail(str(e))
    except ValueError as e:
        fail(str(e))
    chosen = (
        list(enumerate(programs, start=1))
        if approach == "all"
        else [(int(approach), programs[int(approach) - 1])]
    )
    root = out or _runs_dir(model, prompt)
    if approach == "all" and init is None and len(chosen) > 1:
        # As the studio's Train All: one physics batch and one vmapped PPO update for the three, then the videos.
        from tabrl.pipeline import run_training_batch

        for i, program in chosen:
            console.print(f"[bold]Approach {i}: {program.name}[/] — {program.summary}")
        bars = [
            tqdm(total=steps, unit="step", unit_scale=True, desc=f"approach {i}", leave=True, position=n)
            for n, (i, _) in enumerate(chosen)
        ]
        handlers = [_train_events(bar, i) for bar, (i, _) in zip(bars, chosen, strict=True)]
        results = run_training_batch(
            model,
            [program for _, program in chosen],
            steps,
            [root / f"approach-{i}" for i, _ in chosen],
            seeds=[seed] * len(chosen),
            backend=backend,
            from_base=False if from_scratch else None,
            render_seconds=seconds,
            on_event=lambda k, e: handlers[k](e),
        )
        for bar in bars:
            bar.close()
        errors = []
        for (i, program), outcome in zip(chosen, results, strict=True):
            if isinstance(outcome, BaseException):  # a refused program fails its own approach only
                errors.append(f"approach {i}: {outcome}")
            else:
                console.print(f"[bold]Approach {i}: {program.name}[/]")
                _print_train_result(outcome)
        if errors:
            fail("; ".join(errors))
        console.print(f"Artifacts in {root}")
        return
    for i, program in chosen:
        console.print(f"[bold]Approach {i}: {program.name}[/] — {program.summary}")
        bar = tqdm(total=steps, unit="step", unit_scale=True, desc=f"approach {i}", leave=True)
        try:
            result = run_training_job(
                model,
                program,
                steps,
                root / f"approach-{i}",
                seed=seed,
                backend=backend,
                init_checkpoint=init,
                from_base=False if from_scratch else None,
                render_seconds=seconds,
                on_event=_train_events(bar, i),
            )
        except Exception as e:  # a refused program or a bad checkpoint is the user's to fix
            bar.close()
            fail(f"approach {i}: {e}")
        bar.close()
        _print_train_result(result)
    console.print(f"Artifacts in {root}")


def _train_events(bar, i: int):
    """A training job's events as a tqdm bar: steps, reward and speed; its start; its filming."""

    def on_event(event: JobEvent) -> None:
        match event:
            case Progress(data=p):
                bar.total = p.total_steps
                bar.n = p.steps
                bar.set_postfix(reward_per_step=f"{p.mean_step_reward:.3g}", sps=f"{p.steps_per_s:.0f}")
                bar.refresh()
            case Started(data=d) if d.init:
                bar.write(f"  approach {i} start: {d.init}")
            case Rendering(data=r) if r.fraction == 0.0:
                bar.set_description(f"approach {i} (rendering)")

    return on_event


def _print_train_result(result: RunResult) -> None:
    m: dict[str, Any] = result.metrics
    console.print(
        f"  policy:   {result.checkpoint}\n  video:    {result.video}\n  poster:   {result.poster}"
        f"\n  metrics:  forward {m['forward_speed_mps']:.2f} m/s, yaw rate {m['yaw_rate_radps']:.2f} rad/s, "
        f"height {m['base_height_mean_m']:.3f} m, drift {m['drift_m']:.2f} m, falls {m['falls']}"
        f"\n  curve:    {result.curve_summary}"
        f"\n  time:     train {result.train_wall_s:.1f} s, total {result.wall_s:.1f} s"
        + (f" (one batch of {result.batch})" if result.batch else "")
    )
    if m.get("verdict"):  # the approach's own success check, measured on the video's rollout
        v = m["verdict"]
        console.print(f"  verdict:  [{'green' if v['passed'] else 'red'}]{v['summary']}[/]", highlight=False)
    if result.start_vs_trained:  # the trained policy or, where training did not beat it, its start
        c: dict[str, Any] = result.start_vs_trained
        console.print(
            f"  start:    [{'yellow' if c['kept'] == 'start' else 'green'}]{c['note']}[/]", highlight=False
        )


@app.command()
def render(
    checkpoint: Path = typer.Argument(..., help="A policy checkpoint folder."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: beside the checkpoint)."),
    seconds: float = typer.Option(10.0, "--seconds", min=1.0, max=60.0),
) -> None:
    """Render a trained policy's video, poster, trajectory and metrics."""
    from tabrl.pipeline import run_render_job
    from tabrl.train.checkpoint import CheckpointError

    try:
        result = run_render_job(checkpoint, out or checkpoint.parent / "render", seconds=seconds)
    except CheckpointError as e:
        fail(str(e))
    console.print(
        f"video: {result.video}\nposter: {result.poster}\nmetrics: {result.metrics['forward_speed_mps']:.2f} m/s forward"
    )


@app.command()
def export(
    checkpoint: Path = typer.Argument(
        ..., help="A policy checkpoint folder (the policy/ of a trained approach)."
    ),
    onnx: bool = typer.Option(True, "--onnx/--no-onnx", help="Write policy.onnx + policy.json + model.mjb."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: the checkpoint folder)."),
) -> None:
    """Export a policy to run outside the studio: ONNX graph, controller sidecar, MuJoCo model."""
    from tabrl.export.onnx import ExportError
    from tabrl.train.checkpoint import CheckpointError

    if not onnx:
        fail("nothing to export: ONNX is the only export format (drop --no-onnx)")
    from tabrl.export.checkpoint import export_checkpoint

    try:
        paths = export_checkpoint(checkpoint, out)
    except (CheckpointError, ExportError) as e:
        fail(str(e))
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")


@app.command()
def play(
    checkpoint: Path = typer.Argument(..., help="A policy checkpoint folder."),
    seconds: float = typer.Option(60.0, "--seconds", min=1.0, max=3600.0),
) -> None:
    """Watch a policy drive its robot in MuJoCo's interactive viewer (needs a display)."""
    from tabrl.export import run_policy

    if not run_policy.has_display():
        fail(
            "no display: `tabrl play` opens MuJoCo's viewer, which needs X11 or Wayland (DISPLAY and "
            "WAYLAND_DISPLAY are unset). Without one, `tabrl render CHECKPOINT` writes a video instead."
        )
    if not (checkpoint / "policy.onnx").exists():
        from tabrl.export.checkpoint import export_checkpoint

        export_checkpoint(checkpoint)
    from tabrl.config import get_settings
    from tabrl.export.model_store import ModelStoreError, standalone_folder
    from tabrl.jobs.layout import model_store_dir

    try:  # a studio policy's model is in the data directory's shared store
        with standalone_folder(checkpoint, model_store_dir(get_settings().data_dir)) as folder:
            run_policy.run(folder, seconds, viewer=True)
    except ModelStoreError as e:
        fail(str(e))


@app.command()
def thumbnails(
    model: list[str] | None = typer.Option(None, "--model", help="Only these ids."),
    missing: bool = typer.Option(False, "--missing", help="Only models without a thumbnail yet."),
) -> None:
    """Render a still for every catalog model whose assets are present."""
    from tabrl.render.thumbnails import render_thumbnails
    from tabrl.robots.catalog import list_models

    if missing and not model:
        model = [e.id for e in list_models() if e.assets_available and not e.thumbnail]
        if not model:
            console.print("every model has a thumbnail")
            return
    for model_id, path, error in render_thumbnails(model):
        console.print(f"{model_id}: {path}" if path else f"{model_id}: [yellow]skipped[/] ({error})")


@app.command()
def serve(
    host: str | None = typer.Option(None, "--host", help="Address to bind (default TABRL_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default TABRL_PORT, 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Jobs trained at once (default TABRL_MAX_WORKERS)."
    ),
) -> None:
    """Run the Training Studio: the page at http://HOST:PORT/, the API under /api, its docs at /docs."""
    import uvicorn

    from tabrl.api.app import create_app
    from tabrl.api.security import is_loopback
    from tabrl.config import get_settings

    updates = {k: v for k, v in {"host": host, "port": port, "max_workers": workers}.items() if v is not None}
    settings = get_settings().model_copy(update=updates)
    if not is_loopback(settings.host) and not settings.token:
        fail(
            f"binding {settings.host} makes the studio reachable from other machines; set TABRL_TOKEN to a secret "
            "first (every call must then carry it), or bind 127.0.0.1"
        )
    if settings.executor == "ray":
        if settings.ray_address:  # an unreachable cluster is named now, not in a start-up traceback
            from tabrl.jobs.ray_executor import ClusterUnreachable, check_address

            try:
                check_address(settings.ray_address)
            except ClusterUnreachable as exc:
                fail(str(exc))
        where = f"jobs on the Ray cluster at {settings.ray_address or 'a private Ray instance'}"
    else:
        where = f"{settings.max_workers} job(s) at once"
    console.print(
        f"TabRL Training Studio on [bold]http://{settings.host}:{settings.port}/[/] "
        f"({where}; data in {settings.data_dir})"
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


@app.command()
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
    from tabrl.bench.perf import camera_trace_all, rehearsal_cost, run_all

    if rehearsal:
        print(json.dumps(rehearsal_cost(), indent=2))
        return
    if soak:
        from tabrl.bench.soak import markdown_table, run_soak

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
    if load:
        from tabrl.bench.load import run_load
        from tabrl.bench.perf import native_env_throughput

        raw = native_env_throughput(seconds=3.0)["raw_rollout_steps_per_s"]
        result = run_load(reads=reads, clients=ws_clients)
        print(json.dumps({"raw_go1_physics_steps_per_s": raw, **result}, indent=2))
        return
    if first_train_all:
        from tabrl.bench.perf import first_and_warm_train_all, native_env_throughput

        raw = native_env_throughput(seconds=3.0)["raw_rollout_steps_per_s"]
        result = first_and_warm_train_all(raw, None)
        print(json.dumps({"raw_go1_physics_steps_per_s": raw, **result}, indent=2))
        return
    print(json.dumps(run_all(quick=quick, train_all=train_all, studio_jobs=not no_studio), indent=2))


@app.command("eval-behaviors")
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
) -> None:
    """Train the built-in designer's approaches for a robot's behavior suite and check the metrics."""
    from tabrl.bench.behaviors import run_suite, suite_for
    from tabrl.config import get_settings

    try:
        suite = suite_for(model)
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
        on_result=lambda r: console.print(
            f"{'[green]PASS[/]' if r.passed else '[red]fail[/]'} {r.prompt!r} #{r.approach} {r.name}: "
            f"{r.detail} ({r.wall_s:.0f} s); own check: {r.own_check or 'none'}",
            highlight=False,
        ),
    )
    if report_file is not None:
        report_file.write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "approaches"}, indent=2))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
