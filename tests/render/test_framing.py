"""Videos that show what was asked: each robot framed from its geometry, the end-effector trace and
target drawn for arms, ten frames on a contact sheet. Measured from MuJoCo segmentation renders."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tabrl.design import design_approaches
from tabrl.render import camera, segment, trace, video
from tabrl.render import rollout as rollout_mod
from tabrl.render.artifacts import render_policy
from tabrl.robots.catalog import load_robot

pytestmark = pytest.mark.slow  # renders frames on software GL

MIN_SHARE = 0.15  # of every frame: the robot's moving parts (issue 16's bar)
FPS = 30


def _film(robot, seconds, policy, *, every=6, width=320, height=180, motion=None, on_frame=None):
    """Rolls out and moves the video rig frame by frame; every ``every``-th frame calls ``on_frame``."""
    rig = camera.CameraRig(robot, width, height, FPS)
    renderer = video.make_renderer(robot, width, height)
    frames = {"n": 0}

    def on_step(step, data):
        t = (step + 1) * robot.ctrl_dt
        while (frames["n"] + 1) / FPS <= t + 1e-9:
            cam = rig.update(data)
            if frames["n"] % every == 0:
                on_frame(renderer, data, cam, rig)
            frames["n"] += 1

    try:
        rollout_mod.rollout(robot, policy, seconds, on_control_step=on_step, motion=motion)
    finally:
        renderer.close()
    return rig


@pytest.mark.parametrize(
    "model_id,prompt",
    [
        ("Go1JoystickFlatTerrain", "walk forward"),
        ("AnymalC", "trot in place"),
        ("UR5e", "wave hello"),
        ("PandaPickCube", "draw a circle in the air"),
        ("AllegroHand", "open and close your hand"),
        ("LeapCubeReorient", "wiggle your fingers"),
    ],
)
def test_moving_parts_cover_every_frame(model_id, prompt):
    """The designer's first approach played with a zero residual: its motion prior moves the robot as an
    early policy does (legs trotting, an arm waving, fingers flexing); the camera is what is tested."""
    robot = load_robot(model_id)
    program = design_approaches(model_id, prompt)[0]
    moving = segment.robot_geoms(robot, moving_only=True)
    tips = camera.fingertip_bodies(robot) if robot.profile.category == "hand" else []
    shares, hidden_tips = [], []

    def on_frame(renderer, data, cam, _rig):
        renderer.enable_segmentation_rendering()
        renderer.update_scene(data, cam)
        seg = renderer.render()
        renderer.disable_segmentation_rendering()
        ids = np.where(seg[..., 1] == 5, seg[..., 0], -1)  # mjOBJ_GEOM
        shares.append(float(moving[ids[ids >= 0]].sum()) / ids.size)
        bodies = robot.mj_model.geom_bodyid[ids[ids >= 0]]
        hidden_tips.extend(robot.mj_model.body(b).name for b in tips if not (bodies == b).any())

    rig = _film(
        robot, 2.0, lambda _obs: np.zeros(robot.action_size), motion=program.motion, on_frame=on_frame
    )
    assert rig.shot.view == {"quadruped": "follow", "arm": "fixed", "hand": "hand"}[robot.profile.category]
    assert len(shares) >= 8 and min(shares) >= MIN_SHARE, (
        f"least {min(shares):.3f} of {[round(s, 3) for s in shares]}"
    )
    assert not hidden_tips, f"fingertips out of sight: {sorted(set(hidden_tips))}"


def test_follow_camera_is_smooth_through_the_gait():
    """Go1 trotting (the designer's walk prior): the look-at point keeps up with the base without its sway."""
    robot = load_robot("Go1JoystickFlatTerrain")
    program = design_approaches("Go1JoystickFlatTerrain", "walk forward")[0]
    assert program.motion is not None
    rig = camera.CameraRig(robot, 320, 180, 1 / robot.ctrl_dt)
    base, look = [], []

    def on_step(_step, data):  # one frame per control step (ctrl_dt 0.02 s)
        look.append(np.array(rig.update(data).lookat))
        base.append(np.array(data.xpos[rig.base]))

    def zero(_obs):
        return np.zeros(robot.action_size)

    rollout_mod.rollout(robot, zero, 4.0, on_control_step=on_step, motion=program.motion)
    base, look = np.array(base)[100:], np.array(look)[100:]  # after the first 2 s: walking, not starting
    jerk_base = np.abs(np.diff(base[:, :2], 2, axis=0)).mean()
    jerk_look = np.abs(np.diff(look[:, :2], 2, axis=0)).mean()
    assert jerk_look < 0.25 * jerk_base, (jerk_look, jerk_base)
    offset = rig.shot.lookat[:2] - rig._base0[:2]
    lag = np.linalg.norm(look[-10:, :2] - offset - base[-10:, :2], axis=1).max()
    assert lag < 0.15, lag  # metres behind the base at the end (the robot is ~0.6 m long)


def _orange(frame):
    r, g, b = (frame[..., k].astype(int) for k in range(3))
    return (r > 200) & (g > 90) & (g < 230) & (b < 90)


def _magenta(frame):
    r, g, b = (frame[..., k].astype(int) for k in range(3))
    return (r > 170) & (b > 130) & (g < 110)


def test_circle_prompt_draws_the_trace_and_the_target():
    robot = load_robot("UR5e")
    program = design_approaches("UR5e", "draw a circle in the air")[0]
    assert any(t.term == "ee_path" for t in program.terms)
    tr = trace.Trace.for_program(robot, program.terms, fps=FPS, scale=1.0)
    assert tr is not None and tr.paths
    got = {}

    def on_frame(renderer, data, cam, _rig):
        renderer.update_scene(data, cam)
        plain = renderer.render()
        tr.draw(renderer.scene, data)
        got["plain"], got["traced"] = plain, renderer.render()

    def zero(_obs):
        return np.zeros(robot.action_size)

    _film(robot, 2.0, zero, every=1, motion=program.motion, on_frame=on_frame)
    plain, traced = got["plain"], got["traced"]
    assert _orange(plain).sum() == 0 and _magenta(plain).sum() == 0  # neither colour is in the scene itself
    assert _orange(traced).sum() > 150, _orange(traced).sum()  # the path drawn over the last 2 s
    assert _magenta(traced).sum() > 100, _magenta(traced).sum()  # the circle asked for
    drawn = np.array(tr.history[0])
    assert np.ptp(drawn, axis=0).max() > 0.05  # the end effector did move along a path


def test_hand_without_fingertip_terms_gets_no_trace():
    robot = load_robot("AllegroHand")
    program = design_approaches("AllegroHand", "open and close your hand")[0]
    assert trace.Trace.for_program(robot, program.terms, fps=FPS, scale=1.0) is None
    assert trace.Trace.for_program(load_robot("Go1JoystickFlatTerrain"), [], fps=FPS, scale=1.0) is None


def test_render_writes_a_contact_sheet_of_ten_frames(tmp_path):
    robot = load_robot("UR5e")
    program = design_approaches("UR5e", "wave hello")[0]

    def zero(_obs):
        return np.zeros(robot.action_size)

    result = render_policy(
        robot, zero, tmp_path, seconds=1.0, width=320, height=180, motion=program.motion, terms=program.terms
    )
    assert result["sheet"] == str(tmp_path / "sheet.jpg")
    with Image.open(tmp_path / "sheet.jpg") as sheet:
        assert sheet.size == (5 * 256, 2 * 144)
        tiles = np.asarray(sheet.convert("RGB")).reshape(2, 144, 5, 256, 3)
    assert all(tiles[r, :, c].std() > 10 for r in range(2) for c in range(5))  # ten real frames
    assert not list(tmp_path.glob(".*part*"))
