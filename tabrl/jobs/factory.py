"""Chooses the executor the settings ask for (TABRL_EXECUTOR=local|ray)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tabrl.config import Settings
from tabrl.jobs.executor import Executor, LocalExecutor


def create_executor(settings: Settings, sessions: sessionmaker[Session]) -> Executor:
    if settings.executor == "ray":
        try:
            from tabrl.jobs.ray_executor import RayExecutor  # Ray: an optional extra, only when chosen
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] == "ray":
                raise RuntimeError(
                    "TABRL_EXECUTOR=ray needs Ray installed: pip install 'tabrl[ray]'"
                ) from exc
            raise
        return RayExecutor(settings, sessions)
    return LocalExecutor(settings, sessions)
