"""The names of the files a filmed policy leaves in its folder (``artifacts.render_policy`` writes them).

Named here, at the render layer that writes them, so the layers above read the names instead of
spelling them again: ``tabrl/jobs/layout.py`` maps them to a job's artifacts and their URLs.
"""

from __future__ import annotations

VIDEO = "video.mp4"
POSTER = "poster.jpg"
SHEET = "sheet.jpg"  # the contact sheet: ten frames of the video in one image
TRAJECTORY = "trajectory.npz"
METRICS = "metrics.json"  # behavior metrics and the success check's verdict
