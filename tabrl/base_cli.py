"""`tabrl base …`: training and listing the base policies the package ships (tabrl/train/base.py)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from tabrl.config import VIDEO_SECONDS
from tabrl.terminal import console, fail

base_app = typer.Typer(
    help="Base policies: robust starting points per robot, shipped in the package.", no_args_is_help=True
)


@base_app.command("train")
def base_train(
    model: str = typer.Argument(..., help="Catalog model id, e.g. Go1JoystickFlatTerrain."),
    steps: int | None = typer.Option(
        None,
        "--steps",
        min=1_000,
        max=100_000_000,
        help="Environment steps (default: the packaged base's budget for MODEL).",
    ),
    seed: int = typer.Option(0, "--seed"),
    out: Path | None = typer.Option(
        None, "--out", help="Parent folder (default: the package's base_policies)."
    ),
    video: Path | None = typer.Option(
        None, "--video", help="Also render a 10 s video of the base into this folder."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Go on training MODEL's existing base (the one in --out, else the packaged one) for --steps more.",
    ),
) -> None:
    """Train MODEL's base policy (balance under pushes / hold a pose) and write it with its evaluation."""
    from tqdm import tqdm

    from tabrl.design.builtin import motion_priors  # JAX, MuJoCo: only the command that trains
    from tabrl.robots.catalog import UnknownModel, load_robot
    from tabrl.train import base  # JAX: this command only

    try:
        robot = load_robot(model)
        recipe = base.recipe_for(robot)
    except (UnknownModel, base.BaseError) as e:
        fail(str(e))
    # The designer's own priors: the base learns to balance under the motions fine-tunes will play.
    priors = motion_priors(robot.model_id)
    total = steps or base.default_steps(robot)
    earlier = None
    if resume:
        homes = [Path(out) / robot.model_id] if out is not None else []
        earlier = next((h for h in [*homes, base.BASE_DIR / robot.model_id] if h.is_dir()), None)
        if earlier is None:
            fail(
                f"no base of {model} to resume (looked in {out or base.BASE_DIR}); train one without --resume"
            )
    console.print(f"[bold]{model}[/]: {recipe.goal}, {total:,} steps, seed {seed}")
    bar = tqdm(total=total, unit="step", unit_scale=True, desc="base")

    def on_progress(p) -> None:
        bar.total, bar.n = p.total_steps, p.steps
        bar.set_postfix(reward_per_step=f"{p.mean_step_reward:.3g}", sps=f"{p.steps_per_s:.0f}")
        bar.refresh()

    folder, meta = base.train_base(
        robot, total, seed=seed, out_dir=out, on_progress=on_progress, priors=priors, resume=earlier
    )
    bar.close()
    console.print(f"  base:   {folder}\n  time:   {meta['wall_time_s']:.0f} s for {meta['steps']:,} steps")
    console.print_json(json.dumps(meta["base"]["evaluation"]))
    if video is not None:
        from tabrl.render.artifacts import render_policy  # the renderer: only with --video
        from tabrl.train.checkpoint import load_policy

        policy, _ = load_policy(folder)
        res = render_policy(robot, policy, video, seconds=VIDEO_SECONDS)
        console.print(f"  video:  {res['video']}")


@base_app.command("list")
def base_list() -> None:
    """The base policies the package ships, with their steps and evaluation."""
    from tabrl.train import base, checkpoint, finetune  # JAX: this command only

    for model_id in base.SEED_MODELS:
        folder = finetune.find_base(model_id)
        if folder is None:
            console.print(f"{model_id}: none")
            continue
        meta = checkpoint.load_metadata(folder)
        ev = meta["base"]["evaluation"]["perturbed"]
        console.print(
            f"{model_id}: {meta['steps']:,} steps, {meta['wall_time_s']:.0f} s, "
            + ", ".join(f"{k} {v:.3g}" for k, v in ev.items()),
            highlight=False,
        )
