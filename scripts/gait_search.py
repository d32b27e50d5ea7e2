"""How a quadruped's gait rig is measured: candidate joint rhythms played back open-loop, zero policy.

    python scripts/gait_search.py --model AnymalC                 # every gait, the best candidates of each
    python scripts/gait_search.py --model AnymalC --gait trot --top 10
    python scripts/gait_search.py --model Go1JoystickFlatTerrain --gait trot --grid small

Each candidate is a ``GaitRig`` (``tabrl/robots/profiles.py``): per-leg signs per joint, a frequency,
thigh / calf / abduction amplitudes and the calves' lead. The motion prior the designer's scaffold
approaches play for it (``tabrl/design/recipes/gaits.py``: the same parts the reward tracks) runs
through the project's own rollout (``tabrl.render.rollout``, the training env's action map and
features) for 10 s with a zero policy, and ``behavior_metrics`` reports forward speed, yaw rate,
drift, upright share and falls. A candidate counts only if it also stays up under small random
actions (``--noisy`` runs at residual noise 0.2), so a rhythm that balances on a knife's edge from
the exact default pose is not picked. One process, a few minutes of CPU.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's tabrl, also when run as a plain script

from tabrl.design.recipes import gaits  # noqa: E402
from tabrl.render.metrics import behavior_metrics  # noqa: E402
from tabrl.render.rollout import rollout  # noqa: E402
from tabrl.rewards.motion import Motion, MotionError, compile_motion  # noqa: E402
from tabrl.rewards.terms import ContactPatternParams, foot_contact_pattern  # noqa: E402
from tabrl.robots.catalog import load_robot  # noqa: E402
from tabrl.robots.profiles import GaitRig, LegRhythm  # noqa: E402

SECONDS = 10.0
CONTACT = {"trot": "trot", "run": "trot", "pace": "pace", "trot_turn": "trot", "pronk": "pronk"}
HIND = ("RR", "RL")

# Sign conventions tried: which legs' thighs / calves turn the other way (front ones are the reference).
SIGNS = {
    "same": {},
    "hind_calf": {"calf": {leg: -1 for leg in HIND}},
    "hind_thigh": {"thigh": {leg: -1 for leg in HIND}},
    "hind_both": {"thigh": {leg: -1 for leg in HIND}, "calf": {leg: -1 for leg in HIND}},
}
GRIDS: dict[str, dict[str, dict[str, list[float]]]] = {
    "full": {
        "trot": {
            "hz": [1.5, 2.0, 2.5, 3.0],
            "thigh": [0.15, 0.25, 0.35],
            "calf": [0.2, 0.3, 0.4],
            "calf_lead_deg": [0, 45, 90, 135, 180, 225, 270, 315],
        },
        "pace": {
            "hz": [2.0, 2.5, 3.0, 3.5],
            "thigh": [0.15, 0.25, 0.35],
            "calf": [0.2, 0.3],
            "calf_lead_deg": [0, 90, 180, 270],
        },
        "trot_turn": {
            "hz": [2.0, 2.5, 3.0, 3.5],
            "abduction": [0.1, 0.2, 0.3],
            "thigh": [0.0, 0.1, 0.2],
            "calf": [0.2, 0.3],
        },
        "wave_turn": {"hz": [1.5, 2.0, 2.5, 3.0], "abduction": [0.15, 0.3, 0.4], "calf": [0.15, 0.25, 0.35]},
        "pronk": {"hz": [2.5, 3.0, 3.5], "thigh": [0.0, 0.1, 0.2, 0.3], "calf": [0.2, 0.3, 0.4, 0.5]},
    },
}
GRIDS["small"] = {
    gait: {k: v[:: max(1, len(v) // 2)] for k, v in grid.items()} for gait, grid in GRIDS["full"].items()
}


def _motion(robot: Any, parts: list[dict[str, Any]]) -> Motion | None:
    if not parts:
        return None
    try:
        motion = Motion.model_validate({"parts": parts[:12], "residual": 0.4, "other_residual": 0.3})
        compile_motion(motion, robot.spec)
    except (MotionError, ValueError):
        return None  # outside a joint's range
    return motion


def prior(rig: GaitRig, gait: str, groups: dict[str, list[str]], robot: Any, yaw: float) -> Motion | None:
    """The motion prior the scaffold approach of ``gait`` plays (pronk: its tracked rhythm as a prior)."""
    if gait in ("trot", "run"):
        draft = gaits.rig_walk(rig, 0.9 if gait == "run" else 0.5, 1.0, groups)[0]
        return _motion(robot, draft.motion["parts"]) if draft.motion else None
    if gait == "pace":
        draft = gaits.rig_walk(rig, 0.5, 1.0, groups)[1]
        return _motion(robot, draft.motion["parts"]) if draft.motion else None
    if gait == "trot_turn":
        draft = gaits.rig_spin(rig, yaw, groups)[1]
        return _motion(robot, draft.motion["parts"]) if draft.motion else None
    if gait == "wave_turn":  # measured clockwise; yaw > 0 plays its mirror image
        abduction, calves = gaits.wave_parts(rig, groups, mirror=yaw > 0)
        return _motion(robot, abduction + calves)
    if gait == "pronk":
        p = rig.pronk
        together = {leg: 0.0 for leg in rig.legs}
        return _motion(
            robot,
            gaits._rhythm_parts(rig, groups, "calf", together, lambda _l: p.calf, p.hz, 0.0)
            + gaits._rhythm_parts(rig, groups, "thigh", together, lambda _l: p.thigh, p.hz, 0.0),
        )
    raise ValueError(gait)


def play(
    robot: Any, motion: Motion, noise: float = 0.0, seed: int = 0, contact: str | None = None
) -> dict[str, Any]:
    """Ten seconds of the prior under a zero (or small random) policy; ``contact``: the foot-contact
    pattern whose timing (at the prior's frequency) is scored, as the scaffold's foot_contact_pattern
    term rewards it (1: every foot on time, 0.5: no better than chance)."""
    rng = np.random.default_rng(seed)
    n = robot.action_size

    def policy(_obs: np.ndarray) -> np.ndarray:
        return rng.normal(0.0, noise, n) if noise else np.zeros(n)

    traj = rollout(robot, policy, SECONDS, motion=motion)
    m = behavior_metrics(robot, traj)
    out = {}
    if contact is not None:
        params = ContactPatternParams(pattern=contact, frequency_hz=motion.first_frequency() or 1.0)
        values = foot_contact_pattern(np, traj.features, params, robot.spec)
        out["contact_match"] = round(float(np.mean(values[len(values) // 10 :])), 3)
    return out | {
        "forward": round(m["forward_speed_mps"], 3),
        "yaw": round(m["yaw_rate_radps"], 3),
        "drift": round(m["drift_m"], 3),
        "upright": round(m["upright_fraction"], 3),
        "falls": m["falls"],
        "airborne": m.get("feet", {}).get("all_feet_off_moments", 0),
    }


def score(gait: str, m: dict[str, Any], yaw: float) -> float:
    """Higher is better; a fall or a tilted body disqualifies."""
    if m["falls"] or m["upright"] < 0.9:
        return -math.inf
    if gait in ("trot", "run", "pace"):
        return m["forward"] - 0.3 * abs(m["yaw"])
    if gait in ("trot_turn", "wave_turn"):
        return math.copysign(1.0, yaw) * m["yaw"] - 0.5 * max(0.0, m["drift"] - 0.3)
    return m["airborne"] / 20.0 - 0.1 * m["drift"]


def candidates(rig: GaitRig, gait: str, grid: dict[str, list[float]], signs: list[str], own: bool = False):
    """Every grid point under every sign convention: the rig's (``own``: the rhythm's own, LegRhythm.signs)."""
    field = "trot" if gait == "run" else gait
    keys = list(grid)
    for sign_name in signs:
        for values in itertools.product(*(grid[k] for k in keys)):
            rhythm = LegRhythm(**dict(zip(keys, values, strict=True)))
            data = rig.model_dump()
            data[field] = rhythm.model_dump()
            if gait == "run":
                data["run"] = rhythm.model_dump()
            if own:
                data[field]["signs"] = SIGNS[sign_name]
            else:
                data["signs"] = SIGNS[sign_name]
            yield sign_name, GaitRig.model_validate(data)


def search(
    robot: Any,
    rig: GaitRig,
    groups: dict,
    gait: str,
    grid: dict,
    signs: list[str],
    top: int,
    noisy: int,
    own: bool = False,
):
    turns = gait in ("trot_turn", "wave_turn")
    rows = []
    for sign_name, cand in candidates(rig, gait, grid, signs, own):
        rhythm = getattr(cand, "trot" if gait == "run" else gait)
        dirs = (-1.5, 1.5) if turns else (0.0,)
        results = {}
        for yaw in dirs:
            motion = prior(cand, gait, groups, robot, yaw)
            if motion is None:
                break
            results[yaw] = play(robot, motion, contact=CONTACT.get(gait))
        if len(results) < len(dirs):
            continue
        s = min(score(gait, m, yaw) for yaw, m in results.items())
        rows.append((s, sign_name, rhythm, cand, results))
    rows.sort(key=lambda r: -r[0] if math.isfinite(r[0]) else math.inf)
    out = []
    for s, sign_name, rhythm, cand, results in rows[: top * 3]:
        if not math.isfinite(s):
            break
        # robustness: the same rhythm under small random actions, several seeds
        noisy_ok = 0
        for seed in range(noisy):
            ok = True
            for yaw in results:
                m = play(robot, prior(cand, gait, groups, robot, yaw), noise=0.2, seed=seed)
                ok = ok and score(gait, m, yaw) > -math.inf
            noisy_ok += ok
        out.append(
            {
                "gait": gait,
                "score": round(s, 3),
                "signs": sign_name,
                "rhythm": rhythm.model_dump(exclude_defaults=True),
                "open_loop": {f"yaw {y:+g}" if turns else "zero policy": m for y, m in results.items()},
                "noisy_upright": f"{noisy_ok}/{noisy}",
            }
        )
        if len(out) >= top:
            break
    return out, len(rows), sum(math.isfinite(r[0]) for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="AnymalC")
    ap.add_argument(
        "--gait", action="append", choices=["trot", "run", "pace", "trot_turn", "wave_turn", "pronk"]
    )
    ap.add_argument(
        "--signs", action="append", choices=list(SIGNS), help="sign conventions to try (default all)"
    )
    ap.add_argument(
        "--rhythm-signs",
        action="store_true",
        help="put the tried sign conventions on the rhythm (LegRhythm.signs), keeping the rig's own",
    )
    ap.add_argument("--grid", default="full", choices=list(GRIDS))
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=V1,V2",
        help="replace a grid axis, e.g. --set hz=3,3.5,4 --set calf_lead_deg=0,30",
    )
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--noisy", type=int, default=4, help="noisy seeds each top candidate must stay up in")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--check", action="store_true", help="play the profile's own rig (every gait) instead of searching"
    )
    args = ap.parse_args()
    robot = load_robot(args.model)
    profile = robot.profile
    groups = profile.groups
    base = profile.gait_rig or _blank_rig()
    if args.check:
        if profile.gait_rig is None:
            ap.error(f"{args.model} has no gait rig to check")
        for gait in args.gait or ["trot", "run", "pace", "trot_turn", "wave_turn", "pronk"]:
            for yaw in (-1.5, 1.5) if gait in ("trot_turn", "wave_turn") else (0.0,):
                motion = prior(base, gait, groups, robot, yaw)
                if motion is None:
                    print(f"{gait}: no prior (outside a joint range?)")
                    continue
                m = play(robot, motion, contact=CONTACT.get(gait))
                up = sum(
                    score(gait, play(robot, motion, noise=0.2, seed=k), yaw) > -math.inf
                    for k in range(args.noisy)
                )
                print(
                    json.dumps({"gait": gait, "asked_yaw": yaw, **m, "noisy_upright": f"{up}/{args.noisy}"})
                )
        return
    report = []
    for gait in args.gait or ["trot", "run", "pace", "trot_turn", "wave_turn", "pronk"]:
        t0 = time.time()
        grid = dict(GRIDS[args.grid]["trot" if gait == "run" else gait])
        if gait == "run":
            grid["hz"] = [2.5, 3.0, 3.5]
        for item in args.set:
            field, _, values = item.partition("=")
            grid[field] = [float(v) for v in values.split(",")]
        best, n, upright = search(
            robot,
            base,
            groups,
            gait,
            grid,
            args.signs or list(SIGNS),
            args.top,
            args.noisy,
            args.rhythm_signs,
        )
        print(f"\n== {gait}: {n} candidates, {upright} upright for {SECONDS:g} s ({time.time() - t0:.0f} s)")
        for row in best:
            print(json.dumps(row))
        report += best
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


def _blank_rig() -> GaitRig:
    """A rig to vary, for a profile without one: legs from its per-leg groups, every rhythm a placeholder."""
    legs = {"FR": "front_right_leg", "FL": "front_left_leg", "RR": "rear_right_leg", "RL": "rear_left_leg"}
    r = {"hz": 2.0}
    return GaitRig.model_validate(
        {
            "legs": legs,
            "pace_group": "hip",
            **{k: r for k in ("trot", "run", "pace", "trot_turn", "wave_turn", "pronk")},
        }
    )


if __name__ == "__main__":
    main()
