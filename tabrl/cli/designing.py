"""`tabrl approaches | refine`: three reward programs for a sentence, or three improved ones for a run."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from tabrl.terminal import console, err_console, fail


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
    from tabrl.design.builtin import DesignError, design  # the designer (MuJoCo): this command only
    from tabrl.robots.catalog import UnknownModel

    try:
        if provider and provider.strip().lower() != "builtin":
            from tabrl.design.builtin import check_prompt  # only with an LLM provider
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
        from tabrl.render.rehearsal import rehearse as rehearse_program  # JAX: only with --rehearse
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
            from tabrl.rewards.motion import describe  # numpy: not at `tabrl --help`

            lines += ["motion: " + m for m in describe(p.motion)]
        if p.success:
            lines.append("success: " + " and ".join(c.label() for c in p.success))
        if p.rehearsal is not None:
            lines.append(p.rehearsal.note)
        table.add_row(str(i), escape(p.name), escape(p.summary), escape("\n".join(lines)))
    console.print(table)
    for note in found.notes:
        console.print(f"[dim]note: {escape(note)}[/]")


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
    from tabrl.design.providers import ProviderConfigError  # the designer, the database: this command only
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
