"""How many of a batch's videos are filmed at once (no heavy imports: the page's estimate reads it too)."""

from __future__ import annotations

import os

# Measured on the 2-core machine: two renderers side by side drew a Go1 frame each in 22.6 ms where one
# drew it in 32.6 (2 x 150 frames, 640x360): filming two at once costs this share of one after the other.
SIDE_BY_SIDE_COST = 22.6 / 32.6


def film_threads(videos: int) -> int:
    """How many of a batch's videos are filmed at once.

    Filming one frame is partly serial (scene update, pixel read-back, the policy, encoding), so two
    renderers side by side keep llvmpipe's rasteriser busier (SIDE_BY_SIDE_COST; ``tabrl bench`` reports
    the batch's own figure).
    Headless GL only (EGL, OSMesa): a windowed context (GLFW) is tied to the main thread on some
    systems. ``TABRL_FILM_THREADS`` overrides (1: one video after the other).
    """
    setting = os.environ.get("TABRL_FILM_THREADS")
    if setting:
        return max(1, min(videos, int(setting)))
    if os.environ.get("MUJOCO_GL", "").lower() not in ("egl", "osmesa"):
        return 1
    return max(1, min(videos, os.cpu_count() or 1))
