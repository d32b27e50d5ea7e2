"""Named quantities read from a physics state: the vocabulary rewards are written in.

One definition for numpy (the native backend, batched: leading dims ``(B,)``) and jax.numpy
(MJX, under vmap/jit): every function takes the array module ``xp`` and indexes with
``[..., idx]``. Everything comes from ``qpos``, ``qvel`` and ``sensordata`` through the
addresses in :class:`~tabrl.robots.model.RobotSpec`, so ``MjData``, ``mjx.Data`` and the
arrays ``mujoco.rollout`` returns all work.
"""

from __future__ import annotations

from typing import Any

from tabrl.robots.model import RobotSpec
from tabrl.sim.observations import PHASE_CLOCK_HZ

CONTACT_MARGIN = 0.01  # a foot within this of the ground (beyond its radius) is in contact

# name -> (shape, description). Shapes: "" scalar per state, "3", "nj" joints, "nu" actuators,
# "nfeet", "nfeet,3", "nee,3"; "group" the size of a joint group.
FEATURES: dict[str, tuple[str, str]] = {
    "t": ("", "time since the episode started (s)"),
    "phase_sin": ("", f"sin of a {PHASE_CLOCK_HZ:g} Hz clock"),
    "phase_cos": ("", f"cos of a {PHASE_CLOCK_HZ:g} Hz clock"),
    "base_pos": ("3", "base position in the world (m)"),
    "base_height": ("", "base height above the ground (m)"),
    "standing_height": ("", "base height in the default pose (m), a constant"),
    "base_lin_vel": ("3", "base linear velocity in the base frame (m/s): forward, left, up"),
    "base_ang_vel": ("3", "base angular velocity in the base frame (rad/s): roll, pitch, yaw rates"),
    "base_vel_world": ("3", "base linear velocity in the world frame (m/s)"),
    "gravity": ("3", "gravity direction in the base frame; (0, 0, -1) when upright"),
    "roll": ("", "base roll angle (rad)"),
    "pitch": ("", "base pitch angle (rad), positive nose down"),
    "yaw": ("", "base heading (rad)"),
    "yaw_rate": ("", "turning rate about the world vertical (rad/s), positive counter-clockwise"),
    "forward_speed": ("", "speed along the robot's heading (m/s), negative backwards"),
    "lateral_speed": ("", "speed to the robot's left (m/s)"),
    "vertical_speed": ("", "base upward speed (m/s)"),
    "drift": ("", "horizontal distance of the base from where it started (m)"),
    "q": ("nj", "joint positions (rad or m)"),
    "qd": ("nj", "joint velocities"),
    "q_rel": ("nj", "joint positions relative to the default pose"),
    "feet_pos": ("nfeet,3", "feet positions in the world (m)"),
    "feet_height": ("nfeet", "feet heights (m)"),
    "feet_contact": ("nfeet", "1 where a foot touches the ground, else 0"),
    "ee_pos": ("nee,3", "end-effector / fingertip positions in the world (m)"),
    "action": ("nu", "the policy's action this step, in [-1, 1]"),
    "last_action": ("nu", "the previous action"),
    "torque": ("nu", "actuator forces (N or Nm)"),
}
GROUP_FEATURES = {
    "q_{group}": ("group", "positions of a joint group's joints relative to the default pose"),
    "qd_{group}": ("group", "velocities of a joint group's joints"),
}


def feature_names(spec: RobotSpec) -> list[str]:
    names = list(FEATURES)
    for group in spec.groups:
        names += [f"q_{group}", f"qd_{group}"]
    return names


def quat_rotate_inverse(xp: Any, quat: Any, vec: Any) -> Any:
    """Rotates world vectors into the frame of unit quaternion(s) ``quat`` (w, x, y, z)."""
    w = quat[..., 0:1]
    u = -quat[..., 1:4]  # the conjugate's vector part
    t = 2.0 * xp.cross(u, vec)
    return vec + w * t + xp.cross(u, t)


def euler_from_quat(xp: Any, quat: Any) -> tuple[Any, Any, Any]:
    w, x, y, z = quat[..., 0], quat[..., 1], quat[..., 2], quat[..., 3]
    roll = xp.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = xp.arcsin(xp.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = xp.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return roll, pitch, yaw


def compute_features(xp: Any, spec: RobotSpec, qpos: Any, qvel: Any, sensordata: Any, t: Any, action: Any,
                     last_action: Any) -> dict[str, Any]:
    """All features of a (batch of) state(s). ``t`` is a scalar or one time per state."""
    batch = qpos.shape[:-1]
    dtype = qpos.dtype
    t = xp.broadcast_to(xp.asarray(t, dtype=dtype), batch)
    quat = sensordata[..., spec.base_quat_adr]
    quat = quat / xp.linalg.norm(quat, axis=-1, keepdims=True)
    base_pos = sensordata[..., spec.base_pos_adr]
    vel_world = sensordata[..., spec.base_linvel_adr]
    angvel_world = sensordata[..., spec.base_angvel_adr]
    down = xp.broadcast_to(xp.asarray([0.0, 0.0, -1.0], dtype=dtype), batch + (3,))
    roll, pitch, yaw = euler_from_quat(xp, quat)
    cy, sy = xp.cos(yaw), xp.sin(yaw)
    q = qpos[..., spec.joint_qpos_adr]
    qd = qvel[..., spec.joint_qvel_adr]
    q_rel = q - spec.default_joint_pos
    phase = 2 * xp.pi * PHASE_CLOCK_HZ * t
    feet_pos = sensordata[..., spec.feet_pos_adr]
    feet_height = feet_pos[..., 2]
    out = {
        "t": t,
        "phase_sin": xp.sin(phase),
        "phase_cos": xp.cos(phase),
        "base_pos": base_pos,
        "base_height": base_pos[..., 2],
        "standing_height": xp.full(batch, spec.standing_height, dtype=dtype),
        "base_lin_vel": quat_rotate_inverse(xp, quat, vel_world),
        "base_ang_vel": quat_rotate_inverse(xp, quat, angvel_world),
        "base_vel_world": vel_world,
        "gravity": quat_rotate_inverse(xp, quat, down),
        "roll": roll,
        "pitch": pitch,
        "yaw": yaw,
        "yaw_rate": angvel_world[..., 2],
        "forward_speed": cy * vel_world[..., 0] + sy * vel_world[..., 1],
        "lateral_speed": -sy * vel_world[..., 0] + cy * vel_world[..., 1],
        "vertical_speed": vel_world[..., 2],
        "drift": xp.sqrt(xp.sum((base_pos[..., :2] - spec.default_base_pos[:2]) ** 2, axis=-1) + 1e-12),
        "q": q,
        "qd": qd,
        "q_rel": q_rel,
        "feet_pos": feet_pos,
        "feet_height": feet_height,
        "feet_contact": xp.where(feet_height < spec.foot_radius + CONTACT_MARGIN, 1.0, 0.0).astype(dtype),
        "ee_pos": sensordata[..., spec.ee_pos_adr],
        "action": xp.asarray(action, dtype=dtype),
        "last_action": xp.asarray(last_action, dtype=dtype),
        "torque": sensordata[..., spec.torque_adr],
    }
    for group, idx in spec.groups.items():
        out[f"q_{group}"] = q_rel[..., idx]
        out[f"qd_{group}"] = qd[..., idx]
    return out


def features_from_data(xp: Any, spec: RobotSpec, data: Any, action: Any, last_action: Any) -> dict[str, Any]:
    """Features of an ``MjData`` (numpy) or ``mjx.Data`` (jax)."""
    return compute_features(xp, spec, xp.asarray(data.qpos), xp.asarray(data.qvel), xp.asarray(data.sensordata),
                            data.time, action, last_action)
