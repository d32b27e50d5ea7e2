"""`tabrl sessions …`: past sessions in the data directory, and deleting them (tabrl/jobs/retention.py)."""

from __future__ import annotations

import typer

from tabrl.config import get_settings
from tabrl.terminal import console, err_console, fail

sessions_app = typer.Typer(
    help="Past sessions: list them, delete them with their files.", no_args_is_help=True
)


@sessions_app.command("ls")
def sessions_ls() -> None:
    """Every session, newest first: id, robot, prompt, jobs, and the size of its folder."""
    from sqlalchemy import select

    from tabrl.jobs.db import open_database  # SQLAlchemy: the command, not `tabrl --help`
    from tabrl.jobs.models import StudioSession
    from tabrl.jobs.retention import human_size, session_folder, tree_size

    settings = get_settings()
    with open_database(settings.resolved_database_url)() as db:
        for s in db.scalars(select(StudioSession).order_by(StudioSession.created_at.desc())):
            statuses = ", ".join(f"{j.id} {j.status}" for j in s.jobs) or "no jobs"
            size = human_size(tree_size(session_folder(settings.data_dir, s.id)))
            console.print(
                f"{s.id}  {s.created_at:%Y-%m-%d %H:%M}  {s.model_id}  {s.prompt!r}  jobs: {statuses}  ({size})",
                highlight=False,
            )


@sessions_app.command("rm")
def sessions_rm(session_id: str = typer.Argument(..., metavar="ID", help="The session's id.")) -> None:
    """Delete session ID with its approaches, jobs, event log and folder (refused while one runs).

    A session with a queued or running job is refused: cancel those first.
    """
    from tabrl.jobs.db import open_database  # SQLAlchemy: the command, not `tabrl --help`
    from tabrl.jobs.retention import SessionBusy, SessionNotFound, collect_models, delete_session, human_size

    settings = get_settings()
    try:
        with open_database(settings.resolved_database_url)() as db:
            deleted = delete_session(db, settings.data_dir, session_id)
    except (SessionNotFound, ValueError) as e:
        fail(str(e) if isinstance(e, SessionNotFound) else f"no session {session_id!r}: {e}", code=1)
    except SessionBusy as e:
        fail(
            str(e).replace("POST /api/jobs/<id>/cancel", "on the page or POST /api/jobs/<id>/cancel"), code=1
        )
    collect_models(settings.data_dir)  # the shared models only this session's policies named
    jobs = ", ".join(map(str, deleted.jobs)) or "none"
    console.print(
        f"deleted session {deleted.session_id}: jobs {jobs}, {deleted.approaches} approaches, "
        f"{deleted.events} events, {human_size(deleted.bytes_freed)} freed",
        highlight=False,
    )
    for error in deleted.folder_errors:
        err_console.print(f"[yellow]warning:[/] not removed: {error}", highlight=False)
    if deleted.folder_errors:
        raise typer.Exit(1)
