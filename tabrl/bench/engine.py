"""`tabrl bench`'s engine figures, in this process: the native environment beside raw physics, PPO beside
the environment, envpool, a whole job, and the rehearsal beside raw physics."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from tabrl.config import STEPS_DEFAULT, VIDEO_SECONDS
from tabrl.design.builtin import design, design_approaches
from tabrl.rewards.compiler import compile_program
from tabrl.robots.catalog import load_robot
from tabrl.sim.native import NativeBatchEnv

BENCH_MODEL = "Go1JoystickFlatTerrain"
BENCH_PROMPT = "keep shaking your hips aloha dude!"


def _timed_rate(fn: Callable[[], int], seconds: float) -> float:
    """Calls ``fn`` (which returns how many env-steps it did) for about ``seconds``; steps/s."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += fn()
    return n / (time.perf_counter() - start)


def design_program(model_id: str, prompt: str) -> Any:
    """The built-in designer's first approach for ``prompt``."""
    return design_approaches(model_id, prompt)[0]


def native_env_throughput(
    model_id: str = BENCH_MODEL, num_envs: int = 64, nthread: int = 2, seconds: float = 3.0
) -> dict[str, Any]:
    """Full native env step (physics + features + reward + obs) vs raw ``mujoco.rollout``."""
    from mujoco import rollout

    robot = load_robot(model_id)
    program = design_program(model_id, BENCH_PROMPT if robot.spec.feet else "move")
    compiled = compile_program(program, robot.spec, np)
    env = NativeBatchEnv(robot, compiled, num_envs, nthread=nthread, seed=0)
    env.reset()
    rng = np.random.default_rng(0)
    actions = rng.uniform(-0.3, 0.3, (32, num_envs, robot.action_size))
    counter = {"i": 0}

    def env_step() -> int:
        env.step(actions[counter["i"] % 32])
        counter["i"] += 1
        return num_envs

    model = robot.mj_model
    datas = [mujoco.MjData(model) for _ in range(nthread)]
    runner = rollout.Rollout(nthread=nthread)
    state0 = env.state.copy()
    nsub = robot.n_substeps
    ctrls = env._action_map.ctrl(np, actions)  # (32, B, nu)
    ctrl_long = np.repeat(ctrls.transpose(1, 0, 2), nsub, axis=1)  # (B, 32 x nsub, nu)
    ctrl_step = np.repeat(env._action_map.default_ctrl[None, None, :], num_envs, axis=0).repeat(nsub, axis=1)

    def raw_long() -> int:  # one call rolls 32 control steps: the physics-only ceiling
        runner.rollout(model, datas, state0, ctrl_long, nstep=32 * nsub)
        return num_envs * 32

    def raw_per_step() -> int:  # one call per control step, as an RL loop must
        runner.rollout(model, datas, state0, ctrl_step, nstep=nsub)
        return num_envs

    ours = _timed_rate(env_step, seconds)
    long_rate = _timed_rate(raw_long, seconds)
    step_rate = _timed_rate(raw_per_step, seconds)
    return {
        "model": model_id,
        "num_envs": num_envs,
        "threads": nthread,
        "substeps": nsub,
        "env_steps_per_s": ours,
        "raw_rollout_steps_per_s": long_rate,
        "raw_rollout_per_control_step_steps_per_s": step_rate,
        "ratio_to_raw_rollout": ours / long_rate,
        "ratio_to_raw_per_control_step": ours / step_rate,
    }


def ppo_throughput(model_id: str, steps: int = 30_000, prompt: str = "walk forward") -> dict[str, Any]:
    """PPO env-steps/s on the native backend, with and without the one-off JIT compile."""
    from tabrl.train import batch, ppo  # JAX: only the PPO figures

    robot = load_robot(model_id)
    compiled = compile_program(design_program(model_id, prompt), robot.spec, np)
    cfg = ppo.PPOConfig()
    env = NativeBatchEnv(robot, compiled, cfg.num_envs, seed=0)
    marks: list[tuple[int, float]] = []
    start = time.perf_counter()
    batch.train(env, steps, cfg, on_progress=lambda p: marks.append((p.steps, time.perf_counter())))
    total = time.perf_counter() - start
    (s0, t0), (s1, t1) = marks[0], marks[-1]
    return {
        "model": model_id,
        "steps": s1,
        "wall_s": total,
        "steps_per_s_overall": s1 / total,
        "steps_per_s_after_compile": (s1 - s0) / max(t1 - t0, 1e-9),
    }


def envpool_throughput(num_envs: int = 64, nthread: int = 2, seconds: float = 3.0) -> dict[str, Any] | None:
    try:
        import envpool  # optional bench extra
    except ImportError:
        return None
    try:
        env = envpool.make(
            "Go1JoystickFlatTerrain-v1", env_type="gymnasium", num_envs=num_envs, num_threads=nthread
        )
    except Exception as e:  # the task may be missing from an envpool build
        return {"error": f"{type(e).__name__}: {e}"}
    env.reset()
    act = np.zeros((num_envs,) + env.action_space.shape, np.float32)
    rate = _timed_rate(lambda: (env.step(act), num_envs)[1], seconds)
    return {
        "env": "Go1JoystickFlatTerrain-v1",
        "num_envs": num_envs,
        "threads": nthread,
        "env_steps_per_s": rate,
    }


def end_to_end(model_id: str = BENCH_MODEL, steps: int = STEPS_DEFAULT) -> dict[str, Any]:
    from tabrl.pipeline import run_training_job  # JAX: only the end-to-end figure

    program = design_program(model_id, BENCH_PROMPT)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = run_training_job(model_id, program, steps, Path(tmp) / "job", seed=0)
        wall = time.perf_counter() - start
    return {
        "model": model_id,
        "steps": res.steps,
        "approach": program.name,
        "wall_s": wall,
        "train_wall_s": res.train_wall_s,
        "render_and_save_s": wall - (res.train_wall_s or 0.0),
    }


REHEARSAL_CASES = (
    ("Go1JoystickFlatTerrain", "keep shaking your hips aloha dude!"),
    ("H1JoystickGaitTracking", "wave your right hand"),
)


def rehearsal_cost(cases: tuple[tuple[str, str], ...] = REHEARSAL_CASES) -> list[dict[str, Any]]:
    """Seconds to rehearse each approach of a design (its prior played for 10 s in 3 noisy starts, with any
    scaled retries), after a warm-up rehearsal that compiles the base policy; beside it, the raw physics
    of the same model stepping the same number of control steps on one thread (``mujoco.rollout``)."""
    from mujoco import rollout

    from tabrl.render.rehearsal import COPIES, rehearse  # JAX (the base policy): this figure only

    out: list[dict[str, Any]] = []
    for model_id, prompt in cases:
        robot = load_robot(model_id)
        programs = design(model_id, prompt).programs
        rehearse(robot, programs[0])  # warm: the policy's compile, the robot's caches
        steps = int(round(VIDEO_SECONDS / robot.ctrl_dt))
        for k, program in enumerate(programs, 1):
            t = time.perf_counter()
            done = rehearse(robot, program)
            seconds = time.perf_counter() - t
            r = done.rehearsal
            assert r is not None
            out.append(
                {
                    "model": model_id,
                    "approach": k,
                    "seconds": round(seconds, 3),
                    "plays": r.plays,
                    "seconds_per_play": round(seconds / r.plays, 3),
                    "note": r.note,
                }
            )
        model, data = robot.mj_model, mujoco.MjData(robot.mj_model)
        state = np.tile(_full_state(model, data), (COPIES, 1))
        ctrl = np.zeros((COPIES, steps * robot.n_substeps, model.nu))
        t = time.perf_counter()
        rollout.rollout(model, data, state, ctrl)
        raw = time.perf_counter() - t
        for row in out:
            if row["model"] == model_id:
                row["raw_physics_same_steps_s"] = round(raw, 3)
                row["ratio_play_to_raw_physics"] = round(float(row["seconds_per_play"]) / raw, 2)
    return out


def _full_state(model: Any, data: Any) -> np.ndarray:
    size = mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    state = np.empty(size)
    mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    return state
