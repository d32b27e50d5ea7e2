"""A trained policy as files a controller outside the studio can run: ONNX graph, sidecar, MuJoCo model.

``policy.onnx`` holds the observation normaliser and the deterministic policy in one graph
(``obs (N, obs_size) float32 -> action (N, nu) in [-1, 1]``): Brax PPO's MLP (swish hidden
layers, a linear head whose first half is the action mean) followed by tanh, the mode of
its tanh-normal distribution. ``policy.json`` says everything else a controller needs: how
the observation is read from MuJoCo's ``qpos``/``qvel``/``sensordata``, how an action becomes
actuator controls, the control step and the phase clock. ``model.mjb`` is the exact compiled
MuJoCo model the policy was trained on (meshes included), loadable with
``mujoco.MjModel.from_binary_path`` and nothing from TabRL; ``policy.json`` names it by its SHA-256
(``model_sha256``). In the studio's data directory a policy folder holds no ``model.mjb``: the model
is stored once per robot build (``model_store``) and put back into every download
(``model_store.model_of``, ``model_store.standalone_folder``).
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tabrl.export import model_store
from tabrl.rewards.motion import Motion
from tabrl.robots.model import Robot
from tabrl.sim import behavior
from tabrl.train import residual

ONNX_FILE = "policy.onnx"
SIDECAR_FILE = model_store.SIDECAR_FILE
MODEL_FILE = model_store.MODEL_FILE
RUNNER_FILE = "run_policy.py"  # a plain-MuJoCo reference controller, copied from this package
SIDECAR_FORMAT = 1
OPSET = 17


class ExportError(ValueError):
    """A checkpoint whose parameters are not the MLP policy this exporter knows."""


def _dense_layers(policy_params: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """``hidden_0 … hidden_k`` of Brax's MLP as (kernel, bias) pairs, in order."""
    layers = policy_params.get("params", policy_params)
    names = sorted((k for k in layers if k.startswith("hidden_")), key=lambda k: int(k.split("_")[1]))
    if not names or len(names) != len(layers):
        raise ExportError(
            f"policy parameters have layers {sorted(layers)}; expected hidden_0 … hidden_k only"
        )
    out = []
    for name in names:
        kernel = np.asarray(layers[name]["kernel"], dtype=np.float32)
        bias = np.asarray(layers[name]["bias"], dtype=np.float32)
        if kernel.ndim != 2 or bias.shape != (kernel.shape[1],):
            raise ExportError(
                f"layer {name}: kernel {kernel.shape} and bias {bias.shape} are not a dense layer"
            )
        out.append((kernel, bias))
    for (k0, _), (k1, _) in itertools.pairwise(out):
        if k0.shape[1] != k1.shape[0]:
            raise ExportError(f"layer sizes do not chain: {k0.shape} then {k1.shape}")
    return out


def policy_graph(
    normalizer: Any, policy_params: Any, observation_size: int, action_size: int, name: str = "tabrl_policy"
) -> onnx.ModelProto:
    """The normaliser + deterministic policy as one ONNX model (batch dimension ``N``)."""
    mean = np.asarray(normalizer.mean, dtype=np.float32).reshape(-1)
    std = np.asarray(normalizer.std, dtype=np.float32).reshape(-1)
    if mean.shape != (observation_size,) or std.shape != (observation_size,):
        raise ExportError(f"normaliser has {mean.shape[0]} entries; the observation has {observation_size}")
    layers = _dense_layers(policy_params)
    if layers[0][0].shape[0] != observation_size:
        raise ExportError(
            f"first layer takes {layers[0][0].shape[0]} inputs; the observation has {observation_size}"
        )
    if layers[-1][0].shape[1] != 2 * action_size:
        raise ExportError(
            f"last layer gives {layers[-1][0].shape[1]} outputs; a tanh-normal policy over "
            f"{action_size} actions gives {2 * action_size}"
        )

    inits = [
        numpy_helper.from_array(mean, "obs_mean"),
        numpy_helper.from_array(std, "obs_std"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "slice_start"),
        numpy_helper.from_array(np.array([action_size], dtype=np.int64), "slice_end"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "slice_axis"),
    ]
    nodes = [
        helper.make_node("Sub", ["obs", "obs_mean"], ["centred"]),
        helper.make_node("Div", ["centred", "obs_std"], ["h_in"]),
    ]
    x = "h_in"
    for i, (kernel, bias) in enumerate(layers):
        inits += [numpy_helper.from_array(kernel, f"W{i}"), numpy_helper.from_array(bias, f"b{i}")]
        nodes.append(helper.make_node("Gemm", [x, f"W{i}", f"b{i}"], [f"z{i}"]))
        x = f"z{i}"
        if i < len(layers) - 1:  # swish(z) = z * sigmoid(z), Brax PPO's default activation
            nodes += [
                helper.make_node("Sigmoid", [x], [f"s{i}"]),
                helper.make_node("Mul", [x, f"s{i}"], [f"a{i}"]),
            ]
            x = f"a{i}"
    nodes += [
        helper.make_node("Slice", [x, "slice_start", "slice_end", "slice_axis"], ["loc"]),
        helper.make_node("Tanh", ["loc"], ["action"]),
    ]
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("obs", TensorProto.FLOAT, ["N", observation_size])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, ["N", action_size])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="tabrl", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # readable by onnxruntime releases of the last years
    onnx.checker.check_model(model)
    return model


def sidecar(robot: Robot, meta: dict[str, Any], model_sha256: str | None = None) -> dict[str, Any]:
    """What a controller needs besides the graph: observation layout, action map, timing."""
    spec = robot.spec
    program = meta.get("program") or {}
    motion = Motion.model_validate(program["motion"]) if program.get("motion") else None
    action_map = behavior.ActionMap.for_robot(robot, motion=motion)
    nj, nu = spec.n_joints, robot.action_size

    def ints(a: np.ndarray) -> list[int]:
        return [int(v) for v in np.asarray(a).reshape(-1)]

    def floats(a: np.ndarray) -> list[float]:
        return [float(v) for v in np.asarray(a, dtype=np.float64).reshape(-1)]

    return {
        "format": SIDECAR_FORMAT,
        "model_id": meta["model_id"],
        "program_name": (meta.get("program") or {}).get("name"),
        "model_file": MODEL_FILE,
        "model_sha256": model_sha256,  # the .mjb's hash: names it in the studio's shared store
        "onnx_file": ONNX_FILE,
        "ctrl_dt": float(robot.ctrl_dt),
        "n_substeps": int(robot.n_substeps),
        "clock_hz": float(meta["clock_hz"]),
        "default_qpos": floats(spec.default_qpos),
        "start_qpos": floats(spec.start),  # where an episode starts (a swing-up hangs)
        "observation": {
            "size": int(meta["observation_size"]),
            "layout": [
                {
                    "name": "gravity",
                    "size": 3,
                    "how": "-R[2, :] with R the base rotation from the unit quaternion sensordata[base_quat_adr] (w,x,y,z)",
                },
                {
                    "name": "base_ang_vel",
                    "size": 3,
                    "how": "R^T @ sensordata[base_angvel_adr] (world → base frame)",
                },
                {"name": "q_rel", "size": nj, "how": "qpos[joint_qpos_adr] - default_joint_pos"},
                {"name": "qd", "size": nj, "how": "qvel[joint_qvel_adr]"},
                {
                    "name": "action",
                    "size": nu,
                    "how": "the action applied at the previous control step (zeros at start)",
                },
                {
                    "name": "phase",
                    "size": 2,
                    "how": "sin(2π·clock_hz·t), cos(2π·clock_hz·t); t = control steps × ctrl_dt",
                },
            ],
            "base_quat_adr": ints(spec.base_quat_adr),
            "base_angvel_adr": ints(spec.base_angvel_adr),
            "joint_qpos_adr": ints(spec.joint_qpos_adr),
            "joint_qvel_adr": ints(spec.joint_qvel_adr),
            "default_joint_pos": floats(spec.default_joint_pos),
        },
        "action": {
            "size": nu,
            "how": "ctrl = clip(default_ctrl + clip(action, -1, 1) * scale + prior(t), low, high), held for "
            "n_substeps mj_steps; t = the control step's start time; prior(t) = 0 without a motion prior",
            "default_ctrl": floats(action_map.default_ctrl),
            "scale": floats(action_map.scale),
            "low": floats(action_map.low),
            "high": floats(action_map.high),
        },
        "motion": _motion_arrays(action_map.motion),
        "motion_program": program.get("motion"),
        "steps": meta.get("steps"),
        "seed": meta.get("seed"),
    }


def _motion_arrays(compiled: Any) -> dict[str, Any] | None:
    """The prior over actuators: prior(t) = min(1, t/ramp_s) * (offset + Σ_k amplitude[k] sin(ω_k t + phase[k]))."""
    if compiled is None:
        return None
    return {
        "how": "prior(t) = min(1, t / ramp_s) * (offset + sum_k amplitude[k] * sin(omega[k] * t + phase[k])); "
        "ramp_s = 0 means no ramp",
        "offset": np.asarray(compiled.offset, dtype=np.float64).tolist(),
        "omega": np.asarray(compiled.omega, dtype=np.float64).tolist(),
        "amplitude": np.asarray(compiled.amplitude, dtype=np.float64).tolist(),
        "phase": np.asarray(compiled.phase, dtype=np.float64).tolist(),
        "ramp_s": float(compiled.ramp_s),
    }


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_export(
    out_dir: Path, robot: Robot, params: Any, meta: dict[str, Any], model_store_dir: Path | None = None
) -> dict[str, Path]:
    """Writes policy.onnx, policy.json and the MuJoCo model for ``out_dir`` (each file atomically).

    The model goes into ``out_dir`` as model.mjb, or with ``model_store_dir`` into that shared store
    (once per robot build), before ``out_dir`` refers to it.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = residual.fold(params)  # a residual policy as the one plain MLP the checkpoint holds
    model = policy_graph(
        params[0],
        params[1],
        int(meta["observation_size"]),
        int(meta["action_size"]),
        name=f"{meta['model_id']}_policy",
    )
    mjb = model_store.model_bytes(robot.mj_model)
    if model_store_dir is not None:
        sha256 = model_store.put(Path(model_store_dir), mjb)
        model_path = model_store.stored_path(Path(model_store_dir), sha256)
    else:
        sha256 = model_store.digest(mjb)
        model_path = out_dir / MODEL_FILE
        _write_atomic(model_path, mjb)
    paths = {
        "onnx": out_dir / ONNX_FILE,
        "sidecar": out_dir / SIDECAR_FILE,
        "model": model_path,
        "runner": out_dir / RUNNER_FILE,
    }
    _write_atomic(paths["onnx"], model.SerializeToString())
    _write_atomic(paths["sidecar"], json.dumps(sidecar(robot, meta, sha256), indent=2).encode())
    _write_atomic(paths["runner"], (Path(__file__).parent / RUNNER_FILE).read_bytes())
    return paths
