"""Hands placed on the body: a clap (the hands meet at the midline and part again), a placement ("hands on your
hips", "hug yourself", "arms out wide": ``design/placements.py`` reads it) and the humanoid's arm gestures
(``humanoid_arm``: a wave raised beside the head, a punch from the chest forward), each hand's point or line put
on the compiled body from its shoulders, hips, knees and arm length.

The points are in the world at the standing pose (the robot stays in place); each hand's point becomes an
``ee_target`` (or a small path around it for a rub or a pat), which the motion prior solves as a pose of
that hand's own arm (``rewards/arm_priors.solved_target``).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from tabrl.design.body_words import lacks_arms
from tabrl.design.drafting import Ctx, Draft, E, T, index_of, num, place_of, standing_support, title_case
from tabrl.design.placements import Placement
from tabrl.design.vocabulary import Intent, Recipe


@dataclasses.dataclass(frozen=True)
class ArmGeometry:
    """A two-armed body at its standing pose (world): each side's shoulder and hand end effector, the hips and
    knees where it has legs, and the mean straight-arm length."""

    shoulders: dict[str, np.ndarray]  # 'left' | 'right' -> the arm's first joint
    hands: dict[str, int]  # side -> end-effector index
    length: float
    hips: np.ndarray | None  # the legs' first joints' midpoint
    knees: dict[str, np.ndarray]  # side -> the knee (the leg joint halfway down)

    @property
    def centre(self) -> np.ndarray:
        return (self.shoulders["left"] + self.shoulders["right"]) / 2


def arm_geometry(ctx: Ctx) -> ArmGeometry | None:
    """The body's arms at the standing pose, with each arm's length measured as if straight: shoulder to elbow
    to hand end effector (a humanoid stands with bent arms: OP3's shoulder-to-hand distance is 0.24 m)."""
    spec, body = ctx.spec, ctx.body
    if spec is None or body is None:
        return None
    names = list(spec.joint_names)
    base = np.asarray(spec.default_base_pos)

    def anchor(joint: str) -> np.ndarray:
        return base + np.asarray(spec.joint_anchor_rel[names.index(joint)])

    shoulders: dict[str, np.ndarray] = {}
    hands: dict[str, int] = {}
    lengths: list[float] = []
    for limb in body.of_kind("arm"):
        hand = index_of(ctx.ee, None, limb.side == "left")
        joints = [j for j in limb.joints if j in names]
        if hand is None or not joints or limb.side not in ("left", "right"):
            continue
        # The chain's joint anchors in order, then the hand: the points a straight arm would line up.
        points = [anchor(j) for j in joints]
        points.append(np.asarray(spec.default_ee_pos[hand]))
        shoulders[limb.side], hands[limb.side] = points[0], hand
        lengths.append(float(sum(np.linalg.norm(b - a) for a, b in itertools.pairwise(points))))
    if set(shoulders) != {"left", "right"} or min(lengths) < 0.05:
        return None
    hips: list[np.ndarray] = []
    knees: dict[str, np.ndarray] = {}
    for leg in body.of_kind("leg"):
        joints = [j for j in leg.joints if j in names]
        if not joints:
            continue
        points = [anchor(j) for j in joints]
        hips.append(points[0])
        middle = (points[0][2] + points[-1][2]) / 2  # the joint halfway between hip and ankle
        knees[leg.side] = min(points, key=lambda p: abs(p[2] - middle))
    return ArmGeometry(
        shoulders, hands, float(np.mean(lengths)), np.mean(hips, axis=0) if hips else None, knees
    )


# Where two hands meet (a clap), in arm lengths from the shoulders' midpoint: forward, up (negative: down).
MEET_IN_FRONT = (0.55, -0.3)
MEET_HIGH = (0.45, 0.0)  # shoulder height: higher, G1's and Apollo's arms cannot reach the midline
MEET_GAP = 0.06  # each hand stops this far from the midline (arm lengths): the hands touch, not collide
MEET_SWING = 0.2  # how far each hand travels out from the meeting place (arm lengths)


def hands_meeting(ctx: Ctx, hands: list[int], hz: float, support: list[dict[str, Any]]) -> list[Draft] | None:
    """Both hands brought together and apart again (a clap), placed on the body: each hand traces a line
    across the body that ends at the midline, half a lap apart from the other, so they meet there at ``hz``.
    Where they meet is read from the compiled model (shoulders and arm length); None without it."""
    geometry = arm_geometry(ctx)
    if geometry is None or len(hands) != 2:
        return None
    shoulders, arm_length = geometry.centre, geometry.length
    swing = MEET_SWING * arm_length * ctx.mods.size
    gap = MEET_GAP * arm_length

    def paths(place: tuple[float, float], weight: float) -> list[dict[str, Any]]:
        forward, up = place
        x = float(shoulders[0]) + forward * arm_length
        z = float(shoulders[2]) + up * arm_length
        terms = []
        for index in hands:  # a left hand's line lies left of the midline, a right hand's right of it
            sign = 1.0 if place_of(ctx.ee[index])[1] else -1.0
            centre = [round(x, 3), round(sign * (gap + swing), 3), round(z, 3)]
            # line: y = centre + swing sin(w + 2 pi phase); each starts open and reaches the midline together
            terms.append(
                T(
                    "ee_path",
                    weight,
                    shape="line",
                    plane="yz",
                    radius=round(swing, 3),
                    frequency_hz=min(hz, 3.0),
                    index=index,
                    center=centre,
                    phase=0.25 if sign > 0 else 0.75,
                    sigma=round(max(0.03, 0.15 * arm_length), 3),
                )
            )
        return terms

    names = " and ".join(ctx.ee[h] for h in hands)
    front = Draft(
        "Clap in Front",
        f"Bring both hands together in front of the chest and apart again, {hz:.2g} times a second",
        paths(MEET_IN_FRONT, 1.5),
        support,
        note=f"Main terms: ee_path lines for {names}, meeting at the body's midline.",
    )
    swing_arms = Draft(
        "Arm Swing Clap",
        f"Swing both arms together ({ctx.group('arms')}) at {hz:.2g} Hz, legs steady",
        [
            T(
                "joint_sine",
                2.0,
                group=ctx.group("arms"),
                amplitude=0.35,
                frequency_hz=hz,
                pattern="sync",
                sigma=0.3,
            )
        ],
        support,
        note=f"Main term: joint_sine on {ctx.group('arms')}.",
    )
    high = Draft(
        "Shoulder-High Clap",
        f"Clap with the arms raised to shoulder height in front, {hz:.2g} times a second",
        paths(MEET_HIGH, 1.5),
        support,
        note=f"Main terms: ee_path lines for {names}, meeting at shoulder height.",
    )
    return [front, swing_arms, high]


# Where a one-hand gesture happens on a two-armed body, in arm lengths from that hand's own shoulder (forward,
# outward to its side, up), the plane and first axis of its line ("yz": side to side, "xz": forward and back)
# and the line's half length. A wave is the hand raised beside the head, moving side to side (a wave from the
# resting hand at the hip rose 1-3 cm on T1, G1 and H1, followed exactly); a punch starts at the chest and
# reaches out at shoulder height (a side-to-side line in front of the body never reached forward).
GESTURES: dict[str, tuple[tuple[float, float, float], str, float]] = {
    "wave": ((0.15, 0.35, 0.55), "yz", 0.2),
    "wave_overhead": ((0.1, 0.15, 0.8), "yz", 0.2),
    "punch": ((0.55, -0.1, 0.0), "xz", 0.25),
}


def gesture_place(ctx: Ctx, gesture: str, index: int) -> tuple[list[float], str, float] | None:
    """(centre in the world at the standing pose, plane, half length in m) of ``gesture``'s line for end
    effector ``index``, placed on the compiled body; None without two arms to measure or that hand."""
    geometry = arm_geometry(ctx)
    if geometry is None or gesture not in GESTURES:
        return None
    side = next((s for s, h in geometry.hands.items() if h == index), None)
    if side is None:
        return None
    (forward, outward, up), plane, half = GESTURES[gesture]
    sign, arm = (1.0 if side == "left" else -1.0), geometry.length
    shoulder = geometry.shoulders[side]
    centre = shoulder + arm * np.array([forward, sign * outward, up])
    return [round(float(v), 3) for v in centre], plane, round(half * arm * ctx.mods.size, 3)


def gesture_path(
    ctx: Ctx, gesture: str, index: int, hz: float, weight: float, *, slow: float = 1.0, phase: float = 0.0
) -> dict[str, Any] | None:
    """An ``ee_path`` line for end effector ``index`` at ``gesture``'s place on the body (``gesture_place``),
    ``slow`` times its frequency and size, starting ``phase`` of a cycle in; None where the place cannot be
    measured."""
    place = gesture_place(ctx, gesture, index)
    if place is None:
        return None
    centre, plane, half = place
    return T(
        "ee_path",
        weight,
        shape="line",
        plane=plane,
        radius=round(half * slow, 3),
        frequency_hz=round(min(hz * slow, 3.0), 3),
        index=index,
        center=centre,
        phase=phase,
        sigma=round(max(0.03, 0.6 * half), 3),
    )


def both_hands(ctx: Ctx) -> list[int]:
    """The body's right and left hand end effectors, those it has."""
    return [i for i in (index_of(ctx.ee, None, False), index_of(ctx.ee, None, True)) if i is not None]


def waving_hands(ctx: Ctx, index: int) -> list[int]:
    """Both hands where the words say both ("wave both hands") and the body has two, else hand ``index``."""
    both = both_hands(ctx)[::-1]  # the left hand's path first
    return both if ctx.mods.both and len(both) == 2 else [index]


def raised_waves(
    ctx: Ctx, hands: list[int], hz: float, support: list[dict[str, Any]]
) -> tuple[Draft, Draft] | None:
    """A humanoid's wave with ``hands`` raised (one, or both mirrored): beside the head, and slower high above
    the shoulder (None where the body or a hand cannot be measured)."""
    if not hands:
        return None
    share = 1.0 / len(hands)
    raised = [gesture_path(ctx, "wave", h, hz, 3.0 * share) for h in hands]
    overhead = [gesture_path(ctx, "wave_overhead", h, hz, 2.0 * share, slow=0.8) for h in hands]
    beside = [t for t in raised if t is not None]
    high = [t for t in overhead if t is not None]
    if len(beside) < len(hands) or len(high) < len(hands):
        return None
    names = " and ".join(ctx.ee[h] for h in hands)
    return (
        Draft(
            "Wave Tracer",
            f"Raise {names} beside the head and move {'them' if len(hands) > 1 else 'it'} side to side at "
            f"{hz:.2g} Hz",
            beside,
            support,
            note=f"Main term: ee_path (line) for {names}, raised beside the head.",
        ),
        Draft(
            "Overhead Wave",
            f"A slower wave with {'the hands' if len(hands) > 1 else 'the hand'} high above the shoulder, "
            "rewarded for moving smoothly",
            [*high, E("clip(norm(qd), 0, 2)", 0.2)],
            [T("energy", -0.001)] + support,
            note="Main terms: ee_path (line) above the shoulder, a small reward for joint speed, an energy penalty.",
        ),
    )


# Each hand's point for a placement, in arm lengths from a landmark: (forward, outward from the midline, up).
# Outward is towards the hand's own side (negative: across the body). Points are where the hand rests on or
# next to the body, not inside it.
_FROM_SHOULDERS: dict[str, tuple[float, float, float]] = {
    "head": (0.0, 0.12, 0.62),
    "overhead": (0.05, 0.15, 0.95),
    "behind_head": (-0.12, 0.15, 0.4),
    "face": (0.3, 0.08, 0.35),
    "ears": (0.0, 0.22, 0.38),
    "chest": (0.3, 0.12, -0.25),
    "belly": (0.32, 0.12, -0.6),
    "shoulders": (0.12, 0.0, 0.05),  # outward 0: on the shoulder's own line (below)
    "hug": (0.28, -0.35, -0.15),  # each hand on the other arm's upper arm
    "out": (0.0, 0.95, 0.0),
}
_FROM_HIPS: dict[str, tuple[float, float, float]] = {
    "hips": (0.0, 0.0, 0.2),  # outward 0: at the shoulders' width (below)
    "back": (-0.3, 0.1, 0.25),
}
_ON_KNEES = (0.12, 0.0, 0.1)
_RUB = 0.12  # arm lengths: a rub's circle, a pat's tap


def placement_points(where: str, geometry: ArmGeometry) -> dict[int, list[float]]:
    """End-effector index -> its point (world, standing) for landmark ``where``; {} where the body lacks it."""
    arm = geometry.length
    out = {}
    for side, hand in geometry.hands.items():
        sign = 1.0 if side == "left" else -1.0
        shoulder = geometry.shoulders[side]
        width = abs(float(shoulder[1] - geometry.centre[1]))
        if where in _FROM_SHOULDERS:
            forward, outward, up = _FROM_SHOULDERS[where]
            y = geometry.centre[1] + sign * (
                width + outward * arm if where in ("out", "shoulders") else outward * arm
            )
            x, z = geometry.centre[0] + forward * arm, geometry.centre[2] + up * arm
        elif where in _FROM_HIPS and geometry.hips is not None:
            forward, outward, up = _FROM_HIPS[where]
            y = geometry.centre[1] + sign * (width if where == "hips" else outward * arm)
            x, z = geometry.hips[0] + forward * arm, geometry.hips[2] + up * arm
        elif where == "knees" and side in geometry.knees:
            knee = geometry.knees[side]
            x, y, z = knee[0] + _ON_KNEES[0] * arm, knee[1], knee[2] + _ON_KNEES[2] * arm
        else:
            return {}
        out[hand] = [round(float(x), 3), round(float(y), 3), round(float(z), 3)]
    return out


def placeable(ctx: Ctx, placement: Placement) -> bool:
    """The body has two arms and the landmark the placement names (a hip needs legs)."""
    geometry = arm_geometry(ctx) if ctx.biped and not lacks_arms(ctx) else None
    return geometry is not None and bool(placement_points(placement.at, geometry))


def legged_place(ctx: Ctx, intent: Intent, recipe: Recipe) -> list[Draft]:
    """Hands placed on the body and kept there (or rubbed, or patted): three ways of rewarding it (the planner
    asks ``placeable`` first)."""
    placement: Placement = recipe.params["placement"]
    geometry = arm_geometry(ctx)
    if geometry is None:
        raise LookupError(f"{ctx.robot} has no two arms to place")
    points = placement_points(placement.at, geometry)
    if not placement.both:  # one hand: the side said, else the right
        side = ctx.side("right", f"using the right hand for '{intent.label.lower()}'")
        points = {h: p for h, p in points.items() if h == geometry.hands[side]}
    label, arm = placement.label, geometry.length
    if len(points) == 1:
        label = label.replace("Hands", "Hand")
    names = " and ".join(ctx.ee[h] for h in points)
    sigma = round(max(0.03, 0.15 * arm), 3)
    moving = placement.motion != "hold"
    hz = 1.5 if placement.motion == "rub" else 2.0
    per = 2.0 / len(points)

    def held(weight: float, tolerance: float) -> list[dict[str, Any]]:
        if moving:  # a small circle (rub) or a vertical tap (pat) around the point
            shape, plane = ("circle", "yz") if placement.motion == "rub" else ("line", "xz")
            return [
                T(
                    "ee_path",
                    weight,
                    shape=shape,
                    plane=plane if shape == "circle" else "xz",
                    radius=round(_RUB * arm, 3),
                    frequency_hz=hz,
                    index=h,
                    center=p,
                    sigma=tolerance,
                )
                for h, p in points.items()
            ]
        return [T("ee_target", weight, target=p, index=h, sigma=tolerance) for h, p in points.items()]

    verb = {"hold": "Hold", "rub": "Rub", "pat": "Pat"}[placement.motion]
    what = f"{'both hands' if len(points) > 1 else 'the hand'} at {placement.at.replace('_', ' ')}"
    v1 = Draft(
        label,
        f"{verb} {what}, placed on the body from its shoulders and arm length; stand steady",
        held(per, sigma),
        standing_support(),
        note=f"Main terms: a point for {names}, solved as a pose of each arm.",
    )
    # Held still: the same points, tighter, and the arms' joints kept from wandering once there.
    arms = ctx.group("arms")
    still = [E(f"mean(qd_{arms} * qd_{arms})", -0.02)] if arms and not moving else []
    v2 = Draft(
        f"{label}, Held Still" if not moving else f"{label}, Close",
        f"{verb} {what} precisely and keep the arms calm; the body still",
        held(per, round(sigma * 0.6, 3)) + still,
        [T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.2), *standing_support()[1:]],
        note=f"Main terms: tighter points for {names}{', the arms kept calm' if still else ''}.",
    )
    # Relative to the body: each hand's offset from the base, so the hands follow the body if it sways.
    base = np.asarray(ctx.spec.default_base_pos)
    relative = []
    for h, p in points.items():
        d = np.asarray(p) - base
        err = " + ".join(f"(ee_pos[{h}, {k}] - base_pos[{k}] - {num(float(d[k]))}) ** 2" for k in range(3))
        relative.append(E(f"exp(-({err}) / {num(sigma * sigma * 2)})", per))
    v3 = Draft(
        f"{label}, Body Frame",
        f"{verb} {what}, measured from the body so the hands follow it; stay upright",
        relative + held(0.5 * per, 1.5 * sigma),
        standing_support(),
        note=f"Main terms: each hand's offset from the base for {names}, and a loose point.",
    )
    return [v1, v2, v3]


def place_intent(placement: Placement) -> tuple[Intent, Recipe]:
    """The (intent, recipe) pair of a placement, as the planner's hits are."""
    return Intent("place", placement.label, f"{placement.label.lower()}"), Recipe(
        "place", {"placement": placement}
    )


def humanoid_arm(
    ctx: Ctx, intent: Intent, amp: float, hz: float, *, both: bool = False, meet: bool = False
) -> list[Draft]:
    """An arm gesture on a humanoid (one arm, or both): the arms' swing, then the gesture placed on the body where
    it has a place (a raised wave, a punch from the chest, a clap meeting at the midline), else a hand path."""
    both = both and len(ctx.ee) >= 2 and ctx.group("arms") is not None
    side = "both" if both else ctx.side("right", "using the right arm")
    group = (ctx.group("arms") if both else ctx.group(f"{side}_arm", "arms")) or "all"
    idx = index_of(ctx.ee, None, side == "left")
    idx = 0 if idx is None else idx
    hands = [index_of(ctx.ee, None, False), index_of(ctx.ee, None, True)] if both else [idx]
    hands = [0 if h is None else h for h in hands]
    support = standing_support()
    verb = title_case(intent.label)
    if both and meet:
        met = hands_meeting(ctx, hands, hz, support)
        if met is not None:
            return met
    arm_words, hand_words = ("both arms", "both hands") if both else (f"the {side} arm", f"the {side} hand")
    v1 = Draft(
        f"Arm {verb}",
        f"Swing {arm_words} ({group}) at {hz:.2g} Hz, legs steady",
        [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.3)],
        support,
        note=f"Main term: joint_sine on {group}.",
    )
    if intent.key == "wave" and (waves := raised_waves(ctx, hands, hz, support)) is not None:
        return [v1, *waves]  # a humanoid waves with the hand raised, not at its hip
    if both:  # one path term per program: both hands move through their arms' rhythm, in turn
        v2 = Draft(
            f"Alternating {verb}",
            f"Swing both arms in turn ({group}) at {hz:.2g} Hz, legs steady",
            [
                T(
                    "joint_sine",
                    2.0,
                    group=group,
                    amplitude=amp,
                    frequency_hz=hz,
                    pattern="alternate",
                    sigma=0.3,
                )
            ],
            support,
            note=f"Main term: joint_sine on {group}, left and right half a cycle apart.",
        )
    elif intent.key == "punch" and (punch := gesture_path(ctx, "punch", idx, hz, 2.0)) is not None:
        v2 = Draft(
            f"Hand Path {verb}",
            f"Move {hand_words} from the chest straight forward, {hz:.2g} times a second",
            [punch],
            support,
            note=f"Main term: ee_path (line) for end effector {idx} ({ctx.ee[idx]}), placed on the body.",
        )
    else:
        v2 = Draft(
            f"Hand Path {verb}",
            f"Move {hand_words} side to side in front of the body",
            [
                T(
                    "ee_path",
                    2.0,
                    shape="line",
                    plane="yz",
                    radius=0.12 * ctx.mods.size,
                    frequency_hz=min(hz, 3.0),
                    index=idx,
                    sigma=0.1,
                )
            ],
            support,
            note=f"Main term: ee_path (line) for end effector {idx} ({ctx.ee[idx]}).",
        )
    if intent.key == "punch" and not both:
        # the other fist half a cycle later: left, right, left
        lines = [gesture_path(ctx, "punch", h, hz, 1.5, phase=0.5 * k) for k, h in enumerate(both_hands(ctx))]
        fists = [f for f in lines if f is not None]
        if len(fists) == 2:
            return [
                v1,
                v2,
                Draft(
                    f"One-Two {verb}",
                    f"Both fists in turn from the chest straight forward, {hz:.2g} times a second each",
                    fists,
                    support,
                    note="Main terms: ee_path lines for both hands, placed on the body, half a cycle apart.",
                ),
            ]
    raised = [E(f"clip(ee_pos[{h}, 2] - base_height, -1, 1)", 1.0 / len(hands)) for h in hands]
    v3 = Draft(
        f"Raised Hand {verb}",
        f"Raise {hand_words} and move the arm joints in a wave",
        [
            *raised,
            T(
                "joint_sine",
                1.0,
                group=group,
                amplitude=0.6 * amp,
                frequency_hz=hz,
                pattern="wave",
                sigma=0.3,
            ),
        ],
        support,
        note="Main terms: hand height above the base, and joint_sine with spread phases.",
    )
    return [v1, v2, v3]
