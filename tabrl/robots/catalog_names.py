"""How the gallery and the command line name a catalog model: its category's words, what a Playground id
says beyond its robot ("joystick, flat terrain"), the friendly name and the label."""

from __future__ import annotations

import re

CATEGORY_WORDS = {
    "quadruped": "Quadruped Robot",
    "humanoid": "Humanoid Robot",
    "arm": "Robot Arm",
    "hand": "Robot Hand",
    "classic": "Classic Control",
}


# How a variant reads where the words of its id (after the robot's) read badly.
_VARIANT_READS = {
    "InplaceGaitTracking": "gait tracking in place",
    "CubeReorient": "reorient a cube",
    "CubeRotateZAxis": "rotate a cube about z",
    "PickCube": "pick up a cube",
    "PickCubeOrientation": "pick up a cube, oriented",
    "PickCubeCartesian": "pick up a cube, Cartesian control",
    "PushCube": "push a cube",
    "OpenCabinet": "open a cabinet",
    "Swimmer6": "6 links",
}
_WORD_READS = {
    "Getup": "get up",
    "Swingup": "swing-up",
    "Sparse": "sparse reward",
}
# Words that stand as a phrase of their own: "JoystickFlatTerrain" reads "joystick, flat terrain".
_OWN_PHRASE = {"Joystick", "Sparse", "Easy", "Hard"}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def variant_words(model_id: str, robot: str) -> str | None:
    """What a Playground id says beyond its robot: "Go1JoystickFlatTerrain" -> "joystick, flat terrain".

    None where it says nothing more (``BallInCup``)."""
    words = _CAMEL.split(model_id)
    key, seen = robot.replace("_", "").lower(), ""
    for n, word in enumerate(words):
        seen += word.lower()
        if seen == key:
            words = words[n + 1 :]
            break
    if not words:
        return None
    rest = "".join(words)
    if rest in _VARIANT_READS:
        return _VARIANT_READS[rest]
    phrases: list[list[str]] = []
    for n, word in enumerate(words):
        read = _WORD_READS.get(word, word.lower())
        if n == 0 or word in _OWN_PHRASE or words[n - 1] in _OWN_PHRASE:
            phrases.append([read])
        else:
            phrases[-1].append(read)
    return ", ".join(" ".join(p) for p in phrases)


def friendly_name(robot_name: str, variant: str | None) -> str:
    """How the gallery names a model: "Unitree Go1 · joystick, flat terrain"."""
    return f"{robot_name} · {variant}" if variant else robot_name


def model_label(model_id: str, category: str) -> str:
    """How the page names a model: "Go1JoystickFlatTerrain (Quadruped Robot)"."""
    return f"{model_id} ({CATEGORY_WORDS[category]})"
