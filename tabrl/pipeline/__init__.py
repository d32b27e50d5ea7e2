"""One job, or a Train All's approaches as one batch, end to end: program → trained policy → video.

This is what the CLI's ``tabrl train`` and the studio's worker processes call: the one layer that
combines training (``tabrl.train``), filming (``tabrl.render``) and the ONNX export (``tabrl.export``),
above all three (docs/architecture.md, "Layers"). ``job.py``: one job (training or a new video);
``batch.py``: several programs of one robot trained as one physics batch, then each filmed.
"""

from __future__ import annotations

from tabrl.pipeline.batch import run_training_batch
from tabrl.pipeline.film import RunResult
from tabrl.pipeline.job import choose_backend, prepare, run_render_job, run_training_job
from tabrl.train.checkpoint import load_params, load_policy
from tabrl.train.ppo import Cancelled

__all__ = [
    "Cancelled",
    "RunResult",
    "run_training_job",
    "run_training_batch",
    "run_render_job",
    "load_params",
    "load_policy",
    "choose_backend",
    "prepare",
]
