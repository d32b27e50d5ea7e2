"""The labelled judge set (tests/rewards/data/judge): real rollouts of everyday prompts across the gallery,
each labelled by a person who looked at its frames: did the video show what the words asked?

    python scripts/judge_set.py make [--only NAME]   # roll out every case: rollout .npz + a contact sheet
    python scripts/judge_set.py report               # the designer's verdict on each against its label

A case is a robot, a prompt, which of the designer's three approaches, and the policy that moved it:
'prior' (the approach's motion prior, zero residual), 'start' (the policy training would start from:
the base where there is one, with the prior), 'still' (the zero action, no prior) or 'flail' (a random
action held for 0.2 s, with the prior). Labels are written by hand into labels.json after looking at
the sheets; `make` never writes a label.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1] / "tests" / "rewards" / "data" / "judge"
SHEETS = Path("/tmp/judge-sheets")
SECONDS = 6.0

CASES: dict[str, tuple[str, str, int, str]] = {  # name -> (model, prompt, approach, policy)
    "go1_walk_prior": ("Go1JoystickFlatTerrain", "walk forward", 0, "prior"),
    "go1_walk_still": ("Go1JoystickFlatTerrain", "walk forward", 0, "still"),
    "go1_turn_left_start": ("Go1JoystickFlatTerrain", "turn left", 2, "start"),
    "go1_shake_hips_start": ("Go1JoystickFlatTerrain", "shake your hips", 0, "start"),
    "go1_jump_flail": ("Go1JoystickFlatTerrain", "jump up and down", 0, "flail"),
    "go1_sit_prior": ("Go1JoystickFlatTerrain", "sit down", 0, "prior"),
    "go1_step_in_place_start": ("Go1JoystickFlatTerrain", "march on the spot", 0, "start"),
    "go1_paw_start": ("Go1JoystickFlatTerrain", "give me your paw", 0, "start"),
    "go1_slow_turn_flail": ("Go1JoystickFlatTerrain", "turn right slowly", 1, "flail"),
    "anymal_trot_start": ("AnymalC", "trot in place", 0, "start"),
    "h1_wave_prior": ("H1JoystickGaitTracking", "wave your right hand", 1, "prior"),
    "h1_wave_still": ("H1JoystickGaitTracking", "wave your right hand", 1, "still"),
    "h1_raise_arms_prior": ("H1JoystickGaitTracking", "raise both arms", 0, "prior"),
    "h1_nod_prior": ("H1JoystickGaitTracking", "nod your head", 0, "prior"),
    "g1_flap_prior": ("G1JoystickFlatTerrain", "flap your arms like a bird", 0, "prior"),
    "t1_nod_prior": ("T1JoystickFlatTerrain", "nod your head", 0, "prior"),
    "op3_flap_prior": ("Op3Joystick", "flap your arms like a bird", 0, "prior"),
    "berkeley_wave_prior": ("BerkeleyHumanoidJoystickFlatTerrain", "wave your right hand", 0, "prior"),
    "ur5e_wave_prior": ("UR5e", "wave hello", 0, "prior"),
    "ur5e_circle_still": ("UR5e", "draw a circle in the air", 0, "still"),
    "panda_pick_prior": ("PandaPickCube", "pick up the cube", 0, "prior"),
    "panda_circle_prior": ("PandaPickCube", "draw a circle in the air", 0, "prior"),
    "panda_drawer_prior": ("PandaOpenCabinet", "open the drawer", 0, "prior"),
    "allegro_open_close_prior": ("AllegroHand", "open and close your hand", 0, "prior"),
    "allegro_open_close_still": ("AllegroHand", "open and close your hand", 0, "still"),
    "leap_spin_cube_prior": ("LeapCubeReorient", "spin the cube around", 0, "prior"),
    "leap_wiggle_prior": ("LeapCubeReorient", "wiggle your fingers", 0, "prior"),
    "hopper_hop_still": ("HopperHop", "hop forward", 0, "still"),
    "walker_walk_prior": ("WalkerWalk", "walk forward", 0, "prior"),
    "cheetah_run_flail": ("CheetahRun", "run forward", 0, "flail"),
    # held out: rolled out and labelled after the checks above were frozen
    "go1_trot_fast_start": ("Go1JoystickFlatTerrain", "trot forward quickly", 0, "start"),
    "go1_lie_down_prior": ("Go1JoystickFlatTerrain", "lie down", 0, "prior"),
    "go1_wag_tail_start": ("Go1JoystickFlatTerrain", "wag your tail", 0, "start"),
    "go1_turn_left_still": ("Go1JoystickFlatTerrain", "turn left", 0, "still"),
    "go1_spin_start": ("Go1JoystickFlatTerrain", "spin around in a circle", 1, "start"),
    "anymal_backwards_start": ("AnymalC", "walk backwards", 0, "start"),
    "anymal_sit_prior": ("AnymalC", "sit down", 0, "prior"),
    "spot_walk_prior": ("SpotFlatTerrainJoystick", "walk forward", 0, "prior"),
    "barkour_walk_start": ("BarkourJoystick", "walk forward", 0, "start"),
    "h1_punch_prior": ("H1JoystickGaitTracking", "punch with your left hand", 0, "prior"),
    "h1_squat_prior": ("H1JoystickGaitTracking", "squat down", 0, "prior"),
    "op3_wave_prior": ("Op3Joystick", "wave your right hand", 0, "prior"),
    "g1_raise_arm_prior": ("G1JoystickFlatTerrain", "raise your right arm", 0, "prior"),
    "apollo_clap_prior": ("ApolloJoystickFlatTerrain", "clap your hands", 0, "prior"),
    "ur5e_circle_prior": ("UR5e", "draw a circle", 1, "prior"),
    "ur5e_reach_prior": ("UR5e", "reach forward", 0, "prior"),
    "panda_push_prior": ("PandaRobotiqPushCube", "push the cube", 0, "prior"),
    "panda_lift_flail": ("PandaPickCube", "lift the cube", 0, "flail"),
    "allegro_fist_prior": ("AllegroHand", "make a fist", 0, "prior"),
    "leap_spin_flail": ("LeapCubeReorient", "spin the cube around", 0, "flail"),
    "aloha_wave_prior": ("AlohaHandOver", "wave both arms", 0, "prior"),
    "walker_stand_prior": ("WalkerStand", "stand still", 0, "prior"),
    "cheetah_run_still": ("CheetahRun", "run forward", 0, "still"),
    "humanoid_walk_still": ("HumanoidWalk", "walk forward", 0, "still"),
    # held out, a second batch: rolled out and labelled at the final commit, after every change above
    "go1_hop_start": ("Go1JoystickFlatTerrain", "hop up and down", 0, "start"),
    "go1_bow_prior": ("Go1JoystickFlatTerrain", "bow", 0, "prior"),
    "anymal_turn_right_start": ("AnymalC", "turn right", 0, "start"),
    "h1_raise_left_prior": ("H1JoystickGaitTracking", "raise your left arm", 0, "prior"),
    "h1_wave_both_prior": ("H1JoystickGaitTracking", "wave both hands", 0, "prior"),
    "op3_kick_prior": ("Op3Joystick", "kick with your right foot", 0, "prior"),
    "t1_wave_left_prior": ("T1JoystickFlatTerrain", "wave your left hand", 0, "prior"),
    "ur5e_eight_prior": ("UR5e", "draw a figure eight", 0, "prior"),
    "allegro_wiggle_still": ("AllegroHand", "wiggle your fingers", 0, "still"),
    "walker_walk_flail": ("WalkerWalk", "walk forward", 0, "flail"),
    "g1_squat_prior": ("G1JoystickFlatTerrain", "squat down", 0, "prior"),
}


def _policy(robot, program, kind: str):
    zero = np.zeros(robot.action_size)
    if kind in ("prior", "still"):
        return lambda _obs: zero
    if kind == "flail":
        rng = np.random.default_rng(0)
        hold = max(1, int(round(0.2 / robot.ctrl_dt)))
        state = {"n": 0, "a": zero}

        def flail(_obs):
            if state["n"] % hold == 0:
                state["a"] = rng.uniform(-1.0, 1.0, robot.action_size)
            state["n"] += 1
            return state["a"]

        return flail
    from tabrl.render.rehearsal import _starting_policy

    _name, act = _starting_policy(robot, program)
    return lambda obs: np.asarray(act(np.asarray(obs)[None]))[0]


def make(only: str | None, start: str | None = None) -> None:
    from tabrl.design import design_approaches
    from tabrl.render.artifacts import render_policy
    from tabrl.render.rollout import load_trajectory
    from tabrl.robots.catalog import load_robot

    DATA.mkdir(parents=True, exist_ok=True)
    for name, (model_id, prompt, index, kind) in CASES.items():
        if only and name != only:
            continue
        if start and list(CASES).index(name) < list(CASES).index(start):
            continue
        robot = load_robot(model_id)
        program = design_approaches(model_id, prompt)[index]
        motion = None if kind == "still" else program.motion
        out = SHEETS / name
        render_policy(
            robot,
            _policy(robot, program, kind),
            out,
            seconds=SECONDS,
            width=320,
            height=180,
            motion=motion,
            success=program.success,
            terms=program.terms,
        )
        with np.load(out / "trajectory.npz") as saved:
            np.savez_compressed(
                DATA / f"{name}.npz",
                time=saved["time"].astype(np.float32),
                qpos=saved["qpos"].astype(np.float32),
                qvel=saved["qvel"].astype(np.float32),
                actions=saved["actions"].astype(np.float32),
                motion=json.dumps(motion.model_dump(mode="json") if motion else None),
            )
        load_trajectory(robot, DATA / f"{name}.npz")  # reads back
        verdict = json.loads((out / "metrics.json").read_text())["verdict"]
        print(f"{name}: {verdict and verdict['summary']}  [sheet: {out / 'sheet.jpg'}]")


def report(which: str | None) -> None:
    import sys

    sys.path.insert(0, str(DATA.parents[3]))
    from tests.rewards.judge import judge_all

    rows = judge_all(which)
    agree = sum(r["agree"] for r in rows)
    false_pass = sum(r["passed"] and not r["label"] for r in rows)
    for r in rows:
        mark = "  " if r["agree"] else "XX"
        print(f"{mark} {r['name']:28s} label {'pass' if r['label'] else 'fail'}  verdict {r['summary']}")
    print(f"agreement {agree}/{len(rows)}; verdict ✓ where the label says fail: {false_pass}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["make", "report"])
    parser.add_argument("--only", help="make: one case by name")
    parser.add_argument("--from", dest="start", help="make: this case and the ones after it")
    parser.add_argument("--set", choices=["tune", "held_out"], help="report: one part of the set")
    args = parser.parse_args()
    make(args.only, args.start) if args.command == "make" else report(args.set)


if __name__ == "__main__":
    main()
