"""The `tabrl` command line (Typer). Each command is a thin shell over a package module."""

from __future__ import annotations

import json
import os
import sys

import typer
from rich.console import Console
from rich.table import Table

os.environ.setdefault("MUJOCO_GL", "egl")

app = typer.Typer(help="TabRL Training Studio: a sentence in, trained robot behaviors out.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


@app.command()
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List every trainable model: Playground environments and Menagerie robots."""
    from tabrl.robots.catalog import list_models

    entries = list_models()
    if as_json:
        print(json.dumps([e.model_dump() for e in entries], indent=2))
        return
    table = Table(title=f"{len(entries)} models ({sum(e.assets_available for e in entries)} with assets)")
    for col in ("id", "robot", "category", "suite", "act", "obs", "ctrl dt", "assets"):
        table.add_column(col, no_wrap=col in ("id", "assets"))
    for e in entries:
        assets = "[green]yes[/]" if e.assets_available else f"[red]missing[/] {e.assets_reason}"
        table.add_row(e.id, e.robot_name, e.category, e.suite, str(e.action_size or "-"), str(e.observation_size or "-"),
                      f"{e.ctrl_dt:g}" if e.ctrl_dt else "-", assets)
    console.print(table)


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


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
