"""A finished studio job's run folder, by its id: how ``tabrl refine 7`` finds job 7.

The designer reads a run from its folder (``tabrl.design.runs.load_run``); looking a job up in the
studio database is this layer's, so the caller hands ``run_dir`` to ``load_run`` as its
``studio_job_dir`` (the layers only import downward: design never imports jobs).
"""

from __future__ import annotations

from pathlib import Path

from tabrl.config import Settings
from tabrl.design.runs import RunNotFound
from tabrl.jobs import layout
from tabrl.jobs.db import open_database
from tabrl.jobs.models import Job
from tabrl.jobs.states import JobStatus


def run_dir(job_id: int, settings: Settings) -> Path:
    """A studio job's run folder (where its policy lives), from the studio database."""
    if not settings.sqlite_path.exists() and settings.database_url is None:
        raise RunNotFound(f"no studio database at {settings.sqlite_path}, so there is no job {job_id}")
    with open_database(settings.resolved_database_url)() as db:
        found = db.get(Job, job_id)
        if found is None:
            raise RunNotFound(f"the studio has no job {job_id} (database {settings.resolved_database_url})")
        policy = (found.artifacts or {}).get(layout.POLICY.key)
        if found.kind != "train" or found.status != JobStatus.DONE or not policy:
            raise RunNotFound(
                f"job {job_id} is a {found.kind} job that is {found.status}; only a finished "
                "training job has a policy to refine"
            )
    return (settings.data_dir / str(policy)).parent
