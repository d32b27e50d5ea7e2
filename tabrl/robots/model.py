"""A catalog robot compiled for TabRL: its MuJoCo model with the sensors our features read.

Both backends read the same quantities from ``qpos``, ``qvel`` and ``sensordata``: MJX gives
them on ``mjx.Data``, and ``mujoco.rollout`` returns exactly those arrays for a whole batch.
So instead of reading ``site_xpos`` (which rollout does not return) we add frame sensors for
the base, the feet and the end effectors, and actuator-force sensors for torques.
"""

from __future__ import annotations

import dataclasses
import functools
import weakref
from collections.abc import Callable
from typing import TypeVar

import mujoco
import numpy as np

from tabrl.robots.profiles import RobotProfile

T = TypeVar("T")

_SENSOR_PREFIX = "tabrl_"


@dataclasses.dataclass(frozen=True, eq=False)
class RobotSpec:
    """Static facts about a compiled robot that features, rewards and observations need.

    Every index is into ``qpos``, ``qvel`` or ``sensordata`` of the compiled model, so the
    same spec serves ``MjData``, ``mjx.Data`` and batched rollout arrays.
    """

    model_id: str
    category: str
    joint_names: tuple[str, ...]
    joint_qpos_adr: np.ndarray  # (nj,)
    joint_qvel_adr: np.ndarray  # (nj,)
    joint_range: np.ndarray  # (nj, 2); (-inf, inf) where unlimited
    groups: dict[str, np.ndarray]  # group name -> indices into joint_names
    feet: tuple[str, ...]
    ee: tuple[str, ...]
    base_pos_adr: np.ndarray  # (3,) sensordata, world frame
    base_quat_adr: np.ndarray  # (4,) sensordata, wxyz
    base_linvel_adr: np.ndarray  # (3,) sensordata, world frame
    base_angvel_adr: np.ndarray  # (3,) sensordata, world frame
    feet_pos_adr: np.ndarray  # (nfeet, 3)
    ee_pos_adr: np.ndarray  # (nee, 3)
    torque_adr: np.ndarray  # (nu,)
    default_joint_pos: np.ndarray  # (nj,)
    default_qpos: np.ndarray  # (nq,) the whole start state
    default_base_pos: np.ndarray  # (3,) base position in the default pose (world)
    default_feet_rel: np.ndarray  # (nfeet, 3) feet in the base frame, default pose (front: +x, left: +y)
    default_ee_pos: np.ndarray  # (nee, 3) end effectors in the default pose (world)
    actuator_qvel_adr: np.ndarray  # (nu,) qvel index of each actuator's joint, -1 when none
    standing_height: float  # base height in the default pose
    foot_radius: float
    floating_base: bool
    fall_height: float  # base below this height is a fall (0 disables)
    fall_tilt: float  # tilt (rad) beyond which the robot has fallen (>= pi disables)
    # Motion priors need these: which joints a position actuator drives, and where each joint sits
    # on the body (front/left signs give gait phase patterns).
    position_control: bool = False
    joint_anchor_rel: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 3))
    )  # (nj, 3) base frame
    # What of the scene the robot acts on (outside the robot's own kinematic trees), read from qpos and
    # qvel so object features need no extra sensors: free objects (a cube) and unactuated hinges and
    # slides (a drawer, a door). Their start is in default_qpos.
    # Where a task's episodes start when not at the default pose (a swing-up hangs): the whole state; empty: the
    # default pose. Read it through ``start``.
    start_qpos: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    object_qpos_adr: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 7), dtype=np.int32)
    )  # (nobj, 7): position xyz, quaternion wxyz
    object_qvel_adr: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros((0, 6), dtype=np.int32)
    )  # (nobj, 6): linear velocity (world), angular velocity (object frame)
    passive_qpos_adr: np.ndarray = dataclasses.field(
        default_factory=lambda: np.zeros(0, dtype=np.int32)
    )  # (npassive,)

    @property
    def n_joints(self) -> int:
        return len(self.joint_names)

    @property
    def start(self) -> np.ndarray:
        """The whole state a task's episodes start from: ``default_qpos`` unless the task starts elsewhere."""
        return self.start_qpos if len(self.start_qpos) else self.default_qpos

    @property
    def has_objects(self) -> bool:
        return len(self.object_qpos_adr) > 0

    @property
    def has_passive(self) -> bool:
        return len(self.passive_qpos_adr) > 0


@dataclasses.dataclass(frozen=True, eq=False)
class Robot:
    """A compiled catalog robot ready for simulation."""

    model_id: str
    profile: RobotProfile
    mj_model: mujoco.MjModel
    spec: RobotSpec
    ctrl_dt: float
    sim_dt: float
    action_scale: float | tuple[float, ...]  # one scale, or one per actuator (Aero hand)
    position_control: bool  # position actuators: action = offset from the default pose
    actuator_joint: np.ndarray  # (nu,) index into spec.joint_names or -1 (tendon etc.)
    ctrl_range: np.ndarray  # (nu, 2)
    default_ctrl: np.ndarray  # (nu,)

    @property
    def n_substeps(self) -> int:
        return max(1, int(round(self.ctrl_dt / self.sim_dt)))

    @property
    def action_size(self) -> int:
        return self.mj_model.nu


def per_robot(fn: Callable[[Robot], T]) -> Callable[[Robot], T]:
    """Caches ``fn(robot)`` for as long as that compiled robot lives (a weak key: the cache never keeps a
    robot, with its model, alive after the catalog let it go)."""
    cache: weakref.WeakKeyDictionary[Robot, T] = weakref.WeakKeyDictionary()

    @functools.wraps(fn)
    def cached(robot: Robot) -> T:
        if robot not in cache:
            cache[robot] = fn(robot)
        return cache[robot]

    return cached


def observation_size(spec: RobotSpec, action_size: int) -> int:
    """The length of the policy's observation for a robot, as ``tabrl/sim/observations.py`` lays it out:
    projected gravity (3), base angular velocity (3), joint positions and velocities (nj each), the last
    action (nu) and the phase clock (2). Here, with the robot, because the catalog lists it for every model."""
    return 3 + 3 + 2 * spec.n_joints + action_size + 2


class ProfileMismatch(ValueError):
    """A profile names something the compiled model lacks."""


def _find_point(model_or_spec_names: dict[str, set[str]], name: str) -> str:
    if name in model_or_spec_names["site"]:
        return "site"
    if name in model_or_spec_names["body"]:
        return "body"
    raise KeyError(name)


def compile_robot(
    model_id: str,
    spec: mujoco.MjSpec,
    profile: RobotProfile,
    *,
    ctrl_dt: float,
    sim_dt: float,
    action_scale: float | tuple[float, ...] | None = None,
    tuned_model: mujoco.MjModel | None = None,
) -> Robot:
    """Adds our sensors to ``spec``, compiles it and derives the RobotSpec.

    ``tuned_model`` is the environment's own compiled model (Playground adjusts gains,
    damping and solver options after loading); its parameters are copied over.
    """
    names = {
        "site": {s.name for s in spec.sites},
        "body": {b.name for b in spec.bodies},
    }
    if profile.base_body not in names["body"]:
        raise ProfileMismatch(
            f"profile '{profile.robot}' base body '{profile.base_body}' is not a body of {model_id}"
        )

    def add_point_sensor(point: str, label: str) -> str:
        sensor_name = f"{_SENSOR_PREFIX}{label}"
        if "@" in point:  # "BODY@x y z": a point fixed on a body, added as a site
            body_name, offset = point.split("@", 1)
            if body_name not in names["body"]:
                raise ProfileMismatch(
                    f"profile '{profile.robot}' point '{point}': no body '{body_name}' in {model_id}"
                )
            site_name = f"{_SENSOR_PREFIX}site_{label}"
            spec.body(body_name).add_site(name=site_name, pos=[float(v) for v in offset.split()])
            objtype, objname = mujoco.mjtObj.mjOBJ_SITE, site_name
        else:
            try:
                kind = _find_point(names, point)
            except KeyError:
                raise ProfileMismatch(
                    f"profile '{profile.robot}' names point '{point}', which is neither a site nor a body of {model_id}"
                ) from None
            objtype = mujoco.mjtObj.mjOBJ_SITE if kind == "site" else mujoco.mjtObj.mjOBJ_XBODY
            objname = point
        spec.add_sensor(
            name=sensor_name, type=mujoco.mjtSensor.mjSENS_FRAMEPOS, objtype=objtype, objname=objname
        )
        return sensor_name

    base = profile.base_body
    for label, stype in (
        ("base_pos", mujoco.mjtSensor.mjSENS_FRAMEPOS),
        ("base_quat", mujoco.mjtSensor.mjSENS_FRAMEQUAT),
        ("base_linvel", mujoco.mjtSensor.mjSENS_FRAMELINVEL),
        ("base_angvel", mujoco.mjtSensor.mjSENS_FRAMEANGVEL),
    ):
        spec.add_sensor(
            name=_SENSOR_PREFIX + label, type=stype, objtype=mujoco.mjtObj.mjOBJ_XBODY, objname=base
        )
    feet_sensors = [add_point_sensor(p, f"foot{i}") for i, p in enumerate(profile.feet)]
    ee_sensors = [add_point_sensor(p, f"ee{i}") for i, p in enumerate(profile.end_effectors)]
    actuator_names = [a.name for a in spec.actuators]
    for i, act in enumerate(spec.actuators):
        if not act.name:  # sensors refer to actuators by name
            act.name = f"{_SENSOR_PREFIX}actuator{i}"
            actuator_names[i] = act.name
    for i, act_name in enumerate(actuator_names):
        spec.add_sensor(
            name=f"{_SENSOR_PREFIX}torque{i}",
            type=mujoco.mjtSensor.mjSENS_ACTUATORFRC,
            objtype=mujoco.mjtObj.mjOBJ_ACTUATOR,
            objname=act_name,
        )

    model = spec.compile()
    if tuned_model is not None:
        _copy_tuning(tuned_model, model)
    model.opt.timestep = sim_dt
    if profile.body_contacts:
        _enable_body_contacts(model)

    def adr(sensor: str) -> np.ndarray:
        s = model.sensor(sensor)
        return np.arange(s.adr[0], s.adr[0] + s.dim[0])

    # Robot joints: those actuators drive through joint transmissions, in actuator order,
    # then any other joint a profile group names (e.g. tendon-driven point mass).
    joint_ids: list[int] = []
    actuator_joint = np.full(model.nu, -1, dtype=np.int32)
    for a in range(model.nu):
        if int(model.actuator_trntype[a]) in (
            int(mujoco.mjtTrn.mjTRN_JOINT),
            int(mujoco.mjtTrn.mjTRN_JOINTINPARENT),
        ):
            j = int(model.actuator_trnid[a, 0])
            if j not in joint_ids:
                joint_ids.append(j)
            actuator_joint[a] = joint_ids.index(j)
    joint_by_name = {model.joint(j).name: j for j in range(model.njnt)}
    groups: dict[str, np.ndarray] = {}
    for group, joints in profile.groups.items():
        for jn in joints:
            if jn not in joint_by_name:
                raise ProfileMismatch(
                    f"profile '{profile.robot}' group '{group}' names joint '{jn}', which {model_id} lacks"
                )
            if joint_by_name[jn] not in joint_ids:
                joint_ids.append(joint_by_name[jn])
    joint_names = tuple(model.joint(j).name for j in joint_ids)
    for group, joints in profile.groups.items():
        groups[group] = np.array([joint_names.index(jn) for jn in joints], dtype=np.int32)
    groups.setdefault("all", np.arange(len(joint_ids), dtype=np.int32))

    key_id = -1
    if profile.default_keyframe is not None:
        # Some task variants of a robot ship without the profile's keyframe: use their first.
        key_id = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_KEY, profile.default_keyframe)
        if key_id < 0 and model.nkey:
            key_id = 0
    data = mujoco.MjData(model)
    if key_id >= 0:
        mujoco.mj_resetDataKeyframe(model, data, key_id)
    else:
        mujoco.mj_resetData(model, data)
    mujoco.mj_forward(model, data)
    default_qpos = data.qpos.copy()
    joint_qpos_adr = np.array([model.jnt_qposadr[j] for j in joint_ids], dtype=np.int32)
    joint_qvel_adr = np.array([model.jnt_dofadr[j] for j in joint_ids], dtype=np.int32)
    joint_range = np.array(
        [model.jnt_range[j] if model.jnt_limited[j] else (-np.inf, np.inf) for j in joint_ids],
        dtype=np.float64,
    ).reshape(-1, 2)
    base_id = model.body(base).id
    free = any(
        model.jnt_type[j] == mujoco.mjtJoint.mjJNT_FREE and model.jnt_bodyid[j] == base_id
        for j in range(model.njnt)
    )
    standing_height = float(data.xpos[base_id][2])
    base_rot = data.xmat[base_id].reshape(3, 3)
    sens = data.sensordata
    feet_world = np.array(
        [sens[model.sensor(s).adr[0] : model.sensor(s).adr[0] + 3] for s in feet_sensors]
    ).reshape(-1, 3)
    ee_world = np.array(
        [sens[model.sensor(s).adr[0] : model.sensor(s).adr[0] + 3] for s in ee_sensors]
    ).reshape(-1, 3)
    default_feet_rel = (feet_world - data.xpos[base_id]) @ base_rot
    position_control = bool(model.nu > 0 and np.all(model.actuator_biasprm[:, 1] < 0))
    ctrl_range = np.where(
        model.actuator_ctrllimited[:, None].astype(bool),
        model.actuator_ctrlrange,
        np.array([-np.inf, np.inf]),
    )
    default_ctrl = np.zeros(model.nu)
    for a in range(model.nu):
        if position_control and actuator_joint[a] >= 0:
            default_ctrl[a] = default_qpos[joint_qpos_adr[actuator_joint[a]]]
    if profile.hold_weight and position_control and free and feet_sensors:
        default_ctrl += weight_holding_offsets(model, data, [model.sensor(s).id for s in feet_sensors])
    default_ctrl = np.clip(default_ctrl, ctrl_range[:, 0], ctrl_range[:, 1])

    objects, passive = _scene_joints(model, joint_ids, base_id)
    robot_spec = RobotSpec(
        model_id=model_id,
        category=profile.category,
        joint_names=joint_names,
        joint_qpos_adr=joint_qpos_adr,
        joint_qvel_adr=joint_qvel_adr,
        joint_range=joint_range,
        groups=groups,
        feet=tuple(profile.feet),
        ee=tuple(profile.end_effectors),
        base_pos_adr=adr(_SENSOR_PREFIX + "base_pos"),
        base_quat_adr=adr(_SENSOR_PREFIX + "base_quat"),
        base_linvel_adr=adr(_SENSOR_PREFIX + "base_linvel"),
        base_angvel_adr=adr(_SENSOR_PREFIX + "base_angvel"),
        feet_pos_adr=np.array([adr(s) for s in feet_sensors], dtype=np.int32).reshape(-1, 3),
        ee_pos_adr=np.array([adr(s) for s in ee_sensors], dtype=np.int32).reshape(-1, 3),
        torque_adr=np.array([adr(f"{_SENSOR_PREFIX}torque{i}")[0] for i in range(model.nu)], dtype=np.int32),
        default_joint_pos=default_qpos[joint_qpos_adr].copy(),
        default_qpos=default_qpos,
        default_base_pos=data.xpos[base_id].copy(),
        default_feet_rel=default_feet_rel,
        default_ee_pos=ee_world,
        actuator_qvel_adr=np.array(
            [joint_qvel_adr[actuator_joint[a]] if actuator_joint[a] >= 0 else -1 for a in range(model.nu)],
            dtype=np.int32,
        ),
        standing_height=standing_height,
        foot_radius=profile.foot_radius,
        floating_base=free,
        fall_height=profile.fall_height_ratio * standing_height if free else 0.0,
        fall_tilt=profile.fall_tilt,
        position_control=position_control,
        joint_anchor_rel=(data.xanchor[joint_ids] - data.xpos[base_id]) @ base_rot
        if joint_ids
        else np.zeros((0, 3)),
        object_qpos_adr=np.array(
            [np.arange(model.jnt_qposadr[j], model.jnt_qposadr[j] + 7) for j in objects], dtype=np.int32
        ).reshape(-1, 7),
        object_qvel_adr=np.array(
            [np.arange(model.jnt_dofadr[j], model.jnt_dofadr[j] + 6) for j in objects], dtype=np.int32
        ).reshape(-1, 6),
        passive_qpos_adr=np.array([model.jnt_qposadr[j] for j in passive], dtype=np.int32),
        start_qpos=_start_qpos(model, model_id, profile, default_qpos),
    )
    return Robot(
        model_id=model_id,
        profile=profile,
        mj_model=model,
        spec=robot_spec,
        ctrl_dt=ctrl_dt,
        sim_dt=sim_dt,
        action_scale=action_scale if action_scale is not None else profile.action_scale,
        position_control=position_control,
        actuator_joint=actuator_joint,
        ctrl_range=ctrl_range,
        default_ctrl=default_ctrl,
    )


MAX_HOLD_OFFSET = 0.5  # rad: a larger static correction means the pose cannot be held, not a sag


def foot_sensor_ids(robot: Robot) -> list[int]:
    """The ids of the position sensors on the robot's feet (one per profile foot)."""
    return [robot.mj_model.sensor(f"{_SENSOR_PREFIX}foot{i}").id for i in range(len(robot.profile.feet))]


def _start_qpos(
    model: mujoco.MjModel, model_id: str, profile: RobotProfile, default_qpos: np.ndarray
) -> np.ndarray:
    """The profile's start for this task variant (``starts``) over the default pose; empty where it has none."""
    joints = profile.starts.get(model_id)
    if not joints:
        return np.zeros(0)
    start = default_qpos.copy()
    for name, value in joints.items():
        j = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        if j < 0:
            raise ProfileMismatch(
                f"profile '{profile.robot}' starts {model_id} with joint '{name}', which it lacks"
            )
        start[model.jnt_qposadr[j]] = value
    return start


def holding_offsets_at(robot: Robot, qpos: np.ndarray) -> np.ndarray:
    """``weight_holding_offsets`` with the robot at rest in ``qpos`` (per actuator, rad)."""
    data = mujoco.MjData(robot.mj_model)
    data.qpos[:] = qpos
    mujoco.mj_forward(robot.mj_model, data)
    return weight_holding_offsets(robot.mj_model, data, foot_sensor_ids(robot))


def weight_holding_offsets(model: mujoco.MjModel, data: mujoco.MjData, foot_sensors: list[int]) -> np.ndarray:
    """Per actuator, how far to set a position target past the default pose so that its spring gives the static
    torque that holds the robot standing there on its feet (torque / kp).

    A position actuator pulls with kp x (target - q): at the target itself it gives no torque, so legs holding
    the body's weight sag until the error pays for it. Low-gain humanoids (kp 20-75: G1, T1, Apollo, Berkeley
    Humanoid) sag 0.2-0.4 rad at the knees within a second and fall under the zero action. The static torques
    come from the standing pose's gravity forces (``data`` at rest in the default pose) less what the feet carry:
    the least-norm force and moment at each foot that balances the floating base.
    """
    bias = data.qfrc_bias.copy()  # at rest: gravity only
    rows = []
    for s in foot_sensors:
        jp, jr = np.zeros((3, model.nv)), np.zeros((3, model.nv))
        obj = int(model.sensor_objid[s])
        if int(model.sensor_objtype[s]) == int(mujoco.mjtObj.mjOBJ_SITE):
            mujoco.mj_jacSite(model, data, jp, jr, obj)
        else:
            mujoco.mj_jacBody(model, data, jp, jr, obj)
        rows += [jp, jr]
    jac = np.vstack(rows)
    wrench = np.linalg.lstsq(jac[:, :6].T, bias[:6], rcond=None)[0]
    torque = bias - jac.T @ wrench
    offsets = np.zeros(model.nu)
    for a in range(model.nu):
        kp = float(model.actuator_gainprm[a, 0])
        if kp > 0 and int(model.actuator_trntype[a]) == int(mujoco.mjtTrn.mjTRN_JOINT):
            dof = int(model.jnt_dofadr[model.actuator_trnid[a, 0]])
            offsets[a] = np.clip(torque[dof] / kp, -MAX_HOLD_OFFSET, MAX_HOLD_OFFSET)
    return offsets


def _scene_joints(
    model: mujoco.MjModel, robot_joints: list[int], base_id: int
) -> tuple[list[int], list[int]]:
    """(free objects' joints, passive scene joints): joints in kinematic trees that hold none of the robot's
    joints. A tree is everything under one child of the world; a robot's own unactuated joints (a Robotiq
    gripper's linkage, a walker's planar root) sit in its tree and are left out."""
    roots = {int(model.body_rootid[model.jnt_bodyid[j]]) for j in robot_joints}
    if base_id != 0:
        roots.add(int(model.body_rootid[base_id]))
    objects, passive = [], []
    for j in range(model.njnt):
        if int(model.body_rootid[model.jnt_bodyid[j]]) in roots or int(model.jnt_bodyid[j]) == 0:
            continue
        kind = int(model.jnt_type[j])
        if kind == mujoco.mjtJoint.mjJNT_FREE:
            objects.append(j)
        elif kind in (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE)):
            passive.append(j)
    return objects, passive


_TUNED_FIELDS = (
    "actuator_gainprm",
    "actuator_biasprm",
    "actuator_ctrlrange",
    "actuator_forcerange",
    "dof_damping",
    "dof_armature",
    "dof_frictionloss",
    "geom_friction",
    "body_mass",
)


def _copy_tuning(src: mujoco.MjModel, dst: mujoco.MjModel) -> None:
    for field in _TUNED_FIELDS:
        a, b = getattr(src, field), getattr(dst, field)
        if a.shape == b.shape:
            b[...] = a
    for opt in ("iterations", "ls_iterations", "solver", "cone", "integrator", "impratio", "disableflags"):
        setattr(dst.opt, opt, getattr(src.opt, opt))


def _enable_body_contacts(model: mujoco.MjModel) -> None:
    """Turns on ground contact for the robot's collision geoms (group 3) that have none."""
    floor_bits = int(np.bitwise_or.reduce(model.geom_contype[model.geom_bodyid == 0])) or 1
    off = (
        (model.geom_bodyid != 0)
        & (model.geom_group == 3)
        & (model.geom_contype == 0)
        & (model.geom_conaffinity == 0)
    )
    model.geom_conaffinity[off] = floor_bits
    model.geom_condim[off] = 3
    # The broad phase filters with per-body masks computed at compile time: update them too.
    for body in np.unique(model.geom_bodyid[off]):
        model.body_conaffinity[body] |= floor_bits
