"""`tabrl thumbnails | serve`: the gallery's stills, and the Training Studio itself."""

from __future__ import annotations

import typer

from tabrl.config import get_settings
from tabrl.terminal import console, fail


def thumbnails(
    model: list[str] | None = typer.Option(None, "--model", help="Only these ids."),
    missing: bool = typer.Option(False, "--missing", help="Only models without a thumbnail yet."),
) -> None:
    """Render a still for every catalog model whose assets are present."""
    from tabrl.render.thumbnails import render_thumbnails  # MuJoCo's renderer: this command only
    from tabrl.robots.catalog import list_models

    if missing and not model:
        model = [e.id for e in list_models() if e.assets_available and not e.thumbnail]
        if not model:
            console.print("every model has a thumbnail")
            return
    for model_id, path, error in render_thumbnails(model):
        console.print(f"{model_id}: {path}" if path else f"{model_id}: [yellow]skipped[/] ({error})")


def serve(
    host: str | None = typer.Option(None, "--host", help="Address to bind (default TABRL_HOST, 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", help="Port (default TABRL_PORT, 8000)."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Jobs trained at once (default TABRL_MAX_WORKERS)."
    ),
) -> None:
    """Run the Training Studio: the page at http://HOST:PORT/, the API under /api, its docs at /docs."""
    import uvicorn

    from tabrl.api.app import create_app  # FastAPI, SQLAlchemy, MuJoCo: this command only
    from tabrl.api.security import is_loopback

    updates = {k: v for k, v in {"host": host, "port": port, "max_workers": workers}.items() if v is not None}
    settings = get_settings().model_copy(update=updates)
    if not is_loopback(settings.host) and not settings.token:
        fail(
            f"binding {settings.host} makes the studio reachable from other machines; set TABRL_TOKEN to a secret "
            "first (every call must then carry it), or bind 127.0.0.1"
        )
    if settings.executor == "ray":
        if settings.ray_address:  # an unreachable cluster is named now, not in a start-up traceback
            from tabrl.jobs.ray_executor import ClusterUnreachable, check_address  # Ray: an optional extra

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
