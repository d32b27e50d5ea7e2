"""Settings from environment variables (prefix TABRL_) or a .env file."""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Defaults written once: the Settings below, a request that leaves them out and the rehearsal read these;
# the page reads the configured values from /api/info.
STEPS_DEFAULT = 50_000  # environment steps per approach
VIDEO_SECONDS = 10.0  # each approach's video (and the rollout its success check is measured on)


def _default_data_dir() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME", Path.cwd())) / ".tabrl"


def _default_cache_dir() -> Path:
    # Per machine, not per data directory: a new data dir, a container or a second studio reuses the
    # compiled robots, the catalog and the XLA programs (each keyed by the package versions inside).
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tabrl"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TABRL_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir, description="Where the database, jobs and artifacts live."
    )
    cache_dir: Path | None = Field(
        default=None,
        description="Caches kept per machine and package versions (model catalog, compiled robots, "
        "thumbnails, compiled XLA programs); default $XDG_CACHE_HOME/tabrl or ~/.cache/tabrl.",
    )
    menagerie_path: Path | None = Field(
        default=None, description="MuJoCo Menagerie checkout; else Playground's own location."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite under data_dir."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = Field(
        default=None, description="Required on every call when binding beyond loopback."
    )
    # At least 2: on a 2-core machine three Go1 approaches finish in 80 s with two at once, 103 s one by one.
    max_workers: int = Field(
        default_factory=lambda: max(2, (os.cpu_count() or 2) // 2),
        description="Jobs trained at once (one worker process each); the rest queue.",
    )
    # Learning outcomes differ at solver tolerance with mujoco.rollout's thread split; pinning the count
    # makes runs comparable across machines (and `make test` is checked on 1 and 2).
    physics_threads: int | None = Field(
        default=None,
        ge=1,
        description="Threads that step one physics batch (default: the machine's cores, at most one per env).",
    )
    prewarm_workers: bool = Field(
        True, description="Start the warm worker processes with the server (else on the first job)."
    )
    warm_models: str = Field(
        "Go1JoystickFlatTerrain",
        description="Comma-separated models each warm worker trains "
        "a tiny job on at start, so their first real job starts at once ('' for none).",
    )
    warm_featured: bool = Field(
        True,
        description="Idle warm workers train a tiny job on each featured robot once per machine and "
        "versions, so the compilation cache holds what their first Train All needs.",
    )
    # Issue 11: the approaches of one Train All train in one worker as one physics batch and one vmapped
    # PPO update (tabrl/train/batch.py). 1 turns batching off (each job on its own worker, as before).
    train_batch_max: int = Field(
        3,
        ge=1,
        le=8,
        description="Queued training jobs of one session with the same steps, start and video length "
        "that one worker trains together as one batch (1: every job alone).",
    )
    worker_max_jobs: int = Field(
        50, description="A warm worker is replaced by a fresh one after this many jobs."
    )
    worker_max_rss_mb: float = Field(
        3000.0, description="A warm worker using more memory than this (MB) after a job is replaced."
    )
    calibrate_at_start: bool = Field(
        True, description="Measure physics and render speed once per start (the page's time estimate)."
    )
    executor: Literal["local", "ray"] = Field(
        "local", description="Where jobs run: warm local worker processes, or a Ray cluster."
    )
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster to use (host:port, or 'auto' for the one `ray start` runs on this "
        "machine); unset: a private Ray instance that lives and stops with the studio.",
    )
    ray_cpus_per_job: float = Field(
        1.0,
        gt=0,
        description="CPUs each Ray job asks for (training jobs also ask for "
        "a GPU when the cluster has one: the MJX backend).",
    )
    ray_max_jobs: int = Field(
        0,
        ge=0,
        description="Jobs placed on the Ray cluster at once (0: all queued jobs; the "
        "cluster runs what its resources allow and queues the rest).",
    )
    steps_min: int = Field(10_000, description="Fewest environment steps a job may ask for.")
    steps_max: int = Field(100_000, description="Most environment steps a job may ask for.")
    steps_default: int = Field(STEPS_DEFAULT, description="Environment steps a job gets unless it asks.")
    video_seconds: float = Field(VIDEO_SECONDS, description="Length of each approach's video.")
    rehearse: bool = Field(
        True,
        description="Play each designed approach's motion prior before training (about a second each) and "
        "scale it down where the robot cannot stand under it.",
    )
    max_body_bytes: int = Field(256 * 1024, description="Largest request body the service accepts.")
    # Caps against a runaway client (429 when reached; see docs/security.md).
    max_active_jobs_per_session: int = Field(
        12, ge=1, description="Jobs of one session queued or running at once."
    )
    max_active_jobs: int = Field(
        48, ge=1, description="Jobs queued or running at once, all sessions together."
    )
    max_designs_per_session: int = Field(
        20, ge=1, description="Designs (the first plus refines) one session may hold."
    )
    max_sessions_per_hour: int = Field(
        120, ge=1, description="Sessions (configure calls) created in any one hour."
    )
    keep_sessions: int | None = Field(
        None,
        ge=0,
        description="Keep only the newest N finished sessions (none of their jobs queued or running): "
        "creating a session deletes older finished ones with their jobs and files, oldest first. "
        "A session with a running job is never deleted. Unset: keep every session.",
    )
    max_data_gb: float | None = Field(
        None,
        gt=0,
        description="Cap on the data directory's size in GB (database, sessions, shared models, caches): "
        "creating a session deletes the oldest finished sessions until it fits. A session with a queued "
        "or running job is never deleted. Unset: no cap.",
    )
    events_keep_progress: int = Field(
        20,
        ge=1,
        description="Progress and rendering events kept of each finished job run (the last ones); "
        "the rest are deleted when the job ends.",
    )
    # Measured through the service on 2 cores, Go1, 50k steps + 10 s video: three approaches one at a time
    # took 103 s (34 s each: 7 s training at 7,000 steps/s, 27 s start, compile, video); two at once 80 s.
    estimate_overhead_s: float = Field(
        27.0, description="Per-approach time besides training (start, compile, video)."
    )
    estimate_steps_per_s: float = Field(
        7_000.0, description="Training throughput for the page's time estimate."
    )
    estimate_parallel_speedup: float = Field(
        1.3, description="How much faster a batch finishes with several jobs at once."
    )
    llm_timeout_s: float = Field(60.0, description="Seconds one LLM request may take.")
    llm_providers: str | None = Field(
        default=None,
        description="Comma-separated LLM provider names; each reads TABRL_LLM_<NAME>_KIND/_BASE_URL/_API_KEY/_MODEL.",
    )
    llm_default_provider: str | None = Field(default=None, description="Provider used when none is named.")
    llm_max_retries: int = Field(3, description="Retries on 429, 5xx, timeouts and connection errors.")
    llm_backoff_s: float = Field(1.0, description="First retry delay; doubles each retry.")
    llm_backoff_max_s: float = Field(30.0, description="Longest single retry delay.")
    llm_repair_rounds: int = Field(
        2, description="Rounds in which a model may fix the approaches it got wrong."
    )
    llm_deadline_s: float = Field(180.0, description="No repair round starts after this many seconds.")
    llm_max_tokens: int = Field(8192, description="Reply token limit (Anthropic requires one).")
    llm_cache: bool = Field(
        True, description="Reuse stored approaches for the same robot, prompt, provider and model."
    )

    @property
    def resolved_cache_dir(self) -> Path:
        return self.cache_dir or _default_cache_dir()

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "tabrl.db"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def free_port() -> int:
    """A TCP port free on loopback now (for a server or a Ray node this process starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
