"""Serving job artifacts: every file resolved (symlinks included) and confined to its own job's
folder; policies and sessions as zip files. Folders, file names and download names are
``tabrl/jobs/layout.py``'s. A policy folder's MuJoCo model lives in the shared store
(``tabrl/export/model_store.py``); every zip carries it as ``policy/model.mjb``, so a download
runs on its own."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

from fastapi import HTTPException

from tabrl.export import model_store
from tabrl.export.model_store import ModelStoreError
from tabrl.jobs import layout
from tabrl.jobs.layout import Artifact
from tabrl.jobs.models import Job, StudioSession
from tabrl.jobs.states import JobStatus


def confined_to(roots: list[Path], data_dir: Path, relative: str | None) -> Path:
    """The artifact's real path (links followed), refusing anything outside ``roots`` with 404.

    A root that itself resolves outside the data directory confines nothing and is ignored.
    """
    if not relative:
        raise HTTPException(404, "this job has no such artifact (yet)")
    data = data_dir.resolve()
    path = (data / relative).resolve()
    real_roots = [r.resolve() for r in roots]
    if not any(r.is_relative_to(data) and path.is_relative_to(r) for r in real_roots):
        raise HTTPException(404, "the artifact is outside its job's folder")
    if not path.exists():
        raise HTTPException(404, "the artifact file is missing")
    return path


def job_file(data_dir: Path, job: Job, artifact: Artifact) -> Path:
    """A job's artifact: in the job's own folder, or (a render job's policy) its source job's."""
    roots = [layout.job_root(data_dir, job.session_id, job.id)]
    if artifact == layout.POLICY and job.source_job_id is not None:
        roots.append(layout.job_root(data_dir, job.session_id, job.source_job_id))
    return confined_to(roots, data_dir, (job.artifacts or {}).get(artifact.key))


def _add_tree(zf: zipfile.ZipFile, folder: Path, arcname: str) -> None:
    """Adds a folder's plain files; links and anything that resolves outside the folder are left out."""
    root = folder.resolve()
    for item in sorted(folder.rglob("*")):
        if item.is_file() and not item.is_symlink() and item.resolve().is_relative_to(root):
            zf.write(item, f"{arcname}/{item.relative_to(folder)}")


def _add_policy(zf: zipfile.ZipFile, data_dir: Path, policy: Path, arcname: str) -> None:
    """A policy folder's files, and its shared model as ``model.mjb`` beside them."""
    _add_tree(zf, policy, arcname)
    if model_store.shares_model(policy):
        mjb = model_store.model_of(policy, layout.model_store_dir(data_dir))
        zf.writestr(f"{arcname}/{model_store.MODEL_FILE}", mjb)


def spooled_zip() -> tempfile.SpooledTemporaryFile[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)


def policy_zip(data_dir: Path, job: Job) -> tempfile.SpooledTemporaryFile[bytes]:
    policy = job_file(data_dir, job, layout.POLICY)
    out = spooled_zip()
    try:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            _add_policy(zf, data_dir, policy, layout.POLICY.name)
            zf.writestr("program.json", _program_json(job))
    except ModelStoreError:  # a 404 (tabrl/api/errors.py)
        out.close()
        raise
    out.seek(0)
    return out


def session_zip(data_dir: Path, session: StudioSession) -> tempfile.SpooledTemporaryFile[bytes]:
    """Every finished job's video, poster, metrics and policy, plus the session's programs.

    A missing (or refused) artifact is left out and listed in ``manifest.json`` with the reason,
    so one lost file does not cost the whole download.
    """
    out = spooled_zip()
    included: list[str] = []
    skipped: list[dict[str, str]] = []
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "session.json",
            json.dumps(
                {
                    "id": session.id,
                    "model_id": session.model_id,
                    "prompt": session.prompt,
                    "num_steps": session.num_steps,
                    "programs": [a.program for a in session.approaches],
                },
                indent=2,
            ),
        )
        for job in session.jobs:
            if job.status != JobStatus.DONE:
                continue
            name = layout.job_folder_name(job)
            art = job.artifacts or {}
            wanted = [(url_name, a) for url_name, a in layout.FILES.items() if art.get(a.key)]
            if art.get(layout.POLICY.key):
                wanted.append((layout.POLICY.name, layout.POLICY))
            for file_name, artifact in wanted:
                arcname = f"{name}/{file_name}"
                try:
                    path = job_file(data_dir, job, artifact)
                except HTTPException as exc:
                    skipped.append({"file": arcname, "job_id": str(job.id), "reason": str(exc.detail)})
                    continue
                if artifact == layout.POLICY:
                    try:
                        _add_policy(zf, data_dir, path, arcname)
                    except ModelStoreError as exc:  # the rest of the policy is in; say what is missing
                        skipped.append(
                            {
                                "file": f"{arcname}/{model_store.MODEL_FILE}",
                                "job_id": str(job.id),
                                "reason": str(exc),
                            }
                        )
                        continue
                else:
                    zf.write(path, arcname)
                included.append(arcname)
            zf.writestr(f"{name}/program.json", _program_json(job))
            included.append(f"{name}/program.json")
        zf.writestr(
            "manifest.json",
            json.dumps(
                {"session_id": session.id, "files": included, "skipped": skipped, "complete": not skipped},
                indent=2,
            ),
        )
    out.seek(0)
    return out


def _program_json(job: Job) -> str:
    return json.dumps(job.approach.program, indent=2)
