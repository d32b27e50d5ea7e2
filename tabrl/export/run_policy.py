"""Run an exported TabRL policy in plain MuJoCo: ``python run_policy.py [FOLDER] [--seconds S] [--out F.npz]``.

This file is copied into every export folder beside policy.onnx, policy.json and model.mjb and
needs only ``mujoco``, ``numpy`` and ``onnxruntime`` (nothing from TabRL): it is the reference
for a controller that reads the sidecar. ``--viewer`` shows the robot in MuJoCo's viewer.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
import onnxruntime


class ExportedPolicy:
    """The sidecar's observation and action map around the ONNX graph, for one MjData."""

    def __init__(self, folder: Path):
        folder = Path(folder)
        self.meta = json.loads((folder / "policy.json").read_text())
        if self.meta.get("format") != 1:
            raise SystemExit(
                f"policy.json has format {self.meta.get('format')!r}; this runner reads format 1"
            )
        self.model = mujoco.MjModel.from_binary_path(str(folder / self.meta["model_file"]))
        self.session = onnxruntime.InferenceSession(
            str(folder / self.meta["onnx_file"]), providers=["CPUExecutionProvider"]
        )
        obs, act = self.meta["observation"], self.meta["action"]
        self.quat_adr = np.array(obs["base_quat_adr"])
        self.angvel_adr = np.array(obs["base_angvel_adr"])
        self.qpos_adr = np.array(obs["joint_qpos_adr"])
        self.qvel_adr = np.array(obs["joint_qvel_adr"])
        self.default_joint_pos = np.array(obs["default_joint_pos"])
        self.default_ctrl, self.scale = np.array(act["default_ctrl"]), np.array(act["scale"])
        self.low, self.high = np.array(act["low"]), np.array(act["high"])
        self.motion = self.meta.get("motion")  # a reference motion the policy acts around, or None

    def reset(self, data: mujoco.MjData) -> None:
        mujoco.mj_resetData(self.model, data)
        data.qpos[:] = self.meta.get("start_qpos", self.meta["default_qpos"])
        data.ctrl[:] = self.default_ctrl
        mujoco.mj_forward(self.model, data)
        self.action = np.zeros(self.meta["action"]["size"])
        self.steps = 0

    def observation(self, data: mujoco.MjData) -> np.ndarray:
        quat = data.sensordata[self.quat_adr]
        quat = quat / np.linalg.norm(quat)
        flat = np.zeros(9)
        mujoco.mju_quat2Mat(flat, quat)
        rot = flat.reshape(3, 3)  # body to world
        phase = 2 * math.pi * self.meta["clock_hz"] * self.steps * self.meta["ctrl_dt"]
        return np.concatenate(
            [
                -rot[2, :],
                rot.T @ data.sensordata[self.angvel_adr],
                data.qpos[self.qpos_adr] - self.default_joint_pos,
                data.qvel[self.qvel_adr],
                self.action,
                [math.sin(phase), math.cos(phase)],
            ]
        ).astype(np.float32)

    def prior(self, t: float) -> np.ndarray:
        if not self.motion:
            return np.zeros_like(self.default_ctrl)
        m = self.motion
        value = np.array(m["offset"])
        if m["omega"]:
            waves = np.sin(t * np.array(m["omega"])[:, None] + np.array(m["phase"]))  # (K, nu)
            value = value + np.sum(np.array(m["amplitude"]) * waves, axis=0)
        ramp = min(1.0, t / m["ramp_s"]) if m["ramp_s"] > 0 else 1.0
        return ramp * value

    def step(self, data: mujoco.MjData) -> np.ndarray:
        """One control step: observe, act, hold the controls for the substeps. Returns the action."""
        obs = self.observation(data)
        action = self.session.run(["action"], {"obs": obs[None]})[0][0].astype(np.float64)
        self.action = np.clip(action, -1.0, 1.0)
        t = self.steps * self.meta["ctrl_dt"]
        target = self.default_ctrl + self.action * self.scale + self.prior(t)
        data.ctrl[:] = np.clip(target, self.low, self.high)
        for _ in range(self.meta["n_substeps"]):
            mujoco.mj_step(self.model, data)
        self.steps += 1
        return self.action


def has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(folder: Path, seconds: float, out: str | None = None, viewer: bool = False) -> int:
    """Runs the policy for ``seconds`` (in the viewer in real time, if asked); returns the control steps run."""
    policy = ExportedPolicy(Path(folder))
    data = mujoco.MjData(policy.model)
    policy.reset(data)
    n = int(round(seconds / policy.meta["ctrl_dt"]))
    window = None
    if viewer:
        if not has_display():
            raise SystemExit(
                "no display: mujoco.viewer needs X11 or Wayland (DISPLAY / WAYLAND_DISPLAY is unset); "
                "run without --viewer to record a trajectory, or render a video with `tabrl render`"
            )
        from mujoco import viewer as mujoco_viewer

        window = mujoco_viewer.launch_passive(policy.model, data)
    rec: dict[str, list] = {"time": [], "qpos": [], "qvel": [], "actions": []}
    for _ in range(n):
        started = time.perf_counter()
        action = policy.step(data)
        rec["time"].append(policy.steps * policy.meta["ctrl_dt"])
        rec["qpos"].append(data.qpos.copy())
        rec["qvel"].append(data.qvel.copy())
        rec["actions"].append(action.copy())
        if window is not None:
            if not window.is_running():
                break
            window.sync()
            time.sleep(max(0.0, policy.meta["ctrl_dt"] - (time.perf_counter() - started)))
    if out:
        arrays: dict[str, Any] = {k: np.asarray(v) for k, v in rec.items()}
        np.savez_compressed(out, **arrays)
    print(
        f"{policy.meta['model_id']}: {len(rec['time'])} control steps ({len(rec['time']) * policy.meta['ctrl_dt']:.1f} s)"
    )
    return len(rec["time"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).resolve().parent))
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--out", help="write the trajectory (time, qpos, qvel, actions) to this .npz")
    parser.add_argument("--viewer", action="store_true", help="show it in mujoco.viewer (needs a display)")
    args = parser.parse_args()
    run(Path(args.folder), args.seconds, args.out, args.viewer)


if __name__ == "__main__":
    main()
