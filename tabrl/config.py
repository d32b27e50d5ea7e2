"""Settings from environment variables (prefix TABRL_) or a .env file."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.cwd())) / ".tabrl"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TABRL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the database, jobs and artifacts live.")
    menagerie_path: Path | None = Field(default=None, description="MuJoCo Menagerie checkout; else Playground's own location.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite under data_dir.")
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = Field(default=None, description="Required on every call when binding beyond loopback.")
    max_workers: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) // 2))
    llm_timeout_s: float = 60.0

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "tabrl.db"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
