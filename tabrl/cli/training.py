"""`tabrl train | render | export | play`: a sentence's approaches trained and filmed; a policy filmed,
exported or watched."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tabrl.config import STEPS_DEFAULT, VIDEO_SECONDS, get_settings
from tabrl.rewards.limits import N_APPROACHES
from tabrl.run_events import JobEvent, Progress, Rendering, Started
from tabrl.terminal import console, fail

if TYPE_CHECKING:  # the pipeline imports JAX: only the commands that train load it
    from tabrl.pipeline import RunResult

_APPROACH_CHOICES = ", ".join(str(i) for i in range(1, N_APPROACHES + 1)) + " or all"


def _runs_dir(model: str, prompt: str) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", prompt.lower()).strip("-")[:40] or "run"
    return get_settings().data_dir / "runs" / f"{time.strftime('%Y%m%d-%H%M%S')}-{model}-{slug}"


def train(
    model: str = typer.Option(..., "--model", help="Catalog model id, e.g. Go1JoystickFlatTerrain."),
    prompt: str = typer.Option(..., "--prompt", help="The behavior, in plain words."),
    approach: str = typer.Option("all", "--approach", help=f"{_APPROACH_CHOICES} (which approach to train)."),
    steps: int = typer.Option(
        STEPS_DEFAULT, "--steps", min=1_000, max=100_000_000, help="Environment steps to train."
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
    seconds: float = typer.Option(VIDEO_SECONDS, "--seconds", min=1.0, max=60.0, help="Video length."),
) -> None:
    """Design three approaches for PROMPT, train them (PPO), render their videos."""
    from tqdm import tqdm

    from tabrl.design.builtin import design_approaches  # JAX, MuJoCo: only the commands that train load them
    from tabrl.pipeline import run_training_job
    from tabrl.robots.catalog import UnknownModel

    if approach not in ("all", *(str(i) for i in range(1, N_APPROACHES + 1))):
        fail(f"--approach must be {_APPROACH_CHOICES} (got '{approach}')")
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
        from tabrl.pipeline import run_training_batch  # JAX: this command only

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
        c = result.start_vs_trained
        console.print(
            f"  start:    [{'yellow' if c['kept'] == 'start' else 'green'}]{c['note']}[/]", highlight=False
        )


def render(
    checkpoint: Path = typer.Argument(..., help="A policy checkpoint folder."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: beside the checkpoint)."),
    seconds: float = typer.Option(VIDEO_SECONDS, "--seconds", min=1.0, max=60.0),
) -> None:
    """Render a trained policy's video, poster, trajectory and metrics."""
    from tabrl.pipeline import run_render_job  # JAX: this command only
    from tabrl.train.checkpoint import CheckpointError

    try:
        result = run_render_job(checkpoint, out or checkpoint.parent / "render", seconds=seconds)
    except CheckpointError as e:
        fail(str(e))
    console.print(
        f"video: {result.video}\nposter: {result.poster}\nmetrics: {result.metrics['forward_speed_mps']:.2f} m/s forward"
    )


def export(
    checkpoint: Path = typer.Argument(
        ..., help="A policy checkpoint folder (the policy/ of a trained approach)."
    ),
    onnx: bool = typer.Option(True, "--onnx/--no-onnx", help="Write policy.onnx + policy.json + model.mjb."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: the checkpoint folder)."),
) -> None:
    """Export a policy to run outside the studio: ONNX graph, controller sidecar, MuJoCo model."""
    from tabrl.export.onnx import ExportError  # JAX, ONNX: this command only
    from tabrl.train.checkpoint import CheckpointError

    if not onnx:
        fail("nothing to export: ONNX is the only export format (drop --no-onnx)")
    from tabrl.export.checkpoint import export_checkpoint  # JAX, ONNX: only past the checks

    try:
        paths = export_checkpoint(checkpoint, out)
    except (CheckpointError, ExportError) as e:
        fail(str(e))
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")


def play(
    checkpoint: Path = typer.Argument(..., help="A policy checkpoint folder."),
    seconds: float = typer.Option(60.0, "--seconds", min=1.0, max=3600.0),
) -> None:
    """Watch a policy drive its robot in MuJoCo's interactive viewer (needs a display)."""
    from tabrl.export import run_policy  # ONNX Runtime, MuJoCo: this command only

    if not run_policy.has_display():
        fail(
            "no display: `tabrl play` opens MuJoCo's viewer, which needs X11 or Wayland (DISPLAY and "
            "WAYLAND_DISPLAY are unset). Without one, `tabrl render CHECKPOINT` writes a video instead."
        )
    if not (checkpoint / "policy.onnx").exists():
        from tabrl.export.checkpoint import export_checkpoint  # JAX, ONNX: only when the policy has none yet

        export_checkpoint(checkpoint)
    from tabrl.export.model_store import ModelStoreError, standalone_folder
    from tabrl.jobs.layout import model_store_dir

    try:  # a studio policy's model is in the data directory's shared store
        with standalone_folder(checkpoint, model_store_dir(get_settings().data_dir)) as folder:
            run_policy.run(folder, seconds, viewer=True)
    except ModelStoreError as e:
        fail(str(e))
