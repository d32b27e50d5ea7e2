"""Named quantities read from a physics state: the vocabulary rewards are written in.

One definition for numpy (the native backend, batched: leading dims ``(B,)``) and jax.numpy
(MJX, under vmap/jit): every function takes the array module ``xp`` and indexes with
``[..., idx]``. Everything comes from ``qpos``, ``qvel`` and ``sensordata`` through the
addresses in :class:`~tabrl.robots.model.RobotSpec`, so ``MjData``, ``mjx.Data`` and the
arrays ``mujoco.rollout`` returns all work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabrl.robots.model import RobotSpec

# The clock rhythmic rewards and the policy share when a term names none (the phase features below; the
# policy observes it through tabrl/sim/observations.py).
PHASE_CLOCK_HZ = 1.0
CONTACT_MARGIN = 0.01  # a foot within this of the ground (beyond its radius) is in contact

# name -> (shape, description). Shapes: "" scalar per state, "3", "nj" joints, "nu" actuators,
# "nfeet", "nfeet,3", "nee,3", "npassive"; "group" the size of a joint group.
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
# The scene's object (the first free one: a cube, a ball) and passive joints (a drawer, a door): present
# only on robots whose scene has them (``RobotSpec.has_objects`` / ``has_passive``).
OBJECT_FEATURES: dict[str, tuple[str, str]] = {
    "object_pos": ("3", "the object's position in the world (m)"),
    "object_start": ("3", "where the object started (m), a constant"),
    "object_offset": ("3", "the object's displacement from its start (m): object_pos - object_start"),
    "object_rise": ("", "the object's height above its start (m); > 0 when lifted"),
    "object_moved": ("", "horizontal distance of the object from its start (m)"),
    "object_vel": ("3", "the object's linear velocity in the world (m/s)"),
    "object_ang_vel": ("3", "the object's angular velocity in the world (rad/s)"),
    "object_quat": ("4", "the object's orientation as a unit quaternion (w, x, y, z)"),
    "object_up": ("3", "the object's own z axis in the world; (0, 0, 1) while it sits as it started upright"),
    "object_forward": ("3", "the object's own x axis in the world"),
    "object_turn": ("", "angle (rad) the object has turned from its start orientation, in [0, pi]"),
    "object_yaw_rate": (
        "",
        "the object's turning rate about the world vertical (rad/s), positive counter-clockwise",
    ),
}
# Features relating the robot's end effectors to the object (robots with both).
REACH_FEATURES: dict[str, tuple[str, str]] = {
    "ee_center": ("3", "the centre of the end effectors / fingertips (m)"),
    "ee_to_object": ("3", "vector from the end effectors' centre to the object (m)"),
    "object_dist": ("", "distance from the end effectors' centre to the object (m)"),
}
PASSIVE_FEATURES: dict[str, tuple[str, str]] = {
    "passive_q": (
        "npassive",
        "the scene's passive joints (drawer slides, door hinges) relative to their start",
    ),
    "opening": ("", "how far the scene's passive joints opened: the largest |passive_q| (m or rad)"),
}
GROUP_FEATURES = {
    "q_{group}": ("group", "positions of a joint group's joints relative to the default pose"),
    "qd_{group}": ("group", "velocities of a joint group's joints"),
}


def scene_features(spec: RobotSpec | None) -> dict[str, tuple[str, str]]:
    """The object and passive-joint features this robot's scene has (all of them when ``spec`` is None)."""
    out: dict[str, tuple[str, str]] = {}
    if spec is None or spec.has_objects:
        out.update(OBJECT_FEATURES)
        if spec is None or len(spec.ee):
            out.update(REACH_FEATURES)
    if spec is None or spec.has_passive:
        out.update(PASSIVE_FEATURES)
    return out


def feature_names(spec: RobotSpec) -> list[str]:
    names = list(FEATURES) + list(scene_features(spec))
    for group in spec.groups:
        names += [f"q_{group}", f"qd_{group}"]
    return names


def _rank(shape: str) -> int:
    return len([d for d in shape.split(",") if d.strip()])


def feature_ranks(spec: RobotSpec | None = None) -> dict[str, int]:
    """Per-state rank of each feature (0 scalar, 1 vector, 2 list of points).

    Expressions need it to reduce and broadcast over the per-state axes only, so a batched
    numpy array ``(B, ...)`` and an unbatched jax array give the same result.
    """
    ranks = {name: _rank(shape) for name, (shape, _) in FEATURES.items()}
    if spec is not None:
        ranks.update({name: _rank(shape) for name, (shape, _) in scene_features(spec).items()})
    for group in spec.groups if spec is not None else ():
        ranks[f"q_{group}"] = ranks[f"qd_{group}"] = 1
    return ranks


def rank_of(name: str) -> int:
    """A feature's per-state rank from its name alone (group features are vectors)."""
    if name in FEATURES:
        return _rank(FEATURES[name][0])
    scene = scene_features(None)
    if name in scene:
        return _rank(scene[name][0])
    return 1 if name.startswith(("q_", "qd_")) else 0


def _rotation(xp: Any, quat: Any) -> Any:
    """Rotation matrices ``(..., 3, 3)`` (body to world) of unit quaternions (w, x, y, z)."""
    w, x, y, z = quat[..., 0], quat[..., 1], quat[..., 2], quat[..., 3]
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz, wx, wy, wz = x * y, x * z, y * z, w * x, w * y, w * z
    rows = [
        1 - 2 * (yy + zz),
        2 * (xy - wz),
        2 * (xz + wy),
        2 * (xy + wz),
        1 - 2 * (xx + zz),
        2 * (yz - wx),
        2 * (xz - wy),
        2 * (yz + wx),
        1 - 2 * (xx + yy),
    ]
    return xp.stack(rows, axis=-1).reshape(quat.shape[:-1] + (3, 3))


def _to_body(xp: Any, rot: Any, vec: Any) -> Any:
    # v_body[i] = sum_j R[j, i] v_world[j]: one broadcast multiply and a sum, cheap on a batch.
    return xp.sum(rot * vec[..., :, None], axis=-2)


def _euler(xp: Any, rot: Any) -> tuple[Any, Any, Any]:
    """Roll, pitch, yaw (ZYX convention) read off a rotation matrix."""
    roll = xp.arctan2(rot[..., 2, 1], rot[..., 2, 2])
    pitch = xp.arcsin(xp.clip(-rot[..., 2, 0], -1.0, 1.0))
    yaw = xp.arctan2(rot[..., 1, 0], rot[..., 0, 0])
    return roll, pitch, yaw


def compute_features(
    xp: Any, spec: RobotSpec, qpos: Any, qvel: Any, sensordata: Any, t: Any, action: Any, last_action: Any
) -> dict[str, Any]:
    """All features of a (batch of) state(s). ``t`` is a scalar or one time per state."""
    batch = qpos.shape[:-1]
    dtype = qpos.dtype
    t = xp.broadcast_to(xp.asarray(t, dtype=dtype), batch)
    quat = sensordata[..., spec.base_quat_adr]
    quat = quat / xp.sqrt(xp.sum(quat * quat, axis=-1, keepdims=True))
    rot = _rotation(xp, quat)
    base_pos = sensordata[..., spec.base_pos_adr]
    vel_world = sensordata[..., spec.base_linvel_adr]
    angvel_world = sensordata[..., spec.base_angvel_adr]
    roll, pitch, yaw = _euler(xp, rot)
    # Heading from the body x axis projected on the ground (cos yaw, sin yaw) without trig.
    hx, hy = rot[..., 0, 0], rot[..., 1, 0]
    hn = xp.sqrt(hx * hx + hy * hy)
    safe = hn > 1e-9
    cy = xp.where(safe, hx / xp.where(safe, hn, 1.0), 1.0)
    sy = xp.where(safe, hy / xp.where(safe, hn, 1.0), 0.0)
    q = qpos[..., spec.joint_qpos_adr]
    qd = qvel[..., spec.joint_qvel_adr]
    q_rel = q - spec.default_joint_pos
    phase = 2 * xp.pi * PHASE_CLOCK_HZ * t
    feet_pos = sensordata[..., spec.feet_pos_adr]
    feet_height = feet_pos[..., 2]
    dxy = base_pos[..., :2] - spec.default_base_pos[:2]
    out = {
        "t": t,
        "phase_sin": xp.sin(phase),
        "phase_cos": xp.cos(phase),
        "base_pos": base_pos,
        "base_height": base_pos[..., 2],
        "standing_height": xp.full(batch, spec.standing_height, dtype=dtype),
        "base_lin_vel": _to_body(xp, rot, vel_world),
        "base_ang_vel": _to_body(xp, rot, angvel_world),
        "base_vel_world": vel_world,
        "gravity": -rot[..., 2, :],  # world (0, 0, -1) in the body frame: minus R's last row
        "roll": roll,
        "pitch": pitch,
        "yaw": yaw,
        "yaw_rate": angvel_world[..., 2],
        "forward_speed": cy * vel_world[..., 0] + sy * vel_world[..., 1],
        "lateral_speed": -sy * vel_world[..., 0] + cy * vel_world[..., 1],
        "vertical_speed": vel_world[..., 2],
        "drift": xp.sqrt(dxy[..., 0] * dxy[..., 0] + dxy[..., 1] * dxy[..., 1] + 1e-12),
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
    if spec.has_objects:
        out.update(_object_features(xp, spec, qpos, qvel, out["ee_pos"]))
    if spec.has_passive:
        passive_q = qpos[..., spec.passive_qpos_adr] - spec.default_qpos[spec.passive_qpos_adr]
        out["passive_q"] = passive_q
        out["opening"] = xp.max(xp.abs(passive_q), axis=-1)
    return out


def _object_features(xp: Any, spec: RobotSpec, qpos: Any, qvel: Any, ee_pos: Any) -> dict[str, Any]:
    """The first free object's features (its free joint's qpos and qvel; its start from the default pose)."""
    adr, vadr = spec.object_qpos_adr[0], spec.object_qvel_adr[0]
    batch = qpos.shape[:-1]
    pos = qpos[..., adr[:3]]
    start = spec.default_qpos[adr[:3]]
    start_quat = spec.default_qpos[adr[3:]]
    start_quat = start_quat / np.linalg.norm(start_quat)
    quat = qpos[..., adr[3:]]
    quat = quat / xp.sqrt(xp.sum(quat * quat, axis=-1, keepdims=True) + 1e-12)
    rot = _rotation(xp, quat)
    # A free joint's angular velocity is in the object's own frame: R w turns it into the world's.
    ang_vel = xp.sum(rot * qvel[..., vadr[3:]][..., None, :], axis=-1)
    offset = pos - start
    cos_half = xp.clip(xp.abs(xp.sum(quat * start_quat, axis=-1)), 0.0, 1.0)
    out = {
        "object_pos": pos,
        "object_start": xp.broadcast_to(xp.asarray(start, dtype=qpos.dtype), batch + (3,)),
        "object_offset": offset,
        "object_rise": offset[..., 2],
        "object_moved": xp.sqrt(offset[..., 0] ** 2 + offset[..., 1] ** 2 + 1e-12),
        "object_vel": qvel[..., vadr[:3]],
        "object_ang_vel": ang_vel,
        "object_quat": quat,
        "object_up": rot[..., :, 2],
        "object_forward": rot[..., :, 0],
        "object_turn": 2.0 * xp.arccos(cos_half),
        "object_yaw_rate": ang_vel[..., 2],
    }
    if len(spec.ee):
        center = xp.mean(ee_pos, axis=-2)
        gap = pos - center
        out["ee_center"] = center
        out["ee_to_object"] = gap
        out["object_dist"] = xp.sqrt(xp.sum(gap * gap, axis=-1) + 1e-12)
    return out


def features_from_data(xp: Any, spec: RobotSpec, data: Any, action: Any, last_action: Any) -> dict[str, Any]:
    """Features of an ``MjData`` (numpy) or ``mjx.Data`` (jax)."""
    return compute_features(
        xp,
        spec,
        xp.asarray(data.qpos),
        xp.asarray(data.qvel),
        xp.asarray(data.sensordata),
        data.time,
        action,
        last_action,
    )
