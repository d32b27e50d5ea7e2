"""``tabrl export CHECKPOINT --onnx``: the export files for an existing checkpoint folder."""

from __future__ import annotations

from pathlib import Path

from tabrl.export import onnx as onnx_export
from tabrl.robots.catalog import load_robot
from tabrl.train.checkpoint import load_params


def export_checkpoint(checkpoint_dir: Path, out_dir: Path | None = None) -> dict[str, Path]:
    """Writes policy.onnx, policy.json and model.mjb for a checkpoint (into it, unless ``out_dir``)."""
    _, params, meta = load_params(Path(checkpoint_dir))
    robot = load_robot(meta["model_id"])
    return onnx_export.write_export(Path(out_dir or checkpoint_dir), robot, params, meta)
