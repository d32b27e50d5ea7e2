"""Serving job artifacts: paths confined to the data directory, policies and sessions as zip files."""

from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from fastapi import HTTPException

from tabrl.jobs.models import Job, StudioSession

# What a job folder offers for download: URL name -> artifacts key.
FILES = {"video.mp4": "video", "poster.jpg": "poster", "metrics.json": "metrics", "curves.csv": "curves",
         "sheet.jpg": "sheet"}


def confined(data_dir: Path, relative: str | None) -> Path:
    """The artifact's absolute path, refusing anything that resolves outside the data directory."""
    if not relative:
        raise HTTPException(404, "this job has no such artifact (yet)")
    root = data_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise HTTPException(404, "artifact path is outside the data directory")
    if not path.exists():
        raise HTTPException(404, "the artifact file is missing")
    return path


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "approach"


def job_folder_name(job: Job) -> str:
    return f"approach-{job.approach.index + 1}-{slug(job.approach.program.get('name', ''))}-job{job.id}"


def _add_tree(zf: zipfile.ZipFile, folder: Path, arcname: str) -> None:
    for item in sorted(folder.rglob("*")):
        if item.is_file() and not item.is_symlink():
            zf.write(item, f"{arcname}/{item.relative_to(folder)}")


def spooled_zip() -> tempfile.SpooledTemporaryFile:
    return tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)


def policy_zip(data_dir: Path, job: Job):
    policy = confined(data_dir, (job.artifacts or {}).get("policy"))
    out = spooled_zip()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        _add_tree(zf, policy, "policy")
        zf.writestr("program.json", _program_json(job))
    out.seek(0)
    return out


def session_zip(data_dir: Path, session: StudioSession):
    """Every finished job's video, poster, metrics and policy, plus the session's programs."""
    import json

    out = spooled_zip()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("session.json", json.dumps({"id": session.id, "model_id": session.model_id,
                                                "prompt": session.prompt, "num_steps": session.num_steps,
                                                "programs": [a.program for a in session.approaches]}, indent=2))
        for job in session.jobs:
            if job.status != "done":
                continue
            name = job_folder_name(job)
            art = job.artifacts or {}
            for url_name, key in FILES.items():
                if art.get(key):
                    zf.write(confined(data_dir, art[key]), f"{name}/{url_name}")
            if art.get("policy"):
                _add_tree(zf, confined(data_dir, art["policy"]), f"{name}/policy")
            zf.writestr(f"{name}/program.json", _program_json(job))
    out.seek(0)
    return out


def _program_json(job: Job) -> str:
    import json

    return json.dumps(job.approach.program, indent=2)
