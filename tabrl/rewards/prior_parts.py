"""What every motion prior read off a program's terms is made of: parts added inside the joints' ranges
(``PriorBuilder``), and what the terms ask of the robot as a whole (``TermAsks``), which the leg, biped and
arm priors (``rewards/leg_priors.py``, ``rewards/shapes.py``, ``rewards/arm_priors.py``) turn into parts."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tabrl.rewards.motion import MAX_PARTS, sine_centre
from tabrl.rewards.terms import BaseOscillationParams, EEPathParams, EETargetParams, JointSineParams
from tabrl.robots.model import RobotSpec

# A rewarded joint_sine's pattern as a prior part's pattern (the same words).
PATTERN: dict[str, str] = {"sync": "sync", "alternate": "alternate", "wave": "wave"}


def group_joints(spec: RobotSpec, group: str) -> np.ndarray:
    return np.asarray(spec.groups.get(group, []), dtype=np.int64)


def term_params(term: Any) -> Any:
    return getattr(term, "params", None)


@dataclasses.dataclass
class TermAsks:
    """What a program's terms ask of the robot's base and end effectors: the term of each kind that the
    rhythms and postures below follow (the lightest-weighted of its kind, as read by ``motion_from_terms``)."""

    vx: float = 0.0  # forward speed (m/s)
    yaw: float = 0.0  # turning rate (rad/s); 1e-3 with its sign: stepping sideways in place
    gait_hz: float | None = None  # a foot contact pattern's frequency (not for "stand")
    pattern: str | None = None  # a foot contact pattern
    height_ratio: float | None = None  # a base height as a share of the standing height
    pitch: float = 0.0  # a base orientation's pitch (rad)
    roll: float = 0.0  # a base orientation's roll (rad): > 0 leans to the right
    jumping: bool = False  # a jump, or air time with every foot off the ground
    bounce: BaseOscillationParams | None = None  # a base oscillation (axis, amplitude, frequency)
    # End-effector paths, one per end effector (the lightest-weighted of each; two hands can each have one).
    paths: dict[int, EEPathParams] = dataclasses.field(default_factory=dict)
    # End-effector points to hold (hands on the hips), one per end effector that has no path.
    targets: dict[int, EETargetParams] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class PriorBuilder:
    """The parts of one prior, each fitted inside its joints' ranges; a joint is moved by one part only."""

    spec: RobotSpec
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
        if self.used & set(int(j) for j in joints) or len(self.parts) >= MAX_PARTS:
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

    def centred_sine(self, p: JointSineParams, joints: np.ndarray) -> bool:
        """A rewarded sine whose joints sit at a range edge: a pose part moving the centre inside the range
        and the sine around it (``motion.sine_centre``, the centre the reward term uses). False when no joint
        needs moving (the ordinary part is added instead)."""
        shift, amp = sine_centre(self.spec, joints, float(p.amplitude))
        taken = self.used & set(int(j) for j in joints)
        if not np.any(np.abs(shift) > 1e-3) or taken or len(self.parts) > MAX_PARTS - 2:
            return False
        big = float(np.max(np.abs(shift)))
        self.parts.append(
            {
                "group": p.group,
                "offset": round(big, 4),
                "joint_scale": [round(float(v / big), 4) for v in shift],
            }
        )
        self.parts.append(
            {
                "group": p.group,
                "amplitude": round(float(p.amplitude), 4),
                "frequency_hz": float(p.frequency_hz),
                "pattern": PATTERN.get(p.pattern, "sync"),
                "joint_scale": [round(float(v / p.amplitude), 4) for v in amp],
            }
        )
        self.used |= set(int(j) for j in joints)
        return True
