"""The built-in designer's output over many prompts x models, as one JSON file: a regression check for
refactors that must not change what the designer writes.

    python scripts/design_snapshot.py /tmp/before.json
    ... refactor ...
    python scripts/design_snapshot.py /tmp/after.json --against /tmp/before.json   # exit 1 on a difference

Each entry holds the three programs (as the API serialises them), the notes and whether the default
was used; each model also holds every motion prior the designer writes for it (``motion_priors``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tabrl.design.builtin import design, motion_priors

MODELS = (
    # quadrupeds
    "Go1JoystickFlatTerrain",
    "Go1Handstand",
    "AnymalC",
    "SpotFlatTerrainJoystick",
    "BarkourJoystick",
    # humanoids
    "H1JoystickGaitTracking",
    "G1JoystickFlatTerrain",
    "T1JoystickFlatTerrain",
    "Op3Joystick",
    "BerkeleyHumanoidJoystickFlatTerrain",
    "ApolloJoystickFlatTerrain",
    # arms and hands, with their task environments
    "UR5e",
    "PandaPickCube",
    "PandaOpenCabinet",
    "PandaRobotiqPushCube",
    "AlohaHandOver",
    "AllegroHand",
    "LeapCubeReorient",
    "AeroCubeRotateZAxis",
    # dm_control
    "CheetahRun",
    "HumanoidWalk",
    "CartpoleSwingup",
    "FishSwim",
    "ReacherEasy",
    "AcrobotSwingup",
    "SwimmerSwimmer6",
    "HopperHop",
)
PROMPTS = (
    "walk forward",
    "trot forward fast",
    "run",
    "walk backwards slowly",
    "strafe left",
    "turn left in place",
    "spin clockwise",
    "walk forward and turn right",
    "sneak forward, low",
    "jump",
    "pronk",
    "pace",
    "crouch down",
    "lie down",
    "sit",
    "bow",
    "squat",
    "keep shaking your hips aloha dude!",
    "dance",
    "stomp your feet",
    "bounce up and down",
    "wave hello",
    "kick with your left leg",
    "raise your right arm",
    "nod your head",
    "draw a circle in the air",
    "trace a figure eight",
    "reach up high",
    "point at something",
    "thumbs up",
    "open and close your hand",
    "grip tightly",
    "pick up the cube",
    "push the cube",
    "swim forward",
    "balance the pole",
    "swing up",
    "stand still",
    "blorp the zibble",
)


def snapshot() -> dict[str, object]:
    """``model / prompt`` and ``model / motion priors`` -> what the designer wrote (or the error it raised)."""
    out: dict[str, object] = {}
    for model in MODELS:
        for prompt in PROMPTS:
            try:
                d = design(model, prompt)
                out[f"{model} / {prompt}"] = {
                    "programs": [p.model_dump(mode="json", exclude_none=True) for p in d.programs],
                    "notes": d.notes,
                    "default_used": d.default_used,
                }
            except Exception as e:  # noqa: BLE001 - a refusal is output too
                out[f"{model} / {prompt}"] = {"error": f"{type(e).__name__}: {e}"}
        try:
            out[f"{model} / motion priors"] = [
                m.model_dump(mode="json", exclude_none=True) for m in motion_priors(model)
            ]
        except Exception as e:  # noqa: BLE001
            out[f"{model} / motion priors"] = {"error": f"{type(e).__name__}: {e}"}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--against", type=Path, help="An earlier snapshot: list every entry that differs.")
    args = parser.parse_args()
    snap = json.loads(json.dumps(snapshot()))  # as it reads back from the file
    args.out.write_text(json.dumps(snap, indent=1, sort_keys=True))
    print(f"{len(snap)} entries ({len(MODELS)} models x ({len(PROMPTS)} prompts + priors)) -> {args.out}")
    if args.against is None:
        return 0
    before = json.loads(args.against.read_text())
    differ = sorted(k for k in set(before) | set(snap) if before.get(k) != snap.get(k))
    print("identical" if not differ else f"{len(differ)} differ:\n  " + "\n  ".join(differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
