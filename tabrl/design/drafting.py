"""Drafting helpers shared by every recipe: terms as JSON, the prompt's modifiers, the robot context.

A recipe writes :class:`Draft` approaches from a :class:`Ctx` (the robot's profile and the
prompt's modifiers); ``T`` and ``E`` write a primitive or an expression term as the JSON a
RewardProgram validates. Nothing here knows a particular robot or behavior.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any

from tabrl.design.vocabulary import Interpretation
from tabrl.robots.body_plan import BodyPlan
from tabrl.robots.profiles import RobotProfile

RATE = -0.01  # the action_rate weight most approaches use


# --------------------------------------------------------------------------- terms as JSON


def tidy(x: float) -> float:
    """A tidy number for JSON: four significant digits."""
    return float(f"{float(x):.4g}")


def T(term: str, weight: float, **params: Any) -> dict[str, Any]:
    """A primitive term as JSON."""
    out: dict[str, Any] = {"term": term, "weight": tidy(weight)}
    if params:
        out["params"] = {k: (tidy(v) if isinstance(v, float) else v) for k, v in params.items()}
    return out


def E(expr: str, weight: float) -> dict[str, Any]:
    """An expression term as JSON."""
    return {"term": "expr", "weight": tidy(weight), "expr": expr}


def term_signature(term: dict[str, Any]) -> tuple[str, str]:
    """What makes two terms "the same kind": the term name and its group/axis/shape/pattern or expression."""
    if term["term"] == "expr":
        return "expr", term["expr"]
    params = term.get("params") or {}
    # Two hands' paths or points are two terms (a clap, hands on hips): each end effector's is its own kind.
    hand = f"@{params['index']}" if term["term"] in ("ee_path", "ee_target") and "index" in params else ""
    for key in ("group", "axis", "shape", "pattern"):
        if key in params:
            return term["term"], str(params[key]) + hand
    return term["term"], hand


def standing_support() -> list[dict[str, Any]]:
    """A standing body's terms beside an arm gesture: upright, at its height, in place, alive, smooth."""
    return [
        T("upright", 1.0),
        T("base_height", 0.5, ratio=1.0, sigma=0.1),
        T("stay_in_place", 0.5, radius=0.3),
        T("alive", 0.5),
        T("action_rate", RATE),
    ]


def num(x: float) -> str:
    """A number for an expression: short, and parenthesised when negative."""
    text = f"{tidy(x):g}"
    return f"({text})" if text.startswith("-") else text


def clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def gerund(label: str) -> str:
    """'Shake' -> 'shaking', 'Wag' -> 'wagging', 'Up and down' -> 'moving up and down'."""
    word = label.lower()
    first, _, rest = word.partition(" ")
    if rest in ("up", "down", "out", "over", "around", "in", "off"):  # a verb and its particle: 'swinging up'
        return f"{gerund(first)} {rest}"
    if " " in word:
        return f"moving {word}"
    if word.endswith("ie"):
        return word[:-2] + "ying"  # lie -> lying
    if word.endswith("e") and not word.endswith("ee"):
        return word[:-1] + "ing"
    if len(word) >= 3 and word[-1] in "bdgmnpt" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        return word + word[-1] + "ing"
    return word + "ing"


def title_case(label: str) -> str:
    """'lie down' -> 'Lie Down', 'up and down' -> 'Up and Down'."""
    small = {"and", "to", "on", "in", "of", "a", "the"}
    words = label.split()
    return " ".join(w if (k and w.lower() in small) else w[:1].upper() + w[1:] for k, w in enumerate(words))


# --------------------------------------------------------------------------- context


@dataclasses.dataclass
class Mods:
    """How: the modifiers of a prompt, as numbers and choices."""

    speed: float = 1.0
    size: float = 1.0
    side: str | None = None  # "left" | "right"
    rotation: int | None = None  # +1 counter-clockwise, -1 clockwise
    level: str | None = None  # "high" | "low"
    position: str | None = None  # "front" | "rear"
    axis: str | None = None  # "horizontal" | "vertical" | "lateral" | "longitudinal"
    direction: int | None = None  # +1 forward, -1 backward
    stay: bool = False
    around: bool = False
    count: int | None = None  # "count to three": a number said in the prompt
    both: bool = False  # "both arms", "each hand": the two sides together


def read_mods(interp: Interpretation) -> Mods:
    """The modifiers the parser found, as numbers and choices."""
    m = Mods()
    intensity = 1.0
    speed = size = None
    for match in interp.modifiers:
        kind, value = match.value
        if kind == "intensity":
            intensity *= value
        elif kind == "speed":
            speed = value
        elif kind == "size":
            size = value
        elif kind == "side":
            m.side = value
        elif kind == "rotation":
            m.rotation = 1 if value == "ccw" else -1
        elif kind == "level":
            m.level = value
        elif kind == "position":
            m.position = value
        elif kind == "axis":
            m.axis = value
        elif kind == "stay":
            m.stay = True
        elif kind == "around":
            m.around = True
        elif kind == "count":
            m.count = int(value)
        elif kind == "both":
            m.both = True
    if speed == "fast":
        m.speed = 1.5 * intensity
    elif speed == "slow":
        m.speed = 0.6 / intensity
    if size == "big":
        m.size = 1.4 * intensity
    elif size == "small":
        m.size = 0.6 / intensity
    return m


@dataclasses.dataclass
class Ctx:
    """The robot (from its profile, nothing compiled) and the prompt's modifiers."""

    model_id: str
    profile: RobotProfile
    derived: bool
    mods: Mods
    parts: list[str]
    notes: list[str] = dataclasses.field(default_factory=list)
    spec: Any = None  # the compiled robot's spec (joint ranges, default pose), None without its assets
    body: BodyPlan | None = None  # the body plan read from the compiled model, None without its assets

    @property
    def category(self) -> str:
        return self.profile.category

    @property
    def robot(self) -> str:
        return self.profile.name

    @functools.cached_property
    def groups(self) -> list[str]:
        return list(self.profile.groups) + ["all"]

    def group(self, *names: str | None) -> str | None:
        """The first of ``names`` this robot has."""
        for name in names:
            if name and name in self.groups:
                return name
        return None

    @property
    def legged(self) -> bool:
        return self.category in ("quadruped", "humanoid") and not self.derived

    @property
    def biped(self) -> bool:
        return self.category == "humanoid"

    @property
    def feet(self) -> list[str]:
        return [] if self.derived else list(self.profile.feet)

    @property
    def ee(self) -> list[str]:
        return [] if self.derived else list(self.profile.end_effectors)

    def flexion(self, group: str) -> list[bool]:
        """Which joints of a hand's group bend a finger (curl it) rather than spread it sideways.

        Read from the joint ranges: a flexing joint moves mostly one way from straight (Allegro
        [-0.2, 1.6] rad, LEAP [-0.3, 2.2]); a spreading one swings both ways (±0.47, ±1.05). Without
        the compiled robot: every joint but the first of each finger of four.
        """
        names = self.profile.groups.get(group, [])
        if self.spec is None or not names:
            return [i % 4 != 0 for i in range(len(names))]
        index = {n: k for k, n in enumerate(self.spec.joint_names)}
        out = []
        for name in names:
            lo, hi = (float(v) for v in self.spec.joint_range[index[name]]) if name in index else (0.0, 0.0)
            out.append(hi > 0.8 and hi > 2.0 * abs(min(lo, 0.0)))
        return out

    def joint_limits(self, group: str) -> list[tuple[float, float, float]]:
        """(low, high, default) of each joint of a group; empty without the compiled robot."""
        if self.spec is None:
            return []
        index = {n: k for k, n in enumerate(self.spec.joint_names)}
        return [
            (
                float(self.spec.joint_range[index[n], 0]),
                float(self.spec.joint_range[index[n], 1]),
                float(self.spec.default_joint_pos[index[n]]),
            )
            for n in self.profile.groups.get(group, [])
            if n in index
        ]

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def side(self, default: str = "right", assumption: str = "") -> str:
        """The prompt's side, else ``default`` (noting ``assumption`` when given)."""
        if self.mods.side:
            return self.mods.side
        if assumption:
            self.note(f"No side given: {assumption}.")
        return default


@dataclasses.dataclass
class Draft:
    """One approach before it becomes a RewardProgram."""

    name: str
    summary: str
    main: list[dict[str, Any]]
    support: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    moves: bool = False  # the base travels, so "stay in place" terms do not belong
    note: str = ""
    # A recipe's own motion prior / success check (JSON); None: read from the terms (rewards.shapes).
    motion: dict[str, Any] | None = None
    success: str | None = None
    # Reach an end effector this far along a world axis: {"index", "axis", "sign", "distance"}; the
    # designer solves the joint pose on the compiled robot (rewards.arm_priors.reach_motion).
    reach: dict[str, Any] | None = None


# --------------------------------------------------------------------------- robot geometry by name

_LEG_CODES = {
    "fr": (True, False),
    "fl": (True, True),
    "rr": (False, False),
    "rl": (False, True),
    "lf": (True, True),
    "rf": (True, False),
    "lh": (False, True),
    "rh": (False, False),
}


def place_of(name: str) -> tuple[bool | None, bool | None]:
    """(front?, left?) of a foot / end effector, guessed from its name ("FR", "LF_SHANK", "foot_front_left")."""
    n = name.split("@")[0].lower()
    code = re.split(r"[_\s]", n)[0]
    if code in _LEG_CODES:
        return _LEG_CODES[code]
    words = set(re.split(r"[_\s]", n))
    front = True if ({"front", "fore"} & words) else False if ({"hind", "rear", "back"} & words) else None
    left = (
        True
        if ({"left", "l"} & words or n.startswith("left"))
        else False
        if ({"right", "r"} & words or n.startswith("right"))
        else None
    )
    return front, left


def index_of(names: list[str], front: bool | None, left: bool | None) -> int | None:
    """The first name at that place (None: either), e.g. the front-left foot."""
    for i, name in enumerate(names):
        f, l_ = place_of(name)
        if (front is None or f == front) and (left is None or l_ == left):
            return i
    return None


def finger_index(names: list[str], finger: str) -> int | None:
    """The first fingertip of the thumb or index finger, by name ("th_tip", "ff_tip")."""
    prefixes = {"thumb": ("th",), "index": ("ff", "if", "index")}[finger]
    for i, name in enumerate(names):
        if name.lower().startswith(prefixes) or finger in name.lower():
            return i
    return None


PART_LABEL = {  # a body-part word as it reads in an approach's name
    "hips": "Hip",
    "rear": "Rear",
    "head": "Head",
    "body": "Body",
    "all": "Full Body",
    "arm": "Arm",
    "leg": "Leg",
    "paw": "Paw",
    "wrist": "Wrist",
    "fingers": "Finger",
    "elbow": "Elbow",
    "shoulder": "Shoulder",
    "knee": "Knee",
    "hand": "Hand",
    "thumb": "Thumb",
    "index": "Index Finger",
}
