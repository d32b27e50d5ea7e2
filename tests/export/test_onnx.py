"""ONNX export: the graph equals the JAX policy, and the exported folder runs in plain MuJoCo."""

from __future__ import annotations

import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import onnx
import onnxruntime
import pytest
from typer.testing import CliRunner

from tabrl.export import model_store
from tabrl.export import onnx as onnx_export
from tabrl.export.onnx import ExportError
from tabrl.pipeline import load_params, load_policy
from tabrl.render.rollout import rollout
from tabrl.rewards.motion import Motion
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.train import checkpoint, ppo

MODEL = "Go1JoystickFlatTerrain"
CLOCK_HZ = 1.5
# A prior the export must carry: the policy acts as a residual around it.
MOTION = {
    "parts": [
        {"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": CLOCK_HZ, "pattern": "alternate"},
        {"group": "knee", "offset": -0.2},
    ],
    "residual": 0.5,
    "ramp_s": 0.5,
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """An untrained Go1 policy with a non-trivial normaliser, saved as a checkpoint and exported.

    Random weights exercise the graph as well as trained ones (parity is about the arithmetic),
    and cost no training time.
    """
    robot = load_robot(MODEL)
    obs_size = behavior.observation_size(robot)
    cfg = ppo.PPOConfig()
    networks = ppo.make_networks(obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    state = ppo.init_state(networks, obs_size, cfg, jax.random.PRNGKey(7))
    rng = np.random.default_rng(3)
    normalizer = state.normalizer.replace(
        mean=jnp.asarray(rng.normal(0, 0.5, obs_size), jnp.float32),
        std=jnp.asarray(rng.uniform(0.3, 2.0, obs_size), jnp.float32),
    )
    params = (normalizer, state.params.policy, state.params.value)
    meta = {
        "model_id": MODEL,
        "program": {"name": "Random", "terms": [], "motion": MOTION},
        "observation_size": obs_size,
        "action_size": robot.action_size,
        "network": cfg.network_kwargs(),
        "clock_hz": CLOCK_HZ,
        "steps": 0,
        "seed": 7,
    }
    folder = tmp_path_factory.mktemp("export") / "policy"
    checkpoint.save(
        folder, params, meta, write_extra=lambda tmp: onnx_export.write_export(tmp, robot, params, meta)
    )
    return robot, folder


def test_export_writes_a_valid_graph_sidecar_model_and_runner(exported):
    _, folder = exported
    for name in (
        "policy.onnx",
        "policy.json",
        "model.mjb",
        "run_policy.py",
        "params.msgpack",
        "metadata.json",
    ):
        assert (folder / name).is_file(), name
    onnx.checker.check_model(onnx.load(str(folder / "policy.onnx")))
    side = json.loads((folder / "policy.json").read_text())
    assert side["model_id"] == MODEL and side["clock_hz"] == CLOCK_HZ
    assert sum(part["size"] for part in side["observation"]["layout"]) == side["observation"]["size"]
    assert len(side["action"]["default_ctrl"]) == side["action"]["size"] == 12
    assert side["motion_program"] == MOTION and len(side["motion"]["omega"]) == 1
    assert not list(folder.glob(".*")), "no temporary files left behind"


def test_onnxruntime_equals_the_jax_policy_on_recorded_observations(exported):
    robot, folder = exported
    policy, _ = load_policy(folder)
    observations = []
    rollout(robot, lambda obs: (observations.append(obs), policy(obs))[1], seconds=4.0, clock_hz=CLOCK_HZ)
    rng = np.random.default_rng(0)
    recorded = np.stack(observations)[:200]  # 200 real states, then 800 perturbed around them
    obs = np.concatenate(
        [recorded, recorded[rng.integers(0, 200, 800)] + rng.normal(0, 0.3, (800, recorded.shape[1]))]
    )
    obs = obs.astype(np.float32)
    assert obs.shape == (1000, behavior.observation_size(robot))
    session = onnxruntime.InferenceSession(str(folder / "policy.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(["action"], {"obs": obs})[0]
    want = np.asarray(policy(obs))
    assert got.shape == want.shape == (1000, 12)
    assert np.abs(want).max() > 0.1, "a policy that outputs zeros proves nothing"
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_plain_mujoco_runner_reproduces_the_studio_rollout(exported, tmp_path):
    """run_policy.py imports nothing from TabRL (``python -I`` from another folder) and follows the same path."""
    robot, folder = exported
    out = tmp_path / "plain.npz"
    env = {"PATH": "/usr/bin:/bin", "MUJOCO_GL": "egl"}
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            str(folder / "run_policy.py"),
            str(folder),
            "--seconds",
            "2",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    plain = np.load(out)
    # The studio's own rollout driven by the same graph: the runner's observation, action map and
    # timing must match it step for step (the graph's parity with JAX is the test above; with a
    # random policy a falling robot turns float32 rounding into different trajectories in ~10 steps).
    session = onnxruntime.InferenceSession(str(folder / "policy.onnx"), providers=["CPUExecutionProvider"])
    studio = rollout(
        robot,
        lambda obs: session.run(["action"], {"obs": obs[None]})[0][0],
        seconds=2.0,
        clock_hz=CLOCK_HZ,
        motion=Motion.model_validate(MOTION),
    )
    assert plain["qpos"].shape == studio.qpos.shape == (100, robot.mj_model.nq)
    np.testing.assert_allclose(plain["actions"], studio.actions, atol=1e-6)
    np.testing.assert_allclose(plain["qpos"], studio.qpos, atol=1e-6)
    moved = np.abs(studio.qpos[-1] - studio.qpos[0]).max()
    assert moved > 0.05, "the policy must move the robot for the comparison to mean anything"


def test_a_studio_export_names_its_shared_model_and_runs_when_put_back(exported, tmp_path):
    """With a store the policy folder holds no model.mjb: its policy.json names the stored one, which
    is the same model the self-contained export carries, and the runner reads the folder made whole."""
    robot, own = exported
    _, params, meta = load_params(own)
    store, folder = tmp_path / "models", tmp_path / "policy"
    checkpoint.save(
        folder,
        params,
        meta,
        write_extra=lambda tmp: onnx_export.write_export(tmp, robot, params, meta, store),
    )
    assert not (folder / "model.mjb").exists() and model_store.shares_model(folder)
    sha = json.loads((folder / "policy.json").read_text())["model_sha256"]
    assert sha == json.loads((own / "policy.json").read_text())["model_sha256"]
    assert set(model_store.stored(store)) == {sha}
    assert model_store.model_of(folder, store) == (own / "model.mjb").read_bytes()
    with model_store.standalone_folder(folder, store) as whole:
        done = subprocess.run(
            [sys.executable, "-I", str(whole / "run_policy.py"), str(whole), "--seconds", "0.5"],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin", "MUJOCO_GL": "egl"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    assert not whole.exists() and {p.name for p in folder.iterdir()} >= {"policy.onnx", "policy.json"}


def test_cli_exports_a_checkpoint_and_refuses_a_bad_one(exported, tmp_path):
    from tabrl.cli import app

    _, folder = exported
    runner = CliRunner()
    result = runner.invoke(app, ["export", str(folder), "--onnx", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "policy.onnx",
        "policy.json",
        "model.mjb",
        "run_policy.py",
    }
    result = runner.invoke(app, ["export", str(tmp_path / "nothing-here"), "--onnx"])
    assert result.exit_code == 2 and "does not exist" in " ".join(result.output.split())


def test_graph_refuses_parameters_that_are_not_the_policy_mlp(exported):
    _, folder = exported
    _, params, meta = load_params(folder)
    with pytest.raises(ExportError, match="observation has"):
        onnx_export.policy_graph(params[0], params[1], meta["observation_size"] + 1, meta["action_size"])
    with pytest.raises(ExportError, match="tanh-normal"):
        onnx_export.policy_graph(params[0], params[1], meta["observation_size"], meta["action_size"] + 2)
    with pytest.raises(ExportError, match="hidden_0"):
        onnx_export.policy_graph(
            params[0], {"params": {"conv": {}}}, meta["observation_size"], meta["action_size"]
        )


def test_play_without_a_display_says_so(exported, monkeypatch):
    from tabrl.cli import app

    _, folder = exported
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    result = CliRunner().invoke(app, ["play", str(folder)])
    assert result.exit_code == 2 and "no display" in result.output


def test_sidecar_prior_and_action_map_equal_the_studio_action_map(exported):
    """The controls a sidecar reader computes are the studio's, prior included, at any time."""
    robot, folder = exported
    side = json.loads((folder / "policy.json").read_text())
    act, prior = side["action"], side["motion"]
    studio = behavior.ActionMap.for_robot(robot, motion=Motion.model_validate(MOTION))
    rng = np.random.default_rng(1)
    for t in (0.0, 0.1, 0.37, 1.0, 4.2):
        action = rng.uniform(-1, 1, 12)
        ramp = min(1.0, t / prior["ramp_s"])
        ref = ramp * (
            np.array(prior["offset"])
            + np.sum(
                np.array(prior["amplitude"])
                * np.sin(t * np.array(prior["omega"])[:, None] + np.array(prior["phase"])),
                axis=0,
            )
        )
        ctrl = np.clip(
            np.array(act["default_ctrl"]) + action * np.array(act["scale"]) + ref, act["low"], act["high"]
        )
        np.testing.assert_allclose(ctrl, studio.ctrl(np, action, t), atol=1e-12)
