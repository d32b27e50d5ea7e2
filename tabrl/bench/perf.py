"""`tabrl bench`: the engine's performance figures, measured in one run on this machine."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from tabrl.api.served import ServedStudio
from tabrl.jobs.states import ENDED

BENCH_MODEL = "Go1JoystickFlatTerrain"
BENCH_PROMPT = "keep shaking your hips aloha dude!"
RENDER_MODELS = ("AnymalC", "PandaPickCube", "AllegroHand")


def _timed_rate(fn: Callable[[], int], seconds: float) -> float:
    """Calls ``fn`` (which returns how many env-steps it did) for about ``seconds``; steps/s."""
    fn()  # warm up
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        n += fn()
    return n / (time.perf_counter() - start)


def _program(model_id: str, prompt: str):
    from tabrl.design.builtin import design_approaches

    return design_approaches(model_id, prompt)[0]


def native_env_throughput(
    model_id: str = BENCH_MODEL, num_envs: int = 64, nthread: int = 2, seconds: float = 3.0
) -> dict[str, Any]:
    """Full native env step (physics + features + reward + obs) vs raw ``mujoco.rollout``."""
    from mujoco import rollout

    from tabrl.rewards.compiler import compile_program
    from tabrl.robots.catalog import load_robot
    from tabrl.sim.native import NativeBatchEnv

    robot = load_robot(model_id)
    program = _program(model_id, BENCH_PROMPT if robot.spec.feet else "move")
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
    from tabrl.rewards.compiler import compile_program
    from tabrl.robots.catalog import load_robot
    from tabrl.sim.native import NativeBatchEnv
    from tabrl.train import ppo

    robot = load_robot(model_id)
    compiled = compile_program(_program(model_id, prompt), robot.spec, np)
    cfg = ppo.PPOConfig()
    env = NativeBatchEnv(robot, compiled, cfg.num_envs, seed=0)
    marks: list[tuple[int, float]] = []
    start = time.perf_counter()
    ppo.train(env, steps, cfg, on_progress=lambda p: marks.append((p.steps, time.perf_counter())))
    total = time.perf_counter() - start
    (s0, t0), (s1, t1) = marks[0], marks[-1]
    return {
        "model": model_id,
        "steps": s1,
        "wall_s": total,
        "steps_per_s_overall": s1 / total,
        "steps_per_s_after_compile": (s1 - s0) / max(t1 - t0, 1e-9),
    }


def _random_policy(robot):
    """A freshly initialised PPO policy: the same network and inference cost as a trained one."""
    import jax

    from tabrl.sim import behavior
    from tabrl.train import ppo

    obs = behavior.observation_size(robot)
    cfg = ppo.PPOConfig()
    networks = ppo.make_networks(obs, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    state = ppo.init_state(networks, obs, cfg, jax.random.PRNGKey(0))
    act = ppo.make_deterministic_policy(networks)
    params = (state.normalizer, state.params.policy, state.params.value)
    policy = lambda o: np.asarray(act(params, o))  # noqa: E731
    policy(np.zeros(obs, np.float32))  # compile outside the timing
    return policy


def bare_render_ms(
    robot, qpos: np.ndarray, frames: int, width: int, height: int, full_meshes: bool = True
) -> float:
    """A bare ``mujoco.Renderer`` (same scene options as ours) drawing ``frames`` recorded poses."""
    from tabrl.render import video
    from tabrl.render.camera import make_camera

    renderer = video.make_renderer(robot, width, height, full_meshes=full_meshes)
    camera = make_camera(robot)
    data = mujoco.MjData(robot.mj_model)
    poses = [qpos[min(i * len(qpos) // frames, len(qpos) - 1)] for i in range(frames)]
    data.qpos[:] = poses[0]
    mujoco.mj_forward(robot.mj_model, data)
    for _ in range(3):
        renderer.update_scene(data, camera)
        renderer.render()
    start = time.perf_counter()
    for pose in poses:
        data.qpos[:] = pose
        mujoco.mj_kinematics(robot.mj_model, data)
        renderer.update_scene(data, camera)
        renderer.render()
    ms = (time.perf_counter() - start) / frames * 1000
    renderer.close()
    return ms


def render_ms_per_frame(
    model_id: str = BENCH_MODEL, seconds: float = 10.0, width: int = 640, height: int = 360
) -> dict[str, Any]:
    """Our whole video step (rollout + render + encode + poster/trajectory/metrics) per frame, beside a bare
    renderer on the same scene and size measured just before and just after it (their mean is the floor)."""
    from tabrl.render.artifacts import render_policy
    from tabrl.robots.catalog import load_robot

    robot = load_robot(model_id)
    policy = _random_policy(robot)
    frames = int(round(seconds * 30))
    with tempfile.TemporaryDirectory() as tmp:
        warm = render_policy(robot, policy, Path(tmp) / "warm", seconds=1.0, width=width, height=height)
        qpos = np.load(Path(tmp) / "warm" / "trajectory.npz")["qpos"]
        before = bare_render_ms(robot, qpos, frames, width, height)
        start = time.perf_counter()
        render_policy(robot, policy, Path(tmp) / "video", seconds=seconds, width=width, height=height)
        ours = (time.perf_counter() - start) / frames * 1000
        qpos = np.load(Path(tmp) / "video" / "trajectory.npz")["qpos"]
        after = bare_render_ms(robot, qpos, frames, width, height)
        decimated = bare_render_ms(robot, qpos, frames, width, height, full_meshes=False)
    del warm
    bare = (before + after) / 2
    return {
        "model": model_id,
        "width": width,
        "height": height,
        "frames": frames,
        "ours_ms_per_frame": ours,
        "bare_renderer_ms_per_frame": bare,
        "bare_renderer_runs_ms": [before, after],
        "bare_renderer_decimated_ms_per_frame": decimated,
        "ratio_ours_to_bare": ours / bare,
        "ratio_floor_lowered": decimated / bare,
        "gl": os.environ.get("MUJOCO_GL", ""),
        "note": "ours = rollout + render + encode + poster/trajectory/metrics; bare = update_scene + render "
        "of the full meshes; decimated = the drawing model our renderer uses",
    }


TRACE_MODELS = (("UR5e", "wave hello"), ("PandaPickCube", "draw a circle in the air"))


def camera_trace_ms_per_frame(
    model_id: str, prompt: str, seconds: float = 4.0, width: int = 640, height: int = 360
) -> dict[str, Any]:
    """Per-frame drawing cost of the video camera and the end-effector trace, side by side: the same
    recorded frames (the designer's first approach for ``prompt``, its motion prior played) drawn three
    ways, interleaved frame by frame — a fixed camera alone, the video's rig, the rig plus the trace."""
    from tabrl.render import replay, video
    from tabrl.render.artifacts import render_policy, video_rig
    from tabrl.render.camera import make_camera
    from tabrl.robots.catalog import load_robot

    robot = load_robot(model_id)
    program = _program(model_id, prompt)
    zero = lambda _obs: np.zeros(robot.action_size)  # noqa: E731
    frames = int(round(seconds * 30))
    with tempfile.TemporaryDirectory() as tmp:
        render_policy(
            robot, zero, Path(tmp), seconds=seconds, width=width, height=height, motion=program.motion
        )
        trajectory = dict(np.load(Path(tmp) / "trajectory.npz"))
    renderer = video.make_renderer(robot, width, height)
    fixed = make_camera(robot, width, height)
    rig_only, _ = video_rig(robot, width, height, 30, None)
    rig, trace = video_rig(robot, width, height, 30, program.terms)
    totals = {"fixed_camera": 0.0, "video_camera": 0.0, "video_camera_and_trace": 0.0}
    geoms = 0
    for _, data in replay.frame_states(robot, trajectory, frames=frames):
        t0 = time.perf_counter()
        renderer.update_scene(data, fixed)
        renderer.render()
        t1 = time.perf_counter()
        renderer.update_scene(data, rig_only.update(data))
        renderer.render()
        t2 = time.perf_counter()
        renderer.update_scene(data, rig.update(data))  # what render_policy does per frame
        if trace is not None:
            trace.draw(renderer.scene, data)
        renderer.render()
        t3 = time.perf_counter()
        geoms = max(geoms, renderer.scene.ngeom)
        totals["fixed_camera"] += t1 - t0
        totals["video_camera"] += t2 - t1
        totals["video_camera_and_trace"] += t3 - t2
    renderer.close()
    ms = {k: v / frames * 1000 for k, v in totals.items()}
    return {
        "model": model_id,
        "prompt": prompt,
        "frames": frames,
        "width": width,
        "height": height,
        **{f"{k}_ms_per_frame": v for k, v in ms.items()},
        "trace_drawn": trace is not None,
        "scene_geoms_with_trace": geoms,
        "ratio_trace_to_camera": ms["video_camera_and_trace"] / ms["video_camera"],
        "ratio_camera_and_trace_to_fixed": ms["video_camera_and_trace"] / ms["fixed_camera"],
    }


def camera_trace_all(seconds: float = 4.0) -> list[dict[str, Any]]:
    """``camera_trace_ms_per_frame`` for the arms (the robots that get a trace)."""
    out = []
    for model_id, prompt in TRACE_MODELS:
        try:
            out.append(camera_trace_ms_per_frame(model_id, prompt, seconds))
        except Exception as e:  # a robot whose assets are missing here
            out.append({"model": model_id, "error": f"{type(e).__name__}: {e}"})
    return out


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


def end_to_end(model_id: str = BENCH_MODEL, steps: int = 50_000) -> dict[str, Any]:
    from tabrl.pipeline import run_training_job

    program = _program(model_id, BENCH_PROMPT)
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


def approaches_cli_latency(data_dir: Path, runs: int = 2) -> dict[str, Any]:
    """Wall time of ``tabrl approaches --model Go1JoystickFlatTerrain "spin in place"`` as a fresh process."""
    import subprocess
    import sys

    env = {**os.environ, "TABRL_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "tabrl.cli", "approaches", "--model", BENCH_MODEL, "spin in place"]
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
        walls.append(time.perf_counter() - start)
    return {
        "command": " ".join(cmd[2:]),
        "first_s": walls[0],
        "warm_s": min(walls[1:] or walls),
        "runs_s": walls,
    }


class _Studio(ServedStudio):
    """``tabrl serve`` on a fresh data directory; the catalog, compiled robots and XLA programs come from
    the machine's cache (``TABRL_CACHE_DIR``), as for any new data directory."""

    def __init__(self, data_dir: Path, **env: str):
        super().__init__({"TABRL_DATA_DIR": str(data_dir), **env}, data_dir, stop_s=60)
        self.data_dir = data_dir


def _wait_jobs(http, job_ids: list[int], timeout: float = 900.0) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [http.get(f"/api/jobs/{i}").json() for i in job_ids]
        if all(j["status"] in ENDED for j in jobs):
            bad = [j for j in jobs if j["status"] != "done"]
            if bad:
                raise RuntimeError(f"job {bad[0]['id']} ended {bad[0]['status']}: {bad[0]['error']}")
            return jobs
        time.sleep(0.25)
    raise RuntimeError(f"jobs {job_ids} not done after {timeout} s")


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _first_progress(data_dir: Path, job_id: int) -> dict[str, Any]:
    """From the job's stored events: hand-over -> started -> first progress, and queued -> first progress."""
    from tabrl.jobs.db import open_database
    from tabrl.jobs.models import Event

    sessions = open_database(f"sqlite:///{data_dir / 'tabrl.db'}")
    with sessions() as db:
        events = list(db.query(Event).filter(Event.job_id == job_id).order_by(Event.id))
    at: dict[str, Any] = {}
    for e in events:
        at.setdefault(e.type, e)
    started, progress, queued = at["started"], at["progress"], at["queued"]
    to_progress = (progress.created_at - started.created_at).total_seconds()
    handover = float(started.data.get("handover_s") or 0.0)
    return {
        "job": job_id,
        "worker_pid": started.data.get("worker_pid"),
        "worker_jobs": started.data.get("worker_jobs"),
        "worker_warm_up_s": started.data.get("worker_warm_s"),
        "worker_warmed": started.data.get("worker_warmed"),
        "dequeue_to_first_progress_s": handover + to_progress,
        "queued_to_first_progress_s": (progress.created_at - queued.created_at).total_seconds(),
        "started_to_first_progress_s": to_progress,
    }


def _probe_jobs(http, data_dir: Path, session: dict[str, Any], approaches: list[int]) -> list[dict[str, Any]]:
    """Two small jobs one after the other: the first is a worker's first real job (its warm-up compiled Go1
    once: worker_warm_up_s), the second runs on a worker that trained already."""
    probes = []
    for _ in range(2):
        (job,) = http.post(
            "/api/training/batch",
            json={"session_id": session["id"], "approach_ids": approaches[:1], "num_steps": 10_000},
        ).json()["jobs"]
        _wait_jobs(http, [job["id"]])
        probes.append(_first_progress(data_dir, job["id"]))
    return probes


def _train_all(
    http, session: dict[str, Any], approaches: list[int], floor_rates: tuple[float | None, float | None]
) -> dict[str, Any]:
    """One Train All of three Go1 approaches at 50k steps: its wall time beside the page's estimate and the floor."""
    estimate = http.get(
        "/api/estimate", params={"model_id": BENCH_MODEL, "steps": 50_000, "approaches": 3}
    ).json()
    load_before = os.getloadavg()
    start = time.perf_counter()
    jobs = http.post(
        "/api/training/batch",
        json={"session_id": session["id"], "approach_ids": approaches, "num_steps": 50_000},
    ).json()["jobs"]
    done = _wait_jobs(http, [j["id"] for j in jobs])
    wall = time.perf_counter() - start
    steps = sum(j["steps_done"] for j in done)
    frames = 3 * 300
    raw_physics, bare_ms = floor_rates
    floor = steps / raw_physics + frames * bare_ms / 1000 if raw_physics and bare_ms else None
    return {
        "model": BENCH_MODEL,
        "approaches": 3,
        "steps_each": 50_000,
        "steps_trained": steps,
        "video_frames": frames,
        "wall_s": wall,
        "raw_physics_s": steps / raw_physics if raw_physics else None,
        "bare_render_s": frames * bare_ms / 1000 if bare_ms else None,
        "ratio_wall_to_physics_plus_bare_render": wall / floor if floor else None,
        "estimate_before_s": estimate.get("seconds"),
        "estimate_basis": estimate.get("basis"),
        "estimate_error": (estimate["seconds"] - wall) / wall if estimate.get("seconds") else None,
        "load_avg_before": load_before,
        "load_avg_after": os.getloadavg(),
    }


def _wait_warm(http, timeout: float = 600.0) -> dict[str, Any]:
    """Polls ``/api/warm-up`` until the server says ready (catalog complete, a worker warm)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = http.get("/api/warm-up").json()
        if status["ready"]:
            return dict(status)
        time.sleep(0.5)
    raise RuntimeError(f"the server was not warm after {timeout} s: {status}")


def first_and_warm_train_all(
    raw_physics_steps_per_s: float | None = None, bare_render_ms: float | None = None
) -> dict[str, Any]:
    """What a person meets on a new data directory: ``tabrl serve`` started, the first configure sent as
    soon as the server answers, the first Train All (three Go1 approaches, 50k steps, 10 s videos) sent
    when ``/api/warm-up`` says ready, then a second Train All of the same approaches (warm)."""
    import shutil

    import httpx

    configure = {"model_id": BENCH_MODEL, "prompt": BENCH_PROMPT, "num_steps": 50_000}
    floor_rates = (raw_physics_steps_per_s, bare_render_ms)
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-first-"))
    out: dict[str, Any] = {}
    try:
        start = time.perf_counter()
        with _Studio(data_dir) as server, httpx.Client(base_url=server.url, timeout=300) as http:
            out["server_answers_s"] = time.perf_counter() - start
            t = time.perf_counter()
            session = http.post("/api/training/configure", json=configure).raise_for_status().json()
            out["first_configure_s"] = time.perf_counter() - t
            warm = _wait_warm(http)
            out["start_to_warm_s"] = time.perf_counter() - start
            out["catalog_build_s"] = warm["catalog"]["seconds"]
            t = time.perf_counter()
            http.post("/api/training/configure", json=configure).raise_for_status()
            out["configure_when_warm_s"] = time.perf_counter() - t
            approaches = [a["id"] for a in session["designs"][0]["approaches"]]
            out["first"] = _train_all(http, session, approaches, floor_rates)
            out["warm"] = _train_all(http, session, approaches, floor_rates)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    out["ratio_first_to_warm"] = out["first"]["wall_s"] / out["warm"]["wall_s"]
    return out


def studio(
    train_all: bool, raw_physics_steps_per_s: float | None, bare_render_ms: float | None
) -> dict[str, Any]:
    """Through a real ``tabrl serve``: cold and warm job start, the CLI, and optionally a whole Train All,
    trained as one batch (the default) and then, on a second fresh server with batching off, as three jobs."""
    import shutil

    import httpx

    out: dict[str, Any] = {}
    floor_rates = (raw_physics_steps_per_s, bare_render_ms)
    configure = {"model_id": BENCH_MODEL, "prompt": BENCH_PROMPT, "num_steps": 50_000}
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-"))
    try:
        with _Studio(data_dir) as server, httpx.Client(base_url=server.url, timeout=120) as http:
            out["approaches_cli"] = approaches_cli_latency(data_dir)
            session = http.post("/api/training/configure", json=configure).json()
            approaches = [a["id"] for a in session["designs"][0]["approaches"]]
            probes = _probe_jobs(http, data_dir, session, approaches)
            out["job_start"] = {
                "first_job": probes[0],
                "second_job": probes[1],
                "warm_dequeue_to_first_progress_s": probes[1]["dequeue_to_first_progress_s"],
                "same_worker": probes[0]["worker_pid"] == probes[1]["worker_pid"],
            }
            out["worker_rss_mb_after_go1_jobs"] = {
                pid: _rss_mb(pid) for pid in {p["worker_pid"] for p in probes}
            }
            if train_all:
                out["train_all"] = {"batched": True, **_train_all(http, session, approaches, floor_rates)}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    if not train_all:
        return out
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-bench-separate-"))
    try:
        with (
            _Studio(data_dir, TABRL_TRAIN_BATCH_MAX="1") as server,
            httpx.Client(base_url=server.url, timeout=120) as http,
        ):
            session = http.post("/api/training/configure", json=configure).json()
            approaches = [a["id"] for a in session["designs"][0]["approaches"]]
            _probe_jobs(http, data_dir, session, approaches)  # the same warm state and estimate data as above
            out["train_all_separate_jobs"] = {
                "batched": False,
                **_train_all(http, session, approaches, floor_rates),
            }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    out["train_all"]["ratio_to_separate_jobs"] = (
        out["train_all"]["wall_s"] / out["train_all_separate_jobs"]["wall_s"]
    )
    return out


REHEARSAL_CASES = (
    ("Go1JoystickFlatTerrain", "keep shaking your hips aloha dude!"),
    ("H1JoystickGaitTracking", "wave your right hand"),
)


def rehearsal_cost(cases: tuple[tuple[str, str], ...] = REHEARSAL_CASES) -> list[dict[str, Any]]:
    """Seconds to rehearse each approach of a design (its prior played for 10 s in 3 noisy starts, with any
    scaled retries), after a warm-up rehearsal that compiles the base policy; beside it, the raw physics
    of the same model stepping the same number of control steps on one thread (``mujoco.rollout``)."""
    from mujoco import rollout

    from tabrl.design.builtin import design
    from tabrl.render.rehearsal import COPIES, rehearse
    from tabrl.robots.catalog import load_robot

    out: list[dict[str, Any]] = []
    for model_id, prompt in cases:
        robot = load_robot(model_id)
        programs = design(model_id, prompt).programs
        rehearse(robot, programs[0])  # warm: the policy's compile, the robot's caches
        steps = int(round(10.0 / robot.ctrl_dt))
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


def run_all(quick: bool = False, train_all: bool = False, studio_jobs: bool = True) -> dict[str, Any]:
    """Every figure in one run; each ratio's two sides are measured one right after the other."""
    out: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_avg_at_start": os.getloadavg()}}
    native = native_env_throughput(seconds=1.0 if quick else 3.0)
    out["native_env"] = native
    out["ppo"] = [ppo_throughput(BENCH_MODEL, 10_000 if quick else 30_000)]
    if not quick:
        out["ppo"].append(ppo_throughput("CheetahRun", 30_000, prompt="run forward fast"))
    go1_ppo = out["ppo"][0]
    render = render_ms_per_frame(seconds=2.0 if quick else 10.0)
    out["render"] = render
    if not quick:  # the other robots the issue names, shorter (2 s videos)
        out["render_other_robots"] = {}
        for model_id in RENDER_MODELS:
            try:
                r = render_ms_per_frame(model_id, seconds=2.0)
            except Exception as e:  # a robot whose assets are missing here
                out["render_other_robots"][model_id] = {"error": f"{type(e).__name__}: {e}"}
                continue
            out["render_other_robots"][model_id] = {
                k: r[k]
                for k in (
                    "ours_ms_per_frame",
                    "bare_renderer_ms_per_frame",
                    "bare_renderer_decimated_ms_per_frame",
                    "ratio_ours_to_bare",
                )
            }
    out["camera_trace"] = camera_trace_all(seconds=2.0 if quick else 4.0)
    out["rehearsal"] = rehearsal_cost()
    out["envpool"] = envpool_throughput(seconds=1.0 if quick else 3.0)
    if train_all and not quick:  # first: a fresh server, as after `make run`
        out["train_all_first_and_warm"] = first_and_warm_train_all(
            native["raw_rollout_steps_per_s"], render["bare_renderer_ms_per_frame"]
        )
    if studio_jobs and not quick:
        out["studio"] = studio(
            train_all, native["raw_rollout_steps_per_s"], render["bare_renderer_ms_per_frame"]
        )
    elif not quick:
        out["end_to_end"] = end_to_end()
    ratios = {
        "native_env_to_raw_physics": native["ratio_to_raw_rollout"],
        "ppo_to_native_env": go1_ppo["steps_per_s_after_compile"] / native["env_steps_per_s"],
        "render_to_bare_renderer": render["ratio_ours_to_bare"],
        "decimated_floor_to_bare_renderer": render["ratio_floor_lowered"],
    }
    for r in out["camera_trace"]:
        if "ratio_camera_and_trace_to_fixed" in r:
            ratios[f"camera_and_trace_to_fixed_camera_{r['model']}"] = r["ratio_camera_and_trace_to_fixed"]
    if "studio" in out:
        ratios["warm_job_dequeue_to_first_progress_s"] = out["studio"]["job_start"][
            "warm_dequeue_to_first_progress_s"
        ]
        ratios["approaches_cli_warm_s"] = out["studio"]["approaches_cli"]["warm_s"]
        if "train_all" in out["studio"]:
            ratios["train_all_to_physics_plus_bare_render"] = out["studio"]["train_all"][
                "ratio_wall_to_physics_plus_bare_render"
            ]
            ratios["train_all_batched_to_separate_jobs"] = out["studio"]["train_all"][
                "ratio_to_separate_jobs"
            ]
            ratios["train_all_estimate_error"] = out["studio"]["train_all"]["estimate_error"]
    if "train_all_first_and_warm" in out:
        ratios["train_all_first_to_warm"] = out["train_all_first_and_warm"]["ratio_first_to_warm"]
    out["ratios"] = ratios
    out["machine"]["load_avg_at_end"] = os.getloadavg()
    return out
