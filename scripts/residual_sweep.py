"""Ways to keep the base's balance while learning, measured against each other (docs/base-policies.md).

    python scripts/residual_sweep.py OUT.json --model Go1JoystickFlatTerrain --prompts "walk backward;step in place"
        [--steps 20000] [--seeds 0,1] [--variants tuned,frozen,frozen-low,anchored-low,limbs-low]

For each prompt the built-in designer's three approaches are rehearsed (as the studio does), then every
(approach, seed) pair of one variant is trained as one batch from the robot's base (``batch.train_batch``) and
played for 10 s deterministically (``render.rollout``, no video). The start (base + prior, zero residual) is
played the same way. Each row: falls, fallen fraction, the approach's own success verdict and the mean per-step
reward, for the start and for the trained policy. Variants:

    tuned         the base's own network trained (before residual policies)
    frozen        frozen base + zero-initialised residual, start spread 0.3
    frozen-low    the same with start spread 0.1
    anchored-low  L2-anchored trainable base + residual, start spread 0.1
    limbs-low     frozen-low with per-limb residual shares from the body plan (finetune.limb_shares)
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from tabrl.design.builtin import design_approaches
from tabrl.render.metrics import behavior_metrics, evaluate_success
from tabrl.render.rehearsal import rehearse
from tabrl.render.rollout import rollout
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.validate import validate_program
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import batch, finetune, ppo

VARIANTS = {
    "tuned": (finetune.Finetune(mode="tuned"), False),
    "frozen": (finetune.Finetune(mode="frozen", start_std=0.3), False),
    "frozen-low": (finetune.Finetune(mode="frozen", start_std=0.1), False),
    "anchored-low": (finetune.Finetune(mode="anchored", start_std=0.1), False),
    "limbs-low": (finetune.Finetune(mode="frozen", start_std=0.1), True),
}


def play(robot, networks, params, program, compiled) -> dict:
    act = ppo.make_deterministic_policy(networks)
    traj = rollout(
        robot,
        lambda obs: np.asarray(act(params, obs[None]))[0],
        10.0,
        reward_fn=compiled,
        clock_hz=behavior.program_clock_hz(program),
        motion=program.motion,
    )
    m = behavior_metrics(robot, traj)
    verdict = evaluate_success(robot.spec, m, program.success)
    return {
        "falls": int(m["falls"]),
        "fallen_fraction": round(float(m["fallen_fraction"]), 3),
        "passed": None if verdict is None else bool(verdict["passed"]),
        "step_reward": round(float(m["mean_reward"]), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--model", default="Go1JoystickFlatTerrain")
    ap.add_argument("--prompts", required=True, help="';'-separated")
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    a = ap.parse_args()
    robot = load_robot(a.model)
    cfg = ppo.ppo_config_for(a.steps, robot.spec.category)
    networks = ppo.make_networks(
        behavior.observation_size(robot), robot.action_size, cfg.policy_hidden, cfg.value_hidden
    )
    seeds = [int(s) for s in a.seeds.split(",")]
    rows = json.loads(a.out.read_text()) if a.out.exists() else []
    for prompt in a.prompts.split(";"):
        programs = [rehearse(robot, p) for p in design_approaches(a.model, prompt)]
        for variant in a.variants.split(","):
            finetune, limbs = VARIANTS[variant]
            slices = []
            for k, program in enumerate(programs):
                if limbs and program.motion is not None:
                    program = program.model_copy(
                        update={"motion": finetune.limb_shares(robot, program.motion)}
                    )
                program = validate_program(program, robot)
                compiled = compile_program(program, robot.spec, np)
                for seed in seeds:
                    params, _ = finetune.init_from_base(
                        robot, program.motion, cfg, finetune=finetune, seed=seed
                    )
                    slices.append((k, seed, program, compiled, params))
            envs = [
                NativeBatchEnv(
                    robot,
                    c,
                    cfg.num_envs,
                    seed=s,
                    nthread=1,
                    clock_hz=behavior.program_clock_hz(p),
                    motion=p.motion,
                )
                for _, s, p, c, _ in slices
            ]
            start = time.perf_counter()
            trained = batch.train_batch(
                envs,
                a.steps,
                cfg,
                seeds=[s for _, s, *_ in slices],
                init_params=[x[4] for x in slices],
                critic_warmup_iters=finetune.CRITIC_WARMUP_ITERS,
            )
            wall = time.perf_counter() - start
            for (k, seed, program, compiled, params), result in zip(slices, trained, strict=True):
                assert result is not None
                row = {
                    "model": a.model,
                    "prompt": prompt,
                    "approach": k,
                    "name": program.name,
                    "seed": seed,
                    "variant": variant,
                    "steps": a.steps,
                    "train_wall_s": round(wall, 1),
                    "start": play(robot, networks, params, program, compiled),
                    "trained": play(robot, networks, result[0], program, compiled),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
            a.out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
