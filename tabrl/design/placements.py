"""Where the words put the hands: "hands on your hips", "hug yourself", "cover your eyes", "arms out to the
sides". A placement names a place on the body (a landmark) that the hands go to and stay at, and how they
move there (held, rubbed in small circles, patted). It is read from the sentence's shape, a hand word and
a preposition before a body word, or a verb on a body word, not from a list of whole prompts; the places
are put on the compiled body in ``design/recipes/hand_poses.py``.
"""

from __future__ import annotations

import dataclasses
import re

# landmark -> the words that name it
LANDMARK_WORDS: dict[str, tuple[str, ...]] = {
    "hips": ("hip", "hips", "waist", "sides"),
    "head": ("head",),
    "face": ("eye", "eyes", "face", "mouth", "cheek", "cheeks"),
    "ears": ("ear", "ears"),
    "chest": ("chest", "heart", "breast", "pecs"),
    "belly": ("belly", "tummy", "stomach", "tum", "abs"),
    "knees": ("knee", "knees", "thigh", "thighs", "lap"),
    "shoulders": ("shoulder", "shoulders"),
    "back": ("back",),
}
LABELS = {
    "hips": "Hands on Hips",
    "head": "Hands on Head",
    "overhead": "Hands Overhead",
    "behind_head": "Hands Behind Head",
    "face": "Hands over Face",
    "ears": "Hands over Ears",
    "chest": "Hands on Chest",
    "belly": "Hands on Belly",
    "knees": "Hands on Knees",
    "shoulders": "Hands on Shoulders",
    "back": "Hands Behind Back",
    "hug": "Self Hug",
    "out": "Arms Out Wide",
}
_HAND = r"(?:hands?|palms?|fists?|fingers?|arms?)"
_WORD_OF = {w: k for k, ws in LANDMARK_WORDS.items() for w in ws}
_LANDMARK = "(" + "|".join(sorted(_WORD_OF, key=len, reverse=True)) + ")"
_GAP = r"(?:\W+\w+){0,3}?"  # up to three words between: "both of your hands", "on top of your head"
# a hand word, a preposition, a body word: "hands on your hips", "arms behind your back"
_PUT = re.compile(
    rf"\b{_HAND}{_GAP}\W+(on|onto|over|above|behind|against|across|at|to|by|around)\b{_GAP}\W+{_LANDMARK}\b"
)
# a verb that puts a hand on a body word: "cover your eyes", "rub your belly", "pat your head"
_VERB = re.compile(rf"\b(cover|cup|touch|rub|pat|clutch|tap|hold|scratch)\w*\b{_GAP}\W+{_LANDMARK}\b")
_HUG = re.compile(
    r"\b(hug|embrace|cuddle|squeeze)\w*\b.*\b(yourself|self|body|myself|tight)\b"
    r"|\b(yourself|self)\b.*\b(hug|embrace|cuddle)\b"
    r"|\b(cross|fold)\w*\b.*\barms?\b"
)
_OUT = re.compile(
    r"\b(spread|open|stretch|hold|put|stick)\w*\b.*\barms?\b.*\b(out|wide|open|apart|sides?)\b"
    r"|\barms?\b(?:\W+\w+){0,2}?\W+(out|wide|open|apart)\b"
    r"|\b(air\W?plane|aeroplane|t\W?pose)\b"
)
_BOTH_WORDS = re.compile(r"\b(hands|palms|fists|arms|both|each)\b")


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where the hands go: a landmark, how the hands move there, and whether one hand (the side said, else
    the right) or both."""

    at: str  # a key of LABELS
    motion: str = "hold"  # 'hold' | 'rub' (small circles) | 'pat' (small taps)
    both: bool = True

    @property
    def label(self) -> str:
        return LABELS[self.at]


def _landmark(preposition: str | None, word: str) -> str:
    at = _WORD_OF[word]
    if at == "head" and preposition in ("over", "above"):
        return "overhead"
    if at == "head" and preposition == "behind":
        return "behind_head"
    if at == "hips" and word == "sides" and preposition not in ("on", "at", "by", "against"):
        return "out"  # "arms out to the sides"; "hands on your sides" are on the hips
    return at


def placement_of(prompt: str) -> Placement | None:
    """The placement the words ask for, or None: 'put your hands on your hips' -> hips, held, both hands;
    'rub your belly' -> belly, rubbed; 'hug yourself' -> hug; 'arms out like an airplane' -> out."""
    text = prompt.lower().replace("-", " ")
    both = bool(_BOTH_WORDS.search(text))
    if _HUG.search(text):
        return Placement("hug", both=True)
    put = _PUT.search(text)
    verb = _VERB.search(text)
    if put is not None and not (verb is not None and verb.start() < put.start()):
        at = _landmark(put.group(1), put.group(2))
        rubbed = re.search(r"\b(rub|circle|massage|scratch)\w*\b", text)
        patted = re.search(r"\b(pat|tap)\w*\b", text)
        return Placement(at, "rub" if rubbed else "pat" if patted else "hold", both or at in ("out", "hug"))
    if verb is not None:
        action, word = verb.group(1), verb.group(2)
        if action in ("hold", "touch") and _WORD_OF[word] in ("head", "back"):
            return None  # "hold your head high", "touch your back" are not a hand placement we place
        motion = "rub" if action in ("rub", "scratch") else "pat" if action in ("pat", "tap") else "hold"
        plural_place = word.endswith("s") and word not in ("abs",)
        return Placement(_landmark(None, word), motion, both or plural_place or action in ("cover", "cup"))
    if _OUT.search(text):
        return Placement("out", both=True)
    return None
