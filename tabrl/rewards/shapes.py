"""The shape a reward program describes: a motion prior and a success check read from its terms.

A program that rewards ``joint_sine`` on the hips, a trot's foot timing with a forward speed, or a
lowered base already says how the robot should move. This module turns those terms into

* a **motion prior** (``Motion``): rhythms and poses of joint groups become sines and offsets;
  gaits (walking, turning, pronking) and postures (crouch, lie down, sit) of quadrupeds become
  the measured leg rhythms below; arm paths become shoulder sines. The policy then learns a
  residual around a motion that is there from its first step;
* a **success check**: the main terms' figures (amplitude, speed, turning rate, height, path
  size), loosened to what a recognisable behavior reaches, plus "no falls" and "stays in place"
  where the program asks for them.

Both are data, validated like any program; designers use them as defaults and may override.
Nothing here is robot-specific by name except ``LEG_RHYTHMS``, measured in MuJoCo by playing
the prior back open-loop with a zero policy (``tests/rewards/test_shapes.py`` checks them).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tabrl.rewards.kinematics import fd_jacobian, solve_damped
from tabrl.rewards.motion import Motion, MotionError, compile_motion, sine_centre
from tabrl.rewards.postures import squat_offsets
from tabrl.robots.anatomy import ee_limb_joints, side_of_name

# Measured leg rhythms (cycles). walk_lead: how far the knees lead the thighs in a trot that walks
# forward; turn_phase_cw: the phase of the abduction's left/right pattern that turns clockwise
# (0.5 later turns counter-clockwise).
# Go1: trot 2 Hz thigh 0.35 / knee 0.3 walks 0.37 m/s open-loop for 10 s.
# The turn's amplitudes (turn_thigh, turn_knee, turn_abduction) are for turn_hz and shrink for faster rhythms;
# walk_hz / turn_hz are the frequencies used when the program names none.
# ANYmal C, re-measured with scripts/gait_search.py (its profile's gait rig, which these repeat): its hind knees
# bend the other way (the knee part's joint_scale, from the default pose's signs, already says so), and its soft
# actuators tip it over at slow rhythms (2 Hz trots fell within 3-5 s): trot 4.5 Hz, thigh 0.2 / knee 0.35,
# knees in phase walks 0.60 m/s for 10 s without a fall; the turn at 4 Hz (abduction 0.2 on the left/right
# pattern, thigh 0.1, knee 0.3 a quarter-cycle ahead) turns -1.62 / +1.61 rad/s; backwards the 4.5 Hz trot with
# its knees half a cycle off went forwards (+0.10 m/s) and fell, 3.5 Hz (thigh 0.15, knee 0.25, half a cycle)
# walks -0.49 m/s and stays up in 4 of 4 runs under small random actions. Its pronk: knees 0.2 without thighs,
# at 3 Hz 29 moments with every foot off the ground in 10 s (height std 0.035 m, 4 of 4 noisy runs upright);
# Go1's knees 0.25 + thighs 0.1 tipped it over.
LEG_RHYTHMS: dict[str, dict[str, float]] = {
    "go1": {"walk_lead": 0.25, "walk_thigh": 0.35, "turn_phase_cw": 0.25},
    "anymal_c": {
        "walk_lead": 0.0,
        "walk_thigh": 0.2,
        "walk_knee": 0.35,
        "walk_hz": 4.5,
        "turn_hz": 4.0,
        "turn_thigh": 0.1,
        "turn_knee": 0.3,
        "turn_abduction": 0.2,
        "turn_lead": 0.25,
        "turn_phase_cw": 0.25,
        "back_hz": 3.5,
        "back_thigh": 0.15,
        "back_knee": 0.25,
        "back_lead": 0.5,
        "jump_knee": 0.2,
        "jump_thigh": 0.0,
    },
}
_DEFAULT_RHYTHM = {
    "walk_lead": 0.25,
    "walk_thigh": 0.3,
    "walk_knee": 0.3,
    "walk_hz": 2.0,
    "turn_hz": 2.5,
    "turn_thigh": 0.2,
    "turn_knee": 0.2,
    "turn_abduction": 0.15,
    "turn_phase_cw": 0.25,
    "jump_knee": 0.25,
}
OTHER_RESIDUAL_LEGGED = 0.3
GAIT_RESIDUAL = 0.4
SUPPORT_SHARE = 0.6  # of a rewarded rhythm's amplitude, on the joints a legged robot stands on
CROUCH_PER_RATIO = 1.4  # knee flex (rad) per unit of height ratio lost: Go1 and ANYmal both ~1 - 0.7 d

RHYTHMIC = ("joint_sine",)
_PATTERN = {"sync": "sync", "alternate": "alternate", "wave": "wave"}
_GAIT_PATTERN = {"trot": "trot", "pace": "pace", "bound": "bound", "walk": "trot", "pronk": "sync"}


@dataclasses.dataclass
class _Builder:
    spec: Any
    parts: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    used: set[int] = dataclasses.field(default_factory=set)  # joints already moved by a part

    def room(self, joints: np.ndarray, scale: np.ndarray | None = None, offset: float = 0.0) -> float:
        """The largest amplitude that keeps every joint (around its offset) inside its range."""
        s = self.spec
        scale = np.ones(len(joints)) if scale is None else scale
        lo, hi = s.joint_range[joints, 0], s.joint_range[joints, 1]
        centre = np.clip(s.default_joint_pos[joints], lo, hi) + scale * offset
        with np.errstate(invalid="ignore"):
            up = np.where(np.abs(scale) > 0, (hi - centre) / np.maximum(np.abs(scale), 1e-9), np.inf)
            down = np.where(np.abs(scale) > 0, (centre - lo) / np.maximum(np.abs(scale), 1e-9), np.inf)
        return float(max(0.0, 0.95 * min(np.min(up), np.min(down))))

    def reach(self, joints: np.ndarray, direction: np.ndarray) -> float:
        """How far (95 %) every joint can move from its default pose along ``direction`` (one sign per joint)."""
        s = self.spec
        lo, hi = s.joint_range[joints, 0], s.joint_range[joints, 1]
        d = np.clip(s.default_joint_pos[joints], lo, hi)
        room = np.where(direction > 0, hi - d, np.where(direction < 0, d - lo, np.inf)) / np.maximum(
            np.abs(direction), 1e-9
        )
        return float(max(0.0, 0.95 * np.min(room)))

    def add(self, part: dict[str, Any], joints: np.ndarray) -> bool:
        if self.used & set(int(j) for j in joints) or len(self.parts) >= 12:
            return False
        scale = np.asarray(part.get("joint_scale") or np.ones(len(joints)))
        offset = float(part.get("offset", 0.0))
        if offset:  # keep the pose inside the range first, then fit the sine around it
            offset = math.copysign(
                min(abs(offset), self.reach(joints, scale * math.copysign(1.0, offset))), offset
            )
            part["offset"] = round(offset, 4)
        if part.get("amplitude", 0.0) > 0 and "joint_scale" not in part and len(joints) > 1:
            # Joints pinned at a range limit (e.g. a thumb whose default is its limit) stay still;
            # the rest of the group moves.
            rooms = np.array([self.room(joints[k : k + 1]) for k in range(len(joints))])
            still = rooms < min(0.05, 0.3 * part["amplitude"])
            if still.any() and not still.all():
                scale = np.where(still, 0.0, 1.0)
                part["joint_scale"] = scale.tolist()
        if part.get("amplitude", 0.0) > 0:
            part["amplitude"] = round(min(part["amplitude"], self.room(joints, scale, offset)), 4)
            if part["amplitude"] < 0.02:
                part.pop("amplitude")
                part.pop("frequency_hz", None)
        if not part.get("amplitude") and not part.get("offset"):
            return False
        self.parts.append(part)
        self.used |= set(int(j) for j in joints)
        return True


def _centred_sine(b: _Builder, p: Any, joints: np.ndarray) -> bool:
    """A rewarded sine whose joints sit at a range edge: a pose part moving the centre inside the range and
    the sine around it (``motion.sine_centre``, the centre the reward term uses). False when no joint
    needs moving (the ordinary part is added instead)."""
    shift, amp = sine_centre(b.spec, joints, float(p.amplitude))
    if not np.any(np.abs(shift) > 1e-3) or b.used & set(int(j) for j in joints) or len(b.parts) > 10:
        return False
    big = float(np.max(np.abs(shift)))
    b.parts.append(
        {"group": p.group, "offset": round(big, 4), "joint_scale": [round(float(v / big), 4) for v in shift]}
    )
    b.parts.append(
        {
            "group": p.group,
            "amplitude": round(float(p.amplitude), 4),
            "frequency_hz": float(p.frequency_hz),
            "pattern": _PATTERN.get(p.pattern, "sync"),
            "joint_scale": [round(float(v / p.amplitude), 4) for v in amp],
        }
    )
    b.used |= set(int(j) for j in joints)
    return True


def group_joints(spec: Any, group: str) -> np.ndarray:
    return np.asarray(spec.groups.get(group, []), dtype=np.int64)


def term_params(term: Any) -> Any:
    return getattr(term, "params", None)


def _leg_groups(spec: Any) -> tuple[str, str] | None:
    """The (thigh, knee) groups of a quadruped, when its profile names them."""
    if spec.category != "quadruped" or "hip" not in spec.groups or "knee" not in spec.groups:
        return None
    if len(spec.groups["hip"]) != 4 or len(spec.groups["knee"]) != 4:
        return None
    return "hip", "knee"


def _flex(spec: Any, group: str) -> list[float]:
    """+1 where bending a joint of the group increases its angle: the sign of its default pose."""
    d = spec.default_joint_pos[group_joints(spec, group)]
    return [float(v) if v != 0 else 1.0 for v in np.sign(d)]


def _rhythm(robot: str | None) -> dict[str, float]:
    rhythm = _DEFAULT_RHYTHM | LEG_RHYTHMS.get(robot or "", {})
    rhythm.setdefault("turn_lead", rhythm["walk_lead"])  # the turn's knees lead as the walk's do
    for key in ("hz", "thigh", "knee"):  # walking backwards: the walk's rhythm with the knees lagging instead
        rhythm.setdefault(f"back_{key}", rhythm[f"walk_{key}"])
    rhythm.setdefault("back_lead", (rhythm["walk_lead"] + 0.5) % 1.0)
    return rhythm


def motion_from_terms(
    terms: list[Any],
    spec: Any,
    *,
    robot: str | None = None,
    residual: float = 0.5,
    ramp_s: float = 0.5,
    model: Any = None,
) -> Motion | None:
    """A motion prior for the behavior the terms describe on this robot (None when they describe none).

    ``robot`` is the profile key (``go1``) that picks measured leg rhythms. ``model`` (the compiled
    robot, optional) lets an end-effector path be solved into joint sines by the robot's own
    kinematics; without it the path becomes two shoulder sines.
    """
    if not getattr(spec, "position_control", False):
        return None
    b = _Builder(spec)
    ranked = sorted(terms, key=lambda t: -abs(float(getattr(t, "weight", 1.0))))
    kinds = {t.term: t for t in ranked if getattr(t, "term", "expr") != "expr"}
    legs = _leg_groups(spec)
    rhythm = _rhythm(robot)
    gait_residual = None
    support = set(int(j) for g in legs for j in spec.groups[g]) if legs is not None else set()
    # 1. Joint rhythms and poses the program rewards directly.
    for t in ranked:
        p = term_params(t)
        if t.term == "joint_sine" and p.group in spec.groups:
            joints = group_joints(spec, p.group)
            amp = float(p.amplitude)
            if support and support & set(int(j) for j in joints):
                amp *= SUPPORT_SHARE  # legs that carry the body: the prior leads, the policy adds the rest
            if _centred_sine(b, p, joints):
                continue
            b.add(
                {
                    "group": p.group,
                    "amplitude": amp,
                    "frequency_hz": float(p.frequency_hz),
                    "pattern": _PATTERN.get(p.pattern, "sync"),
                },
                joints,
            )
        elif t.term == "joint_pose" and p.group in spec.groups and float(getattr(t, "weight", 1.0)) > 0:
            joints = group_joints(spec, p.group)
            if p.targets is not None:
                delta = np.asarray(p.targets, dtype=np.float64) - spec.default_joint_pos[joints]
                size = float(np.max(np.abs(delta))) if len(delta) else 0.0
                if size > 0.02:
                    b.add(
                        {
                            "group": p.group,
                            "offset": size,
                            "joint_scale": [round(float(v / size), 4) for v in delta],
                        },
                        joints,
                    )
            elif abs(p.offset) > 0.02:
                b.add({"group": p.group, "offset": float(p.offset)}, joints)
    # 2. Quadruped gaits, postures and body rhythms from what the terms ask of the base.
    if legs is not None:
        thigh, knee = legs
        th, kn = group_joints(spec, thigh), group_joints(spec, knee)
        knee_scale = [-v for v in _flex(spec, knee)]  # Go1's knees bend negative: the measured rhythm's sign
        vx, yaw, hz, pattern = _locomotion(kinds, max(3.0, rhythm["walk_hz"]))
        height = kinds.get("base_height")
        ratio = None
        if height is not None:
            hp = term_params(height)
            ratio = hp.target / max(spec.standing_height, 1e-6) if hp.target is not None else hp.ratio
        orient = kinds.get("base_orientation")
        pitch = float(term_params(orient).pitch) if orient is not None else 0.0
        jumping = (
            "jump" in kinds
            or ("air_time" in kinds and term_params(kinds["air_time"]).all_feet)
            or pattern == "pronk"
        )
        bounce = kinds.get("base_oscillation")
        clock = next((q["frequency_hz"] for q in b.parts if q.get("amplitude")), None)
        hz = clock or hz  # one clock: parts at other frequencies would fight each other
        gait = _GAIT_PATTERN.get(pattern or "trot", "trot")
        if jumping:
            # Measured open-loop on Go1: knees 0.25 and thighs 0.2 at 3.5 Hz hop (10 moments with every foot
            # off the ground in 8 s, no fall); slower pronks need smaller thigh swings (3 Hz: 0.1).
            f = min(max(hz or 3.5, 3.0), 3.5)
            b.add(
                {
                    "group": knee,
                    "amplitude": rhythm["jump_knee"],
                    "frequency_hz": f,
                    "joint_scale": knee_scale,
                },
                kn,
            )
            swing = rhythm.get("jump_thigh", 0.2 if f >= 3.5 else 0.1)
            if swing > 0:
                b.add(
                    {
                        "group": thigh,
                        "amplitude": swing,
                        "frequency_hz": f,
                        "joint_scale": [-v for v in knee_scale],
                    },
                    th,
                )
            gait_residual = 0.5
        elif vx or yaw:
            f = hz or rhythm["walk_hz"]
            if (
                abs(vx) >= abs(yaw) * 0.3
            ):  # mostly travelling: a trot that walks (backwards: the measured back_* rhythm)
                way = "walk" if vx >= 0 else "back"
                f = hz or rhythm[f"{way}_hz"]
                b.add(
                    {"group": thigh, "amplitude": rhythm[f"{way}_thigh"], "frequency_hz": f, "pattern": gait},
                    th,
                )
                b.add(
                    {
                        "group": knee,
                        "amplitude": rhythm[f"{way}_knee"],
                        "frequency_hz": f,
                        "pattern": gait,
                        "phase": rhythm[f"{way}_lead"],
                        "joint_scale": knee_scale,
                    },
                    kn,
                )
            else:  # turning on the spot: short trotting steps, abduction pushing the two sides apart
                # (Go1 at 2.5 Hz: 0.6 rad/s open-loop, upright; faster rhythms need smaller swings)
                f = hz or rhythm["turn_hz"]
                k = min(1.0, rhythm["turn_hz"] / f)
                if rhythm["turn_thigh"] > 0:
                    b.add(
                        {
                            "group": thigh,
                            "amplitude": rhythm["turn_thigh"] * k,
                            "frequency_hz": f,
                            "pattern": "trot",
                        },
                        th,
                    )
                b.add(
                    {
                        "group": knee,
                        "amplitude": rhythm["turn_knee"] * k,
                        "frequency_hz": f,
                        "pattern": "trot",
                        "phase": rhythm["turn_lead"],
                        "joint_scale": knee_scale,
                    },
                    kn,
                )
                if "hip_abduction" in spec.groups and abs(yaw) >= 0.05:  # not for stepping sideways
                    cw = rhythm["turn_phase_cw"]
                    b.add(
                        {
                            "group": "hip_abduction",
                            "amplitude": rhythm["turn_abduction"] * k,
                            "frequency_hz": f,
                            "pattern": "left_right",
                            "phase": cw if yaw < 0 else (cw + 0.5) % 1.0,
                        },
                        group_joints(spec, "hip_abduction"),
                    )
            # Go1 walk at 50k steps, same program and seed: residual 0.6 walked 0.16 m/s and fell (7 of 16
            # noisy starts fell in 10 s); 0.4 walked 0.43 m/s without a fall (2 of 16).
            gait_residual = GAIT_RESIDUAL
            if ratio is not None and ratio < 0.92:  # a lowered stance under the gait ("sneak forward, low")
                _crouch_under_gait(b, thigh, knee, knee_scale, min(CROUCH_PER_RATIO * (1.0 - ratio), 0.8))
        elif ratio is not None and ratio < 0.97 and (ratio < 0.92 or abs(pitch) > 0.15):
            # Lowered (crouch, lie down), nose-up and low (sit) or nose-down (bow): bend the legs; for a
            # sit the rear ones, for a bow the front ones.
            flex = min(CROUCH_PER_RATIO * (1.0 - ratio), 1.2)
            rear = (
                np.array([spec.joint_anchor_rel[j][0] < 0 for j in kn])
                if len(spec.joint_anchor_rel)
                else np.zeros(len(kn), bool)
            )
            share = np.ones(len(kn))
            if pitch < -0.15:  # sitting: the rear legs fold, the front ones stay nearly straight
                flex = max(flex, 0.8)
                share = np.where(rear, 1.0, 0.15)
            elif pitch > 0.15:  # bowing: the front legs fold
                flex = max(flex, 0.6)
                share = np.where(rear, 0.15, 1.0)
            kscale = [round(-k * s, 3) for k, s in zip(knee_scale, share, strict=True)]
            tscale = [round(k * s, 3) for k, s in zip(knee_scale, share, strict=True)]
            b.add({"group": knee, "offset": flex, "joint_scale": kscale}, kn)
            b.add({"group": thigh, "offset": 0.5 * flex, "joint_scale": tscale}, th)
        elif bounce is not None and term_params(bounce).axis in ("height", "roll", "pitch") and not b.parts:
            bp = term_params(bounce)
            pat = {"height": "sync", "roll": "left_right", "pitch": "front_back"}[bp.axis]
            amp = 0.12 if bp.axis != "height" else min(0.25, 3.0 * bp.amplitude)
            b.add(
                {
                    "group": knee,
                    "amplitude": amp,
                    "frequency_hz": float(bp.frequency_hz),
                    "pattern": pat,
                    "joint_scale": knee_scale,
                },
                kn,
            )
    # 2b. A biped's lower stance (squat, crouch): leg flexion solved on its body plan (rewards/postures.py).
    if legs is None and model is not None and spec.floating_base and "base_height" in kinds:
        hp = term_params(kinds["base_height"])
        low = hp.target / max(spec.standing_height, 1e-6) if hp.target is not None else hp.ratio
        if low is not None and low < 0.95:
            names = list(spec.joint_names)
            for joint, offset in squat_offsets(model, (1.0 - low) * float(spec.standing_height)).items():
                b.add({"joint": joint, "offset": offset, "residual": 1.0}, np.array([names.index(joint)]))
    # 3. Arms: an end-effector path becomes shoulder sines (a quarter cycle apart for a circle).
    path = kinds.get("ee_path")
    if path is not None:
        solved = model is not None and not spec.floating_base and _solved_path(b, model, term_params(path))
        if not solved and spec.category in ("arm", "humanoid"):
            _arm_path(b, spec, term_params(path))
    if not b.parts:
        return None
    # A robot standing on its legs keeps little policy authority on the joints the prior leaves alone:
    # measured on Go1's hip shake at 10k steps, 3 of 3 seeds upright with 0.3, 1 of 3 with the full action.
    others = OTHER_RESIDUAL_LEGGED if spec.floating_base else residual
    motion = Motion.model_validate(
        {"parts": b.parts, "residual": gait_residual or residual, "ramp_s": ramp_s, "other_residual": others}
    )
    try:
        compile_motion(motion, spec)
    except MotionError:
        return None
    return motion


def _crouch_under_gait(b: _Builder, thigh: str, knee: str, knee_scale: list[float], flex: float) -> None:
    """Composes a crouch with the gait's rhythm: the gait's knee and thigh sines swing around bent legs
    (the offsets a standing crouch would hold), so the posture is in the prior, not lost under the gait.
    Where the knees bend in different directions (a thigh sine has one offset for all legs) the thighs
    keep their default and only the knees bend."""
    uniform = len(set(knee_scale)) == 1
    for part in b.parts:
        if part.get("group") == knee and part.get("amplitude"):
            part["offset"] = -flex  # times the part's joint_scale (knee_scale): each knee bends its own way
        elif part.get("group") == thigh and part.get("amplitude") and uniform:
            scale = part.get("joint_scale")
            sign = float(np.sign(scale[0])) if scale else 1.0
            part["offset"] = 0.5 * flex * knee_scale[0] * sign


def _locomotion(kinds: dict[str, Any], max_hz: float = 3.0) -> tuple[float, float, float | None, str | None]:
    """(forward speed, yaw rate, gait Hz, gait pattern) the terms ask for (sideways counts as stepping).

    The gait's frequency is capped at ``max_hz``: 3 Hz, or the robot's measured walking rhythm where that
    is faster (ANYmal C steps at 4.5 Hz)."""
    vx = yaw = 0.0
    if "track_velocity" in kinds:
        p = term_params(kinds["track_velocity"])
        vx, yaw = float(p.vx), float(p.yaw_rate)
        if abs(p.vy) > 0.05 and not vx and not yaw:
            yaw = 1e-3 * math.copysign(1.0, float(p.vy))  # step in place; the policy learns the sideways push
    if "forward_speed" in kinds:
        vx = float(term_params(kinds["forward_speed"]).target)
    if "spin" in kinds:
        yaw = float(term_params(kinds["spin"]).yaw_rate)
    hz = pattern = None
    if "foot_contact_pattern" in kinds:
        p = term_params(kinds["foot_contact_pattern"])
        pattern = p.pattern
        if p.pattern != "stand":
            hz = float(min(p.frequency_hz, max_hz))
    return vx, yaw, hz, pattern


def ee_jacobian(robot: Any, index: int, driven: list[int], q: np.ndarray) -> tuple[np.ndarray, Any]:
    """(3 x len(driven)) finite-difference Jacobian of end effector ``index`` at joint pose ``q``, and a
    function mapping a pose of the driven joints to the end effector's position."""
    import mujoco

    spec = robot.spec
    model = robot.mj_model
    data = mujoco.MjData(model)
    adr = spec.ee_pos_adr[index]

    def ee_at(x: np.ndarray) -> np.ndarray:
        data.qpos[:] = spec.default_qpos
        data.qpos[spec.joint_qpos_adr[driven]] = x
        mujoco.mj_forward(model, data)
        return np.array(data.sensordata[adr])

    return fd_jacobian(ee_at, q), ee_at


def _driven_joints(spec: Any, robot: Any = None, ee_index: int | None = None) -> list[int]:
    """Joints with a position actuator of their own (the ones a prior can move); for an end effector of a
    body with legs, only those of its own arm (the body plan's), so a hand's path never bends the waist."""
    actuated = set(int(a) for a in spec.actuator_qvel_adr)
    driven = [j for j in range(spec.n_joints) if spec.joint_qvel_adr[j] in actuated]
    if robot is not None and ee_index is not None:
        arm = ee_limb_joints(robot, ee_index)
        if arm is not None:
            driven = [j for j in driven if j in arm]
    return driven


def _solved_path(b: _Builder, robot: Any, p: Any) -> bool:
    """An end-effector path as joint sines, by the robot's linearised inverse kinematics at its start pose.

    The path's displacement from the start, d(t) = D0 + A cos wt + B sin wt (+ C sin 2wt for a figure
    eight), maps through the damped pseudo-inverse of the end effector's Jacobian to per-joint offsets
    and sines with their own phases, so the prior moves the end effector along the path the reward asks
    for (measured on UR5e: a 'wave' line whose prior swung the wrong axis was fought by the policy,
    0.10 m extent instead of 0.30). The whole path shrinks uniformly when a joint lacks room.
    False when it cannot be solved (no model, end effector out of reach of the free joints).
    """
    spec = b.spec
    if robot is None or not len(spec.ee) or p.index >= len(spec.ee):
        return False
    driven = [j for j in _driven_joints(spec, robot, p.index) if j not in b.used]
    if not driven:
        return False
    lo, hi = spec.joint_range[driven, 0], spec.joint_range[driven, 1]
    home = np.clip(spec.default_joint_pos[driven], lo, hi)
    try:
        jac, _ = ee_jacobian(robot, p.index, driven, home)
    except Exception:  # noqa: BLE001 - a model without the sensor: fall back to the shoulder sines
        return False
    axes = {"xy": (0, 1), "xz": (0, 2), "yz": (1, 2)}[p.plane]
    ea, eb = np.eye(3)[axes[0]], np.eye(3)[axes[1]]
    start = np.asarray(spec.default_ee_pos[p.index], dtype=np.float64)
    if p.center is not None:
        centre = np.asarray(p.center, dtype=np.float64)
    else:
        centre = start - (p.radius * ea if p.shape == "circle" else 0.0)
    r = float(p.radius)
    cos_part = r * ea if p.shape == "circle" else np.zeros(3)
    sin_part = r * eb if p.shape == "circle" else r * ea
    double = 0.5 * r * eb if p.shape == "figure8" else np.zeros(3)
    gram = jac @ jac.T
    pinv = jac.T @ np.linalg.inv(gram + (1e-4 + 1e-3 * np.trace(gram) / 3) * np.eye(3))
    reach = np.linalg.norm(jac @ pinv @ sin_part) / max(float(np.linalg.norm(sin_part)), 1e-9)
    if reach < 0.5:  # the free joints cannot move the end effector that way
        return False
    o, c, s, d2 = (pinv @ v for v in (centre - start, cos_part, sin_part, double))
    amp = np.hypot(c, s)
    swing = amp + np.abs(d2)
    # Keep every joint inside its range: scale the whole path (its shape stays).
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(o + swing > 1e-9, 0.95 * (hi - home) / (o + swing), np.inf)
        down = np.where(swing - o > 1e-9, 0.95 * (home - lo) / (swing - o), np.inf)
    k = float(min(1.0, np.min(up), np.min(down), MAX_AMPLITUDE_PRIOR / max(float(np.max(swing)), 1e-9)))
    if k < 0.3:
        return False
    o, c, s, amp, d2 = k * o, k * c, k * s, k * amp, k * d2
    order = np.argsort(-(amp + np.abs(d2) + np.abs(o)))
    names = spec.joint_names
    f = float(p.frequency_hz)
    added = False
    for n in order:
        if len(b.parts) >= 12:
            break
        if amp[n] < 0.01 and abs(o[n]) < 0.01 and abs(d2[n]) < 0.01:
            continue
        j = driven[n]
        part: dict[str, Any] = {"joint": names[j], "offset": round(float(o[n]), 4)}
        if amp[n] >= 0.01:
            phase = math.atan2(float(c[n]), float(s[n])) / (2 * math.pi)
            part.update(amplitude=round(float(amp[n]), 4), frequency_hz=f, phase=round(phase, 4))
        if part.get("amplitude") or part["offset"]:
            b.parts.append(part)
            added = True
        if abs(d2[n]) >= 0.01 and 2 * f <= 5.0 and len(b.parts) < 12:
            b.parts.append(
                {
                    "joint": names[j],
                    "amplitude": round(float(abs(d2[n])), 4),
                    "frequency_hz": 2 * f,
                    "phase": 0.0 if d2[n] > 0 else 0.5,
                }
            )
            added = True
        b.used.add(int(j))
    return added


MAX_AMPLITUDE_PRIOR = 0.6  # rad: a path that needs more than this of one joint is scaled down


def _arm_path(b: _Builder, spec: Any, p: Any) -> None:
    # The arm on the end effector's side first ("right_wrist" -> right_arm); a body with legs never
    # falls back to every joint (that put a hand's wave on a hip).
    side = side_of_name(spec.ee[p.index]) if p.index < len(spec.ee) else None
    legged = spec.category in ("humanoid", "quadruped")
    candidates = ([f"{side}_arm"] if side else []) + ["shoulder", "arm"] + ([] if legged else ["all"])
    group = next((g for g in candidates if g in spec.groups and len(spec.groups[g]) >= 2), None)
    if group is None:
        return
    j0, j1 = (int(j) for j in spec.groups[group][:2])
    ee = spec.default_ee_pos[min(p.index, len(spec.default_ee_pos) - 1)] if len(spec.default_ee_pos) else None
    lever = 0.5
    if ee is not None and len(spec.joint_anchor_rel):
        lever = max(0.2, float(np.linalg.norm(ee - (spec.default_base_pos + spec.joint_anchor_rel[j1]))))
    amp = float(np.clip(p.radius / lever, 0.05, 0.8))
    f = float(p.frequency_hz)
    names = spec.joint_names
    b.add({"joint": names[j0], "amplitude": amp, "frequency_hz": f}, np.array([j0]))
    if p.shape == "circle":
        b.add({"joint": names[j1], "amplitude": amp, "frequency_hz": f, "phase": 0.25}, np.array([j1]))
    elif p.shape == "figure8":
        b.add({"joint": names[j1], "amplitude": 0.5 * amp, "frequency_hz": min(2 * f, 5.0)}, np.array([j1]))


def reach_motion(
    robot: Any,
    index: int,
    axis: str,
    sign: int,
    distance: float,
    *,
    residual: float = 0.5,
    ramp_s: float = 1.0,
) -> Motion | None:
    """A pose prior that moves end effector ``index`` by ``distance`` m along world ``axis`` (x, y, z).

    Solved once at design time by damped least squares on the compiled model (finite-difference
    Jacobian of the end-effector sensor over the position-driven joints), kept inside joint ranges.
    """
    import mujoco

    spec = robot.spec
    if not getattr(spec, "position_control", False) or index >= len(spec.ee) or axis not in "xyz":
        return None
    model = robot.mj_model
    data = mujoco.MjData(model)
    driven = _driven_joints(spec, robot, index)
    if not driven:
        return None
    adr = spec.ee_pos_adr[index]
    # An unlimited joint (OP3's arms) is kept within a turn either way: its range is inf.
    lo = np.maximum(spec.joint_range[driven, 0], -math.pi)
    hi = np.minimum(spec.joint_range[driven, 1], math.pi)
    home = np.clip(spec.default_joint_pos[driven], lo, hi)

    def ee_at(q: np.ndarray) -> np.ndarray:
        data.qpos[:] = spec.default_qpos
        data.qpos[spec.joint_qpos_adr[driven]] = q
        mujoco.mj_forward(model, data)
        return np.array(data.sensordata[adr])

    start = ee_at(home)
    goal = start.copy()
    goal["xyz".index(axis)] += sign * distance
    q = solve_damped(
        ee_at,
        home,
        goal,
        lo,
        hi,
        iterations=12,
        max_step=0.3,
        damping=1e-3,
        reached=lambda err: bool(np.linalg.norm(err) < 0.005),
    )
    delta = q - home
    size = float(np.max(np.abs(delta)))
    if size < 0.02 or np.linalg.norm(ee_at(q) - start) < 0.3 * distance:
        return None
    names = spec.joint_names
    parts = [
        {"joint": names[j], "offset": round(float(d), 4)}
        for j, d in zip(driven, delta, strict=True)
        if abs(d) > 0.01
    ]
    try:
        motion = Motion.model_validate(
            {"parts": parts[:12], "residual": residual, "ramp_s": ramp_s, "other_residual": residual}
        )
        compile_motion(motion, spec)
    except (MotionError, ValueError):
        return None
    return motion
