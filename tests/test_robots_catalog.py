"""The robot catalog, profiles and compiled models (real Playground registry, offline Menagerie)."""

from __future__ import annotations

import json

import mujoco
import pytest
from typer.testing import CliRunner

from tabrl.cli import app
from tabrl.robots import catalog
from tabrl.robots.model import ProfileMismatch, compile_robot
from tabrl.robots.profiles import load_profiles


@pytest.fixture(scope="module")
def entries():
    return {e.id: e for e in catalog.list_models()}


def test_catalog_lists_every_playground_env_and_the_menagerie_robots(entries):
    from mujoco_playground import registry

    assert set(registry.ALL_ENVS) <= set(entries)
    assert {"AnymalC", "UR5e", "AllegroHand"} <= set(entries)
    go1 = entries["Go1JoystickFlatTerrain"]
    assert go1.assets_available and go1.category == "quadruped" and go1.action_size == 12
    assert go1.observation_size == 3 + 3 + 12 + 12 + 12 + 2 and go1.ctrl_dt == pytest.approx(0.02)
    assert go1.label == "Go1JoystickFlatTerrain (Quadruped Robot)"
    for robot_id in ("AnymalC", "UR5e", "AllegroHand", "PandaPickCube", "CheetahRun", "LeapCubeReorient"):
        assert entries[robot_id].assets_available, entries[robot_id].assets_reason


def test_missing_assets_are_reported_not_fatal(entries):
    spot = entries["SpotFlatTerrainJoystick"]
    assert not spot.assets_available
    assert "boston_dynamics_spot" in spot.assets_reason
    with pytest.raises(FileNotFoundError, match="boston_dynamics_spot"):
        catalog.load_robot("SpotFlatTerrainJoystick")


def test_unknown_model_lists_the_closest_ids():
    with pytest.raises(catalog.UnknownModel) as err:
        catalog.load_robot("Go1JoystickFlat")
    assert "Go1JoystickFlatTerrain" in str(err.value)


PROFILE_MODELS = {
    "go1": "Go1JoystickFlatTerrain", "anymal_c": "AnymalC", "barkour": "BarkourJoystick", "h1": "H1InplaceGaitTracking",
    "t1": "T1JoystickFlatTerrain", "panda": "PandaPickCube", "ur5e": "UR5e", "allegro": "AllegroHand",
    "leap": "LeapCubeReorient", "cheetah": "CheetahRun", "cartpole": "CartpoleBalance", "hopper": "HopperHop",
    "walker": "WalkerWalk", "humanoid": "HumanoidWalk", "acrobot": "AcrobotSwingup", "ball_in_cup": "BallInCup",
    "finger": "FingerSpin", "fish": "FishSwim", "pendulum": "PendulumSwingup", "point_mass": "PointMass",
    "reacher": "ReacherEasy", "swimmer": "SwimmerSwimmer6",
}


def test_every_profile_is_checked():
    assert set(load_profiles()) == set(PROFILE_MODELS)


@pytest.mark.parametrize("robot,model_id", sorted(PROFILE_MODELS.items()))
def test_every_profile_name_resolves_in_the_compiled_model(robot, model_id):
    compiled = catalog.load_robot(model_id)
    profile = load_profiles()[robot]
    model = compiled.mj_model
    joint_names = {model.joint(j).name for j in range(model.njnt)}
    for group, joints in profile.groups.items():
        missing = [j for j in joints if j not in joint_names]
        assert not missing, f"profile '{robot}' group '{group}' names {missing}, which {model_id} lacks"
        assert len(compiled.spec.groups[group]) == len(joints)
    assert model.body(profile.base_body).id >= 0
    assert len(compiled.spec.feet_pos_adr) == len(profile.feet)
    assert len(compiled.spec.ee_pos_adr) == len(profile.end_effectors)
    if profile.feet and compiled.spec.floating_base:  # feet are below the base when standing
        assert (compiled.spec.default_feet_rel[:, 2] < 0).all()


def test_a_profile_naming_a_missing_joint_fails_naming_both():
    profile = load_profiles()["go1"].model_copy(update={"groups": {"tail": ["tail_joint"]}})
    spec = mujoco.MjSpec.from_file(str(catalog.menagerie.menagerie_path() / "unitree_go1" / "scene.xml"))
    with pytest.raises(ProfileMismatch, match="group 'tail' names joint 'tail_joint', which Go1Test lacks"):
        compile_robot("Go1Test", spec, profile, ctrl_dt=0.02, sim_dt=0.004)


def test_models_command_table_and_json():
    runner = CliRunner()
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert any(r["id"] == "AnymalC" and r["assets_available"] for r in rows)
    assert any(not r["assets_available"] and r["assets_reason"] for r in rows)
    table = runner.invoke(app, ["models"])
    assert table.exit_code == 0 and "Go1JoystickFlatTerrain" in table.output


def test_doctor_reports_each_check():
    result = CliRunner().invoke(app, ["doctor"])
    assert "GL rendering" in result.output and "Menagerie assets" in result.output and "ffmpeg" in result.output
    assert result.exit_code == 0, result.output
