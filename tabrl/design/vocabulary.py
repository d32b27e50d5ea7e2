"""The built-in designer's words and a small prompt parser.

A prompt such as "Keep shaking your hips aloha dude!" is split into words, each word reduced to
a known base form ("shaking" -> "shake", "lying" -> "lie"), and the longest known phrases
matched first ("lie down", "stand on hind legs", "up and down"). What comes out is a list of
*intents* (what to do), *modifiers* (how: fast, big, left, clockwise, ...), *parts* (hips, paw,
fingers) and the words that were not understood. No model is consulted.

The words are data, in ``vocabulary.yaml`` beside this module. An intent means different things
on different robots: "wave" is a raised paw on a quadruped, an arm on a humanoid, a wrist on an
arm. Each :class:`Intent` therefore names a *family* of reward recipes per domain (``legged`` for
quadrupeds and humanoids, ``manip`` for arms and hands); :mod:`tabrl.design.planner` turns
(family, params, robot) into reward programs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal

import yaml

Domain = Literal["legged", "manip", "both"]
VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")


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


# --------------------------------------------------------------------------- the tables, from YAML


def _recipe(data: dict[str, Any] | None) -> Recipe | None:
    if data is None:
        return None
    params = dict(data)
    return Recipe(params.pop("family"), params)


_TABLES = yaml.safe_load(VOCABULARY_FILE.read_text())

INTENTS: dict[str, Intent] = {
    key: Intent(
        key,
        entry["label"],
        entry["meaning"],
        _recipe(entry.get("legged")),
        _recipe(entry.get("manip")),
        bool(entry.get("weak", False)),
    )
    for key, entry in _TABLES["intents"].items()
}
# phrase (base forms, space separated) -> intent key. Synonyms included.
INTENT_PHRASES: dict[str, str] = {
    phrase: key for key, entry in _TABLES["intents"].items() for phrase in entry.get("phrases", [])
}
# phrase -> (kind, value)
MODIFIERS: dict[str, tuple[str, Any]] = {
    phrase: (kind, value)
    for kind, values in _TABLES["modifiers"].items()
    for value, phrases in values.items()
    for phrase in phrases
}
# Words that move the direction when another intent is there ("jump forward", "walk backwards").
DIRECTION_INTENTS: dict[str, int] = dict(_TABLES["direction_intents"])
PARTS: dict[str, str] = {word: part for part, words in _TABLES["parts"].items() for word in words}
STOPWORDS = frozenset(_TABLES["stopwords"])
FILLERS = frozenset(_TABLES["fillers"])
IRREGULAR: dict[str, str] = dict(_TABLES["irregular"])  # base forms that a regular rule would not find


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
                out.append(
                    f"'{m.words}' → {kind} {value}" if kind != "intensity" else f"'{m.words}' → stronger"
                )
            elif m.kind == "part":
                out.append(f"'{m.words}' → {m.value}")
        return out


# --------------------------------------------------------------------------- parsing

# Articles, possessives and the object "me"/"us" inside a phrase: "give me your paw" is give-paw,
# "give me a high five" give-high-five.
_SKIPPABLE_IN_PHRASE = frozenset("a an the your its his her their my our this that some me us".split())


def _lexicon() -> frozenset[str]:
    words: set[str] = set()
    for table in (INTENT_PHRASES, MODIFIERS, PARTS):
        for phrase in table:
            words.update(phrase.split())
    return frozenset(words | STOPWORDS | FILLERS)


def _key(words: str) -> tuple[str, ...]:
    """A phrase as ``interpret`` reads it: articles and possessives after its first word are skipped
    ("throw a punch" is matched as throw-punch, so "throw the punch" and "throw punches" match too)."""
    first, *rest = words.split()
    return (first, *(w for w in rest if w not in _SKIPPABLE_IN_PHRASE))


def _phrases() -> dict[tuple[str, ...], tuple[str, Any]]:
    phrases: dict[tuple[str, ...], tuple[str, Any]] = {}
    for words, part in PARTS.items():
        phrases[_key(words)] = ("part", part)
    for words, modifier in MODIFIERS.items():
        phrases[_key(words)] = ("modifier", modifier)
    for words, key in INTENT_PHRASES.items():  # intents last: they win a tie with a part/modifier
        phrases[_key(words)] = ("intent", key)
    return phrases


LEXICON = _lexicon()
_PHRASES = _phrases()
_MAX_PHRASE = max(len(k) for k in _PHRASES)


def tokenize(prompt: str) -> list[str]:
    """Lower-case words; hyphens split words, apostrophes are dropped ("let's" -> "lets")."""
    text = prompt.lower().replace("'", "").replace("\u2019", "").replace("figure-8", "figure 8")
    return re.findall(r"[a-z]+|[0-9]+", text)


def base_forms(word: str) -> list[str]:
    """Possible base forms of a lower-case word, most likely first: the word, then regular stems
    ("spinning" -> "spinn", "spin", "spine"); irregular forms come from the table."""
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


def lemma(word: str, known: Collection[str] = LEXICON) -> str | None:
    """The word's first base form that is in ``known`` (the designer's words by default), else None."""
    for candidate in base_forms(word):
        if candidate in known:
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
