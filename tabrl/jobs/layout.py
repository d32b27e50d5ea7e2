"""Where a job's files live and how the API offers them: the one place the job folder layout, the
artifact names and their URLs are written (the worker, both executors and the API read them here).

Under the data directory::

    sessions/<session id>/job-<job id>/      a job's folder (``job_root``)
        a<attempt>/                          one attempt's own folder (``attempt_dir``): cleaning up
            video.mp4  poster.jpg  sheet.jpg     after an old attempt never touches a newer one
            trajectory.npz  metrics.json
            curves.csv                       (training jobs)
            policy/                          (training jobs: the checkpoint and its ONNX export)
    models/<sha256>.mjb.gz                   the MuJoCo models the policies name (``model_sha256`` in
                                             their policy.json), once per robot build
                                             (``tabrl/export/model_store.py``)

A job's ``artifacts`` column maps each ``Artifact.key`` to its path relative to the data
directory; the page downloads it as ``/api/jobs/<id>/<url_name>`` (``url``).

Where the names come from: the layers only import downward (… → train → render → pipeline → jobs), so
the layer that writes a file names it and this module reads the name from there: the video,
poster, contact sheet, trajectory and metrics from ``tabrl/render/files.py`` (what
``render_policy`` writes), the curve from ``tabrl/train/curves.py``. The policy folder's name is
spelt here and by ``tabrl/pipeline.py``, which writes it. Nothing in jobs/ or api/ spells a file
name, a folder name or an artifact URL anywhere else.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tabrl.export import model_store
from tabrl.render import files
from tabrl.train.curves import CURVES_FILE

if TYPE_CHECKING:  # the worker imports this module: it needs no database layer at run time
    from tabrl.jobs.models import Job, StudioSession

# ---------------------------------------------------------------------------------- folders

SESSIONS = "sessions"
_ATTEMPT = re.compile(r"a(\d+)")


def job_root(data_dir: Path, session_id: str, job_id: int) -> Path:
    """A job's folder; each attempt writes into its own subfolder of it (``attempt_dir``)."""
    return data_dir / SESSIONS / session_id / f"job-{job_id}"


def model_store_dir(data_dir: Path) -> Path:
    """The shared store of compiled models the studio's policies run on."""
    return model_store.store_dir(data_dir)


def attempt_dir(data_dir: Path, job: Job, attempt: int | None = None) -> Path:
    """Where one attempt of a job writes its files (the job's current attempt by default)."""
    number = attempt if attempt is not None else job.attempt
    return job_root(data_dir, job.session_id, job.id) / f"a{number}"


def attempt_folders(root: Path) -> list[tuple[int, Path]]:
    """The attempt folders in a job's folder, each with its attempt number (none when it is missing)."""
    if not root.is_dir():
        return []
    found = [(_ATTEMPT.fullmatch(child.name), child) for child in root.iterdir()]
    return [(int(m.group(1)), child) for m, child in found if m is not None]


def remove_attempt_dir(path: Path) -> None:
    """Removes one attempt's folder, and the job's folder if no other attempt is left in it."""
    shutil.rmtree(path, ignore_errors=True)
    try:
        path.parent.rmdir()  # only succeeds when empty: a newer attempt's folder is never touched
    except OSError:
        pass


# ---------------------------------------------------------------------------------- artifacts


@dataclass(frozen=True)
class Artifact:
    """One file (or folder) a finished job offers."""

    key: str  # its entry in ``Job.artifacts`` (the path relative to the data directory)
    name: str  # its name in the attempt's folder
    url_name: str | None = None  # its download, ``/api/jobs/<id>/<url_name>`` (None: not offered)
    media_type: str | None = None


VIDEO = Artifact("video", files.VIDEO, files.VIDEO, "video/mp4")
POSTER = Artifact("poster", files.POSTER, files.POSTER, "image/jpeg")
SHEET = Artifact("sheet", files.SHEET, files.SHEET, "image/jpeg")
METRICS = Artifact("metrics", files.METRICS, files.METRICS, "application/json")
CURVES = Artifact("curves", CURVES_FILE, CURVES_FILE, "text/csv")
TRAJECTORY = Artifact("trajectory", files.TRAJECTORY)
# A folder, downloaded as one zip with the program. A render job's policy is its source job's.
POLICY = Artifact("policy", "policy", "policy.zip", "application/zip")

# The files served as they are, by their URL name (in the order the API lists them).
FILES: dict[str, Artifact] = {a.url_name: a for a in (VIDEO, POSTER, METRICS, CURVES, SHEET) if a.url_name}

# ---------------------------------------------------------------------------------- URLs

JOBS_URL = "/api/jobs"


def url(job_id: int, artifact: Artifact) -> str:
    """Where the page downloads a job's artifact."""
    assert artifact.url_name is not None, f"the {artifact.key} is not offered for download"
    return f"{JOBS_URL}/{job_id}/{artifact.url_name}"


def slug(text: str) -> str:
    """Text as a file name's part: lower-case words joined by dashes (at most 40 characters)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "approach"


def job_folder_name(job: Job) -> str:
    """A job's folder in a download (the session's zip) and the prefix of its downloaded files."""
    return f"approach-{job.approach.index + 1}-{slug(job.approach.program.get('name', ''))}-job{job.id}"


def download_name(job: Job, artifact: Artifact) -> str:
    """The file name a job's artifact is saved as: its job folder's name, then its URL name."""
    return f"{job_folder_name(job)}-{artifact.url_name}"


def session_zip_name(session: StudioSession) -> str:
    """The file name a whole session is downloaded as (``/api/sessions/<id>/download.zip``)."""
    return f"tabrl-{session.model_id}-{slug(session.prompt)}-{session.id}.zip"
