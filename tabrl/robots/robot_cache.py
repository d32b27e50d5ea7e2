"""Compiled robots kept on disk, so a command that only designs never imports Playground.

Compiling a catalog robot means importing Playground (seconds) and compiling its MJCF; the
designer needs the compiled robot (joint ranges, groups, default pose, end-effector positions)
for every prompt. A compiled robot is stored once as MuJoCo's own binary model (``model.mjb``,
which keeps every field, tuning included) beside its facts as JSON and numpy arrays — plain
data, never pickle — and loaded from there while the installation stays the same.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from tabrl.robots.model import Robot, RobotSpec
from tabrl.robots.profiles import RobotProfile

FORMAT = 1
_MODEL, _FACTS, _ARRAYS = "model.mjb", "robot.json", "arrays.npz"


def _split(obj: Any, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A dataclass's fields as JSON values, its arrays (and dicts of arrays) moved into ``arrays``."""
    facts: dict[str, Any] = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if isinstance(value, np.ndarray):
            arrays[f"{prefix}{field.name}"] = value
        elif isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values()):
            facts[field.name] = {
                "dict_of_arrays": list(value)
            }  # in order: messages list groups as the profile does
            for key, v in value.items():
                arrays[f"{prefix}{field.name}/{key}"] = v
        elif isinstance(value, tuple):
            facts[field.name] = {"tuple": list(value)}
        elif isinstance(value, (str, int, float, bool)) or value is None:
            facts[field.name] = value
    return facts


def _join(cls: type, facts: dict[str, Any], prefix: str, arrays: Any, **extra: Any) -> Any:
    values: dict[str, Any] = dict(extra)
    for field in dataclasses.fields(cls):
        if field.name in values:
            continue
        if f"{prefix}{field.name}" in arrays:
            values[field.name] = arrays[f"{prefix}{field.name}"]
        elif field.name in facts:
            value = facts[field.name]
            if isinstance(value, dict) and "dict_of_arrays" in value:
                value = {k: arrays[f"{prefix}{field.name}/{k}"] for k in value["dict_of_arrays"]}
            elif isinstance(value, dict) and "tuple" in value:
                value = tuple(value["tuple"])
            values[field.name] = value
    return cls(**values)


def save(folder: Path, robot: Robot) -> None:
    """Writes ``robot`` into ``folder`` atomically (a temporary sibling renamed into place)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        mujoco.mj_saveModel(robot.mj_model, str(tmp / _MODEL), None)
        arrays: dict[str, Any] = {}  # name -> array (Any: numpy's savez stub types **kwargs oddly)
        facts = {
            "format": FORMAT,
            "robot": _split(robot, "robot:", arrays),
            "spec": _split(robot.spec, "spec:", arrays),
            "profile": robot.profile.model_dump(mode="json"),
        }
        np.savez(tmp / _ARRAYS, **arrays)
        (tmp / _FACTS).write_text(json.dumps(facts))
        try:
            os.rename(tmp, folder)
        except OSError:  # another process stored it first: theirs is the same robot
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load(folder: Path) -> Robot | None:
    """The stored robot, or None when there is none (or it is from another format)."""
    folder = Path(folder)
    try:
        facts = json.loads((folder / _FACTS).read_text())
        if facts.get("format") != FORMAT:
            return None
        with np.load(folder / _ARRAYS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        model = mujoco.MjModel.from_binary_path(str(folder / _MODEL))
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    spec = _join(RobotSpec, facts["spec"], "spec:", arrays)
    profile = RobotProfile.model_validate(facts["profile"])
    return _join(Robot, facts["robot"], "robot:", arrays, mj_model=model, spec=spec, profile=profile)
