"""The built-in approach designer: a prompt and a robot in, three reward programs out.

Offline and deterministic (no LLM): the prompt is parsed with :mod:`tabrl.design.vocabulary`
into intents ("shake"), modifiers ("fast", "left") and body parts ("hips"); each intent names a
recipe family, and the family writes three programs that differ in kind for this robot's
category, joint groups, feet and end effectors:

* a direct one built from the library primitive that targets the motion,
* a rhythm / contact-timing / body-oscillation one,
* one shaped with safe expressions or a different joint group.

For robots with a measured gait rig (Go1), walking, turning and jumping get scaffold approaches:
expressions that track a joint rhythm which, played back open-loop in MuJoCo, already trots,
paces, turns or pronks that robot; PPO then learns the rhythm quickly and refines it with the
task term (velocity rewards alone teach nothing in a short CPU run).

Several intents combine: locomotion words merge into one velocity command ("walk forward and
turn left"); other intents add their main terms, at half weight, to the first one's programs.
Words the parser did not understand are reported in every program's ``notes``; a prompt with
no understood behavior gets a gentle default (stand tall, move mildly) and says so.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from typing import Any, Callable

from tabrl.design import vocabulary as vocab
from tabrl.design.vocabulary import INTENTS, Interpretation, Recipe, interpret
from tabrl.rewards.program import RewardProgram
from tabrl.robots.profiles import RobotProfile, get_profile

MAX_PROMPT_CHARS = 2000
N_APPROACHES = 3
MAX_TERMS = 12

__all__ = ["DesignError", "Design", "MAX_PROMPT_CHARS", "design", "design_approaches", "check_prompt"]


class DesignError(ValueError):
    """A prompt the designer refuses (empty or too long)."""


def check_prompt(prompt: str) -> str:
    """The prompt, stripped; DesignError if it is empty or longer than MAX_PROMPT_CHARS."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise DesignError("The prompt is empty: describe the behavior you want, e.g. \"walk forward\".")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise DesignError(f"The prompt is {len(prompt):,} characters long; at most {MAX_PROMPT_CHARS:,} are allowed.")
    return prompt.strip()


# --------------------------------------------------------------------------- term helpers


def _f(x: float) -> float:
    """A tidy number for JSON: four significant digits."""
    return float(f"{float(x):.4g}")


def T(term: str, weight: float, **params: Any) -> dict[str, Any]:
    """A primitive term as JSON."""
    out: dict[str, Any] = {"term": term, "weight": _f(weight)}
    if params:
        out["params"] = {k: (_f(v) if isinstance(v, float) else v) for k, v in params.items()}
    return out


def E(expr: str, weight: float) -> dict[str, Any]:
    """An expression term as JSON."""
    return {"term": "expr", "weight": _f(weight), "expr": expr}


def term_signature(term: dict[str, Any]) -> tuple[str, str]:
    """What makes two terms "the same kind": the term name and its group/axis/shape/pattern or expression."""
    if term["term"] == "expr":
        return "expr", term["expr"]
    params = term.get("params") or {}
    for key in ("group", "axis", "shape", "pattern"):
        if key in params:
            return term["term"], str(params[key])
    return term["term"], ""


def _num(x: float) -> str:
    """A number for an expression: short, and parenthesised when negative."""
    text = f"{_f(x):g}"
    return f"({text})" if text.startswith("-") else text


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def _gerund(label: str) -> str:
    """'Shake' -> 'shaking', 'Wag' -> 'wagging', 'Up and down' -> 'moving up and down'."""
    word = label.lower()
    if " " in word:
        return f"moving {word}"
    if word.endswith("e") and not word.endswith("ee"):
        return word[:-1] + "ing"
    if len(word) >= 3 and word[-1] in "bdgmnpt" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        return word + word[-1] + "ing"
    return word + "ing"


RATE = -0.01


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


def _mods(interp: Interpretation) -> Mods:
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


# --------------------------------------------------------------------------- robot geometry by name

_LEG_CODES = {"fr": (True, False), "fl": (True, True), "rr": (False, False), "rl": (False, True),
              "lf": (True, True), "rf": (True, False), "lh": (False, True), "rh": (False, False)}


def _place(name: str) -> tuple[bool | None, bool | None]:
    """(front?, left?) of a foot / end effector, guessed from its name ("FR", "LF_SHANK", "foot_front_left")."""
    n = name.split("@")[0].lower()
    code = re.split(r"[_\s]", n)[0]
    if code in _LEG_CODES:
        return _LEG_CODES[code]
    words = set(re.split(r"[_\s]", n))
    front = True if ({"front", "fore"} & words) else False if ({"hind", "rear", "back"} & words) else None
    left = True if ({"left", "l"} & words or n.startswith("left")) else False if (
        {"right", "r"} & words or n.startswith("right")) else None
    return front, left


def _index_of(names: list[str], front: bool | None, left: bool | None) -> int | None:
    for i, name in enumerate(names):
        f, l_ = _place(name)
        if (front is None or f == front) and (left is None or l_ == left):
            return i
    return None


def _finger_index(names: list[str], finger: str) -> int | None:
    prefixes = {"thumb": ("th",), "index": ("ff", "if", "index")}[finger]
    for i, name in enumerate(names):
        if name.lower().startswith(prefixes) or finger in name.lower():
            return i
    return None


# --------------------------------------------------------------------------- shared support terms


def _legged_support(ctx: Ctx, *, upright: float = 1.0, height: float | None = 1.0, height_w: float = 0.3,
                    stay: float = 0.5, rate: float = RATE) -> list[dict[str, Any]]:
    terms = [T("upright", upright)] if upright else []
    if height is not None and height_w:
        terms.append(T("base_height", height_w, ratio=height, sigma=0.1))
    if stay:
        terms.append(T("stay_in_place", stay, radius=0.3))
    terms.append(T("action_rate", rate))
    return terms


def _gait_name(gait: str) -> str:
    return {"trot": "Trotting", "pace": "Pacing", "bound": "Bounding", "pronk": "Pronking", "walk": "Stepping"}.get(
        gait, gait.title())


# --------------------------------------------------------------------------- legged recipes


@dataclasses.dataclass
class Command:
    """A merged locomotion command."""

    vx: float = 0.0
    vy: float = 0.0
    yaw: float = 0.0
    gait: str = "trot"
    gait_hz: float = 2.0
    height: float = 1.0
    high_steps: bool = False
    roll_sway: float = 0.0
    label: str = "Walk"


def _command(ctx: Ctx, hits: list[tuple[vocab.Intent, Recipe]]) -> Command:
    """One velocity command from every locomotion / turning intent of the prompt."""
    cmd = Command()
    strong = [(i, r) for i, r in hits if r.family == "locomote" and not i.weak]
    chosen = strong[0] if strong else next(((i, r) for i, r in hits if r.family == "locomote"), None)
    base = 0.0
    if chosen is not None:
        intent, recipe = chosen
        p = recipe.params
        cmd.label, cmd.gait, cmd.gait_hz = intent.label, p.get("gait", "trot"), p.get("gait_hz", 2.0)
        cmd.height, cmd.high_steps, cmd.roll_sway = p.get("height", 1.0), p.get("high_steps", False), p.get(
            "roll_sway", 0.0)
        base = max((r.params.get("speed", 0.0) for i, r in (strong or hits) if r.family == "locomote"), default=0.0)
    direction = ctx.mods.direction or 1
    if any(r.params.get("direction", 1) < 0 for _, r in hits if r.family == "locomote"):
        direction = -1
    lateral = max((r.params.get("lateral", 0.0) for _, r in hits if r.family == "locomote"), default=0.0)
    keys = {i.key for i, _ in hits}
    if lateral:
        sign = 1.0 if ctx.side("left", "stepping to the left") == "left" else -1.0
        cmd.vy = sign * lateral * ctx.mods.speed
        if "sideways" in keys and not (keys & {"walk", "run", "jog", "stroll", "trot", "forward", "backward"}):
            base = 0.0
    scale = ctx.mods.speed * (0.8 if ctx.biped else 1.0)
    cmd.vx = _clamp(direction * base * scale, -1.5, 2.5)
    turn = [r for _, r in hits if r.family == "spin" or "yaw" in r.params]
    if turn:
        yaw = max(r.params.get("yaw", 1.0) for r in turn)
        yaw = min(yaw, 0.8) if cmd.vx or cmd.vy else yaw
        sign = ctx.mods.rotation or (1 if ctx.side("left", "turning left (counter-clockwise)") == "left"
                                     else -1)
        cmd.yaw = sign * yaw * ctx.mods.speed
    if ctx.mods.level == "low":
        cmd.height = min(cmd.height, 0.8)
    elif ctx.mods.level == "high":
        cmd.height = max(cmd.height, 1.05)
    cmd.gait_hz = round(_clamp(cmd.gait_hz * (ctx.mods.speed ** 0.5), 1.0, 4.0), 2)
    if ctx.biped and cmd.gait in ("trot", "pace", "bound"):
        cmd.gait = "walk"
    return cmd


def _describe_command(cmd: Command) -> str:
    parts = []
    if cmd.vx:
        parts.append(f"{abs(cmd.vx):.2g} m/s {'forward' if cmd.vx > 0 else 'backward'}")
    if cmd.vy:
        parts.append(f"{abs(cmd.vy):.2g} m/s to the {'left' if cmd.vy > 0 else 'right'}")
    if cmd.yaw:
        parts.append(f"turning {'left' if cmd.yaw > 0 else 'right'} at {abs(cmd.yaw):.2g} rad/s")
    return ", ".join(parts) or "standing"


# --------------------------------------------------------------------------- measured gait rigs
#
# A few seconds of PPO cannot discover a gait from a velocity reward alone, but it learns to
# track a joint rhythm quickly (a policy sees a phase clock). So for robots measured here, one
# approach rewards tracking an open-loop rhythm that, played back in MuJoCo on that robot,
# already trots forward, turns on the spot or pronks: the task term then only has to refine it.
# Phases are aligned with foot_contact_pattern, which also sets the policy's clock.


@dataclasses.dataclass(frozen=True)
class GaitRig:
    """Measured joint rhythms for one quadruped. Legs are named FR/FL/RR/RL; each leg group lists
    abduction, thigh, calf (indices ``abd``, ``thigh``, ``calf``)."""

    legs: dict[str, str]  # FR/FL/RR/RL -> leg group
    trot: tuple[float, float, float, float]  # f (Hz), thigh amp, calf amp, calf lead: walks ~0.44 m/s open-loop
    run: tuple[float, float, float, float]  # ~0.95 m/s open-loop
    pace: tuple[float, float, float, float]  # ~0.36 m/s open-loop; thighs via joint_sine(pace_group, alternate)
    pace_group: str  # a thigh group whose "alternate" pattern pairs the legs of one side
    trot_turn: tuple[float, float, float, float]  # f, thigh amp, calf amp, abduction amp: ~1.1 rad/s
    wave_turn: tuple[float, float, float]  # f, abduction amp, calf amp: ~1.15 rad/s clockwise
    pronk: tuple[float, float, float]  # f, thigh amp, calf amp
    abd: int = 0
    thigh: int = 1
    calf: int = 2


_PI = 3.141592653589793
# Phases in radians per leg. Trot and pronk match foot_contact_pattern's timing (measured), so the
# contact term and the joint rhythm agree; pace matches joint_sine's "alternate" over the pace group.
_TROT = {"FL": 0.0, "RR": 0.0, "FR": _PI, "RL": _PI}
_PACE = {"FR": 0.0, "RR": 0.0, "FL": _PI, "RL": _PI}
_WAVE = {"FR": 0.0, "FL": _PI / 2, "RR": _PI, "RL": 3 * _PI / 2}
_MIRROR = {"FR": "FL", "FL": "FR", "RR": "RL", "RL": "RR"}
_FRONT = {"FR": True, "FL": True, "RR": False, "RL": False}

GAIT_RIGS: dict[str, GaitRig] = {
    "go1": GaitRig(
        legs={"FR": "front_right_leg", "FL": "front_left_leg", "RR": "rear_right_leg", "RL": "rear_left_leg"},
        trot=(2.0, 0.35, 0.3, _PI / 2), run=(2.5, 0.35, 0.3, _PI / 3), pace=(3.0, 0.3, 0.3, _PI / 2),
        pace_group="hip", trot_turn=(3.5, 0.2, 0.2, 0.2), wave_turn=(2.0, 0.3, 0.25), pronk=(3.0, 0.2, 0.4)),
}


def _rig(ctx: Ctx) -> GaitRig | None:
    rig = GAIT_RIGS.get(ctx.profile.robot)
    if rig is None or not all(g in ctx.groups for g in [*rig.legs.values(), rig.pace_group]):
        return None
    return rig


def _wave(amp: float, hz: float, phase: float) -> str:
    """'+ 0.35 * sin(12.5664 * t + 3.142)' (phase in radians, wrapped)."""
    phase = phase % (2 * _PI)
    inner = f"{2 * _PI * hz:.6g} * t" + (f" + {phase:.4g}" if abs(phase) > 1e-6 else "")
    sign = "-" if amp < 0 else "+"
    return f"{sign} {abs(amp):.3g} * sin({inner})"


def _track_expr(targets: list[tuple[str, int, float, float]], hz: float, sigma2: float) -> str:
    """A bump around joint targets: exp(-sum((q_group[i] - amp sin(w t + phase))^2) / sigma2)."""
    squares = []
    for group, index, amp, phase in targets:
        w = _wave(amp, hz, phase)
        flipped = ("+ " + w[2:]) if w.startswith("-") else ("- " + w[2:])  # q - target
        squares.append(f"square(q_{group}[{index}] {flipped})")
    return f"exp(-({' + '.join(squares)}) / {sigma2:g})"


def _leg_rhythm(rig: GaitRig, joint: str, phases: dict[str, float], amp: Callable[[str], float], hz: float,
                lead: float, weight: float, sigma2: float, mirror: bool = False) -> dict[str, Any]:
    """An expression tracking one joint of every leg; ``mirror`` swaps left and right (and abduction sign)."""
    index = {"abd": rig.abd, "thigh": rig.thigh, "calf": rig.calf}[joint]
    targets = []
    for leg, phase in phases.items():
        a = amp(leg)
        if mirror:
            leg, a = _MIRROR[leg], (-a if joint == "abd" else a)
        targets.append((rig.legs[leg], index, a, phase + lead))
    return E(_track_expr(targets, hz, sigma2), weight)


_RIG_NOTE = ("The joint rhythm was measured to {what} this robot when played back open-loop in MuJoCo; "
             "tracking it gives PPO a gait to refine. Expect it to need about 150k steps.")


def rig_walk(rig: GaitRig, cmd: Command) -> list[Draft]:
    """Trot and pace scaffolds for walking forward."""
    hz, a_th, a_ca, lead = rig.run if cmd.vx > 0.7 else rig.trot
    trot = Draft(
        "Trot Rhythm", f"Track a measured trot at {hz:g} Hz (diagonal legs together, calves leading thighs) "
        f"with a speed reward toward {cmd.vx:.2g} m/s",
        [T("foot_contact_pattern", 0.5, pattern="trot", frequency_hz=hz),
         _leg_rhythm(rig, "thigh", _TROT, lambda leg: a_th, hz, 0.0, 1.0, 0.15),
         _leg_rhythm(rig, "calf", _TROT, lambda leg: a_ca, hz, lead, 1.0, 0.12),
         T("forward_speed", 1.5, target=cmd.vx)],
        [T("upright", 1.0), T("base_height", 0.3, ratio=cmd.height, sigma=0.1), T("action_rate", RATE)], moves=True,
        note="Main terms: expressions tracking a trot rhythm, its foot-contact timing, and forward_speed. "
             + _RIG_NOTE.format(what="walk"))
    hz, a_th, a_ca, lead = rig.pace
    pace = Draft(
        "Pace Rhythm", f"Swing the legs of each side together (a pace) at {hz:g} Hz, calves a quarter-cycle ahead, "
        f"with a speed reward toward {cmd.vx:.2g} m/s",
        [T("joint_sine", 2.0, group=rig.pace_group, amplitude=a_th, frequency_hz=hz, pattern="alternate", sigma=0.2),
         _leg_rhythm(rig, "calf", _PACE, lambda leg: a_ca, hz, lead, 1.5, 0.16),
         T("forward_speed", 1.5, target=cmd.vx)],
        [T("upright", 1.0), T("base_height", 0.3, ratio=cmd.height, sigma=0.1), T("action_rate", RATE)], moves=True,
        note="Main terms: joint_sine on the thighs (alternate = one side, then the other), an expression for the "
             "calves, and forward_speed. " + _RIG_NOTE.format(what="walk"))
    return [trot, pace]


def rig_spin(rig: GaitRig, yaw: float) -> list[Draft]:
    """Two turning scaffolds: a rotating abduction wave, and a trot whose front and rear feet push apart."""
    way = "counter-clockwise" if yaw > 0 else "clockwise"
    hz, a_abd, a_ca = rig.wave_turn
    ccw = yaw > 0  # measured clockwise; the mirror image turns the other way
    wave = Draft(
        "Stepping Turn", f"Track a measured rotating wave of the hip abduction and calf joints at {hz:g} Hz "
        f"that turns the body {way} on the spot",
        [T("foot_contact_pattern", 0.3, pattern="trot", frequency_hz=hz),
         _leg_rhythm(rig, "abd", _WAVE, lambda leg: a_abd, hz, 0.0, 2.0, 0.16, mirror=ccw),
         _leg_rhythm(rig, "calf", _WAVE, lambda leg: a_ca, hz, -_PI / 2, 1.5, 0.12, mirror=ccw),
         T("spin", 1.5, yaw_rate=yaw)],
        [T("stay_in_place", 1.0, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: expressions tracking an abduction/calf wave, and spin. " + _RIG_NOTE.format(what="turn"))
    hz, a_th, a_ca, a_abd = rig.trot_turn
    lead = -_PI / 2 if yaw > 0 else _PI / 2  # the abduction rhythm's phase sets the direction
    trot = Draft(
        "Trot Turn", f"Trot in place at {hz:g} Hz while front and rear feet push sideways in opposite directions, "
        f"turning {way}",
        [T("foot_contact_pattern", 0.5, pattern="trot", frequency_hz=hz),
         _leg_rhythm(rig, "abd", _TROT, lambda leg: a_abd if _FRONT[leg] else -a_abd, hz, lead, 1.0, 0.08),
         _leg_rhythm(rig, "thigh", _TROT, lambda leg: a_th, hz, 0.0, 0.5, 0.08),
         _leg_rhythm(rig, "calf", _TROT, lambda leg: a_ca, hz, _PI / 2, 0.5, 0.08),
         T("spin", 1.5, yaw_rate=yaw)],
        [T("stay_in_place", 1.0, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
        note="Main terms: expressions tracking a trot with opposed abduction, its foot-contact timing, and spin. "
             + _RIG_NOTE.format(what="turn"))
    return [wave, trot]


def rig_pronk(rig: GaitRig, height: float, travel: list[dict[str, Any]], moves: bool) -> Draft:
    hz, a_th, a_ca = rig.pronk
    return Draft(
        "Pronk Rhythm", f"Track a measured pronk at {hz:g} Hz: all legs flex and extend together so every foot "
        "leaves the ground",
        [T("foot_contact_pattern", 0.5, pattern="pronk", frequency_hz=hz),
         _leg_rhythm(rig, "calf", {leg: 0.0 for leg in rig.legs}, lambda leg: a_ca, hz, 0.0, 1.5, 0.15),
         _leg_rhythm(rig, "thigh", {leg: 0.0 for leg in rig.legs}, lambda leg: a_th, hz, 0.0, 0.75, 0.08),
         T("jump", 1.0, height=height), T("air_time", 1.0, all_feet=True)],
        [T("upright", 1.0)] + travel + [T("action_rate", RATE / 2)], moves=moves,
        note="Main terms: expressions tracking a pronking rhythm, its foot-contact timing, jump and air_time. "
             + _RIG_NOTE.format(what="hop"))


def legged_locomote(ctx: Ctx, cmd: Command) -> list[Draft]:
    what = _describe_command(cmd)
    top = max(abs(cmd.vx), abs(cmd.vy), 0.3 * abs(cmd.yaw))
    extras: list[dict[str, Any]] = []
    if cmd.high_steps and ctx.feet:
        extras.append(E("clip(mean(feet_height) * 10, 0, 1)", 0.5))
    if cmd.roll_sway:
        extras.append(T("base_oscillation", 0.5, axis="roll", amplitude=cmd.roll_sway * ctx.mods.size,
                        frequency_hz=cmd.gait_hz))
    v1 = Draft(
        "Velocity Tracker", f"Track a joystick-style command: {what}",
        [T("track_velocity", 2.0, vx=cmd.vx, vy=cmd.vy, yaw_rate=cmd.yaw, sigma=max(0.5, 0.5 * top))] + extras,
        [T("upright", 0.5), T("base_height", 0.5, ratio=cmd.height, sigma=0.1), T("action_rate", RATE)],
        moves=True, note="Main term: track_velocity, a smooth bump around the commanded velocity.")
    main2: list[dict[str, Any]] = []
    if cmd.vx:
        main2.append(T("forward_speed", 1.5, target=cmd.vx))
    if cmd.vy:
        main2.append(E(f"clip(lateral_speed / {_num(cmd.vy)}, -1, 1)", 1.5))
    if cmd.yaw:
        main2.append(T("spin", 0.75 if (cmd.vx or cmd.vy) else 1.5, yaw_rate=cmd.yaw))
    if ctx.feet:
        main2.append(T("foot_contact_pattern", 0.5, pattern=cmd.gait, frequency_hz=cmd.gait_hz))
    v2 = Draft(
        f"{_gait_name(cmd.gait)} Gait", f"Speed reward plus a {cmd.gait} foot-contact rhythm at {cmd.gait_hz:.2g} Hz",
        main2 + extras, [T("upright", 1.0), T("base_height", 0.3, ratio=cmd.height, sigma=0.1), T("action_rate", RATE)],
        moves=True, note="Main terms: linear speed reward and foot-contact timing of a gait.")
    main3: list[dict[str, Any]] = []
    if cmd.vx:
        main3.append(E(f"clip(forward_speed / {_num(cmd.vx)}, -1, 1.2)", 1.5))
    if cmd.vy:
        main3.append(E(f"clip(lateral_speed / {_num(cmd.vy)}, -1, 1.2)", 1.5))
    if cmd.yaw:
        main3.append(E(f"clip(yaw_rate / {_num(cmd.yaw)}, -1, 1.2)", 1.0 if (cmd.vx or cmd.vy) else 1.5))
    straight = []
    if not cmd.vy:
        straight.append("abs(lateral_speed)")
    if not cmd.yaw:
        straight.append("0.3 * abs(yaw_rate)")
    if straight:
        main3.append(E("-" + " - ".join(straight), 0.5))
    label = "Straight-Line Drive" if not cmd.yaw else "Heading Drive"
    rig = _rig(ctx)
    if rig is not None and cmd.vx > 0 and not cmd.vy and not cmd.yaw and cmd.gait in ("trot", "walk", "pace"):
        return rig_walk(rig, cmd) + [v1]
    v3 = Draft(
        label, f"Expression-shaped velocity ({what}) with a level, steady body",
        main3, [T("base_orientation", 0.5, roll=0.0, pitch=0.0, sigma=0.3),
                T("base_height", 0.3, ratio=cmd.height, sigma=0.1), T("alive", 0.5), T("action_rate", RATE)],
        moves=True, note="Main terms: safe expressions over forward_speed / lateral_speed / yaw_rate; "
                         "an alive bonus offsets their negative values so falling never pays.")
    return [v1, v2, v3]


def legged_spin(ctx: Ctx, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    sign = ctx.mods.rotation or (1 if ctx.side("left", "spinning left (counter-clockwise)") == "left" else -1)
    yaw = _clamp(sign * p.get("yaw", 1.5) * ctx.mods.speed * (0.7 if ctx.biped else 1.0), -4.0, 4.0)
    way = "counter-clockwise" if yaw > 0 else "clockwise"
    v1 = Draft("Spin Tracker", f"Track a pure turning command: {abs(yaw):.2g} rad/s {way}, no travel",
               [T("track_velocity", 2.0, vx=0.0, vy=0.0, yaw_rate=yaw, sigma=1.0)],
               [T("stay_in_place", 0.5, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
               note="Main term: track_velocity with zero linear speed and a yaw-rate command.")
    main2 = [T("spin", 2.0, yaw_rate=yaw)]
    if ctx.feet:
        main2.append(T("foot_contact_pattern", 0.3, pattern="walk" if ctx.biped else "trot", frequency_hz=2.5))
    v2 = Draft("Turntable", f"Linear reward for turning {way}, stepping in place to rotate",
               main2, [T("stay_in_place", 1.0, radius=0.3), T("upright", 0.5), T("action_rate", RATE)],
               note="Main term: spin (rises linearly to 1 at the target rate); stay_in_place keeps it on the spot.")
    rig = _rig(ctx)
    if rig is not None:
        return rig_spin(rig, yaw) + [v1]
    v3 = Draft("Yaw Drive", f"Expression on the turning rate ({way}) with a penalty on drifting away",
               [E(f"clip(yaw_rate / {_num(yaw)}, -1, 1.3)", 1.5), E("-clip(drift, 0, 2)", 1.0)],
               [T("base_height", 0.5, ratio=1.0, sigma=0.1), T("upright", 0.5), T("alive", 0.5),
                T("action_rate", RATE)],
               note="Main terms: safe expressions over yaw_rate and drift.")
    return [v1, v2, v3]


def legged_jump(ctx: Ctx, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    height = _clamp(p.get("height", 0.1) * ctx.mods.size * (1.3 if ctx.mods.level == "high" else 1.0), 0.03, 0.4)
    hz = _clamp(p.get("hz", 2.0) * ctx.mods.speed, 0.8, 4.0)
    travel: list[dict[str, Any]]
    moves = bool(ctx.mods.direction)
    if moves:
        travel = [T("forward_speed", 0.5, target=0.4 * (ctx.mods.direction or 1))]
    else:
        travel = [T("stay_in_place", 0.5, radius=0.3)]
    rate = RATE / 2  # jumping needs sharp actions
    word = "Pronk Jumper" if ctx.category == "quadruped" else "Two-Foot Jumper"
    v1 = Draft(word, f"Rise {height:.2g} m above standing height with every foot off the ground",
               [T("jump", 2.0, height=height), T("air_time", 1.0, all_feet=True)],
               [T("upright", 1.0)] + travel + [T("action_rate", rate)], moves=moves,
               note="Main terms: jump (height above standing + upward speed) and air_time with all feet off.")
    main2 = [T("base_oscillation", 1.5, axis="height", amplitude=max(0.03, 0.6 * height), frequency_hz=hz)]
    if ctx.feet:
        main2 += [T("foot_contact_pattern", 1.0, pattern="pronk", frequency_hz=hz), T("air_time", 0.5, all_feet=False)]
    v2 = Draft("Bounce Rhythm", f"Bob the body up and down at {hz:.2g} Hz, all feet landing together",
               main2, [T("upright", 1.0)] + travel + [T("action_rate", rate)], moves=moves,
               note="Main terms: base_oscillation on height and a pronking foot-contact rhythm.")
    main3 = [E("clip(vertical_speed, 0, 1.5)", 1.0)]
    if ctx.feet:
        main3.append(E("mean(feet_contact) < 0.01", 1.5))
    else:
        main3.append(E(f"clip((base_height - standing_height) / {_num(height)}, 0, 1.5)", 1.5))
    v3 = Draft("Launch Pad", "Expressions reward pushing upward fast and moments with no foot on the ground",
               main3, [T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.3)] + travel
               + [T("alive", 0.3), T("action_rate", rate)], moves=moves,
               note="Main terms: safe expressions over vertical_speed and feet_contact.")
    rig = _rig(ctx)
    if rig is not None:
        return [rig_pronk(rig, height, travel, moves), v1, v3]
    return [v1, v2, v3]


_PART_LABEL = {"hips": "Hip", "rear": "Rear", "head": "Head", "body": "Body", "all": "Full Body", "arm": "Arm",
               "leg": "Leg", "paw": "Paw", "wrist": "Wrist", "fingers": "Finger", "elbow": "Elbow",
               "shoulder": "Shoulder", "knee": "Knee", "hand": "Hand", "thumb": "Thumb", "index": "Index Finger"}


def _legged_part_group(ctx: Ctx, part: str) -> str | None:
    quad = ctx.category == "quadruped"
    side = ctx.mods.side
    table: dict[str, tuple[str | None, ...]] = {
        "hips": ("hip_abduction",) if quad else ("hip_roll", "hip", "legs"),
        "rear": ("rear_legs", "hip") if quad else ("hip", "legs"),
        "head": ("head",) if not quad else (),
        "body": (),
        "all": ("all",),
        "leg": (f"{side}_legs" if side and quad else None, f"{side}_leg" if side else None, "hip", "legs"),
        "paw": ("front_legs",),
        "knee": ("knee",),
        "arm": (f"{side}_arm" if side else None, "arms"),
        "hand": (f"{side}_arm" if side else None, "arms"),
        "fingers": ("arms",), "wrist": ("arms",), "elbow": ("elbows", "arms"), "shoulder": ("shoulders", "arms"),
    }
    return ctx.group(*table.get(part, ()))


_BASE_AMP = {"height": 0.04, "roll": 0.15, "pitch": 0.12, "yaw": 0.25}


def legged_rhythm(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    part = next((q for q in ctx.parts if q in ("hips", "rear", "head", "body", "all", "leg", "knee", "arm", "hand")),
                p.get("part", "hips"))
    amp = _clamp(p.get("amp", 0.3) * ctx.mods.size, 0.05, 0.8)
    hz = _clamp(p.get("hz", 1.5) * ctx.mods.speed, 0.4, 5.0)
    axis = p.get("axis", "roll")
    if ctx.mods.axis == "vertical":
        axis = "height"
    elif ctx.mods.axis in ("lateral", "horizontal"):
        axis = "roll" if axis == "height" else axis
    base_amp = _BASE_AMP[axis] * ctx.mods.size
    group = _legged_part_group(ctx, part)
    label = _PART_LABEL.get(part, part.title())
    verb = _title(intent.label)
    stay = [T("stay_in_place", 1.0, radius=0.2)]  # shaking in place tends to slide the feet
    planted = [T("foot_contact_pattern", 0.3, pattern="stand", frequency_hz=1.0)] if ctx.feet else []
    if p.get("dance"):
        hips = ctx.group(*(_legged_part_group(ctx, "hips"),)) or "all"
        v1 = Draft("Dance Groove", f"Hips swinging at {hz:.2g} Hz while the body bobs to the beat",
                   [T("joint_sine", 2.0, group=hips, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.2),
                    T("base_oscillation", 0.75, axis="height", amplitude=0.03 * ctx.mods.size, frequency_hz=hz)],
                   [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
                   note=f"Main terms: joint_sine on {hips} plus a small height bob at the same tempo.")
        v2 = Draft("Dance Rhythm", "Rhythmic full-body movement: body rocking side to side, feet stepping in place",
                   [T("base_oscillation", 1.5, axis="roll", amplitude=0.12 * ctx.mods.size, frequency_hz=hz / 2)]
                   + ([T("foot_contact_pattern", 0.75, pattern="walk" if ctx.biped else "trot", frequency_hz=hz)]
                      if ctx.feet else []),
                   [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
                   note="Main terms: base_oscillation (roll) and a stepping foot-contact rhythm.")
        v3 = Draft("Full Body Wave", "Coordinate all joints in a travelling wave",
                   [T("joint_sine", 1.5, group="all", amplitude=0.6 * amp, frequency_hz=hz, pattern="wave", sigma=0.25),
                    E("clip(mean(abs(qd)), 0, 3)", 0.2)],
                   [T("upright", 1.0), T("base_height", 0.3, ratio=1.0, sigma=0.1)] + stay + [T("action_rate", RATE)],
                   note="Main terms: joint_sine over every joint with spread phases, and a reward for moving.")
        return [v1, v2, v3]
    if group:
        main1 = [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.2)]
        note1 = f"Main term: joint_sine on {group}, ±{amp:.2g} rad at {hz:.2g} Hz."
    else:
        main1 = [T("base_oscillation", 2.0, axis=axis, amplitude=base_amp, frequency_hz=hz)]
        note1 = f"Main term: base_oscillation ({axis}), ±{base_amp:.2g} at {hz:.2g} Hz."
    focus = f"Focus on {label.lower()} {'joint ' if group else ''}{_gerund(verb)}" if label != "Full Body" else (
        f"Whole-body {_gerund(verb)}")
    v1 = Draft(f"{label} Oscillator" if label != "Full Body" else f"{verb} Oscillator", focus[:200], main1,
               [T("upright", 1.0), T("base_height", 0.3, ratio=1.0, sigma=0.1)] + stay + [T("action_rate", RATE)],
               note=note1)
    main2 = [T("base_oscillation", 1.5, axis=axis, amplitude=base_amp, frequency_hz=hz)]
    if group:
        main2.append(T("joint_sine", 0.75, group=group, amplitude=0.8 * amp, frequency_hz=hz, pattern="alternate",
                       sigma=0.25))
    v2 = Draft(f"{verb} Rhythm", f"Rhythmic body movement: the base {_AXIS_WORD[axis]} at {hz:.2g} Hz, feet planted",
               main2 + planted, [T("upright", 0.5)] + stay + [T("action_rate", RATE)],
               note=f"Main term: base_oscillation on {axis}, with the feet kept on the ground.")
    other = ctx.group("legs", "hip", "all") if ctx.biped else "all"
    main3 = [T("joint_sine", 1.5, group=other, amplitude=0.6 * amp, frequency_hz=hz, pattern="wave", sigma=0.25)]
    if group and group != other:
        main3.append(T("joint_sine", 0.75, group=group, amplitude=amp, frequency_hz=hz, pattern="wave", sigma=0.25))
    motion = f"qd_{group}" if group else "qd"
    main3.append(E(f"clip(mean(abs({motion})), 0, 3)", 0.2))
    v3 = Draft(f"Full Body {verb}" if label != "Full Body" else f"{verb} Wave",
               f"Coordinate {'all' if other == 'all' else 'the leg'} joints in a wave while {_gerund(verb)}",
               main3, [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
               note=f"Main terms: joint_sine with spread phases over '{other}', plus a reward for joint speed.")
    return [v1, v2, v3]


_AXIS_WORD = {"height": "bobbing up and down", "roll": "rocking side to side", "pitch": "rocking nose up and down",
              "yaw": "twisting left and right"}


def legged_stomp(ctx: Ctx, recipe: Recipe) -> list[Draft]:
    hz = _clamp(recipe.params.get("hz", 1.5) * ctx.mods.speed, 0.8, 4.0)
    gait = "walk" if ctx.biped else "trot"
    stay = [T("stay_in_place", 1.0, radius=0.3)]
    v1 = Draft("Stomp in Place", f"Lift and plant the feet in a {gait} rhythm at {hz:.2g} Hz without travelling",
               [T("foot_contact_pattern", 1.5, pattern=gait, frequency_hz=hz),
                E("clip(mean(feet_height) * 10, 0, 1)", 0.5)],
               [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
               note="Main terms: foot-contact timing and a reward for foot height.")
    knee = ctx.group("knee", "legs", "all") or "all"
    v2 = Draft("Knee Pump", f"Pump the knees alternately at {hz:.2g} Hz",
               [T("joint_sine", 1.5, group=knee, amplitude=0.3 * ctx.mods.size, frequency_hz=hz, pattern="alternate")],
               [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
               note=f"Main term: joint_sine on {knee}, alternating.")
    v3 = Draft("Step Beat", "Step to a slower walking beat while the body bobs",
               [T("foot_contact_pattern", 1.0, pattern="walk", frequency_hz=hz * 0.75),
                T("base_oscillation", 0.5, axis="height", amplitude=0.02, frequency_hz=hz * 0.75)],
               [T("upright", 1.0)] + stay + [T("action_rate", RATE)],
               note="Main terms: a four-beat foot-contact pattern and a small height bob.")
    return [v1, v2, v3]


def legged_posture(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = dict(recipe.params)
    pose = p.get("pose", intent.label.lower())
    ratio, roll, pitch = p.get("height", 1.0), p.get("roll", 0.0), p.get("pitch", 0.0)
    risky = bool(p.get("risky"))
    quad = ctx.category == "quadruped"
    if not quad:  # humanoids: pitch poses become bends, sitting is a deep squat
        if intent.key == "sit":
            ratio, pitch = 0.65, 0.0
        elif intent.key in ("rear_up", "handstand"):
            ratio, pitch = 1.0, (-0.15 if intent.key == "rear_up" else 0.5)
            ctx.note(f"A humanoid cannot {pose} like a quadruped; aiming at a {'slight lean back' if pitch < 0 else 'forward bend'}.")
        elif intent.key in ("bow", "stretch"):
            ratio, pitch = 0.95, 0.45
    if p.get("sided"):
        if ctx.mods.direction:
            roll, pitch = 0.0, 0.25 * ctx.mods.direction
        else:
            roll = abs(roll) * (1 if ctx.side("right", "leaning to the right") == "right" else -1)
    if ctx.mods.level == "low" and ratio <= 1.0:
        ratio *= 0.9
    elif ctx.mods.level == "high" and intent.key in ("stand_up", "stand_tall", "balance", "stay_still"):
        ratio = max(ratio, 1.05)
    floor = ctx.profile.fall_height_ratio + 0.07
    if ratio < floor:
        ctx.note(f"{ctx.robot} counts a base below {ctx.profile.fall_height_ratio:.0%} of its standing height as a fall, "
                 f"so '{pose}' aims at {floor:.0%}.")
        ratio = floor
    ratio = _f(ratio)
    tilted = abs(roll) > 0.15 or abs(pitch) > 0.15
    lowered = ratio < 0.95
    title = _title(intent.label) if intent.key != "stay_still" else "Still"
    alive = [T("alive", 0.5)] if risky else []
    posture_w = 2.0 if tilted else 1.0
    up = [] if tilted else [T("upright", 0.5)]
    angles = ", ".join(f"{n} {v:+.2g} rad" for n, v in (("roll", roll), ("pitch", pitch)) if abs(v) > 0.05)
    v1 = Draft(f"{title} Hold", f"Hold the {pose} pose: base at {ratio:.0%} of standing height"
               + (f", {angles}" if angles else ""),
               [T("base_height", 2.0, ratio=ratio, sigma=0.08),
                T("base_orientation", posture_w, roll=roll, pitch=pitch, sigma=0.25)],
               up + [T("stay_in_place", 0.5, radius=0.3)] + alive + [T("action_rate", RATE)],
               note="Main terms: base_height and base_orientation kernels around the target pose.")
    main2: list[dict[str, Any]] = []
    if ratio < 0.97:
        main2.append(E(f"clip((1 - base_height / standing_height) / {_num(1 - ratio)}, -1, 1)", 2.0))
    elif ratio > 1.03:
        main2.append(E(f"clip((base_height / standing_height - 1) / {_num(ratio - 1)}, -1, 1)", 2.0))
    else:
        main2.append(E("1 - clip(abs(base_height / standing_height - 1) * 5, 0, 1)", 1.5))
    if abs(pitch) > 0.05:
        main2.append(E(f"clip(pitch / {_num(pitch)}, -1, 1)", 1.5))
    if abs(roll) > 0.05:
        main2.append(E(f"clip(roll / {_num(roll)}, -1, 1)", 1.5))
    if p.get("still"):
        main2.append(E("exp(-norm(qd))", 1.0))
    v2 = Draft(f"{title} Progress", "Linear progress toward the pose (lower, tilt) so every bit of motion counts"
               if (lowered or tilted) else "Reward staying at standing height with still joints",
               main2, up + [T("base_height", 0.5, ratio=ratio, sigma=0.15), T("joint_limits", -0.1),
                            T("stay_in_place", 0.5, radius=0.3)] + alive + [T("action_rate", RATE)],
               note="Main terms: clipped linear expressions over base_height / standing_height"
                    + (" and the base angles." if tilted else "."))
    main3 = [T("base_height", 1.5, ratio=ratio, sigma=0.12)]
    if ctx.feet and quad and intent.key in ("rear_up", "handstand"):
        front = intent.key == "rear_up"
        idx = [i for i, n in enumerate(ctx.feet) if _place(n)[0] == front]
        if idx:
            lift = " + ".join(f"feet_height[{i}]" for i in idx)
            main3.append(E(f"clip(({lift}) * {_num(5 / len(idx))}, 0, 1)", 1.5))
    elif ctx.feet:
        main3.append(E("mean(feet_contact)", 0.5))
    main3.append(T("base_orientation", posture_w, roll=roll, pitch=pitch, sigma=0.35))
    v3 = Draft(f"{title} Settle", f"Ease into the {pose} pose and settle: wide height target, feet "
               + ("lifted" if intent.key in ("rear_up", "handstand") and quad else "planted") + ", low energy",
               main3, [T("stay_in_place", 0.5, radius=0.3), T("energy", -0.002)] + alive
               + [T("action_rate", 2 * RATE)],
               note="Main terms: a wide base_height target, foot contacts and an energy penalty for stillness.")
    return [v1, v2, v3]


def legged_limb(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    limb = p.get("limb", "arm_or_front")
    amp = _clamp(p.get("amp", 0.4) * ctx.mods.size, 0.1, 1.0)
    hz = _clamp(p.get("hz", 1.0) * ctx.mods.speed, 0.3, 4.0)
    hold = bool(p.get("hold"))
    verb = _title(intent.label)
    if ctx.biped and ctx.ee and (limb == "arm_or_front" or {"arm", "hand"} & set(ctx.parts)) and "leg" not in ctx.parts:
        return _humanoid_arm(ctx, intent, amp, hz, hold)
    if ctx.biped:
        side = ctx.side("right", "using the right leg")
        group = ctx.group(f"{side}_leg", "legs", "hip") or "all"
        foot = _index_of(ctx.feet, None, side == "left")
        noun = f"{side.title()} Leg"
    else:
        position = ctx.mods.position or ("rear" if limb in ("leg_or_rear", "rear") else "front")
        if not ctx.mods.side:
            ctx.note(f"No side given: using the {position} right leg.")
        side = ctx.mods.side or "right"
        group = ctx.group(f"{position}_{side}_leg", f"{position}_legs", "all") or "all"
        foot = _index_of(ctx.feet, position == "front", side == "left")
        noun = "Paw" if position == "front" else "Hind Leg"
    lift_h = 0.1 if ctx.category == "quadruped" else 0.15
    v1 = Draft(f"{noun} {verb}", f"Swing the {noun.lower()} ({group}) at {hz:.2g} Hz while the body stays steady",
               [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.25)],
               _legged_support(ctx, height=1.0, height_w=0.5),
               note=f"Main term: joint_sine on {group}.")
    if foot is not None:
        lift = E(f"clip(feet_height[{foot}] / {_num(lift_h)}, 0, 1)", 2.0)
        v2 = Draft(f"Raised {noun}", f"Lift the {noun.lower()} about {lift_h:.2g} m off the ground and keep balance",
                   [lift], [T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.3),
                            T("stay_in_place", 0.5, radius=0.3), T("alive", 0.3), T("action_rate", RATE)],
                   note=f"Main term: an expression over feet_height[{foot}] ({ctx.feet[foot].split('@')[0]}).")
    else:
        v2 = Draft(f"Alternating {noun}", f"Alternate the {noun.lower()} joints at {hz:.2g} Hz",
                   [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="alternate")],
                   [T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.3), T("stay_in_place", 0.5, radius=0.3),
                    T("action_rate", RATE)], note=f"Main term: joint_sine on {group}, alternating.")
    main3 = [T("joint_sine", 1.5, group=group, amplitude=0.8 * amp, frequency_hz=hz * (0.5 if hold else 1.0),
               pattern="wave", sigma=0.3)]
    if foot is not None:
        main3.append(E(f"clip(feet_height[{foot}] / {_num(lift_h)}, 0, 1)", 1.0))
    v3 = Draft(f"{noun} Circles", f"Move the {noun.lower()} joints in a rolling wave so the {noun.lower()} circles",
               main3, [T("upright", 0.5), T("stay_in_place", 0.5, radius=0.3), T("action_rate", RATE)],
               note=f"Main term: joint_sine on {group} with spread phases.")
    return [v1, v2, v3]


def _humanoid_arm(ctx: Ctx, intent: vocab.Intent, amp: float, hz: float, hold: bool) -> list[Draft]:
    side = ctx.side("right", "using the right arm")
    group = ctx.group(f"{side}_arm", "arms", "all") or "all"
    idx = _index_of(ctx.ee, None, side == "left")
    idx = 0 if idx is None else idx
    support = [T("upright", 1.0), T("base_height", 0.5, ratio=1.0, sigma=0.1), T("stay_in_place", 0.5, radius=0.3),
               T("alive", 0.5), T("action_rate", RATE)]
    verb = _title(intent.label)
    v1 = Draft(f"Arm {verb}", f"Swing the {side} arm ({group}) at {hz:.2g} Hz, legs steady",
               [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.3)], support,
               note=f"Main term: joint_sine on {group}.")
    v2 = Draft(f"Hand Path {verb}", f"Move the {side} hand side to side in front of the body",
               [T("ee_path", 2.0, shape="line", plane="yz", radius=0.12 * ctx.mods.size, frequency_hz=min(hz, 3.0),
                  index=idx, sigma=0.1)], support,
               note=f"Main term: ee_path (line) for end effector {idx} ({ctx.ee[idx]}).")
    reach = E(f"clip(ee_pos[{idx}, 2] - base_height, -1, 1)", 1.0)
    v3 = Draft(f"Raised Hand {verb}", f"Raise the {side} hand and move the arm joints in a wave",
               [reach, T("joint_sine", 1.0, group=group, amplitude=0.6 * amp, frequency_hz=hz, pattern="wave",
                         sigma=0.3)], support,
               note="Main terms: hand height above the base, and joint_sine with spread phases.")
    return [v1, v2, v3]


def legged_default(ctx: Ctx) -> list[Draft]:
    hips = _legged_part_group(ctx, "hips") or "all"
    v1 = Draft("Stand Tall", "A stable, tall stance with level body",
               [T("base_height", 2.0, ratio=1.0, sigma=0.08), T("base_orientation", 1.0, roll=0.0, pitch=0.0, sigma=0.25)],
               [T("upright", 0.5), T("stay_in_place", 0.5, radius=0.3), T("action_rate", RATE)],
               note="Main terms: base_height and base_orientation at the standing pose.")
    v2 = Draft("Gentle Sway", "Stand and sway the body gently from side to side",
               [T("base_oscillation", 1.5, axis="roll", amplitude=0.08, frequency_hz=0.5)],
               [T("upright", 1.0), T("stay_in_place", 0.5, radius=0.3), T("action_rate", RATE)],
               note="Main term: a slow, small base_oscillation (roll).")
    v3 = Draft("Easy Rhythm", f"Stand and move the {hips} joints in a slow, small rhythm",
               [T("joint_sine", 1.5, group=hips, amplitude=0.1, frequency_hz=0.8, pattern="sync")],
               [T("upright", 1.0), T("base_height", 0.5, ratio=1.0, sigma=0.1), T("stay_in_place", 0.5, radius=0.3),
                T("action_rate", RATE)], note=f"Main term: a gentle joint_sine on {hips}.")
    return [v1, v2, v3]


# --------------------------------------------------------------------------- arm and hand recipes


def _manip_ee(ctx: Ctx) -> int:
    if ctx.category == "hand":
        i = _finger_index(ctx.ee, "thumb" if "thumb" in ctx.parts else "index")
        return 0 if i is None else i
    if ctx.biped:
        i = _index_of(ctx.ee, None, ctx.side("right", "using the right hand") == "left")
        return 0 if i is None else i
    return 0


def _manip_scale(ctx: Ctx) -> float:
    """Path size (m) for this kind of robot: fingertips move centimetres, arms decimetres."""
    if ctx.category == "hand":
        return 0.02
    if ctx.category == "classic":
        return 0.06
    return 0.12 if ctx.biped else 0.15


def _manip_groups(ctx: Ctx) -> tuple[str, str]:
    """(big joints, small joints) for rhythm variants."""
    if ctx.category == "hand":
        return ctx.group("index", "fingers", "all") or "all", ctx.group("knuckles", "fingers", "all") or "all"
    if ctx.biped:
        side = ctx.mods.side or "right"
        return ctx.group(f"{side}_arm", "arms", "all") or "all", ctx.group("elbows", "arms", "all") or "all"
    big = ctx.group("shoulder", "arm", "all") or "all"
    small = ctx.group("wrist", "elbow", "arm", "all") or "all"
    return big, small


def _manip_support(ctx: Ctx) -> list[dict[str, Any]]:
    if ctx.biped:
        return [T("upright", 1.0), T("base_height", 0.5, ratio=1.0, sigma=0.1), T("stay_in_place", 0.5, radius=0.3),
                T("alive", 0.5), T("action_rate", RATE)]
    return [T("action_rate", RATE), T("joint_limits", -0.1)]


def _planar(ctx: Ctx) -> str | None:
    """Planar dm_control robots move in one plane only."""
    return {"reacher": "xy", "point_mass": "xy", "finger": "xz", "acrobot": "xz", "ball_in_cup": "xz"}.get(
        ctx.profile.robot)


def manip_path(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    shape = p.get("shape", "circle")
    if ctx.mods.axis == "vertical" and shape == "line":
        p = {**p, "vertical": True}
    if ctx.mods.axis == "lateral" and shape == "line":
        p = {**p, "plane": "yz"}
    if not ctx.ee:
        return manip_rhythm(ctx, intent, Recipe("rhythm", {"part": "all", "amp": 0.4, "hz": 0.8, "pattern": "wave"}))
    idx = _manip_ee(ctx)
    r = _clamp(_manip_scale(ctx) * ctx.mods.size, 0.01, 0.6)
    hz = _clamp(p.get("hz", 0.5) * ctx.mods.speed, 0.1, 3.0)
    planar = _planar(ctx)
    if planar:
        plane1 = plane2 = planar
    elif ctx.mods.axis == "horizontal" or p.get("plane") == "xy":
        plane1, plane2 = "xy", "xy"
    else:
        plane1 = p.get("plane", "yz")
        plane2 = "xz" if plane1 != "xz" else "yz"
    big, small = _manip_groups(ctx)
    name = {"circle": "Circle", "figure8": "Figure Eight", "line": "Line"}[shape]
    if p.get("wave"):
        name = "Wave"
    support = _manip_support(ctx)
    ee_name = ctx.ee[idx]
    if p.get("vertical"):
        v1 = Draft("Elevation Rhythm", f"Move the {ee_name} up and down by swinging the {small} joints",
                   [T("joint_sine", 2.0, group=small, amplitude=0.35 * ctx.mods.size, frequency_hz=hz * 2,
                      pattern="sync")], support, note=f"Main term: joint_sine on {small}.")
    else:
        what = (f"Sweep {ee_name} back and forth along a {2 * r * 100:.0f} cm line" if shape == "line" else
                f"Trace a {r * 100:.0f} cm {shape.replace('8', ' eight')} with {ee_name}")
        v1 = Draft(f"{name} Tracer", f"{what} in the {plane1} plane at {hz:.2g} cycles/s",
                   [T("ee_path", 3.0, shape=shape, plane=plane1, radius=r, frequency_hz=hz, index=idx,
                      sigma=max(0.01, 0.5 * r))], support,
                   note=f"Main term: ee_path ({shape}) for end effector {idx} ({ee_name}); the path starts where the "
                        "end effector starts.")
    v2 = Draft(f"{name} Joint Rhythm", f"Phase-shifted sines on {big} and {small} sweep the end effector around",
               [T("joint_sine", 2.0, group=big, amplitude=0.35 * ctx.mods.size, frequency_hz=hz, pattern="wave",
                  sigma=0.3),
                T("joint_sine", 0.75, group=small, amplitude=0.25 * ctx.mods.size, frequency_hz=hz, pattern="sync",
                  sigma=0.3)], support,
               note=f"Main terms: joint_sine on {big} (spread phases) and {small}.")
    shape3 = "circle" if p.get("vertical") else shape
    v3 = Draft(f"Smooth {name} {'Sweep' if shape3 == 'line' else 'Orbit'}", f"A smaller, slower {shape3} in the {plane2} plane, rewarded for moving smoothly",
               [T("ee_path", 2.0, shape=shape3, plane=plane2, radius=0.7 * r, frequency_hz=0.8 * hz, index=idx,
                  sigma=max(0.015, 0.7 * r)),
                E("clip(norm(qd), 0, 2)", 0.2)],
               [T("energy", -0.001)] + support,
               note="Main terms: ee_path in a second plane, a small reward for joint speed, an energy penalty.")
    return [v1, v2, v3]


def manip_rhythm(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    part = next((q for q in ctx.parts if q in ("wrist", "fingers", "elbow", "shoulder", "thumb", "index", "all")),
                p.get("part", "wrist"))
    table = {"wrist": ("wrist", "elbow", "arm"), "fingers": ("fingers", "non_thumb", "knuckles"),
             "elbow": ("elbow", "elbows"), "shoulder": ("shoulder", "shoulders"), "thumb": ("thumb",),
             "index": ("index",), "all": ("all",)}
    group = ctx.group(*table.get(part, ()), "all") or "all"
    amp = _clamp(p.get("amp", 0.3) * ctx.mods.size, 0.05, 1.0)
    hz = _clamp(p.get("hz", 1.0) * ctx.mods.speed, 0.2, 5.0)
    pattern = p.get("pattern", "sync")
    verb = _title(intent.label)
    label = _PART_LABEL.get(part, part.title()) if group != "all" else "Joint"
    support = _manip_support(ctx)
    v1 = Draft(f"{label} {verb}", f"{verb} the {group} joints: ±{amp:.2g} rad at {hz:.2g} Hz",
               [T("joint_sine", 2.0, group=group, amplitude=amp, frequency_hz=hz, pattern=pattern, sigma=0.25)],
               support, note=f"Main term: joint_sine on {group}.")
    big, small = _manip_groups(ctx)
    alt = next((g for g in (small, big, "all") if g != group), "all")
    if ctx.ee:
        idx = _manip_ee(ctx)
        r = _clamp(_manip_scale(ctx) * 0.6 * ctx.mods.size, 0.01, 0.5)
        main2 = [T("ee_path", 1.5, shape="line", plane=_planar(ctx) or "yz", radius=r, frequency_hz=min(hz, 3.0),
                   index=idx, sigma=max(0.01, 0.6 * r)),
                 T("joint_sine", 0.5, group=alt, amplitude=0.6 * amp, frequency_hz=hz, pattern="alternate")]
        v2 = Draft(f"{verb} Sweep", f"Sweep {ctx.ee[idx]} back and forth in time with the {verb.lower()}", main2, support,
                   note=f"Main terms: ee_path (line) for {ctx.ee[idx]} and joint_sine on {alt}.")
    else:
        v2 = Draft(f"Alternating {verb}", f"Alternate the {alt} joints at {hz:.2g} Hz",
                   [T("joint_sine", 2.0, group=alt, amplitude=amp, frequency_hz=hz, pattern="alternate")], support,
                   note=f"Main term: joint_sine on {alt}, alternating.")
    v3 = Draft(f"Whole {'Hand' if ctx.category == 'hand' else 'Arm'} {verb}",
               f"All joints {verb.lower()} in a travelling wave, rewarded for lively motion",
               [T("joint_sine", 1.5, group="all", amplitude=0.5 * amp, frequency_hz=hz, pattern="wave", sigma=0.3),
                E("clip(mean(abs(qd)), 0, 3)", 0.2)], [T("energy", -0.0005)] + support,
               note="Main terms: joint_sine over every joint with spread phases, and a reward for joint speed.")
    return [v1, v2, v3]


def manip_twist(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    sign = ctx.mods.rotation or (1 if (ctx.mods.side or "left") == "left" else -1)
    amp = _clamp(p.get("amp", 0.6) * ctx.mods.size, 0.1, 1.2)
    hz = _clamp(0.8 * ctx.mods.speed, 0.2, 4.0)
    wrist = ctx.group("wrist", "thumb", "fingers", "all") or "all"
    base = ctx.group("base_rotation", "shoulder", "knuckles", "all") or "all"
    support = _manip_support(ctx)
    spin_group = base if base != "all" else wrist
    v1 = Draft("Wrist Twist", f"Twist the {wrist} joints back and forth (±{amp:.2g} rad)",
               [T("joint_sine", 2.0, group=wrist, amplitude=amp, frequency_hz=hz, pattern="sync")], support,
               note=f"Main term: joint_sine on {wrist}.")
    v2 = Draft("Base Swivel", f"Swivel the {base} joints left and right",
               [T("joint_sine", 2.0, group=base, amplitude=amp, frequency_hz=hz * 0.75, pattern="sync"),
                T("joint_sine", 0.5, group=wrist, amplitude=0.5 * amp, frequency_hz=hz * 0.75, pattern="alternate")],
               support, note=f"Main terms: joint_sine on {base} and a counter-motion of {wrist}.")
    what = "Keep turning" if p.get("spin") else "Turn"
    v3 = Draft("Rotation Drive", f"{what} the {spin_group} joints {'counter-clockwise' if sign > 0 else 'clockwise'}",
               [E(f"clip({_num(sign)} * mean(qd_{spin_group}), -3, 3)", 1.0)] if spin_group != "all"
               else [E(f"clip({_num(sign)} * mean(qd), -3, 3)", 1.0)],
               [T("energy", -0.0005)] + support, note="Main term: an expression over joint velocity.")
    return [v1, v2, v3]


def manip_swing(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    amp = _clamp(recipe.params.get("amp", 0.6) * ctx.mods.size, 0.1, 1.2)
    hz = _clamp(0.6 * ctx.mods.speed, 0.2, 3.0)
    base = ctx.group("base_rotation", "shoulder", "knuckles", "all") or "all"
    big, small = _manip_groups(ctx)
    support = _manip_support(ctx)
    v1 = Draft("Pendulum Swing", f"Swing the {base} joints side to side (±{amp:.2g} rad)",
               [T("joint_sine", 2.0, group=base, amplitude=amp, frequency_hz=hz, pattern="sync")], support,
               note=f"Main term: joint_sine on {base}.")
    if ctx.ee:
        idx = _manip_ee(ctx)
        r = _clamp(_manip_scale(ctx) * 1.6 * ctx.mods.size, 0.01, 0.6)
        v2 = Draft("Wide Arc", f"Sweep {ctx.ee[idx]} along a wide horizontal line",
                   [T("ee_path", 2.0, shape="line", plane=_planar(ctx) or "xy", radius=r, frequency_hz=hz, index=idx,
                      sigma=max(0.015, 0.5 * r))], support, note="Main term: ee_path (line), wide and slow.")
    else:
        v2 = Draft("Alternating Swing", f"Alternate the {small} joints",
                   [T("joint_sine", 2.0, group=small, amplitude=amp, frequency_hz=hz, pattern="alternate")], support,
                   note=f"Main term: joint_sine on {small}.")
    v3 = Draft("Whip Swing", f"The {big} and {small} joints swing together with a phase lag, like a whip",
               [T("joint_sine", 1.5, group=big, amplitude=0.7 * amp, frequency_hz=hz, pattern="wave"),
                T("joint_sine", 0.75, group=small, amplitude=0.5 * amp, frequency_hz=hz, pattern="wave"),
                E("clip(mean(abs(qd)), 0, 3)", 0.2)], support,
               note="Main terms: joint_sine on two groups and a reward for joint speed.")
    return [v1, v2, v3]


def manip_reach(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    axis, sign = p.get("axis", "x"), p.get("sign", 1)
    if ctx.mods.level == "high":
        axis, sign = "z", 1
    elif ctx.mods.level == "low":
        axis, sign = "z", -1
    elif ctx.mods.side and axis == "x":
        axis, sign = "y", (1 if ctx.mods.side == "left" else -1)
    elif ctx.mods.direction:
        axis, sign = "x", ctx.mods.direction
    support = _manip_support(ctx)
    if not ctx.ee:
        return manip_rhythm(ctx, intent, Recipe("rhythm", {"part": "all", "amp": 0.3, "hz": 0.5}))
    idx = _manip_ee(ctx)
    ee = f"ee_pos[{idx}]"
    if axis == "far":
        coord = f"norm({ee}[0:2])"
        where = "far out from the base" if sign > 0 else "in close to the base"
    else:
        k = "xyz".index(axis)
        coord = f"ee_pos[{idx}, {k}]"
        where = {("x", 1): "forward", ("x", -1): "backward", ("y", 1): "to the left", ("y", -1): "to the right",
                 ("z", 1): "up high", ("z", -1): "down low"}[(axis, sign)]
    scale = 0.1 if ctx.category == "hand" else 1.0
    reach = E(f"clip({_num(sign / scale)} * {coord}, -2, 2)", 2.0)
    v1 = Draft(f"{_title(intent.label)} Drive", f"Move {ctx.ee[idx]} {where}: reward grows with the distance",
               [reach], support, note=f"Main term: an expression over {coord}.")
    plane = _planar(ctx) or ("yz" if axis == "y" else "xz" if axis in ("x", "far") else "xz")
    r = _clamp(_manip_scale(ctx) * ctx.mods.size, 0.01, 0.5)
    big, small = _manip_groups(ctx)
    if axis == "z":
        main2 = [T("joint_sine", 1.0, group=big, amplitude=0.3, frequency_hz=0.4, pattern="sync"),
                 E(f"clip({_num(sign / scale)} * {coord}, -2, 2)", 1.0)]
        note2 = f"Main terms: a slow joint_sine on {big} and the height expression."
    else:
        main2 = [T("ee_path", 2.0, shape="line", plane=plane, radius=r, frequency_hz=0.3, index=idx,
                   sigma=max(0.01, 0.6 * r)), E(f"clip({_num(sign / scale)} * {coord}, -2, 2)", 0.5)]
        note2 = "Main terms: ee_path (line) out and back, and the reach expression."
    v2 = Draft("Reach and Return", f"Reach {where} and back again in a slow rhythm", main2, support, note=note2)
    v3 = Draft("Gentle Reach", f"Reach {where} smoothly, paying for energy and fast joints",
               [E(f"clip({_num(sign / scale)} * {coord}, -1, 1)", 1.5), E("exp(-norm(qd))", 0.5)],
               [T("energy", -0.001)] + support, note="Main terms: a capped reach expression and a smoothness bonus.")
    return [v1, v2, v3]


def manip_grip(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    p = recipe.params
    close = bool(p.get("close", True))
    support = _manip_support(ctx)
    if ctx.category == "hand":
        return _hand_grip(ctx, intent, p, close, support)
    gripper = ctx.group("gripper")
    if gripper:  # a parallel gripper: finger joint positions in metres
        target = 0.0 if close else 0.04
        arm = ctx.group("arm", "all") or "all"
        word = "Close" if close else "Open"
        v1 = Draft(f"{word} Gripper", f"{word} the gripper and hold the arm steady",
                   [T("joint_pose", 2.0, group=gripper, targets=[target], sigma=0.01),
                    T("joint_pose", 0.5, group=arm, offset=0.0, sigma=0.5)], support,
                   note="Main term: joint_pose on the gripper finger.")
        v2 = Draft(f"Reach Down and {word}", f"Lower the gripper toward the table and {word.lower()} it",
                   [T("joint_pose", 1.5, group=gripper, targets=[target], sigma=0.01),
                    E("clip(-ee_pos[0, 2], -1, 0)", 1.0)], support,
                   note="Main terms: the gripper pose and an expression lowering the end effector.")
        v3 = Draft(f"Gentle {word}", f"{word} the gripper slowly with little energy",
                   [T("joint_pose", 1.5, group=gripper, targets=[target], sigma=0.02), E("exp(-norm(qd))", 0.5)],
                   [T("energy", -0.001)] + support, note="Main terms: a wider gripper pose target and a stillness bonus.")
        return [v1, v2, v3]
    ctx.note(f"{ctx.robot} has no gripper or fingers: '{intent.label.lower()}' becomes a reach "
             + ("down toward the table." if close else "up and out."))
    return manip_reach(ctx, intent, Recipe("reach", {"axis": "z", "sign": -1 if close else 1}))


def _hand_grip(ctx: Ctx, intent: vocab.Intent, p: dict[str, Any], close: bool,
               support: list[dict[str, Any]]) -> list[Draft]:
    fingers = ctx.group("non_thumb", "fingers", "all") or "all"
    thumb = ctx.group("thumb")
    knuckles = ctx.group("knuckles", "fingers", "all") or "all"
    index = ctx.group("index", "fingers", "all") or "all"
    th, ix = _finger_index(ctx.ee, "thumb"), _finger_index(ctx.ee, "index")
    offset = _clamp(0.8 * ctx.mods.size, 0.3, 1.4) if close else -0.3
    word = intent.label
    if p.get("pinch") and th is not None and ix is not None:
        v1 = Draft("Pinch Tips", "Bring the thumb tip and the index fingertip together",
                   [E(f"exp(-norm(ee_pos[{th}] - ee_pos[{ix}]) / 0.02)", 2.5)], support,
                   note="Main term: an expression over the thumb-index fingertip distance.")
        v2 = Draft("Pinch Pose", "Flex the index finger and the thumb toward each other",
                   [T("joint_pose", 1.5, group=index, offset=0.7, sigma=0.35)]
                   + ([T("joint_pose", 1.5, group=thumb, offset=0.7, sigma=0.35)] if thumb else []), support,
                   note="Main terms: joint_pose on the index finger and thumb.")
        v3 = Draft("Gentle Pinch", "Close the pinch slowly, other fingers relaxed",
                   [E(f"clip(1 - norm(ee_pos[{th}] - ee_pos[{ix}]) / 0.1, 0, 1)", 2.0), E("exp(-norm(qd))", 0.3)],
                   [T("energy", -0.0005)] + support,
                   note="Main terms: a linear closing reward on the fingertip distance and a stillness bonus.")
        return [v1, v2, v3]
    if close:
        v1 = Draft("Curl Fingers", f"{word}: flex every finger by about {offset:.2g} rad",
                   [T("joint_pose", 2.0, group=fingers, offset=offset, sigma=0.4)]
                   + ([T("joint_pose", 0.75, group=thumb, offset=0.6 * offset, sigma=0.4)] if thumb and not p.get(
                       "thumb_out") else []), support, note=f"Main term: joint_pose on {fingers}.")
    else:
        v1 = Draft("Open Palm", "Extend every finger and hold it open",
                   [T("joint_pose", 2.0, group=ctx.group("fingers", "all") or "all", offset=offset, sigma=0.25)], support,
                   note="Main term: joint_pose with extended fingers.")
    if th is not None and ix is not None:
        dist = f"norm(ee_pos[{th}] - ee_pos[{ix}])"
        expr = f"exp(-{dist} / 0.04)" if close else f"clip({dist} / 0.15, 0, 1)"
        v2 = Draft("Fingertip Huddle" if close else "Fingertip Spread",
                   "Bring the fingertips together" if close else "Spread the thumb and index fingertips apart",
                   [E(expr, 2.0)], support, note="Main term: an expression over fingertip distance.")
    else:
        v2 = Draft("Knuckle Bend", "Bend the knuckles",
                   [T("joint_pose", 2.0, group=knuckles, offset=offset, sigma=0.3)], support,
                   note=f"Main term: joint_pose on {knuckles}.")
    v3 = Draft(f"Slow {word}", f"{word} slowly: knuckles first, little energy",
               [T("joint_pose", 1.5, group=knuckles, offset=offset, sigma=0.3), E("exp(-norm(qd))", 0.3)],
               [T("energy", -0.0005)] + support, note=f"Main terms: joint_pose on {knuckles} and a stillness bonus.")
    return [v1, v2, v3]


def manip_still(ctx: Ctx, intent: vocab.Intent | None = None, recipe: Recipe | None = None) -> list[Draft]:
    support = _manip_support(ctx)
    big, small = _manip_groups(ctx)
    v1 = Draft("Hold Pose", "Hold the default pose steadily",
               [T("joint_pose", 2.0, group="all", offset=0.0, sigma=0.2)], support,
               note="Main term: joint_pose on every joint at the default pose.")
    v2 = Draft("Stillness", "Keep every joint still, paying for energy",
               [E("exp(-norm(qd))", 2.0)], [T("energy", -0.001)] + support,
               note="Main term: an expression rewarding low joint speed.")
    v3 = Draft("Soft Hold", f"Hold {big} and {small} near the default pose with a wide tolerance",
               [T("joint_pose", 1.5, group=big, offset=0.0, sigma=0.4),
                T("joint_pose", 0.5, group=small, offset=0.0, sigma=0.4)], [T("action_rate", -0.05)],
               note=f"Main terms: joint_pose on {big} and {small}.")
    return [v1, v2, v3]


def manip_default(ctx: Ctx) -> list[Draft]:
    support = _manip_support(ctx)
    big, small = _manip_groups(ctx)
    v1 = Draft("Hold Pose", "A steady default pose", [T("joint_pose", 2.0, group="all", offset=0.0, sigma=0.25)], support,
               note="Main term: joint_pose at the default pose.")
    if ctx.ee:
        idx = _manip_ee(ctx)
        r = 0.5 * _manip_scale(ctx)
        v2 = Draft("Gentle Circle", f"A small, slow circle with {ctx.ee[idx]}",
                   [T("ee_path", 1.5, shape="circle", plane=_planar(ctx) or "yz", radius=r, frequency_hz=0.25, index=idx,
                      sigma=max(0.01, r))], support, note="Main term: a small, slow ee_path circle.")
    else:
        v2 = Draft("Gentle Sway", f"Sway the {big} joints slowly",
                   [T("joint_sine", 1.5, group=big, amplitude=0.15, frequency_hz=0.4, pattern="sync")], support,
                   note=f"Main term: a slow joint_sine on {big}.")
    v3 = Draft("Slow Wave", "All joints move in a slow, small wave",
               [T("joint_sine", 1.5, group="all", amplitude=0.15, frequency_hz=0.5, pattern="wave")], support,
               note="Main term: a gentle joint_sine over every joint.")
    return [v1, v2, v3]


# --------------------------------------------------------------------------- classic (dm_control) recipes

_RUNNERS = {"cheetah", "walker", "hopper"}
_SWIMMERS = {"swimmer", "fish"}
_BALANCERS = {"cartpole", "pendulum", "acrobot"}


def classic_drafts(ctx: Ctx, hits: list[tuple[vocab.Intent, Recipe]]) -> list[Draft]:
    robot = ctx.profile.robot
    families = [r.family for _, r in hits]
    first = hits[0] if hits else None
    if robot in _RUNNERS | _SWIMMERS:
        if not hits or "locomote" in families:
            return classic_run(ctx, hits)
        if "jump" in families and robot in _RUNNERS:
            return classic_hop(ctx)
        if any(f in ("posture", "still") for f in families) and robot in _RUNNERS:
            return classic_stand(ctx)
        return classic_rhythm(ctx, first)
    if robot in _BALANCERS:
        if any(i.key in ("spin", "swing", "shake", "wiggle", "dance", "circle", "twist", "rock", "sway")
               for i, _ in hits):
            return classic_swing(ctx)
        return classic_balance(ctx)
    if first is not None and ctx.ee and first[1].family in ("path", "reach", "locomote", "spin", "rhythm", "limb",
                                                             "swing", "twist"):
        if first[1].family == "reach":
            return manip_reach(ctx, first[0], first[1])
        shape = first[1].params.get("shape", "circle") if first[1].family == "path" else "circle"
        return manip_path(ctx, first[0], Recipe("path", {"shape": shape}))
    if ctx.ee and not hits:
        return manip_path(ctx, INTENTS["circle"], Recipe("path", {"shape": "circle", "hz": 0.3}))
    if first is not None and first[1].family in ("still", "posture", "grip"):
        return manip_still(ctx)
    return classic_rhythm(ctx, first)


def classic_run(ctx: Ctx, hits: list[tuple[vocab.Intent, Recipe]]) -> list[Draft]:
    speed = max((r.params.get("speed", 0.5) for _, r in hits if r.family == "locomote"), default=0.5) or 0.5
    sign = -1 if (ctx.mods.direction == -1 or any(r.params.get("direction", 1) < 0 for _, r in hits)) else 1
    v = _f(_clamp(sign * 2.0 * speed * ctx.mods.speed, -4.0, 5.0))
    legs = ctx.group("legs", "leg", "hip", "body", "tail", "all") or "all"
    swimmer = ctx.profile.robot in _SWIMMERS
    pattern = "wave" if swimmer else "alternate"
    keep_up = [] if ctx.profile.robot == "cheetah" or swimmer else [T("upright", 0.5)]
    what = f"{abs(v):.2g} m/s {'forward' if v > 0 else 'backward'}"
    v1 = Draft("Speed Runner" if not swimmer else "Speed Swimmer", f"Move {what}: reward rises linearly with speed",
               [T("forward_speed", 2.0, target=v)], keep_up + [T("action_rate", RATE)],
               note="Main term: forward_speed.")
    v2 = Draft("Stride Rhythm" if not swimmer else "Body Wave",
               f"Drive the {legs} joints in {'a travelling wave' if swimmer else 'an alternating rhythm'} while moving {what}",
               [T("joint_sine", 0.75, group=legs, amplitude=0.4, frequency_hz=2.5 if not swimmer else 1.0,
                  pattern=pattern, sigma=0.4),
                E(f"clip(base_vel_world[0] / {_num(v)}, -1, 1.5)", 1.5)], keep_up + [T("action_rate", RATE)],
               note=f"Main terms: a speed expression and joint_sine on {legs}.")
    v3 = Draft("Momentum Drive", f"Expression-shaped speed ({what}) with a steady body and low energy",
               [E(f"clip(forward_speed / {_num(v)}, -1, 1.2) - 0.05 * abs(base_ang_vel[1])", 2.0)],
               keep_up + [T("energy", -0.0005), T("action_rate", RATE)],
               note="Main term: a safe expression over forward_speed and pitch rate.")
    return [v1, v2, v3]


def classic_hop(ctx: Ctx) -> list[Draft]:
    legs = ctx.group("leg", "legs", "hip", "all") or "all"
    v1 = Draft("Hop Up", "Push upward fast and rise above standing height",
               [E("clip(vertical_speed, 0, 2)", 1.5), E("clip(base_height / standing_height, 0, 1.5)", 1.0)],
               [T("upright", 0.5), T("action_rate", RATE)], note="Main terms: expressions over vertical speed and height.")
    v2 = Draft("Spring Rhythm", f"Flex the {legs} joints together at 2 Hz while staying tall",
               [T("joint_sine", 1.5, group=legs, amplitude=0.4, frequency_hz=2.0, pattern="sync"),
                T("base_height", 0.75, ratio=1.0, sigma=0.2)], [T("upright", 0.5), T("action_rate", RATE)],
               note=f"Main terms: joint_sine on {legs} and base_height.")
    v3 = Draft("Hop Forward", "Hop while moving forward slowly",
               [T("forward_speed", 1.0, target=1.0), E("clip(vertical_speed, 0, 2)", 1.0)],
               [T("upright", 0.5), T("action_rate", RATE)], note="Main terms: forward_speed and upward speed.")
    return [v1, v2, v3]


def classic_stand(ctx: Ctx) -> list[Draft]:
    v1 = Draft("Stand Tall", "Hold the torso at standing height, upright",
               [T("base_height", 2.0, ratio=1.0, sigma=0.1), T("upright", 1.0)], [T("action_rate", RATE)],
               note="Main terms: base_height and upright.")
    v2 = Draft("Still Stance", "Stay tall and stop moving",
               [E("1 - clip(abs(base_height / standing_height - 1) * 4, 0, 1)", 1.5), E("exp(-norm(qd))", 0.5)],
               [T("upright", 0.5), T("action_rate", RATE)], note="Main terms: a height expression and a stillness bonus.")
    v3 = Draft("Balanced Pose", "Hold the default joint pose with a level torso",
               [T("joint_pose", 1.5, group="all", offset=0.0, sigma=0.3), T("base_height", 1.0, ratio=1.0, sigma=0.15)],
               [T("energy", -0.0005), T("action_rate", RATE)], note="Main terms: joint_pose and base_height.")
    return [v1, v2, v3]


def classic_balance(ctx: Ctx) -> list[Draft]:
    robot = ctx.profile.robot
    pole = ctx.group("pole", "shoulder", "all") or "all"
    cart = ctx.group("cart", "elbow")
    if robot == "acrobot":
        height = E("clip(ee_pos[0, 2] / 4, -1, 1)", 2.0)
        upright = E("cos(mean(q_shoulder)) + cos(mean(q_shoulder) + mean(q_elbow))", 0.5)
    else:
        height = E(f"cos(mean(q_{pole}))", 2.0)
        upright = T("upright", 1.0) if robot == "pendulum" else E(f"cos(mean(q_{pole}))", 0.5)
    v1 = Draft("Upright Balance", "Keep the pole pointing up",
               [height] + ([E(f"-0.2 * abs(mean(q_{cart}))", 1.0)] if cart and robot == "cartpole" else []),
               [T("action_rate", RATE)], note="Main term: an expression that is 1 with the pole straight up.")
    v2 = Draft("Calm Balance", "Upright and still: pole up, small velocities",
               [upright, E("exp(-norm(qd))", 0.5)], [T("energy", -0.0005), T("action_rate", RATE)],
               note="Main terms: uprightness and a stillness bonus.")
    v3 = Draft("Pose Hold", "Hold the joints at their upright default pose",
               [T("joint_pose", 2.0, group=pole, offset=0.0, sigma=0.5)]
               + ([T("joint_pose", 0.5, group=cart, offset=0.0, sigma=1.0)] if cart else []),
               [T("action_rate", RATE)], note=f"Main term: joint_pose on {pole}.")
    return [v1, v2, v3]


def classic_swing(ctx: Ctx) -> list[Draft]:
    pole = ctx.group("pole", "shoulder", "all") or "all"
    sign = ctx.mods.rotation or 1
    v1 = Draft("Spin the Pole", "Keep the pole rotating",
               [E(f"clip({_num(sign)} * mean(qd_{pole}), -5, 5)", 1.0)], [T("action_rate", RATE)],
               note="Main term: an expression over the pole's angular speed.")
    v2 = Draft("Pole Swing", "Swing the pole back and forth",
               [T("joint_sine", 2.0, group=pole, amplitude=1.0 * ctx.mods.size, frequency_hz=0.5, pattern="sync",
                  sigma=0.8)], [T("action_rate", RATE)], note=f"Main term: joint_sine on {pole}.")
    v3 = Draft("Energetic Swing", "Pump energy into the swing: reward speed at the bottom, height at the top",
               [E(f"clip(abs(mean(qd_{pole})), 0, 6) * 0.2 + 0.5 * cos(mean(q_{pole}))", 1.5)],
               [T("action_rate", RATE)], note="Main term: a mixed speed/height expression.")
    return [v1, v2, v3]


def classic_rhythm(ctx: Ctx, hit: tuple[vocab.Intent, Recipe] | None) -> list[Draft]:
    groups = [g for g in ctx.groups if g != "all"] or ["all"]
    g1 = groups[0]
    g2 = groups[1] if len(groups) > 1 else "all"
    label = _title(hit[0].label) if hit else "Move"
    hz = _clamp((hit[1].params.get("hz", 1.0) if hit else 0.8) * ctx.mods.speed, 0.2, 4.0)
    amp = _clamp((hit[1].params.get("amp", 0.3) if hit else 0.3) * ctx.mods.size, 0.05, 1.0)
    v1 = Draft(f"{label} Rhythm", f"Swing the {g1} joints at {hz:.2g} Hz",
               [T("joint_sine", 2.0, group=g1, amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.3)],
               [T("action_rate", RATE)], note=f"Main term: joint_sine on {g1}.")
    v2 = Draft(f"{label} Wave", f"A travelling wave over the {g2} joints",
               [T("joint_sine", 2.0, group=g2, amplitude=amp, frequency_hz=hz, pattern="wave", sigma=0.3)],
               [T("action_rate", RATE)], note=f"Main term: joint_sine on {g2}, spread phases.")
    v3 = Draft(f"Lively {label}", "Keep the joints moving briskly, near their default pose",
               [E("clip(mean(abs(qd)), 0, 3)", 1.0), T("joint_pose", 0.5, group="all", offset=0.0, sigma=0.6)],
               [T("energy", -0.0005), T("action_rate", RATE)], note="Main terms: joint speed and a loose pose.")
    return [v1, v2, v3]


# --------------------------------------------------------------------------- generic (robots without a profile)


def generic_drafts(ctx: Ctx, hits: list[tuple[vocab.Intent, Recipe]]) -> list[Draft]:
    ctx.note(f"{ctx.robot} has no TabRL profile (joint groups, feet, base body), so these approaches use "
             "joint-level terms only.")
    first = hits[0] if hits else None
    hz = _clamp((first[1].params.get("hz", first[1].params.get("gait_hz", 1.0)) if first else 0.8) * ctx.mods.speed,
                0.2, 4.0)
    amp = _clamp(0.2 * ctx.mods.size, 0.05, 0.6)
    label = _title(first[0].label) if first else "Gentle"
    still = first is not None and first[1].family in ("still", "posture", "grip")
    v1 = Draft(f"{label} Joint Rhythm", f"Every joint oscillates together at {hz:.2g} Hz",
               [T("joint_sine", 2.0, group="all", amplitude=amp, frequency_hz=hz, pattern="sync", sigma=0.3)],
               [T("action_rate", RATE)], note="Main term: joint_sine on every joint.")
    v2 = Draft(f"{label} Joint Wave", "A travelling wave over every joint",
               [T("joint_sine", 2.0, group="all", amplitude=amp, frequency_hz=hz, pattern="wave", sigma=0.3)],
               [T("joint_limits", -0.1), T("action_rate", RATE)], note="Main term: joint_sine with spread phases.")
    v3 = Draft("Pose and Calm" if still else f"{label} Motion",
               "Hold the default pose, joints still" if still else "Keep the joints moving near the default pose",
               [T("joint_pose", 1.5, group="all", offset=0.0, sigma=0.4),
                E("exp(-norm(qd))" if still else "clip(mean(abs(qd)), 0, 3)", 0.5)],
               [T("energy", -0.0005), T("action_rate", RATE)], note="Main terms: joint_pose and joint speed.")
    return [v1, v2, v3]


# --------------------------------------------------------------------------- planning


def _domain(ctx: Ctx) -> str:
    if ctx.derived:
        return "generic"
    if ctx.category == "classic":
        return "classic"
    return "legged" if ctx.category in ("quadruped", "humanoid") else "manip"


_ARM_WORDS = {"arm", "hand", "fingers", "wrist", "elbow", "shoulder", "thumb", "index"}


def _recipe_for(ctx: Ctx, intent: vocab.Intent, words: str, interp: Interpretation) -> Recipe | None:
    domain = _domain(ctx)
    if domain == "manip":
        return intent.manip
    if domain == "legged":
        if ctx.biped and intent.manip and (
                set(ctx.parts) & _ARM_WORDS or re.search(r"\b(draw|trace|sketch|write)", words)
                or any(m.phrase == "in air" for m in interp.modifiers)) and intent.manip.family in ("path", "reach"):
            return intent.manip
        return intent.legged
    return intent.legged or intent.manip  # classic and generic: any meaning gives a family


def _hits(ctx: Ctx, interp: Interpretation) -> list[tuple[vocab.Intent, Recipe]]:
    """Usable (intent, recipe) pairs; weak intents become modifiers next to strong ones."""
    found = [(INTENTS[m.value], m) for m in interp.intents]
    strong = [(i, m) for i, m in found if not i.weak]
    out: list[tuple[vocab.Intent, Recipe]] = []
    for intent, match in found:
        if intent.weak and strong:
            if intent.key in vocab.DIRECTION_INTENTS:
                ctx.mods.direction = vocab.DIRECTION_INTENTS[intent.key]
                if any(INTENTS[m.value].legged and INTENTS[m.value].legged.family == "locomote"
                       for m in interp.intents if not INTENTS[m.value].weak):
                    recipe = _recipe_for(ctx, intent, match.words, interp)
                    if recipe is not None:
                        out.append((intent, recipe))
            elif intent.key == "up_down":
                ctx.mods.axis = ctx.mods.axis or "vertical"
            elif intent.key == "side_to_side":
                ctx.mods.axis = ctx.mods.axis or "lateral"
            elif intent.key == "back_and_forth":
                ctx.mods.axis = ctx.mods.axis or "longitudinal"
            continue
        recipe = _recipe_for(ctx, intent, match.words, interp)
        if recipe is None:
            ctx.note(f"'{match.words}' has no meaning for {ctx.robot} (a {ctx.category}); ignored.")
            continue
        out.append((intent, recipe))
    if any(i.key in vocab.DIRECTION_INTENTS for i, _ in out) and ctx.mods.direction is None:
        ctx.mods.direction = -1 if any(i.key == "backward" for i, _ in out) else 1
    return out


def _drafts_for(ctx: Ctx, intent: vocab.Intent, recipe: Recipe) -> list[Draft]:
    """The three drafts of one (non-locomotion) intent for a legged or manipulator robot."""
    f = recipe.family
    if _domain(ctx) == "legged":
        if f == "spin":
            return legged_spin(ctx, recipe)
        if f == "jump":
            return legged_jump(ctx, recipe)
        if f == "rhythm":
            return legged_rhythm(ctx, intent, recipe)
        if f == "stomp":
            return legged_stomp(ctx, recipe)
        if f == "posture":
            return legged_posture(ctx, intent, recipe)
        if f == "limb":
            return legged_limb(ctx, intent, recipe)
        if f in ("path", "reach"):
            return (manip_path if f == "path" else manip_reach)(ctx, intent, recipe)
        raise AssertionError(f"no legged recipe for {f}")
    table: dict[str, Callable[[Ctx, vocab.Intent, Recipe], list[Draft]]] = {
        "path": manip_path, "rhythm": manip_rhythm, "twist": manip_twist, "swing": manip_swing, "reach": manip_reach,
        "grip": manip_grip, "still": manip_still}
    return table[f](ctx, intent, recipe)


def _plan(ctx: Ctx, hits: list[tuple[vocab.Intent, Recipe]]) -> tuple[list[Draft], list[list[Draft]], list[str]]:
    """(primary drafts, secondary drafts per extra intent, labels of the extras)."""
    domain = _domain(ctx)
    if domain == "generic":
        return generic_drafts(ctx, hits), [], []
    if domain == "classic":
        return classic_drafts(ctx, hits), [], []
    if not hits:
        return (legged_default(ctx) if domain == "legged" else manip_default(ctx)), [], []
    # legged locomotion: every locomotion and turning word makes one command
    loco = [(i, r) for i, r in hits if r.family == "locomote"]
    turning = [(i, r) for i, r in hits if r.family == "spin" and r.params.get("turn")]
    rest = [(i, r) for i, r in hits if r.family != "locomote" and not (loco and (i, r) in turning)]
    units: list[tuple[str, Callable[[], list[Draft]]]] = []
    if domain == "legged" and loco:
        units.append(("locomotion", lambda: legged_locomote(ctx, _command(ctx, loco + turning))))
    seen: set[tuple[str, str]] = set()
    for intent, recipe in rest:
        key = (recipe.family, str(recipe.params.get("part", "")))
        if key in seen:
            continue
        seen.add(key)
        units.append((intent.label.lower(), functools.partial(_drafts_for, ctx, intent, recipe)))
    primary = units[0][1]()
    extras = [(label, make()) for label, make in units[1:3]]
    if len(units) > 3:
        ctx.note("Only the first three behaviors of the prompt are combined; "
                 f"left out: {', '.join(label for label, _ in units[3:])}.")
    return primary, [d for _, d in extras], [label for label, _ in extras]


def _describe_term(term: dict[str, Any]) -> str:
    if term["term"] == "expr":
        return f"expr {term['expr']}"
    params = term.get("params") or {}
    detail = ", ".join(f"{k}={v}" for k, v in params.items() if k in ("group", "axis", "pattern", "shape", "yaw_rate",
                                                                      "target", "height", "ratio"))
    return f"{term['term']} ({detail})" if detail else term["term"]


def _conflicts(term: dict[str, Any], moves: bool) -> bool:
    """Terms of an extra behavior that would fight travelling."""
    if not moves:
        return False
    params = term.get("params") or {}
    return (term["term"] in ("stay_in_place", "track_velocity") or params.get("group") == "all"
            or (term["term"] == "foot_contact_pattern" and params.get("pattern") == "stand")
            or (term["term"] == "expr" and "drift" in term["expr"]))


def _combine(primary: Draft, extras: list[list[Draft]], labels: list[str], i: int) -> Draft:
    """Approach ``i`` of the primary behavior plus, at half weight, the defining term of each extra behavior.

    The extra behavior's own approach ``i`` is asked first; if its defining term clashes with the
    primary (already there, or it would fight travelling), the other approaches' are tried.
    """
    moves = primary.moves or any(e[i].moves for e in extras)
    terms: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()

    def add(term: dict[str, Any], scale: float = 1.0) -> bool:
        sig = term_signature(term)
        if sig in seen or _conflicts(term, moves and scale != 1.0) or (
                moves and term["term"] == "stay_in_place"):
            return False
        seen.add(sig)
        terms.append({**term, "weight": _f(term["weight"] * scale)})
        return True

    for t in primary.main:
        add(t)
    added: list[str] = []
    for label, drafts in zip(labels, extras):
        order = [drafts[i]] + [d for j, d in enumerate(drafts) if j != i]
        for d in order:
            if not d.main:
                continue
            extra = _on_clock(d.main[0], terms)
            if add(extra, 0.5):
                added.append(f"for '{label}', {_describe_term(extra)} at half weight")
                break
    for t in primary.support:
        add(t)
    if any(t["term"] == "alive" for e in extras for t in e[i].support):
        add(T("alive", 0.5))
    if len(terms) > MAX_TERMS:  # keep the main terms and two regularisers
        regs = [t for t in terms if t["weight"] < 0][:2]
        terms = [t for t in terms if t["weight"] >= 0][:MAX_TERMS - len(regs)] + regs
    name, summary = primary.name, primary.summary
    if labels:
        suffix = " + " + " + ".join(_title(lbl) for lbl in labels)
        if len(name + suffix) <= 60:
            name += suffix
        summary = f"{summary}; also {' and '.join(labels)}"
    note = primary.note + (" Added " + "; ".join(added) + "." if added else "")
    return Draft(name, summary[:200], terms, [], moves=moves, note=note.strip())


def _clock(terms: list[dict[str, Any]]) -> float | None:
    """The frequency of the first rhythmic term: the phase clock the policy will observe."""
    return next(((t.get("params") or {})["frequency_hz"] for t in terms if "frequency_hz" in (t.get("params") or {})),
                None)


def _on_clock(term: dict[str, Any], terms: list[dict[str, Any]]) -> dict[str, Any]:
    """``term`` retimed to the program's clock, so one observed phase can time every rhythm."""
    clock, params = _clock(terms), term.get("params") or {}
    if clock is None or "frequency_hz" not in params or params["frequency_hz"] == clock:
        return term
    limit = 3.0 if term["term"] == "ee_path" else 6.0
    return {**term, "params": {**params, "frequency_hz": _f(min(clock, limit))}}


def _title(label: str) -> str:
    """'lie down' -> 'Lie Down', 'up and down' -> 'Up and Down'."""
    small = {"and", "to", "on", "in", "of", "a", "the"}
    words = label.split()
    return " ".join(w if (k and w.lower() in small) else w[:1].upper() + w[1:] for k, w in enumerate(words))


def _distinct(drafts: list[Draft]) -> list[Draft]:
    """Guarantees distinct names and distinct term kinds (a safety net; recipes already differ)."""
    spare = [T("energy", -0.0005), T("joint_limits", -0.1), T("torque", -0.00001)]
    seen_sets: list[frozenset] = []
    names: set[str] = set()
    for d in drafts:
        sig = frozenset(term_signature(t) for t in d.main)
        k = 0
        while sig in seen_sets and k < len(spare):
            d.main.append(spare[k])
            sig = frozenset(term_signature(t) for t in d.main)
            k += 1
        seen_sets.append(sig)
        base, n = d.name, 2
        while d.name in names:
            d.name, n = f"{base} {n}", n + 1
        names.add(d.name)
    return drafts


# --------------------------------------------------------------------------- public API


@dataclasses.dataclass
class Design:
    """The designer's full answer: the programs and how the prompt was read."""

    model_id: str
    prompt: str
    robot: str
    category: str
    interpretation: Interpretation
    programs: list[RewardProgram]
    notes: list[str]
    default_used: bool


def _robot_profile(model_id: str) -> tuple[RobotProfile, bool]:
    from tabrl.robots.catalog import profile_for  # raises UnknownModel with the closest ids

    profile = profile_for(model_id)
    return profile, get_profile(profile.robot) is None


def design(model_id: str, prompt: str) -> Design:
    """Three reward programs for ``prompt`` on catalog model ``model_id``, and how the prompt was read.

    Raises DesignError for an empty or too-long prompt and UnknownModel for an unknown model.
    """
    text = check_prompt(prompt)
    profile, derived = _robot_profile(model_id)
    interp = interpret(text)
    ctx = Ctx(model_id=model_id, profile=profile, derived=derived, mods=_mods(interp),
              parts=list(dict.fromkeys(interp.parts)))
    hits = _hits(ctx, interp)
    primary, extras, labels = _plan(ctx, hits)
    drafts = [_combine(primary[i], extras, labels, i) for i in range(N_APPROACHES)]
    if ctx.biped and _domain(ctx) == "legged":  # a humanoid falls easily: surviving must pay in every approach
        for d in drafts:
            if not any(t["term"] == "alive" for t in d.main) and len(d.main) < MAX_TERMS:
                d.main.insert(next((k for k, t in enumerate(d.main) if t["weight"] < 0), len(d.main)),
                              T("alive", 0.5))
    drafts = _distinct(drafts)
    shared: list[str] = []
    understood = interp.understood()
    if understood:
        shared.append("Understood: " + ", ".join(understood) + ".")
    default_used = not hits
    if default_used:
        what = ", ".join(f"'{w}'" for w in interp.unknown) or "no behavior words"
        assumed = {"legged": "stand tall and move gently", "manip": "hold a steady pose with mild motion",
                   "classic": "the robot's basic task with mild motion",
                   "generic": "gentle joint motion"}[_domain(ctx)]
        shared.append(f"No behavior was recognised in the prompt (not understood: {what}); assumed: {assumed}.")
    elif interp.unknown:
        shared.append("Not understood (ignored): " + ", ".join(f"'{w}'" for w in interp.unknown) + ".")
    shared += ctx.notes
    programs = []
    for d in drafts:
        notes = shared + ([d.note] if d.note else [])
        programs.append(RewardProgram.model_validate(
            {"name": d.name[:60], "summary": d.summary[:200], "terms": d.main, "notes": notes}))
    return Design(model_id=model_id, prompt=text, robot=profile.name, category=profile.category,
                  interpretation=interp, programs=programs, notes=shared, default_used=default_used)


def design_approaches(model_id: str, prompt: str) -> list[RewardProgram]:
    """Exactly three RewardPrograms for ``prompt`` on ``model_id`` (the interface services call)."""
    return design(model_id, prompt).programs
