"""PPO settings sweep behind tabrl.train.ppo.BUDGET_TABLE (native backend): one JSON line per run.

    python scripts/ppo_settings_sweep.py PROGRAMS CONFIGS BUDGETS
    e.g. python scripts/ppo_settings_sweep.py shake,walk,spin base,e32u8 10000,50000

Each run trains one hand-written program with a motion prior (seed 0), rolls the deterministic
policy out for 10 s and prints the behavior figures and whether the suite-style check passed.
"""

import json
import sys
import time

import numpy as np

from tabrl.render.metrics import behavior_metrics
from tabrl.render.rollout import rollout
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import batch, ppo

M = "Go1JoystickFlatTerrain"
PROGRAMS = {
    "shake": {
        "name": "shake",
        "terms": [
            {
                "term": "joint_sine",
                "weight": 2.0,
                "params": {"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0},
            },
            {"term": "upright", "weight": 1.0},
            {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.2}},
            {"term": "action_rate", "weight": -0.01},
        ],
        "motion": {
            "parts": [{"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0}],
            "residual": 0.5,
        },
    },
    "walk": {
        "name": "walk",
        "terms": [
            {"term": "forward_speed", "weight": 2.0, "params": {"target": 0.6}},
            {"term": "upright", "weight": 1.0},
            {
                "term": "foot_contact_pattern",
                "weight": 0.5,
                "params": {"pattern": "trot", "frequency_hz": 2.0},
            },
            {"term": "action_rate", "weight": -0.01},
        ],
        "motion": {
            "parts": [
                {"group": "hip", "amplitude": 0.25, "frequency_hz": 2.0, "pattern": "trot"},
                {"group": "knee", "amplitude": 0.25, "frequency_hz": 2.0, "pattern": "trot", "phase": 0.25},
            ],
            "residual": 0.6,
        },
    },
    "spin": {
        "name": "spin",
        "terms": [
            {"term": "spin", "weight": 2.0, "params": {"yaw_rate": 1.5}},
            {"term": "upright", "weight": 1.0},
            {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.3}},
            {"term": "action_rate", "weight": -0.01},
        ],
        "motion": {
            "parts": [
                {"group": "hip", "amplitude": 0.25, "frequency_hz": 2.0, "pattern": "trot"},
                {"group": "knee", "amplitude": 0.25, "frequency_hz": 2.0, "pattern": "trot", "phase": 0.25},
            ],
            "residual": 0.6,
        },
    },
}
PROGRAMS["sway"] = {
    "model": "CartpoleBalance",
    "name": "sway",
    "terms": [
        {
            "term": "joint_sine",
            "weight": 1.0,
            "params": {"group": "cart", "amplitude": 0.2, "frequency_hz": 1.0},
        }
    ],
}
PROGRAMS["wave"] = {
    "model": "UR5e",
    "name": "wave",
    "terms": [
        {
            "term": "joint_sine",
            "weight": 2.0,
            "params": {"group": "wrist", "amplitude": 0.5, "frequency_hz": 1.0},
        },
        {
            "term": "ee_path",
            "weight": 1.0,
            "params": {"shape": "line", "plane": "yz", "radius": 0.15, "frequency_hz": 1.0},
        },
        {"term": "action_rate", "weight": -0.01},
    ],
    "motion": {
        "parts": [
            {"group": "shoulder", "amplitude": 0.4, "frequency_hz": 1.0, "pattern": "sync"},
            {"group": "wrist", "amplitude": 0.5, "frequency_hz": 1.0},
        ],
        "residual": 0.5,
    },
}
PROGRAMS["openclose"] = {
    "model": "AllegroHand",
    "name": "openclose",
    "terms": [
        {
            "term": "joint_sine",
            "weight": 2.0,
            "params": {"group": "non_thumb", "amplitude": 0.6, "frequency_hz": 0.5},
        },
        {"term": "action_rate", "weight": -0.01},
    ],
    "motion": {
        "parts": [{"group": "knuckles", "offset": 0.7, "amplitude": 0.6, "frequency_hz": 0.5}],
        "residual": 0.5,
    },
}
CONFIGS = {
    "base": {},
    "e32u8": dict(num_envs=32, unroll_length=8),
    "e32u16": dict(num_envs=32, unroll_length=16),
    "lr3e-4": dict(learning_rate=3e-4),
    "ent1e-3": dict(entropy_cost=1e-3),
    "small": dict(policy_hidden=(64, 64), value_hidden=(128, 128)),
    "e32u8s": dict(num_envs=32, unroll_length=8, policy_hidden=(64, 64), value_hidden=(128, 128)),
    "noise05": dict(init_noise_std=0.5),
    "e16u8": dict(num_envs=16, unroll_length=8),
    "e32u8lr5": dict(num_envs=32, unroll_length=8, learning_rate=5e-4),
    "e64u8": dict(num_envs=64, unroll_length=8),
    "e32u8ep8": dict(num_envs=32, unroll_length=8, num_updates_per_batch=8),
    "e32u16lr5": dict(num_envs=32, unroll_length=16, learning_rate=5e-4),
    "e64u16lr5": dict(num_envs=64, unroll_length=16, learning_rate=5e-4),
}


def score(prog, m):
    g = m["joint_groups"]
    if prog not in ("shake", "walk", "spin"):
        return None
    if prog == "shake":
        return (
            g["hip_abduction"]["amplitude_rad"] >= 0.15
            and m["drift_m"] <= 0.5
            and m["upright_fraction"] >= 0.9
            and m["falls"] == 0
        )
    if prog == "walk":
        return m["forward_speed_mps"] >= 0.3 and m["falls"] == 0
    if prog == "spin":
        return m["abs_yaw_rate_radps"] >= 1.0 and m["drift_m"] <= 0.5 and m["falls"] == 0


robots = {}
progs = sys.argv[1].split(",")
cfgs = sys.argv[2].split(",")
budgets = [int(b) for b in sys.argv[3].split(",")]
for budget in budgets:
    for pname in progs:
        data = dict(PROGRAMS[pname])
        model = data.pop("model", M)
        robot = robots.setdefault(model, load_robot(model))
        program = RewardProgram.parse(data)
        compiled = compile_program(program, robot.spec, np)
        for cname in cfgs:
            cfg = ppo.PPOConfig(**CONFIGS[cname])
            env = NativeBatchEnv(
                robot,
                compiled,
                cfg.num_envs,
                seed=0,
                clock_hz=behavior.program_clock_hz(program),
                motion=program.motion,
            )
            t0 = time.perf_counter()
            params, prog = batch.train(env, budget, cfg, seed=0)
            wall = time.perf_counter() - t0
            nets = ppo.make_networks(
                env.observation_size, env.action_size, cfg.policy_hidden, cfg.value_hidden
            )
            act = ppo.make_deterministic_policy(nets)
            traj = rollout(
                robot,
                lambda o, act=act, params=params: np.asarray(act(params, o)),
                10.0,
                reward_fn=compiled,
                clock_hz=behavior.program_clock_hz(program),
                motion=program.motion,
            )
            m = behavior_metrics(robot, traj)
            print(
                json.dumps(
                    {
                        "budget": budget,
                        "program": pname,
                        "config": cname,
                        "pass": bool(score(pname, m)),
                        "reward": round(m["mean_reward"], 3),
                        "amp": {
                            k: round(v["amplitude_rad"], 3)
                            for k, v in m["joint_groups"].items()
                            if k in ("hip_abduction", "wrist", "non_thumb", "cart")
                        },
                        "fwd": round(m["forward_speed_mps"], 3),
                        "yaw": round(m["abs_yaw_rate_radps"], 3),
                        "drift": round(m["drift_m"], 2),
                        "up": round(m["upright_fraction"], 2),
                        "falls": m["falls"],
                        "train_wall_s": round(wall, 1),
                        "steps": prog.steps,
                    }
                ),
                flush=True,
            )
