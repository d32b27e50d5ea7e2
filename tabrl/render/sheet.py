"""A job's contact sheet: ten frames of its video, evenly spaced, in one JPEG (sheet.jpg)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

FRAMES = 10
COLUMNS = 5
TILE_WIDTH = 256  # 5 x 256 = 1280 px wide: the page's width, and the README table's


def sheet_indices(total_frames: int, n: int = FRAMES) -> list[int]:
    """Frame numbers of the sheet: the middles of ``n`` equal stretches of the video."""
    if total_frames <= 0:
        return []
    n = min(n, total_frames)
    return sorted({int((k + 0.5) * total_frames / n) for k in range(n)})


class ContactSheet:
    """Collects the chosen frames while a video renders; ``save`` tiles them with their times."""

    def __init__(self, total_frames: int, fps: float, n: int = FRAMES):
        self.wanted = set(sheet_indices(total_frames, n))
        self.fps = fps
        self.frames: dict[int, np.ndarray] = {}

    def offer(self, index: int, frame: np.ndarray) -> None:
        if index in self.wanted:
            self.frames[index] = frame  # the renderer returns a fresh array per frame: no copy

    def save(self, path: Path) -> Path | None:
        if not self.frames:
            return None
        h, w = next(iter(self.frames.values())).shape[:2]
        tw = TILE_WIDTH
        th = max(1, round(h * tw / w))
        rows = -(-len(self.frames) // COLUMNS)
        cols = min(COLUMNS, len(self.frames))
        sheet = Image.new("RGB", (cols * tw, rows * th), (16, 16, 16))
        draw = ImageDraw.Draw(sheet)
        for k, index in enumerate(sorted(self.frames)):
            x, y = (k % COLUMNS) * tw, (k // COLUMNS) * th
            sheet.paste(
                Image.fromarray(self.frames[index]).resize((tw, th), Image.Resampling.BILINEAR), (x, y)
            )
            label = f"{index / self.fps:.1f} s"
            draw.rectangle((x + 3, y + 3, x + 9 + 6 * len(label), y + 17), fill=(0, 0, 0))
            draw.text((x + 6, y + 4), label, fill=(255, 255, 255))
        tmp = Path(path).with_name(f".{Path(path).name}.part")
        sheet.save(tmp, format="JPEG", quality=85)
        os.replace(tmp, path)
        return Path(path)
