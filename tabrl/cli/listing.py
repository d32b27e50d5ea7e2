"""`tabrl models | schema | doctor | providers`: what this install can train and use."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from tabrl.terminal import console


def models(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List every trainable model: Playground environments and Menagerie robots."""
    from tabrl.robots.catalog import list_models  # each command loads its own: `tabrl --help` stays light

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


def schema() -> None:
    """Print the RewardProgram JSON Schema (what an LLM is given to write approaches)."""
    from tabrl.rewards.program import schema_json  # the reward language (MuJoCo): this command only

    print(schema_json())


def doctor() -> None:
    """Check Python packages, GL rendering, ffmpeg and Menagerie assets; say how to fix each."""
    from tabrl.doctor import run_checks  # this command only

    ok = True
    for check in run_checks():
        mark = "[green]ok[/]  " if check.ok else "[red]FAIL[/]"
        console.print(f"{mark} {check.name}: {check.detail}")
        if not check.ok:
            ok = False
            console.print(f"      fix: {check.fix}")
    if not ok:
        raise typer.Exit(1)


def providers(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List the configured LLM providers (never their keys)."""
    from tabrl.design.llm import list_providers  # the designer (MuJoCo): this command only

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
