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

FPS = 30
# Issue 24's bars over every frame: the whole robot touches the frame's border in at most 2 % of frames,
# and covers 10-60 % of it on average. A thin robot cannot cover 10 % of a 16:9 frame and stay whole (H1
# at 80 % of the frame's height: 5.6 %; dm_control's own cameras: cheetah 2.4 %), nor a quadruped that has
# fallen and flails its legs wide (Go1: 9.5 %; ANYmal trotting: 8.4 %), so those floors are lower
# (scripts/video_coverage.py, table in docs/videos.md).
MAX_TOUCHING = 0.02
MAX_SHARE = 0.60
MIN_SHARE = {"quadruped": 0.06, "humanoid": 0.02, "arm": 0.10, "hand": 0.10, "classic": 0.015}
LEGGED_HEIGHT = (0.35, 0.85)  # a followed robot's height in the frame, as it stumbles or stands


def _flail(action_size, hold=10):
    """An untrained policy: a random action held for ``hold`` control steps (stumbles, falls, rolls)."""
    rng = np.random.default_rng(0)
    state = {"n": 0, "a": np.zeros(action_size)}

    def policy(_obs):
        if state["n"] % hold == 0:
            state["a"] = rng.uniform(-1.0, 1.0, action_size)
        state["n"] += 1
        return state["a"]

    return policy


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
    "model_id,prompt,flail",
    [
        ("Go1JoystickFlatTerrain", "walk forward", True),  # quadruped, stumbling and falling
        ("SpotGetup", "lie down", False),  # quadruped lying (issue 24: cut in 57 of 60 frames)
        ("AnymalC", "trot in place", False),
        ("H1JoystickGaitTracking", "walk forward", True),  # humanoid, falling
        ("UR5e", "wave hello", False),  # arm
        ("PandaPickCube", "draw a circle in the air", True),
        ("AllegroHand", "open and close your hand", False),  # hand
        ("LeapCubeReorient", "wiggle your fingers", True),
        ("CheetahRun", "run forward", True),  # classic (dm_control, its suite's camera)
    ],
)
def test_robot_is_whole_in_every_frame(model_id, prompt, flail):
    """The designer's first approach, its motion prior played with a zero residual (an early policy) or a
    random one (an untrained policy): the whole robot stays in the frame at a readable size; the camera is
    what is tested."""
    robot = load_robot(model_id)
    program = design_approaches(model_id, prompt)[0]
    whole = segment.robot_geoms(robot)
    category = robot.profile.category
    tips = camera.fingertip_bodies(robot) if category == "hand" else []
    stats, hidden_tips = [], []

    def on_frame(renderer, data, cam, _rig):
        renderer.enable_segmentation_rendering()
        renderer.update_scene(data, cam)
        seg = renderer.render()
        renderer.disable_segmentation_rendering()
        ids = np.where(seg[..., 1] == 5, seg[..., 0], -1)  # mjOBJ_GEOM
        mask = np.zeros(ids.shape, bool)
        mask[ids >= 0] = whole[ids[ids >= 0]]
        stats.append(segment.silhouette_stats(mask))
        bodies = robot.mj_model.geom_bodyid[ids[ids >= 0]]
        hidden_tips.extend(robot.mj_model.body(b).name for b in tips if not (bodies == b).any())

    policy = _flail(robot.action_size) if flail else (lambda _obs: np.zeros(robot.action_size))
    rig = _film(robot, 3.0, policy, every=3, motion=program.motion, on_frame=on_frame)
    expected = {
        "quadruped": "follow",
        "humanoid": "follow",
        "arm": "fixed",
        "hand": "hand",
        "classic": "suite",
    }
    assert rig.shot.view == expected[category]
    touching = float(np.mean([s["touches"] for s in stats]))
    shares = [s["share"] for s in stats]
    assert len(stats) >= 25 and touching <= MAX_TOUCHING, f"touches the border in {touching:.0%} of frames"
    assert MIN_SHARE[category] <= np.mean(shares) and max(shares) <= MAX_SHARE, [round(x, 3) for x in shares]
    if rig.shot.view == "follow":
        heights = [s["height"] for s in stats]
        assert LEGGED_HEIGHT[0] <= np.mean(heights) <= LEGGED_HEIGHT[1], np.mean(heights)
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
