"""Policy checkpoints: one directory per policy, written atomically.

Layout: ``params.msgpack`` (flax serialization of Brax PPO's
``(normalizer_params, policy_params, value_params)``) and ``metadata.json`` (robot, program,
observation spec, backend, steps, seed, wall time, final metrics, package versions).
A checkpoint is assembled in a temporary sibling directory and renamed into place, so a crash
or a cancel never leaves a half-written one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import jax
import numpy as np
from flax import serialization, traverse_util

from tabrl.rewards.program import RewardProgram
from tabrl.robots.model import Robot
from tabrl.sim import behavior
from tabrl.train import ppo, residual

FORMAT_VERSION = 1
PARAMS_FILE = "params.msgpack"
METADATA_FILE = "metadata.json"


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt or does not fit the robot."""


def package_versions() -> dict[str, str]:
    out = {}
    for name in ("tabrl", "jax", "jaxlib", "brax", "flax", "mujoco", "mujoco-mjx", "playground"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _to_state_dict(params: Any) -> dict[str, Any]:
    return serialization.to_state_dict({"normalizer": params[0], "policy": params[1], "value": params[2]})


def save(
    directory: Path, params: Any, meta: dict[str, Any], write_extra: Callable[[Path], object] | None = None
) -> Path:
    """Writes params + metadata to ``directory`` atomically (replacing an existing one).

    ``write_extra(tmp_dir)`` may add files (an ONNX export) before the folder appears. A residual policy is
    saved folded into one plain MLP (``residual.fold``); ``network`` in the metadata is read off the saved
    params' layer widths, so it always describes what is in the file.
    """
    params = residual.fold(params)
    meta = {**meta, "network": network_of(params)}
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=directory.parent))
    try:
        state = jax.tree_util.tree_map(np.asarray, _to_state_dict(params))
        (tmp / PARAMS_FILE).write_bytes(serialization.msgpack_serialize(state))
        full_meta = {
            "format_version": FORMAT_VERSION,
            "saved_at": time.time(),
            "versions": package_versions(),
            **meta,
        }
        (tmp / METADATA_FILE).write_text(json.dumps(full_meta, indent=2, default=_json_default))
        if write_extra is not None:
            write_extra(tmp)
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
            directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


@dataclass(frozen=True)
class TrainingFacts:
    """How a policy was trained, as its metadata records it."""

    backend: str
    steps: int
    seed: int
    wall_time_s: float
    final_metrics: ppo.FinalMetrics
    init_checkpoint: str | None
    init: str
    batch: int | None = None  # trained in one batch with this many approaches (None: alone)


def policy_metadata(
    robot: Robot,
    program: RewardProgram,
    cfg: ppo.PPOConfig,
    facts: TrainingFacts,
    comparison: Mapping[str, object],
) -> dict[str, Any]:
    """A trained policy's metadata: what it runs on and observes, its program (and motion prior), how it
    was trained, and which policy the folder holds (the trained one or its start) and why."""
    trained = {k: v for k, v in asdict(facts).items() if k != "batch" or v is not None}
    return {
        "model_id": robot.model_id,
        "program": program.model_dump(),
        "observation_size": behavior.observation_size(robot),
        "action_size": robot.action_size,
        "observation_spec": [
            "gravity(3)",
            "base_ang_vel(3)",
            f"q_rel({robot.spec.n_joints})",
            f"qd({robot.spec.n_joints})",
            f"action({robot.action_size})",
            "phase(2)",
        ],
        "network": cfg.network_kwargs(),
        "clock_hz": behavior.program_clock_hz(program),
        # The policy acts as a residual around this prior: a render without it would show another behavior.
        "motion": program.motion.model_dump() if program.motion is not None else None,
        **trained,
        "start_vs_trained": comparison,  # the job's card says which policy this is, and why
    }


def network_of(params: Any) -> dict[str, list[int]]:
    """The hidden layer widths of (normalizer, policy, value) params, as ``PPOConfig.network_kwargs``."""
    return {
        "policy_hidden": residual.layer_sizes(params[1])[:-1],
        "value_hidden": residual.layer_sizes(params[2])[:-1],
    }


def _json_default(o: Any) -> Any:
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if hasattr(o, "model_dump"):
        return o.model_dump()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def load_metadata(directory: Path) -> dict[str, Any]:
    directory = Path(directory)
    path = directory / METADATA_FILE
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint {directory} does not exist or is not a directory")
    if not path.exists():
        raise CheckpointError(f"checkpoint {directory} has no {METADATA_FILE}")
    try:
        meta: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise CheckpointError(f"checkpoint {directory}: {METADATA_FILE} is corrupt ({e})") from None
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {directory} has format {meta.get('format_version')!r}; this TabRL reads format {FORMAT_VERSION}"
        )
    for key in ("model_id", "program", "observation_size", "action_size", "network", "clock_hz"):
        if key not in meta:
            raise CheckpointError(f"checkpoint {directory}: metadata lacks '{key}'")
    return meta


def load(directory: Path, template: Any) -> tuple[Any, dict[str, Any]]:
    """Loads params into the structure of ``template`` (freshly initialised params)."""
    meta = load_metadata(directory)
    path = Path(directory) / PARAMS_FILE
    if not path.exists():
        raise CheckpointError(f"checkpoint {directory} has no {PARAMS_FILE}")
    try:
        raw = serialization.msgpack_restore(path.read_bytes())
        target = {"normalizer": template[0], "policy": template[1], "value": template[2]}
        restored = serialization.from_state_dict(target, raw)
    except Exception as e:  # msgpack raises several types on garbage input
        raise CheckpointError(
            f"checkpoint {directory}: {PARAMS_FILE} is corrupt or does not match the network ({e})"
        ) from None
    want = traverse_util.flatten_dict(_to_state_dict(template), sep="/")
    got = traverse_util.flatten_dict(
        _to_state_dict((restored["normalizer"], restored["policy"], restored["value"])), sep="/"
    )
    for name, value in want.items():
        if name not in got or np.shape(got[name]) != np.shape(value):
            raise CheckpointError(
                f"checkpoint {directory}: parameter '{name}' has shape "
                f"{np.shape(got.get(name))}, but this network needs {np.shape(value)}"
            )
    params = (restored["normalizer"], restored["policy"], restored["value"])
    return params, meta


def load_params(checkpoint_dir: Path) -> tuple[Any, Any, dict[str, Any]]:
    """A checkpoint's networks, parameters ``(normalizer, policy, value)`` and metadata."""
    meta = load_metadata(checkpoint_dir)
    net = meta["network"]
    networks = ppo.make_networks(
        meta["observation_size"], meta["action_size"], net["policy_hidden"], net["value_hidden"]
    )
    template = ppo.init_state(networks, meta["observation_size"], ppo.PPOConfig(), jax.random.PRNGKey(0))
    params, meta = load(checkpoint_dir, (template.normalizer, template.params.policy, template.params.value))
    return networks, params, meta


def load_policy(checkpoint_dir: Path) -> tuple[Callable[[np.ndarray], np.ndarray], dict[str, Any]]:
    """A deterministic numpy-in/numpy-out policy from a checkpoint, and its metadata."""
    networks, params, meta = load_params(checkpoint_dir)
    act = ppo.make_deterministic_policy(networks)
    return (lambda obs: np.asarray(act(params, obs))), meta
