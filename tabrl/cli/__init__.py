"""The `tabrl` command line (Typer). Each command is a thin shell over a package module.

The commands live by concern in this package's modules (listing, designing, training, serving,
benchmarks) and are registered here in the order `tabrl --help` lists them. Each command imports what
it runs inside itself: `tabrl --help` and the light commands start without JAX, MuJoCo or Playground.
"""

from __future__ import annotations

import os

import typer

from tabrl.base_cli import base_app
from tabrl.cli import benchmarks, designing, listing, serving, training
from tabrl.sessions_cli import sessions_app

os.environ.setdefault("MUJOCO_GL", "egl")

app = typer.Typer(
    help="TabRL Training Studio: a sentence in, trained robot behaviors out.", no_args_is_help=True
)
app.add_typer(base_app, name="base")
app.add_typer(sessions_app, name="sessions")
for command in (
    listing.models,
    listing.schema,
    listing.doctor,
    listing.providers,
    designing.approaches,
    designing.refine,
    training.train,
    training.render,
    training.export,
    training.play,
    serving.thumbnails,
    serving.serve,
    benchmarks.bench,
):
    app.command()(command)
app.command("eval-behaviors")(benchmarks.eval_behaviors)


def main() -> None:  # pragma: no cover
    app()
