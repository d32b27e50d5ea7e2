"""What a person sees in the video, measured on the recorded rollout: where each limb's tip went, what
happened to the objects and the scene's passive joints (a cube lifted, a drawer opened), and how the
feet left the ground. Success checks compare these, not the joints the motion prior itself drives.

Tips are replayed from the recorded ``qpos`` by forward kinematics and measured in the base's own frame,
so a walking or falling robot's hand sweep counts the hand, not the walk or the fall.
"""

from __future__ import annotations

from typing import Any

import mujoco
import numpy as np

from tabrl.render.rollout import Trajectory
from tabrl.rewards.kinematics import quat_angle
from tabrl.robots.model import Robot
from tabrl.robots.observables import fingertip_spread, observables_of, tip_points

LOW, HIGH = 5, 95  # percentiles: a single jolt does not make a sweep


def _posed_points(robot: Robot, traj: Trajectory) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posing each frame once: the limb tips' world positions (T, limbs, 3), the two hands' (T, 2, 3) where
    the body has them (``Observables.hands``; else (T, 0, 3)), and the chest's world orientation (T, 4) where
    it has a waist (``Observables.chest``; else (T, 0))."""
    obs = observables_of(robot)
    model = robot.mj_model
    data = mujoco.MjData(model)
    tips = np.zeros((len(traj.qpos), len(obs.tips), 3))
    hands = np.zeros((len(traj.qpos), len(obs.hands), 3))
    chest = np.zeros((len(traj.qpos), 4 if obs.chest >= 0 else 0))
    for t, q in enumerate(traj.qpos):
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        tips[t] = tip_points(data, obs.tips)
        if obs.hands:
            hands[t] = tip_points(data, obs.hands)
        if obs.chest >= 0:
            chest[t] = data.xquat[obs.chest]
    return tips, hands, chest


def _in_base_frame(robot: Robot, traj: Trajectory, world: np.ndarray) -> np.ndarray:
    """(T, limbs, 3) tip positions in the base's frame, relative to the base; in the world's where the base
    does not move on root joints of its own (a cartpole's or an acrobot's "base" is the body whose tip swings
    up: in its own frame the tip never moved, and every swing-up read 0 cm)."""
    if not (robot.spec.floating_base or observables_of(robot).planar):
        return world
    rel = world - traj.base_pos[:, None, :]
    # into the base's own frame (its full orientation): a limb's motion, not the body's tilt or fall
    rot = np.stack([_rotation(q) for q in traj.base_quat]) if len(traj.base_quat) else np.eye(3)[None]
    return np.einsum("tji,tlj->tli", rot, rel)


def turns(path: np.ndarray) -> float:
    """How many times a tip's path (T, 3) went round: the net angle it swept about its own centre, in
    the plane of its two widest directions, over a full turn. A circle counts up; a swing to and fro
    along an arc goes back over its angle and counts about zero."""
    if len(path) < 3:
        return 0.0
    centred = path - path.mean(axis=0)
    _, _, axes = np.linalg.svd(centred, full_matrices=False)
    flat = centred @ axes[:2].T
    angle = np.unwrap(np.arctan2(flat[:, 1], flat[:, 0]))
    return float(abs(angle[-1] - angle[0]) / (2 * np.pi))


def _rotation(quat: np.ndarray) -> np.ndarray:
    mat = np.zeros(9)
    norm = float(np.linalg.norm(quat))
    mujoco.mju_quat2Mat(mat, quat / norm if norm > 0 else np.array([1.0, 0.0, 0.0, 0.0]))
    return mat.reshape(3, 3)


def _grips(robot: Robot, traj: Trajectory, settle: int) -> dict[str, float]:
    """Per hand or gripper: its fingertips' mean spread after the first second minus at the start (m);
    negative when it closed, positive when it opened."""
    obs = observables_of(robot)
    model, data = robot.mj_model, mujoco.MjData(robot.mj_model)
    spreads = np.zeros((len(traj.qpos), len(obs.grips)))
    for t, q in enumerate(traj.qpos):
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        spreads[t] = [fingertip_spread(data, tips) for _, tips in obs.grips]
    return {limb: float(spreads[settle:, i].mean() - spreads[0, i]) for i, (limb, _) in enumerate(obs.grips)}


def outcome_metrics(robot: Robot, traj: Trajectory, settle: int) -> dict[str, Any]:
    """Limb tips, objects and passive joints: the nested figures ``metric_values`` flattens."""
    obs = observables_of(robot)
    out: dict[str, Any] = {}
    if len(traj.qpos) == 0:
        return out
    if obs.limbs or obs.chest >= 0:
        world, hands, chest = _posed_points(robot, traj)
        tips = _in_base_frame(robot, traj, world)
        later = tips[settle:]
        lo, hi = np.percentile(later, LOW, axis=0), np.percentile(later, HIGH, axis=0)
        out["limbs"] = {
            name: {
                "sweep_m": float(np.max(hi[i] - lo[i])),
                "loop_m": float(np.sort(hi[i] - lo[i])[-2]),
                "turns": turns(later[:, i]),
                "rise_m": float(hi[i, 2] - tips[0, i, 2]),
                "reach_m": float(hi[i, 0] - tips[0, i, 0]),
                "shift_m": float(np.linalg.norm(later[:, i].mean(axis=0) - tips[0, i])),
                # where the tip was held, from the base in its frame (hands on the hips, arms out wide)
                "at_m": [float(v) for v in np.median(later[:, i], axis=0)],
            }
            for i, name in enumerate(obs.limbs)
        }
        if obs.hands:  # a clap: how close the two hands came
            gap = np.linalg.norm(hands[settle:, 0] - hands[settle:, 1], axis=-1)
            out["hands_gap_m"] = float(np.percentile(gap, LOW))
        if chest.size:  # a twist, a lean, a bend of the upper body: how far the chest turned from its start
            turned = quat_angle(chest[settle:], np.broadcast_to(chest[0], chest[settle:].shape))
            out["torso_turn_rad"] = float(np.percentile(turned, HIGH)) if len(turned) else 0.0
    if obs.grips:
        out["grips"] = _grips(robot, traj, settle)
    if obs.objects:
        rows = []
        for adr in obs.objects:
            pos, quat = traj.qpos[:, adr : adr + 3], traj.qpos[:, adr + 3 : adr + 7]
            rows.append(
                {
                    "rise_m": float(np.percentile(pos[:, 2], HIGH) - pos[0, 2]),
                    "moved_m": float(np.linalg.norm(pos[-1, :2] - pos[0, :2])),
                    # the largest angle from the start orientation: a wobble stays small, a turn shows
                    "turn_rad": float(np.max(quat_angle(quat, np.broadcast_to(quat[0], quat.shape)))),
                }
            )
        out["objects"] = rows
    if obs.passive:
        q = traj.qpos[:, list(obs.passive)]
        out["opening"] = float(np.max(np.percentile(np.abs(q - q[0]), HIGH, axis=0)))
    return out


def outcome_values(m: dict[str, Any]) -> dict[str, float]:
    """The flat names a success check reads (``checks.metric_names``)."""
    v: dict[str, float] = {}
    for name, limb in m.get("limbs", {}).items():
        v[f"{name}_sweep"] = limb["sweep_m"]
        v[f"{name}_rise"] = limb["rise_m"]
        v[f"{name}_reach"] = limb["reach_m"]
        v[f"{name}_shift"] = limb.get("shift_m", 0.0)
        v[f"{name}_loop"] = limb.get("loop_m", 0.0)
        v[f"{name}_turns"] = limb.get("turns", 0.0)
        for axis, value in zip("xyz", limb.get("at_m", ()), strict=False):
            v[f"{name}_at_{axis}"] = value
    if "hands_gap_m" in m:
        v["hands_gap"] = m["hands_gap_m"]
    if "torso_turn_rad" in m:
        v["torso_turn"] = m["torso_turn_rad"]
    for limb, change in m.get("grips", {}).items():
        v[f"{limb}_grip"] = change
    if m.get("objects"):
        objects = m["objects"]
        v["object_rise"] = max(o["rise_m"] for o in objects)
        v["object_moved"] = max(o["moved_m"] for o in objects)
        v["object_turn"] = max(o["turn_rad"] for o in objects)
    if "opening" in m:
        v["opening"] = m["opening"]
    return v
