"""A quadruped's motion prior from what a program's terms ask of its base: gaits (walking, backing, turning
on the spot, hopping) as leg rhythms, postures (crouch, lie down, sit, bow) as bent legs, body rhythms.

The rhythms are measured per robot: a robot's profile says which of its gait rig's rhythms the prior plays
(``GaitRig.prior_rhythms``); the others, and every rhythm of a quadruped without a rig, are the defaults
below, measured on Go1 by playing the prior back open-loop with a zero policy
(``tests/rewards/test_shapes.py`` checks them).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tabrl.rewards.prior_parts import PriorBuilder, TermAsks, group_joints
from tabrl.robots.model import RobotSpec
from tabrl.robots.profiles import GaitRig, get_profile

GAIT_RESIDUAL = 0.4
JUMP_RESIDUAL = 0.5
SUPPORT_SHARE = 0.6  # of a rewarded rhythm's amplitude, on the joints a legged robot stands on
CROUCH_PER_RATIO = 1.4  # knee flex (rad) per unit of height ratio lost: Go1 and ANYmal both ~1 - 0.7 d
TURN_PHASE_CW = (
    0.25  # the phase of the abduction's left/right pattern that turns clockwise (+0.5: the other way)
)
_GAIT_PATTERN = {"trot": "trot", "pace": "pace", "bound": "bound", "walk": "trot", "pronk": "sync"}


@dataclasses.dataclass(frozen=True)
class Stride:
    """One rhythm of the prior's legs: its frequency, thigh, knee and abduction amplitudes (rad) and how far
    (cycles) the knees lead the thighs."""

    hz: float
    thigh: float
    knee: float
    lead: float
    abduction: float = 0.0


@dataclasses.dataclass(frozen=True)
class LegRhythms:
    walk: Stride
    turn: Stride  # its amplitudes are for its own frequency and shrink for faster rhythms
    back: Stride
    jump_knee: float
    jump_thigh: float | None  # None: by the hop's frequency (0.2 at 3.5 Hz, 0.1 slower)


# Go1 (before its gait rig was measured): trot 2 Hz thigh 0.3 / knee 0.3, the knees a quarter cycle ahead;
# the turn on the spot at 2.5 Hz turns 0.6 rad/s open-loop, upright.
_DEFAULT_WALK = Stride(hz=2.0, thigh=0.3, knee=0.3, lead=0.25)
_DEFAULT_TURN = dataclasses.replace(_DEFAULT_WALK, hz=2.5, thigh=0.2, knee=0.2, abduction=0.15)


def leg_rhythms(rig: GaitRig | None) -> LegRhythms:
    """The rhythms the prior plays on a robot with this gait rig (None: the defaults)."""
    follows = set(rig.prior_rhythms) if rig is not None else set()
    walk = _DEFAULT_WALK
    if rig is not None and "trot" in follows:
        walk = Stride(rig.trot.hz, rig.trot.thigh, rig.trot.calf, rig.trot.calf_lead_deg / 360.0)
    turn = dataclasses.replace(_DEFAULT_TURN, lead=walk.lead)  # the turn's knees lead as the walk's do
    if rig is not None and "trot_turn" in follows:  # a turn's calves run a quarter cycle ahead of its thighs
        t = rig.trot_turn
        turn = Stride(t.hz, t.thigh, t.calf, 0.25 + t.calf_lead_deg / 360.0, t.abduction)
    # Walking backwards: the walk's rhythm with the knees lagging instead, unless the rig measured its own.
    back = dataclasses.replace(walk, lead=(walk.lead + 0.5) % 1.0)
    if rig is not None and rig.back is not None and "back" in follows:
        back = Stride(rig.back.hz, rig.back.thigh, rig.back.calf, rig.back.calf_lead_deg / 360.0)
    if rig is not None and "pronk" in follows:
        return LegRhythms(walk, turn, back, rig.pronk.calf, rig.pronk.thigh)
    return LegRhythms(walk, turn, back, jump_knee=0.25, jump_thigh=None)


def robot_rhythms(robot: str | None) -> LegRhythms:
    """The prior's rhythms for a profile key (``go1``): its gait rig's where it has one."""
    profile = get_profile(robot) if robot else None
    return leg_rhythms(profile.gait_rig if profile is not None else None)


def leg_groups(spec: RobotSpec) -> tuple[str, str] | None:
    """The (thigh, knee) groups of a quadruped, when its profile names them."""
    if spec.category != "quadruped" or "hip" not in spec.groups or "knee" not in spec.groups:
        return None
    if len(spec.groups["hip"]) != 4 or len(spec.groups["knee"]) != 4:
        return None
    return "hip", "knee"


def support_joints(spec: RobotSpec) -> set[int]:
    """The joints a quadruped stands on (its thighs and knees); none for other bodies."""
    legs = leg_groups(spec)
    return set(int(j) for g in legs for j in spec.groups[g]) if legs is not None else set()


def _flex(spec: RobotSpec, group: str) -> list[float]:
    """+1 where bending a joint of the group increases its angle: the sign of its default pose."""
    d = spec.default_joint_pos[group_joints(spec, group)]
    return [float(v) if v != 0 else 1.0 for v in np.sign(d)]


@dataclasses.dataclass
class _Legs:
    """One quadruped's leg groups, as the rhythms and postures below move them."""

    b: PriorBuilder
    thigh: str
    knee: str
    knee_scale: list[float]  # Go1's knees bend negative: the measured rhythm's sign

    @property
    def th(self) -> np.ndarray:
        return group_joints(self.b.spec, self.thigh)

    @property
    def kn(self) -> np.ndarray:
        return group_joints(self.b.spec, self.knee)

    def swing(self, group: str, part: dict[str, object]) -> bool:
        joints = self.th if group == self.thigh else self.kn
        return self.b.add({"group": group} | part, joints)


def add_leg_prior(b: PriorBuilder, asks: TermAsks, rhythms: LegRhythms) -> float | None:
    """Adds the quadruped's gait, posture or body rhythm the asks describe; the prior's residual where a gait
    sets it (None: the caller's). Nothing for a body without four thighs and knees."""
    spec = b.spec
    groups = leg_groups(spec)
    if groups is None:
        return None
    thigh, knee = groups
    legs = _Legs(b, thigh, knee, [-v for v in _flex(spec, knee)])
    max_hz = max(3.0, rhythms.walk.hz)  # 3 Hz, or the robot's walking rhythm where faster (ANYmal: 4.5 Hz)
    hz = min(asks.gait_hz, max_hz) if asks.gait_hz is not None else None
    clock = next((q["frequency_hz"] for q in b.parts if q.get("amplitude")), None)
    hz = clock or hz  # one clock: parts at other frequencies would fight each other
    ratio = asks.height_ratio
    if asks.jumping or asks.pattern == "pronk":
        _hop(legs, rhythms, hz)
        return JUMP_RESIDUAL
    if asks.vx or asks.yaw:
        if abs(asks.vx) >= abs(asks.yaw) * 0.3:  # mostly travelling: a trot that walks (or backs)
            gait = _GAIT_PATTERN.get(asks.pattern or "trot", "trot")
            _travel(legs, rhythms.walk if asks.vx >= 0 else rhythms.back, hz, gait)
        else:
            _turn(legs, rhythms.turn, hz, asks.yaw)
        if ratio is not None and ratio < 0.92:  # a lowered stance under the gait ("sneak forward, low")
            _crouch_under_gait(legs, min(CROUCH_PER_RATIO * (1.0 - ratio), 0.8))
        # Go1 walk at 50k steps, same program and seed: residual 0.6 walked 0.16 m/s and fell (7 of 16
        # noisy starts fell in 10 s); 0.4 walked 0.43 m/s without a fall (2 of 16).
        return GAIT_RESIDUAL
    if (
        ratio is not None
        and ratio < 0.97
        and (ratio < 0.92 or abs(asks.pitch) > 0.15 or abs(asks.roll) > 0.15)
    ):
        _posture(legs, ratio, asks.pitch, asks.roll)
    elif asks.bounce is not None and asks.bounce.axis in ("height", "roll", "pitch") and not b.parts:
        bp = asks.bounce
        pattern = {"height": "sync", "roll": "left_right", "pitch": "front_back"}[bp.axis]
        amp = 0.12 if bp.axis != "height" else min(0.25, 3.0 * bp.amplitude)
        legs.swing(
            knee,
            {
                "amplitude": amp,
                "frequency_hz": float(bp.frequency_hz),
                "pattern": pattern,
                "joint_scale": legs.knee_scale,
            },
        )
    return None


def _hop(legs: _Legs, rhythms: LegRhythms, hz: float | None) -> None:
    # Measured open-loop on Go1: knees 0.25 and thighs 0.2 at 3.5 Hz hop (10 moments with every foot
    # off the ground in 8 s, no fall); slower pronks need smaller thigh swings (3 Hz: 0.1).
    f = min(max(hz or 3.5, 3.0), 3.5)
    legs.swing(legs.knee, {"amplitude": rhythms.jump_knee, "frequency_hz": f, "joint_scale": legs.knee_scale})
    swing = rhythms.jump_thigh if rhythms.jump_thigh is not None else (0.2 if f >= 3.5 else 0.1)
    if swing > 0:
        legs.swing(
            legs.thigh,
            {"amplitude": swing, "frequency_hz": f, "joint_scale": [-v for v in legs.knee_scale]},
        )


def _travel(legs: _Legs, stride: Stride, hz: float | None, gait: str) -> None:
    f = hz or stride.hz
    legs.swing(legs.thigh, {"amplitude": stride.thigh, "frequency_hz": f, "pattern": gait})
    legs.swing(
        legs.knee,
        {
            "amplitude": stride.knee,
            "frequency_hz": f,
            "pattern": gait,
            "phase": stride.lead,
            "joint_scale": legs.knee_scale,
        },
    )


def _turn(legs: _Legs, stride: Stride, hz: float | None, yaw: float) -> None:
    """Turning on the spot: short trotting steps, the abduction pushing the two sides apart (faster rhythms
    than the measured one get smaller swings)."""
    f = hz or stride.hz
    k = min(1.0, stride.hz / f)
    if stride.thigh > 0:
        legs.swing(legs.thigh, {"amplitude": stride.thigh * k, "frequency_hz": f, "pattern": "trot"})
    legs.swing(
        legs.knee,
        {
            "amplitude": stride.knee * k,
            "frequency_hz": f,
            "pattern": "trot",
            "phase": stride.lead,
            "joint_scale": legs.knee_scale,
        },
    )
    spec = legs.b.spec
    if "hip_abduction" in spec.groups and abs(yaw) >= 0.05:  # not for stepping sideways
        legs.b.add(
            {
                "group": "hip_abduction",
                "amplitude": stride.abduction * k,
                "frequency_hz": f,
                "pattern": "left_right",
                "phase": TURN_PHASE_CW if yaw < 0 else (TURN_PHASE_CW + 0.5) % 1.0,
            },
            group_joints(spec, "hip_abduction"),
        )


def _posture(legs: _Legs, ratio: float, pitch: float, roll: float = 0.0) -> None:
    """Lowered (crouch, lie down), nose-up and low (sit), nose-down (bow) or leaning to a side: bend the legs;
    for a sit the rear ones, for a bow the front ones, for a lean those on its side."""
    spec, kn = legs.b.spec, legs.kn
    flex = min(CROUCH_PER_RATIO * (1.0 - ratio), 1.2)
    anchors = np.asarray(spec.joint_anchor_rel) if len(spec.joint_anchor_rel) else None
    rear = np.array([anchors[j][0] < 0 for j in kn]) if anchors is not None else np.zeros(len(kn), bool)
    left = np.array([anchors[j][1] > 0 for j in kn]) if anchors is not None else np.zeros(len(kn), bool)
    share = np.ones(len(kn))
    if abs(roll) > 0.15 and anchors is not None and 0 < left.sum() < len(kn):
        # leaning to the right (roll > 0) lowers the right side: its legs fold, the left ones stay straight
        flex = max(flex, 0.6)
        share = np.where(left == (roll < 0), 1.0, 0.1)
    elif pitch < -0.15:  # sitting: the rear legs fold, the front ones stay nearly straight
        flex = max(flex, 0.8)
        share = np.where(rear, 1.0, 0.15)
    elif pitch > 0.15:  # bowing: the front legs fold
        flex = max(flex, 0.6)
        share = np.where(rear, 0.15, 1.0)
    kscale = [round(-k * s, 3) for k, s in zip(legs.knee_scale, share, strict=True)]
    tscale = [round(k * s, 3) for k, s in zip(legs.knee_scale, share, strict=True)]
    legs.swing(legs.knee, {"offset": flex, "joint_scale": kscale})
    legs.swing(legs.thigh, {"offset": 0.5 * flex, "joint_scale": tscale})


def _crouch_under_gait(legs: _Legs, flex: float) -> None:
    """Composes a crouch with the gait's rhythm: the gait's knee and thigh sines swing around bent legs
    (the offsets a standing crouch would hold), so the posture is in the prior, not lost under the gait.
    Where the knees bend in different directions (a thigh sine has one offset for all legs) the thighs
    keep their default and only the knees bend."""
    knee_scale = legs.knee_scale
    uniform = len(set(knee_scale)) == 1
    for part in legs.b.parts:
        if part.get("group") == legs.knee and part.get("amplitude"):
            part["offset"] = -flex  # times the part's joint_scale (knee_scale): each knee bends its own way
        elif part.get("group") == legs.thigh and part.get("amplitude") and uniform:
            scale = part.get("joint_scale")
            sign = float(np.sign(scale[0])) if scale else 1.0
            part["offset"] = 0.5 * flex * knee_scale[0] * sign
