"""Motion priors: validation against the robot, the same ctrl on numpy and jax, and the prior in training,
the rollout, the checkpoint and a re-render (real MuJoCo, real PPO)."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from tabrl.render.metrics import behavior_metrics
from tabrl.render.rollout import rollout
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.robots.catalog import load_robot
from tabrl.sim import behavior
from tabrl.sim.native import NativeBatchEnv

SHAKE = {
    "name": "Hip Shake",
    "summary": "hips sway with a prior",
    "terms": [
        {
            "term": "joint_sine",
            "weight": 1.0,
            "params": {"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0},
        },
        {"term": "upright", "weight": 1.0},
        {"term": "stay_in_place", "weight": 0.5},
    ],
    "motion": {
        "parts": [
            {"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0},
            {
                "group": "knee",
                "offset": -0.15,
                "amplitude": 0.1,
                "frequency_hz": 2.0,
                "pattern": "trot",
                "phase": 0.25,
                "residual": 0.3,
            },
        ],
        "residual": 0.5,
        "ramp_s": 0.4,
    },
    "success": "rock >= 0.05 and hip_abduction_amplitude >= 0.15 and upright >= 0.9",
}


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


def _with_motion(**motion) -> dict:
    return {"name": "x", "terms": [{"term": "upright"}], "motion": motion}


def test_prior_ctrl_is_the_same_on_numpy_and_jax(go1):
    program = RewardProgram.parse(SHAKE)
    amap = behavior.ActionMap.for_robot(go1, -1.0, program.motion)
    rng = np.random.default_rng(0)
    t = np.array([0.0, 0.1, 0.37, 1.23, 7.9])
    action = rng.uniform(-1, 1, (len(t), go1.action_size))
    ctrl_np = amap.ctrl(np, action, t)
    ctrl_jax = jax.jit(lambda a, tt: amap.ctrl(jnp, a, tt))(
        jnp.asarray(action, jnp.float32), jnp.asarray(t, jnp.float32)
    )
    np.testing.assert_allclose(np.asarray(ctrl_jax), ctrl_np, atol=2e-5)
    # One state at a time (the MJX env and the rollout) gives the batch's rows.
    for i in range(len(t)):
        np.testing.assert_allclose(
            np.asarray(amap.ctrl(jnp, jnp.asarray(action[i]), jnp.asarray(t[i]))), ctrl_np[i], atol=2e-5
        )
        np.testing.assert_allclose(amap.ctrl(np, action[i], float(t[i])), ctrl_np[i])
    # The formula: default + ramp * prior + residual * scale * action on the hips (residual 0.5).
    hips = go1.spec.groups["hip_abduction"]
    expected = (
        go1.default_ctrl[hips]
        + 0.3 * np.sin(2 * np.pi * 2.0 * 1.23)
        + 0.5 * go1.action_scale * action[3, hips]
    )
    np.testing.assert_allclose(ctrl_np[3, hips], np.clip(expected, amap.low[hips], amap.high[hips]))
    # At t = 0 the ramp holds the default pose; without an action the knees sit at their pose offset later.
    np.testing.assert_allclose(
        amap.ctrl(np, np.zeros(go1.action_size), 0.0), np.clip(go1.default_ctrl, amap.low, amap.high)
    )


def test_trot_pattern_pairs_the_diagonal_legs(go1):
    program = RewardProgram.parse(
        _with_motion(
            parts=[{"group": "hip", "amplitude": 0.2, "frequency_hz": 1.0, "pattern": "trot"}], ramp_s=0
        )
    )
    amap = behavior.ActionMap.for_robot(go1, -1.0, program.motion)
    ref = amap.motion.reference(np, np.array([0.25]))[0]  # a quarter cycle: +amplitude or -amplitude
    names = go1.spec.joint_names
    thigh = {
        n[:2]: ref[go1.spec.groups["hip"][i]] for i, n in enumerate(names[j] for j in go1.spec.groups["hip"])
    }
    assert thigh["FL"] == pytest.approx(thigh["RR"]) == pytest.approx(0.2)
    assert thigh["FR"] == pytest.approx(thigh["RL"]) == pytest.approx(-0.2)


def test_joint_scale_mirrors_and_scales_joints(go1):
    program = RewardProgram.parse(
        _with_motion(
            parts=[
                {
                    "group": "knee",
                    "offset": -0.2,
                    "amplitude": 0.1,
                    "frequency_hz": 1.0,
                    "joint_scale": [1, -1, 0.5, 0],
                }
            ],
            ramp_s=0,
        )
    )
    amap = behavior.ActionMap.for_robot(go1, -1.0, program.motion)
    knees = go1.spec.groups["knee"]
    ref = amap.motion.reference(np, np.array([0.25]))[0][knees]  # offset + amplitude at a quarter cycle
    np.testing.assert_allclose(ref, [-0.1, 0.1, -0.05, 0.0], atol=1e-12)


def test_native_and_mjx_envs_apply_the_prior(go1):
    from tabrl.sim.mjx_env import BehaviorMjxEnv

    program = RewardProgram.parse(SHAKE)
    native = NativeBatchEnv(
        go1,
        compile_program(program, go1.spec, np),
        2,
        nthread=1,
        seed=0,
        clock_hz=behavior.program_clock_hz(program),
        motion=program.motion,
    )
    native.reset()
    native.steps[:] = [30, 71]  # the prior's time is the step's
    action = np.random.default_rng(1).uniform(-1, 1, (2, go1.action_size))
    native.physics_step(action)
    env = BehaviorMjxEnv(go1, program)
    state = env.reset(jax.random.PRNGKey(0))
    for i, step in enumerate((30, 71)):
        s = state.replace(info={**state.info, "step": jnp.asarray(step, jnp.int32)})
        out = env.step(s, jnp.asarray(action[i], jnp.float32))
        np.testing.assert_allclose(np.asarray(out.data.ctrl), native._ctrl[i, 0], atol=2e-5)
    # The policy's clock runs at the prior's frequency.
    assert behavior.program_clock_hz(program) == 2.0
    assert native.clock_hz == 2.0


def test_zero_policy_already_shows_the_prior(go1):
    """Before any training the rollout moves the hips by about the prior's amplitude, upright, in place."""
    program = RewardProgram.parse(SHAKE)
    traj = rollout(
        go1,
        lambda _obs: np.zeros(go1.action_size),
        4.0,
        motion=program.motion,
        clock_hz=behavior.program_clock_hz(program),
    )
    m = behavior_metrics(go1, traj)
    hips = m["joint_groups"]["hip_abduction"]
    assert 0.22 <= hips["amplitude_rad"] <= 0.33 and hips["frequency_hz"] == pytest.approx(2.0, abs=0.3)
    assert m["falls"] == 0 and m["upright_fraction"] > 0.95 and m["drift_m"] < 0.5
    still = behavior_metrics(go1, rollout(go1, lambda _obs: np.zeros(go1.action_size), 4.0))
    assert still["joint_groups"]["hip_abduction"]["amplitude_rad"] < 0.03


@pytest.mark.parametrize(
    "motion,needle",
    [
        (
            {"parts": [{"group": "tail", "amplitude": 0.2, "frequency_hz": 1}]},
            "motion part 1 (group 'tail'): Go1JoystickFlatTerrain has no joint group 'tail'; its groups are: hip_abduction",
        ),
        (
            {"parts": [{"joint": "FR_hip_joint", "offset": 0.1}, {"joint": "nose_joint", "offset": 0.1}]},
            "motion part 2 (joint 'nose_joint'): Go1JoystickFlatTerrain has no joint 'nose_joint'; its joints are: FR_hip",
        ),
        (
            {"parts": [{"group": "knee", "amplitude": 1.4, "frequency_hz": 1}]},
            "motion part 1 (group 'knee'): joint FR_calf_joint would move over",
        ),
        (
            {"parts": [{"group": "knee", "offset": -0.6}, {"group": "knee", "offset": -0.6}]},
            "motion part 2 (group 'knee'): joint FR_calf_joint would move over",
        ),
        (
            {"parts": [{"group": "knee", "offset": -0.2, "joint_scale": [1, 1]}]},
            "motion part 1 (group 'knee'): joint_scale has 2 values but the part has 4 joints (FR_calf_joint",
        ),
        (
            {"parts": [{"group": "knee", "offset": -0.2, "joint_scale": [1, 1, 1, 9]}]},
            "motion part 1: joint_scale values must be finite numbers within [-2, 2]",
        ),
        (
            {"parts": [{"group": "knee", "offset": 0.55, "joint_scale": [1, 1, 1, -2]}]},
            "motion part 1 (group 'knee'): joint RL_calf_joint would move over [-2.9",
        ),
        (
            {"parts": [{"group": "knee", "amplitude": 0.2}]},
            "motion part 1: a sine (amplitude > 0) needs frequency_hz > 0",
        ),
        (
            {"parts": [{"group": "knee", "amplitude": 0.2, "frequency_hz": 40}]},
            "motion part 1 frequency_hz: Input should be less than or equal to 5",
        ),
        (
            {"parts": [{"group": "knee", "amplitude": -0.2, "frequency_hz": 1}]},
            "motion part 1 amplitude: Input should be greater than or equal to 0",
        ),
        (
            {"parts": [{"group": "knee", "amplitude": float("nan"), "frequency_hz": 1}]},
            "motion part 1 amplitude",
        ),
        ({"parts": [{"group": "knee"}]}, "motion part 1: a motion part needs an offset or an amplitude"),
        (
            {"parts": [{"group": "knee", "joint": "FR_calf_joint", "offset": 0.1}]},
            "names exactly one of 'group' or 'joint'",
        ),
        (
            {"parts": [{"group": "knee", "offset": 0.1, "pattern": "moonwalk"}]},
            "motion part 1 pattern: Input should be",
        ),
        (
            {"parts": [{"group": "knee", "offset": 0.1, "expr": "__import__('os')"}]},
            "motion part 1 expr: unexpected field 'expr'",
        ),
        (
            {"parts": [{"group": "knee", "offset": 0.1}], "code": "print(1)"},
            "motion.code: unexpected field 'code'",
        ),
        ({"parts": []}, "motion.parts: List should have at least 1 item"),
        (
            {"parts": [{"group": "knee", "offset": 0.1}] * 13},
            "motion.parts: List should have at most 12 items",
        ),
        (
            {"parts": [{"group": "knee", "offset": 0.1}], "residual": 3},
            "motion.residual: Input should be less than",
        ),
    ],
)
def test_bad_motion_refused_with_the_part_named(go1, motion, needle):
    with pytest.raises(ProgramError) as err:
        program = RewardProgram.parse(_with_motion(**motion))
        compile_program(program, go1.spec, np)
    assert needle in str(err.value)


def test_motor_driven_robot_refuses_a_prior():
    cartpole = load_robot("CartpoleBalance")
    program = RewardProgram.parse(_with_motion(parts=[{"group": "cart", "offset": 0.1}]))
    with pytest.raises(ProgramError, match="CartpoleBalance drives its joints with motors"):
        compile_program(program, cartpole.spec, np)


def test_schema_describes_motion_priors():
    schema = RewardProgram.json_schema()
    assert "motion" in schema["properties"]
    part = schema["$defs"]["MotionPart"]["properties"]
    assert {"group", "joint", "offset", "amplitude", "frequency_hz", "phase", "pattern", "residual"} <= set(
        part
    )
    assert "trot" in json.dumps(part["pattern"])
    assert "residual" in schema["$defs"]["Motion"]["properties"]


@pytest.mark.slow
def test_training_rollout_checkpoint_and_rerender_carry_the_prior(tmp_path):
    from tabrl.pipeline import load_policy, run_render_job, run_training_job

    result = run_training_job("Go1JoystickFlatTerrain", SHAKE, 2_048, tmp_path / "job", render_seconds=3.0)
    hips = result.metrics["joint_groups"]["hip_abduction"]
    assert hips["amplitude_rad"] >= 0.18, hips  # the prior's 0.3 rad, barely trained
    _, meta = load_policy(result.checkpoint)
    assert meta["program"]["motion"]["parts"][0]["amplitude"] == 0.3 and meta["clock_hz"] == 2.0
    stored = json.loads((tmp_path / "job" / "metrics.json").read_text())["verdict"]
    assert (
        stored["checks"][1]["measured"] == pytest.approx(hips["amplitude_rad"])
        and stored["checks"][0]["passed"]
    )
    again = run_render_job(result.checkpoint, tmp_path / "again", seconds=3.0)
    assert again.metrics["joint_groups"]["hip_abduction"]["amplitude_rad"] == pytest.approx(
        hips["amplitude_rad"], abs=1e-6
    )


def test_other_residual_scales_the_joints_no_part_names(go1):
    program = RewardProgram.parse(
        _with_motion(
            parts=[{"group": "hip_abduction", "amplitude": 0.2, "frequency_hz": 1.0}],
            residual=0.5,
            other_residual=0.3,
        )
    )
    amap = behavior.ActionMap.for_robot(go1, -1.0, program.motion)
    hips, knees = go1.spec.groups["hip_abduction"], go1.spec.groups["knee"]
    np.testing.assert_allclose(amap.scale[hips], 0.5 * go1.action_scale)
    np.testing.assert_allclose(amap.scale[knees], 0.3 * go1.action_scale)
