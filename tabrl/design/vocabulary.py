"""The built-in designer's words: motions, modifiers and body parts, and a small prompt parser.

A prompt such as "Keep shaking your hips aloha dude!" is split into words, each word reduced to
a known base form ("shaking" -> "shake", "lying" -> "lie"), and the longest known phrases
matched first ("lie down", "stand on hind legs", "up and down"). What comes out is a list of
*intents* (what to do), *modifiers* (how: fast, big, left, clockwise, ...), *parts* (hips, paw,
fingers) and the words that were not understood. No model is consulted; it is all tables.

An intent means different things on different robots: "wave" is a raised paw on a quadruped,
an arm on a humanoid, a wrist on an arm. Each :class:`Intent` therefore names a *family* of
reward recipes per domain (``legged`` for quadrupeds and humanoids, ``manip`` for arms and
hands); ``tabrl.design.builtin`` turns (family, params, robot) into reward programs.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Literal

Domain = Literal["legged", "manip", "both"]


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A family of reward recipes and its parameters, for one domain."""

    family: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Intent:
    """A behavior: a label, a one-line meaning, and its recipe for legged robots and for arms/hands."""

    key: str
    label: str
    meaning: str
    legged: Recipe | None = None
    manip: Recipe | None = None
    weak: bool = False  # only a behavior on its own: next to a stronger intent it is a modifier

    @property
    def domain(self) -> Domain:
        if self.legged and self.manip:
            return "both"
        return "legged" if self.legged else "manip"


def _r(family: str, **params: Any) -> Recipe:
    return Recipe(family, params)


# --------------------------------------------------------------------------- intents

_INTENT_LIST = [
    # locomotion (legged): speed in m/s for a quadruped, gait for the foot-contact variant
    Intent("walk", "Walk", "walk at an easy pace", _r("locomote", speed=0.5, gait="trot", gait_hz=2.0)),
    Intent("stroll", "Stroll", "walk slowly", _r("locomote", speed=0.35, gait="trot", gait_hz=1.6)),
    Intent("jog", "Jog", "move at a jog", _r("locomote", speed=0.8, gait="trot", gait_hz=2.5)),
    Intent("run", "Run", "run fast", _r("locomote", speed=1.0, gait="trot", gait_hz=2.8)),
    Intent("sprint", "Sprint", "run as fast as possible", _r("locomote", speed=1.5, gait="trot", gait_hz=3.0)),
    Intent("gallop", "Gallop", "gallop with a bounding gait", _r("locomote", speed=1.2, gait="bound", gait_hz=2.5)),
    Intent("trot", "Trot", "trot (diagonal legs together)", _r("locomote", speed=0.6, gait="trot", gait_hz=2.2)),
    Intent("pace", "Pace", "pace (legs on one side together)", _r("locomote", speed=0.5, gait="pace", gait_hz=2.0)),
    Intent("bound", "Bound", "bound (front legs, then rear legs)", _r("locomote", speed=0.9, gait="bound", gait_hz=2.5)),
    Intent("march", "March", "march with high steps", _r("locomote", speed=0.3, gait="trot", gait_hz=1.5, high_steps=True)),
    Intent("prance", "Prance", "prance with springy steps", _r("locomote", speed=0.5, gait="trot", gait_hz=2.5,
                                                               high_steps=True)),
    Intent("crawl", "Crawl", "move forward low to the ground", _r("locomote", speed=0.25, gait="walk", gait_hz=1.5,
                                                                  height=0.7)),
    Intent("sneak", "Sneak", "creep forward low and slow", _r("locomote", speed=0.2, gait="walk", gait_hz=1.2,
                                                              height=0.75)),
    Intent("tiptoe", "Tiptoe", "walk tall on the toes", _r("locomote", speed=0.3, gait="trot", gait_hz=2.0, height=1.05)),
    Intent("skip", "Skip", "skip along with a bouncy gait", _r("locomote", speed=0.6, gait="bound", gait_hz=2.5,
                                                               high_steps=True)),
    Intent("shuffle", "Shuffle", "shuffle forward with small steps", _r("locomote", speed=0.2, gait="trot", gait_hz=2.5)),
    Intent("waddle", "Waddle", "walk rocking from side to side", _r("locomote", speed=0.3, gait="pace", gait_hz=1.5,
                                                                    roll_sway=0.12)),
    Intent("moonwalk", "Moonwalk", "glide backwards", _r("locomote", speed=0.3, gait="trot", gait_hz=2.0,
                                                         direction=-1)),
    Intent("backward", "Backward", "move backwards", _r("locomote", speed=0.4, gait="trot", gait_hz=2.0, direction=-1),
           weak=True),
    Intent("sideways", "Sideways", "step sideways (strafe)", _r("locomote", speed=0.0, lateral=0.3, gait="trot",
                                                                gait_hz=2.0)),
    Intent("forward", "Forward", "move forwards", _r("locomote", speed=0.5, gait="trot", gait_hz=2.0), weak=True),
    Intent("swim", "Swim", "swim forwards", _r("locomote", speed=0.5, gait="trot", gait_hz=2.0)),
    # turning
    Intent("spin", "Spin", "spin in place", _r("spin", yaw=1.5), _r("twist", spin=True)),
    Intent("turn", "Turn", "turn (in place, or while walking)", _r("spin", yaw=1.0, turn=True), _r("twist", amp=0.5)),
    # jumping
    Intent("jump", "Jump", "jump up and down", _r("jump", height=0.1, hz=2.0)),
    Intent("hop", "Hop", "hop in small quick jumps", _r("jump", height=0.06, hz=2.5)),
    Intent("leap", "Leap", "leap high", _r("jump", height=0.15, hz=1.5)),
    Intent("pronk", "Pronk", "jump with all legs together", _r("jump", height=0.08, hz=2.5)),
    Intent("bounce", "Bounce", "bounce up and down", _r("jump", height=0.05, hz=2.5, bouncy=True),
           _r("path", shape="line", vertical=True)),
    # rhythm: oscillate a body part (legged) or a joint group (arms, hands)
    Intent("shake", "Shake", "shake (fast oscillation)", _r("rhythm", part="hips", amp=0.3, hz=2.0, axis="roll"),
           _r("rhythm", part="wrist", amp=0.25, hz=3.0)),
    Intent("wiggle", "Wiggle", "wiggle", _r("rhythm", part="hips", amp=0.25, hz=2.5, axis="roll"),
           _r("rhythm", part="fingers", amp=0.3, hz=2.0, pattern="wave")),
    Intent("shimmy", "Shimmy", "shimmy the body side to side", _r("rhythm", part="hips", amp=0.2, hz=3.0, axis="roll"),
           _r("rhythm", part="wrist", amp=0.2, hz=3.0)),
    Intent("twerk", "Twerk", "bounce the rear end", _r("rhythm", part="rear", amp=0.3, hz=2.5, axis="pitch")),
    Intent("hula", "Hula", "sway the hips like a hula dancer", _r("rhythm", part="hips", amp=0.3, hz=1.2, axis="roll")),
    Intent("sway", "Sway", "sway side to side", _r("rhythm", part="hips", amp=0.25, hz=0.8, axis="roll"),
           _r("path", shape="line", plane="yz", hz=0.4)),
    Intent("rock", "Rock", "rock the body", _r("rhythm", part="body", amp=0.2, hz=0.8, axis="roll"),
           _r("rhythm", part="shoulder", amp=0.3, hz=0.6)),
    Intent("wag", "Wag", "wag (the tail end) side to side", _r("rhythm", part="hips", amp=0.3, hz=2.0, axis="yaw"),
           _r("rhythm", part="wrist", amp=0.4, hz=1.5)),
    Intent("shiver", "Shiver", "shiver with small fast trembles", _r("rhythm", part="body", amp=0.08, hz=4.0,
                                                                      axis="roll"),
           _r("rhythm", part="all", amp=0.06, hz=4.0)),
    Intent("bob", "Bob", "bob the body up and down", _r("rhythm", part="body", amp=0.15, hz=1.5, axis="height"),
           _r("rhythm", part="elbow", amp=0.3, hz=1.0)),
    Intent("nod", "Nod", "nod (pitch up and down)", _r("rhythm", part="head", amp=0.15, hz=1.5, axis="pitch"),
           _r("rhythm", part="wrist", amp=0.35, hz=1.2)),
    Intent("headbang", "Headbang", "nod hard to the beat", _r("rhythm", part="head", amp=0.2, hz=2.5, axis="pitch")),
    Intent("twist", "Twist", "twist the body left and right", _r("rhythm", part="body", amp=0.3, hz=1.0, axis="yaw"),
           _r("twist", amp=0.6)),
    Intent("dance", "Dance", "dance: rhythmic whole-body movement", _r("rhythm", part="all", amp=0.25, hz=1.5,
                                                                        axis="height", dance=True),
           _r("rhythm", part="all", amp=0.3, hz=1.0, pattern="wave")),
    Intent("stomp", "Stomp", "stomp the feet in place", _r("stomp", hz=1.5)),
    Intent("tap", "Tap", "tap the feet / fingers", _r("stomp", hz=2.5), _r("rhythm", part="fingers", amp=0.3, hz=2.5)),
    Intent("up_down", "Up and down", "move up and down", _r("rhythm", part="body", amp=0.15, hz=1.5, axis="height"),
           _r("path", shape="line", vertical=True), weak=True),
    Intent("side_to_side", "Side to side", "move side to side", _r("rhythm", part="hips", amp=0.25, hz=1.0, axis="roll"),
           _r("path", shape="line", plane="yz"), weak=True),
    Intent("back_and_forth", "Back and forth", "move back and forth", _r("rhythm", part="body", amp=0.15, hz=1.0,
                                                                          axis="pitch"),
           _r("path", shape="line", plane="xz"), weak=True),
    # postures (legged): height as a fraction of standing, roll and pitch (rad; pitch > 0 nose down)
    Intent("lie_down", "Lie down", "lie down low", _r("posture", height=0.45, pose="lie down")),
    Intent("sit", "Sit", "sit down", _r("posture", height=0.75, pitch=-0.35, pose="sit")),
    Intent("crouch", "Crouch", "crouch low", _r("posture", height=0.75, pose="crouch")),
    Intent("squat", "Squat", "squat down", _r("posture", height=0.7, pose="squat")),
    Intent("kneel", "Kneel", "kneel down", _r("posture", height=0.7, pitch=0.1, pose="kneel")),
    Intent("stand_up", "Stand up", "stand up on all legs", _r("posture", height=1.0, pose="stand")),
    Intent("stand_tall", "Stand tall", "stand tall", _r("posture", height=1.05, pose="stand tall")),
    Intent("rear_up", "Rear up", "rear up on the hind legs", _r("posture", height=1.2, pitch=-0.9, pose="rear up",
                                                                 risky=True)),
    Intent("handstand", "Handstand", "balance on the front legs (hands)", _r("posture", height=1.1, pitch=0.9,
                                                                            pose="handstand", risky=True)),
    Intent("bow", "Bow", "bow (front down)", _r("posture", height=0.85, pitch=0.3, pose="bow"),
           _r("reach", axis="z", sign=-1)),
    Intent("lean", "Lean", "lean to one side", _r("posture", height=0.95, roll=0.25, pose="lean", sided=True)),
    Intent("tilt", "Tilt", "tilt the body", _r("posture", height=1.0, roll=0.2, pose="tilt", sided=True),
           _r("twist", amp=0.3, part="wrist")),
    Intent("stretch", "Stretch", "stretch (front down, rear up)", _r("posture", height=0.9, pitch=0.25, pose="stretch"),
           _r("reach", axis="far", sign=1)),
    Intent("balance", "Balance", "balance steadily", _r("posture", height=1.0, pose="balance", still=True),
           _r("still")),
    Intent("stay_still", "Stay still", "stay still", _r("posture", height=1.0, pose="still", still=True), _r("still")),
    # limbs: one leg (quadrupeds), an arm or a leg (humanoids)
    Intent("wave", "Wave", "wave (a paw, a hand)", _r("limb", limb="arm_or_front", amp=0.4, hz=1.2),
           _r("path", shape="line", plane="yz", hz=1.0, wave=True)),
    Intent("kick", "Kick", "kick with a leg", _r("limb", limb="leg_or_rear", amp=0.5, hz=1.5)),
    Intent("raise", "Raise", "raise a limb / lift up", _r("limb", limb="arm_or_front", amp=0.2, hz=0.5, hold=True),
           _r("reach", axis="z", sign=1)),
    Intent("give_paw", "Give paw", "offer a paw (shake hands)", _r("limb", limb="front", amp=0.25, hz=0.8, hold=True)),
    Intent("point", "Point", "point at something", _r("limb", limb="arm_or_front", amp=0.15, hz=0.5, hold=True),
           _r("reach", axis="x", sign=1, point=True)),
    Intent("scratch", "Scratch", "scratch with a hind leg", _r("limb", limb="rear", amp=0.3, hz=3.0)),
    # arms and hands
    Intent("reach", "Reach", "reach out", _r("limb", limb="arm_or_front", amp=0.2, hz=0.5, hold=True),
           _r("reach", axis="x", sign=1)),
    Intent("circle", "Circle", "move in a circle / draw a circle", _r("locomote", speed=0.4, yaw=0.8, gait="trot",
                                                                      gait_hz=2.0),
           _r("path", shape="circle")),
    Intent("figure8", "Figure eight", "trace a figure eight", _r("locomote", speed=0.4, yaw=0.8, gait="trot",
                                                                  gait_hz=2.0),
           _r("path", shape="figure8")),
    Intent("line", "Line", "trace a straight line back and forth", None, _r("path", shape="line", plane="xy")),
    Intent("draw", "Draw", "draw a shape in the air", None, _r("path", shape="circle"), weak=True),
    Intent("stir", "Stir", "stir in horizontal circles", None, _r("path", shape="circle", plane="xy")),
    Intent("swing", "Swing", "swing back and forth", _r("rhythm", part="hips", amp=0.3, hz=1.0, axis="roll"),
           _r("swing", amp=0.6)),
    Intent("open", "Open", "open the hand / gripper", None, _r("grip", close=False)),
    Intent("close", "Close", "close the hand / gripper", None, _r("grip", close=True)),
    Intent("grasp", "Grasp", "grasp / grip / hold", None, _r("grip", close=True, grasp=True)),
    Intent("pinch", "Pinch", "pinch thumb and index finger together", None, _r("grip", close=True, pinch=True)),
    Intent("fist", "Fist", "make a fist", None, _r("grip", close=True)),
    Intent("spread", "Spread", "spread the fingers", None, _r("grip", close=False, spread=True)),
    Intent("push", "Push", "push forward", None, _r("reach", axis="x", sign=1)),
    Intent("pull", "Pull", "pull back", None, _r("reach", axis="far", sign=-1)),
    Intent("lower", "Lower", "lower down", _r("posture", height=0.75, pose="crouch"), _r("reach", axis="z", sign=-1)),
    Intent("thumbs_up", "Thumbs up", "give a thumbs up", None, _r("grip", close=True, thumb_out=True)),
    Intent("flick", "Flick", "flick quickly", None, _r("rhythm", part="wrist", amp=0.4, hz=3.0)),
]

INTENTS: dict[str, Intent] = {i.key: i for i in _INTENT_LIST}

# phrase (base forms, space separated) -> intent key. Synonyms included.
INTENT_PHRASES: dict[str, str] = {
    # locomotion
    "walk": "walk", "walk around": "walk", "go": "forward", "move": "forward", "travel": "walk", "patrol": "walk",
    "explore": "walk", "hike": "walk", "step": "walk", "go for walk": "walk", "stroll": "stroll", "amble": "stroll",
    "wander": "stroll", "roam": "stroll", "saunter": "stroll", "jog": "jog", "run": "run", "run around": "run",
    "sprint": "sprint", "dash": "sprint", "race": "sprint", "zoom": "sprint", "rush": "sprint", "gallop": "gallop",
    "trot": "trot", "pace": "pace", "bound": "bound", "march": "march", "parade": "march", "prance": "prance",
    "strut": "prance", "crawl": "crawl", "creep": "sneak", "sneak": "sneak", "stalk": "sneak", "prowl": "sneak",
    "tiptoe": "tiptoe", "skip": "skip", "shuffle": "shuffle", "waddle": "waddle", "moonwalk": "moonwalk",
    "backward": "backward", "backwards": "backward", "back up": "backward", "reverse": "backward", "retreat": "backward",
    "sideways": "sideways", "sidestep": "sideways", "side step": "sideways", "strafe": "sideways", "crab walk": "sideways",
    "forward": "forward", "forwards": "forward", "ahead": "forward", "onward": "forward", "advance": "forward",
    "swim": "swim",
    # turning
    "spin": "spin", "spin around": "spin", "twirl": "spin", "pirouette": "spin", "whirl": "spin", "rotate": "spin",
    "spin in place": "spin", "turn around": "spin", "turn in place": "spin", "do donut": "spin", "turn": "turn",
    # jumping
    "jump": "jump", "jump around": "jump", "jump up and down": "jump", "hop": "hop", "hop up and down": "hop",
    "leap": "leap", "spring": "leap", "pronk": "pronk", "bounce": "bounce", "bounce up and down": "bounce",
    # rhythm
    "shake": "shake", "wiggle": "wiggle", "jiggle": "wiggle", "waggle": "wiggle", "shimmy": "shimmy", "twerk": "twerk",
    "hula": "hula", "aloha": "hula", "hawaiian": "hula", "luau": "hula", "sway": "sway", "rock": "rock", "wag": "wag",
    "wag tail": "wag", "shiver": "shiver", "tremble": "shiver", "vibrate": "shiver", "quiver": "shiver",
    "jitter": "shiver", "bob": "bob", "nod": "nod", "nod head": "nod", "headbang": "headbang", "head bang": "headbang",
    "twist": "twist", "dance": "dance", "groove": "dance", "boogie": "dance", "party": "dance", "jam": "dance",
    "bop": "dance", "disco": "dance", "salsa": "dance", "tango": "dance", "samba": "dance", "cha cha": "dance",
    "macarena": "dance", "conga": "dance", "rumba": "dance", "stomp": "stomp", "stamp": "stomp", "march in place": "stomp",
    "tap": "tap", "drum": "tap", "knock": "tap",
    "up and down": "up_down", "side to side": "side_to_side", "left and right": "side_to_side",
    "left to right": "side_to_side", "back and forth": "back_and_forth", "to and fro": "back_and_forth",
    "forth and back": "back_and_forth",
    # postures
    "lie": "lie_down", "lie down": "lie_down", "lay down": "lie_down", "lie flat": "lie_down", "rest": "lie_down",
    "nap": "lie_down", "sleep": "lie_down", "play dead": "lie_down", "sit": "sit", "sit down": "sit", "crouch": "crouch",
    "duck": "crouch", "get low": "crouch", "hunker down": "crouch", "squat": "squat", "kneel": "kneel",
    "stand": "stand_up", "stand up": "stand_up", "get up": "stand_up", "rise": "stand_up", "rise up": "stand_up",
    "stand tall": "stand_tall", "stand straight": "stand_tall", "stand up straight": "stand_tall",
    "rear": "rear_up", "rear up": "rear_up", "beg": "rear_up", "stand on hind leg": "rear_up",
    "stand on back leg": "rear_up", "stand on rear leg": "rear_up", "stand on two leg": "rear_up",
    "hind leg": "rear_up", "handstand": "handstand", "hand stand": "handstand", "stand on front leg": "handstand",
    "bow": "bow", "take bow": "bow", "curtsy": "bow", "lean": "lean", "tilt": "tilt", "stretch": "stretch",
    "balance": "balance", "stay still": "stay_still", "stand still": "stay_still", "hold still": "stay_still",
    "keep still": "stay_still", "still": "stay_still", "freeze": "stay_still", "stay": "stay_still",
    "idle": "stay_still", "pose": "stay_still", "statue": "stay_still", "wait": "stay_still", "relax": "stay_still",
    "calm down": "stay_still", "do nothing": "stay_still", "hold position": "stay_still",
    # limbs
    "wave": "wave", "wave hello": "wave", "wave goodbye": "wave", "say hello": "wave", "say hi": "wave",
    "greet": "wave", "kick": "kick", "raise": "raise", "lift": "raise", "lift up": "raise", "raise up": "raise",
    "hold up": "raise", "give paw": "give_paw", "shake paw": "give_paw", "shake hand": "give_paw", "offer paw": "give_paw",
    "point": "point", "scratch": "scratch",
    # arms and hands
    "reach": "reach", "reach out": "reach", "extend": "reach", "circle": "circle", "draw circle": "circle",
    "in circle": "circle", "make circle": "circle", "trace circle": "circle", "round": "circle", "loop": "circle",
    "orbit": "circle", "figure eight": "figure8", "figure 8": "figure8", "figure8": "figure8", "infinity": "figure8",
    "line": "line", "straight line": "line", "draw line": "line", "zigzag": "line", "draw": "draw", "trace": "draw",
    "sketch": "draw", "write": "draw", "scribble": "figure8", "stir": "stir", "swirl": "stir", "mix": "stir",
    "swing": "swing", "open": "open", "open up": "open", "release": "open", "let go": "open", "unclench": "open",
    "close": "close", "shut": "close", "curl": "close", "grasp": "grasp", "grip": "grasp", "grab": "grasp",
    "hold": "grasp", "catch": "grasp", "squeeze": "grasp", "clench": "fist", "fist": "fist", "make fist": "fist",
    "pinch": "pinch", "spread": "spread", "splay": "spread", "push": "push", "press": "push", "poke": "push",
    "pull": "pull", "lower": "lower", "drop": "lower", "thumbs up": "thumbs_up", "thumb up": "thumbs_up",
    "flick": "flick", "snap": "flick",
}

# --------------------------------------------------------------------------- modifiers

# phrase -> (kind, value)
MODIFIERS: dict[str, tuple[str, Any]] = {}
for _w in ("fast", "quick", "quickly", "rapid", "rapidly", "speedy", "swift", "swiftly", "brisk", "briskly",
           "hurry", "energetic", "energetically", "wild", "wildly", "crazy", "frantic", "frantically", "vigorous",
           "vigorously", "hyper", "zippy", "fastly"):
    MODIFIERS[_w] = ("speed", "fast")
for _w in ("slow", "slowly", "gentle", "gently", "calm", "calmly", "lazy", "lazily", "leisurely", "relaxed", "soft",
           "softly", "careful", "carefully", "smooth", "smoothly", "steady", "steadily", "graceful", "gracefully"):
    MODIFIERS[_w] = ("speed", "slow")
for _w in ("big", "large", "huge", "wide", "widely", "giant", "massive", "exaggerated", "broad", "far", "lot",
           "lots", "much", "strong", "strongly", "hard"):
    MODIFIERS[_w] = ("size", "big")
for _w in ("small", "tiny", "little", "slight", "slightly", "subtle", "subtly", "mini", "short", "bit", "light",
           "lightly", "narrow"):
    MODIFIERS[_w] = ("size", "small")
for _w in ("very", "really", "super", "extra", "so", "extremely", "totally", "ultra"):
    MODIFIERS[_w] = ("intensity", 1.25)
MODIFIERS.update({
    "left": ("side", "left"), "to left": ("side", "left"), "leftward": ("side", "left"),
    "right": ("side", "right"), "to right": ("side", "right"), "rightward": ("side", "right"),
    "clockwise": ("rotation", "cw"), "cw": ("rotation", "cw"),
    "counterclockwise": ("rotation", "ccw"), "counter clockwise": ("rotation", "ccw"),
    "anticlockwise": ("rotation", "ccw"), "anti clockwise": ("rotation", "ccw"), "ccw": ("rotation", "ccw"),
    "high": ("level", "high"), "tall": ("level", "high"), "up": ("level", "high"), "upward": ("level", "high"),
    "in air": ("level", "high"), "sky": ("level", "high"), "ceiling": ("level", "high"),
    "low": ("level", "low"), "down": ("level", "low"), "downward": ("level", "low"), "floor": ("level", "low"),
    "ground": ("level", "low"),
    "front": ("position", "front"), "fore": ("position", "front"), "hind": ("position", "rear"),
    "rear": ("position", "rear"), "back leg": ("position", "rear"), "back paw": ("position", "rear"),
    "back foot": ("position", "rear"),
    "horizontal": ("axis", "horizontal"), "horizontally": ("axis", "horizontal"), "flat": ("axis", "horizontal"),
    "table": ("axis", "horizontal"), "vertical": ("axis", "vertical"), "vertically": ("axis", "vertical"),
    "in place": ("stay", True), "on spot": ("stay", True), "on the spot": ("stay", True), "in one place": ("stay", True),
    "in one spot": ("stay", True), "where you are": ("stay", True), "around": ("around", True),
})

# Words that move the direction when another intent is there ("jump forward", "walk backwards").
DIRECTION_INTENTS = {"forward": 1, "backward": -1}

# --------------------------------------------------------------------------- body parts

PARTS: dict[str, str] = {
    "hip": "hips", "hips": "hips", "butt": "rear", "booty": "rear", "bum": "rear", "bottom": "rear", "behind": "rear",
    "rump": "rear", "tail": "rear", "backside": "rear", "pelvis": "hips", "waist": "hips", "paw": "paw",
    "foot": "leg", "feet": "leg", "leg": "leg", "legs": "leg", "toe": "leg", "head": "head", "neck": "head",
    "arm": "arm", "arms": "arm", "hand": "hand", "hands": "hand", "finger": "fingers", "fingers": "fingers",
    "fingertip": "fingers", "thumb": "thumb", "index": "index", "wrist": "wrist", "elbow": "elbow",
    "shoulder": "shoulder", "knee": "knee", "body": "body", "torso": "body", "trunk": "body", "belly": "body",
    "tummy": "body", "chest": "body", "whole body": "all", "full body": "all", "everything": "all", "gripper": "hand",
    "claw": "hand", "end effector": "hand", "tip": "hand", "joint": "all", "joints": "all", "pole": "body",
}

# --------------------------------------------------------------------------- glue words

STOPWORDS = frozenset("""
a an the and or but to of on at by for from with into onto in out as is are be been being am it its it's this that
these those there here your you yours yourself my me i we us our ours his her their them they he she him
do does did doing done make makes made let lets please can could would should will shall may might must
keep keeps kept continue continuously constantly repeatedly always forever again start begin try now then
just like some any all every each while when until time times way bit kind sort pretty quite rather also too
get got gets some more most while if than so such what how up
""".split()) - {"up", "so", "bit", "all"}

FILLERS = frozenset("""
dude bro buddy pal mate friend hey hi hello yo wow yeah yay ok okay lol haha omg cool awesome nice fun funny silly
happy sad cute little lil good great well robot robo bot dog doggy doggo puppy pup boy girl guy guys man
everyone everybody yourself beat music song rhythm tune style mode motion movement moves move thing things
baby honey sweetie champ hooray woohoo yippee whee oh ah hmm um uh
""".split()) - {"move", "little"}

# Base forms that a regular rule would not find.
IRREGULAR = {
    "lying": "lie", "lay": "lie", "laid": "lie", "lain": "lie", "lies": "lie", "ran": "run", "sat": "sit",
    "stood": "stand", "spun": "spin", "leapt": "leap", "swam": "swim", "swum": "swim", "shook": "shake",
    "shaken": "shake", "drew": "draw", "drawn": "draw", "held": "hold", "rose": "rise", "risen": "rise",
    "went": "go", "gone": "go", "goes": "go", "caught": "catch", "knelt": "kneel", "swung": "swing", "began": "begin",
    "feet": "feet", "danced": "dance", "tiptoes": "tiptoe", "tiptoeing": "tiptoe", "gently": "gently",
    "legs": "leg", "hips": "hip", "quickly": "quickly", "slowly": "slowly", "backwards": "backwards",
    "forwards": "forwards", "sideways": "sideways", "fingers": "fingers", "arms": "arms", "hands": "hands",
    "thumbs": "thumb", "paws": "paw", "circles": "circle", "eight": "eight", "8": "8", "its": "its", "this": "this",
    "has": "have", "was": "be", "is": "is", "as": "as", "us": "us", "yes": "yes", "bus": "bus", "less": "less",
    "across": "across", "bits": "bit", "does": "does", "goes": "go", "dies": "die", "flies": "fly",
}


@dataclasses.dataclass(frozen=True)
class Match:
    """One understood phrase: the words as written, their base form, what they mean."""

    words: str
    phrase: str
    kind: Literal["intent", "modifier", "part", "filler", "stop"]
    value: Any
    start: int


@dataclasses.dataclass
class Interpretation:
    """What the parser understood in a prompt."""

    prompt: str
    matches: list[Match]
    unknown: list[str]

    @property
    def intents(self) -> list[Match]:
        return [m for m in self.matches if m.kind == "intent"]

    @property
    def modifiers(self) -> list[Match]:
        return [m for m in self.matches if m.kind == "modifier"]

    @property
    def parts(self) -> list[str]:
        return [m.value for m in self.matches if m.kind == "part"]

    def understood(self) -> list[str]:
        """Human lines: "'shaking' → shake", for notes."""
        out = []
        for m in self.matches:
            if m.kind == "intent":
                out.append(f"'{m.words}' → {INTENTS[m.value].label.lower()}")
            elif m.kind == "modifier":
                kind, value = m.value
                out.append(f"'{m.words}' → {kind} {value}" if kind != "intensity" else f"'{m.words}' → stronger")
            elif m.kind == "part":
                out.append(f"'{m.words}' → {m.value}")
        return out


# --------------------------------------------------------------------------- parsing

_SKIPPABLE_IN_PHRASE = frozenset("a an the your its his her their my our this that some".split())


def _lexicon() -> frozenset[str]:
    words: set[str] = set()
    for table in (INTENT_PHRASES, MODIFIERS, PARTS):
        for phrase in table:
            words.update(phrase.split())
    return frozenset(words | STOPWORDS | FILLERS)


LEXICON = _lexicon()
_PHRASES: dict[tuple[str, ...], tuple[str, Any]] = {}
for _p, _v in PARTS.items():
    _PHRASES[tuple(_p.split())] = ("part", _v)
for _p, _v in MODIFIERS.items():
    _PHRASES[tuple(_p.split())] = ("modifier", _v)
for _p, _v in INTENT_PHRASES.items():  # intents last: they win a tie with a part/modifier of the same words
    _PHRASES[tuple(_p.split())] = ("intent", _v)
_MAX_PHRASE = max(len(k) for k in _PHRASES)


def tokenize(prompt: str) -> list[str]:
    """Lower-case words; hyphens split words, apostrophes are dropped ("let's" -> "lets")."""
    text = prompt.lower().replace("'", "").replace("\u2019", "").replace("figure-8", "figure 8")
    return re.findall(r"[a-z]+|[0-9]+", text)


def _candidates(word: str) -> list[str]:
    out = [IRREGULAR[word], word] if word in IRREGULAR else [word]
    n = len(word)

    def add(stem: str) -> None:
        if len(stem) >= 2:
            out.append(stem)
            if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":  # spinning -> spinn -> spin
                out.append(stem[:-1])

    if word.endswith("ying") and n > 5:
        out.append(word[:-4] + "ie")  # lying -> lie
    if word.endswith("ing") and n > 4:
        add(word[:-3])
        out.append(word[:-3] + "e")  # shaking -> shake
    if word.endswith("ied") and n > 4:
        out.append(word[:-3] + "y")
    if word.endswith("ed") and n > 3:
        add(word[:-2])
        out.append(word[:-1])  # danced -> dance
    if word.endswith("ies") and n > 4:
        out.append(word[:-3] + "y")
    if word.endswith("es") and n > 3:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and n > 2:
        out.append(word[:-1])
    if word.endswith("ily") and n > 4:
        out.append(word[:-3] + "y")
    if word.endswith("ly") and n > 4:
        out.append(word[:-2])
    if word.endswith("er") and n > 4:
        add(word[:-2])  # faster -> fast, bigger -> big
    if word.endswith("est") and n > 5:
        add(word[:-3])
    return out


def lemma(word: str) -> str | None:
    """The word's base form if some form of it is known, else None."""
    for candidate in _candidates(word):
        if candidate in LEXICON:
            return candidate
    return None


def interpret(prompt: str) -> Interpretation:
    """Matches the longest known phrases left to right; articles may sit inside a phrase."""
    raw = tokenize(prompt)
    lemmas = [lemma(w) for w in raw]
    matches: list[Match] = []
    unknown: list[str] = []
    i = 0
    while i < len(raw):
        best: tuple[int, tuple[str, ...], tuple[str, Any]] | None = None
        if lemmas[i] is not None and lemmas[i] not in _SKIPPABLE_IN_PHRASE:
            seq: list[str] = []
            j = i
            while j < len(raw) and len(seq) < _MAX_PHRASE:
                word = lemmas[j]
                if word is None:
                    break
                if seq and word in _SKIPPABLE_IN_PHRASE:
                    j += 1
                    continue
                seq.append(word)
                j += 1
                hit = _PHRASES.get(tuple(seq))
                if hit is not None:
                    best = (j, tuple(seq), hit)
        if best is not None:
            end, seq_words, (kind, value) = best
            matches.append(Match(" ".join(raw[i:end]), " ".join(seq_words), kind, value, i))  # type: ignore[arg-type]
            i = end
            continue
        word = lemmas[i]
        if word is None:
            unknown.append(raw[i])
        elif word in FILLERS:
            matches.append(Match(raw[i], word, "filler", None, i))
        elif word in STOPWORDS or word in _SKIPPABLE_IN_PHRASE:
            matches.append(Match(raw[i], word, "stop", None, i))
        else:  # part of a known phrase, but not one here (e.g. "figure" alone)
            unknown.append(raw[i])
        i += 1
    return Interpretation(prompt=prompt, matches=matches, unknown=list(dict.fromkeys(unknown)))


def vocabulary_entries(domain: Literal["legged", "manip"]) -> list[str]:
    """Every intent phrase usable for a domain (for docs and tests)."""
    out = []
    for phrase, key in INTENT_PHRASES.items():
        intent = INTENTS[key]
        if (domain == "legged" and intent.legged) or (domain == "manip" and intent.manip):
            out.append(phrase)
    return out
