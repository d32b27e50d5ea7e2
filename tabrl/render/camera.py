"""Video cameras chosen from each robot's own geometry.

* legged robots (a floating base): a 3/4 view that follows the base through a critically damped
  filter (the gait's sway does not shake the picture), at the distance that fits the robot's whole
  body, feet on the ground included;
* arms: a fixed 3/4 view from the side the end effector works on, framing the space the arm's
  links sweep over the policy's action range around the start pose;
* hands: the fixed view, among a few around the hand, in which every fingertip is visible and the
  hand is largest (measured with segmentation renders once per model);
* dm_control models: their suite's own camera (a tracking one where the suite has it).

A profile's ``camera`` part may override any of it. The rig depends on the robot only, never on
the reward program: the three videos of a session are filmed alike.
"""

from __future__ import annotations

import collections
import dataclasses
import math
import threading
from typing import Any, Literal

import mujoco
import numpy as np

from tabrl.render import segment
from tabrl.render.video import make_renderer
from tabrl.robots import catalog
from tabrl.robots.model import Robot

View = Literal["follow", "fixed", "hand", "suite"]
# Candidate views, the one in which the robot's moving parts cover most of the frame is kept (measured
# with segmentation renders once per model). Legged: front-right 3/4 views of a robot facing +x, 15-45
# degrees off its side (azimuth 90 is the side). Arms: 45-90 degrees round from the base->end-effector
# direction, from level to steeply above. Hands: all round, and from above.
FOLLOW_AZIMUTHS, FOLLOW_ELEVATIONS = (105.0, 120.0, 135.0), (-20.0, -30.0)
ARM_OFFSETS, ARM_ELEVATIONS = (45.0, 67.5, 90.0), (-25.0, -35.0, -45.0)
HAND_AZIMUTHS, HAND_ELEVATIONS = tuple(float(a) for a in range(0, 360, 45)), (-20.0, -50.0, -80.0)
# An arm's view is scored on the start pose and these many random poses over its whole action range
# (measured, Panda drawing a circle: 17.6 % of the frame at the least, 16.1 % scored on the start pose).
SEARCH_POSES, SEARCH_SHARE = 6, 1.0
# A followed robot's silhouette rows narrower than this share of its widest row, above its body, are a
# thin part sticking up (ANYmal's antenna: 16 cm of its 84 cm height) and do not set the frame's top.
THIN_TOP = 0.03
# Share of the half-frame the robot's hull reaches in the first frame. A quadruped's height is then about 60 %
# of the frame (issue 24: 40-60 %, room to step, roll and sway); a humanoid, tall and thin in a 16:9 frame,
# about 80 % (at 60 % it would cover 3 % of the frame); an arm's or hand's hull already holds its reach poses.
FILL = {"follow": 0.62, "follow_tall": 0.8, "fixed": 0.85, "hand": 0.85}
FOLLOW_HZ, FOLLOW_Z_HZ, VELOCITY_HZ = 1.0, 1.0, 0.3  # filter bandwidths: far below a 2-3 Hz gait
# The robot's hull (as posed this frame) projected past this share of the half-frame widens the view, so its
# silhouette stays inside the frame's central 90 % (segment.MARGIN) ...
EDGE = 0.86
WIDEN_HZ = 5.0  # ... smoothly, at this rate, and never back in (no pumping zoom)
REACH_SAMPLES = 32  # random poses around the start pose that an arm's or hand's frame must hold
# Of the action range: the start frame's poses; wider motion widens it (CameraRig.update). An arm starts
# tighter (measured, UR5e waving: 33 % of the frame against 22 % at 0.5); a hand at 0.3 is filmed from
# the side, where curled fingers cover less (Allegro: 15.5 % against 16 %).
REACH_SHARE = {"fixed": 0.3, "hand": 0.5}
_SUITE_TRACKING = (int(mujoco.mjtCamLight.mjCAMLIGHT_TRACK), int(mujoco.mjtCamLight.mjCAMLIGHT_TRACKCOM))


def basis(azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(forward, right, up) of MuJoCo's free camera at this azimuth and elevation (degrees)."""
    a, e = math.radians(azimuth), math.radians(elevation)
    forward = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    up = np.array([-math.sin(e) * math.cos(a), -math.sin(e) * math.sin(a), math.cos(e)])
    return forward, np.cross(forward, up), up


def fit_distance(
    corners: np.ndarray, azimuth: float, elevation: float, fovy: float, aspect: float, fill: float
) -> float:
    """The distance from which points (relative to the look-at point) all lie within ``fill`` of the
    half-frame, for a perspective camera of vertical field ``fovy`` (degrees)."""
    forward, right, up = basis(azimuth, elevation)
    ty = math.tan(math.radians(fovy) / 2) * fill
    tx = ty * aspect
    x, y, z = corners @ right, corners @ up, corners @ forward
    return float(max(np.max(np.abs(x) / tx - z), np.max(np.abs(y) / ty - z), 1e-3))


_SIGNS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], np.float64)


# 26 directions (faces, edges and corners of a cube): a mesh's extreme vertices along them hug its hull.
_DIRS = np.array([d for d in np.ndindex(3, 3, 3) if d != (1, 1, 1)], np.float64) - 1.0
# Per drawn model (the last few: a long-running worker films robot after robot, and an unbounded cache
# would keep every model it ever loaded alive).
_extreme_cache: collections.OrderedDict[int, tuple[mujoco.MjModel, dict[int, np.ndarray]]] = (
    collections.OrderedDict()
)
_EXTREMES_KEPT = 8


def _mesh_extremes(model: mujoco.MjModel) -> dict[int, np.ndarray]:
    """Per mesh: its vertices (mesh frame = geom frame) farthest along each of the 26 directions."""
    hit = _extreme_cache.get(id(model))
    if hit is not None and hit[0] is model:
        _extreme_cache.move_to_end(id(model))
        return hit[1]
    out = {}
    for m in range(model.nmesh):
        va, nv = int(model.mesh_vertadr[m]), int(model.mesh_vertnum[m])
        verts = np.asarray(model.mesh_vert[va : va + nv], np.float64)
        out[m] = np.unique(verts[np.argmax(verts @ _DIRS.T, axis=0)], axis=0)
    _extreme_cache[id(model)] = (model, out)
    while len(_extreme_cache) > _EXTREMES_KEPT:
        _extreme_cache.popitem(last=False)
    return out


def robot_points(model: mujoco.MjModel, data: mujoco.MjData, geom_mask: np.ndarray) -> np.ndarray:
    """(n, 3) world points whose hull hugs the robot as posed: each mesh's extreme vertices, and the
    corners of every other geom's bounding box."""
    ids = np.flatnonzero(geom_mask)
    is_mesh = model.geom_type[ids] == int(mujoco.mjtGeom.mjGEOM_MESH)
    pts = []
    boxes = ids[~is_mesh]
    if len(boxes):
        aabb = model.geom_aabb[boxes]
        local = aabb[:, None, :3] + _SIGNS[None] * aabb[:, None, 3:]
        rot = data.geom_xmat[boxes].reshape(-1, 3, 3)
        pts.append((data.geom_xpos[boxes, None, :] + np.einsum("nij,nkj->nki", rot, local)).reshape(-1, 3))
    extremes = _mesh_extremes(model)
    for g in ids[is_mesh]:
        local = extremes[int(model.geom_dataid[g])]
        pts.append(data.geom_xpos[g] + local @ data.geom_xmat[g].reshape(3, 3).T)
    return np.concatenate(pts) if pts else np.zeros((0, 3))


def _default_data(robot: Robot) -> mujoco.MjData:
    data = mujoco.MjData(robot.mj_model)
    data.qpos[:] = robot.spec.default_qpos
    mujoco.mj_forward(robot.mj_model, data)
    return data


def reach_poses(robot: Robot, share: float, samples: int = REACH_SAMPLES) -> list[np.ndarray]:
    """``samples`` random qpos around the start pose, each joint offset by up to ``share`` of its
    action scale (inside its range)."""
    model, spec = robot.mj_model, robot.spec
    scale = np.broadcast_to(np.asarray(robot.action_scale, np.float64), (model.nu,))
    joint_scale = np.zeros(spec.n_joints)
    for a, j in enumerate(robot.actuator_joint):
        if j >= 0:
            joint_scale[j] = max(joint_scale[j], scale[a])
    rng = np.random.default_rng(0)
    low, high = spec.joint_range[:, 0], spec.joint_range[:, 1]
    poses = []
    for _ in range(samples):
        qpos = np.array(spec.default_qpos, np.float64)
        q = spec.default_joint_pos + rng.uniform(-1, 1, spec.n_joints) * joint_scale * share
        qpos[spec.joint_qpos_adr] = np.clip(q, low, high)
        poses.append(qpos)
    return poses


def reach_points(
    robot: Robot, geom_mask: np.ndarray, share: float, samples: int = REACH_SAMPLES
) -> np.ndarray:
    """Robot points over the start pose and random poses around it (``reach_poses``): the space the
    motion works in, not the arm's full reach."""
    model = robot.mj_model
    data = _default_data(robot)
    pts = [robot_points(model, data, geom_mask)]
    for qpos in reach_poses(robot, share, samples):
        data.qpos[:] = qpos
        mujoco.mj_kinematics(model, data)
        pts.append(robot_points(model, data, geom_mask))
    return np.concatenate(pts)


def frame_points(
    points: np.ndarray, azimuth: float, elevation: float, fovy: float, aspect: float, fill: float
) -> tuple[np.ndarray, float]:
    """(look-at, distance) that centre ``points`` in the picture and fit them within ``fill``."""
    _, right, up = basis(azimuth, elevation)
    lookat = (points.min(axis=0) + points.max(axis=0)) / 2
    for _ in range(4):  # re-centre on the projected extent (perspective makes near parts bigger)
        dist = fit_distance(points - lookat, azimuth, elevation, fovy, aspect, fill)
        forward = basis(azimuth, elevation)[0]
        rel = points - lookat
        depth = dist + rel @ forward
        sx, sy = (rel @ right) / depth, (rel @ up) / depth
        lookat = lookat + right * (sx.max() + sx.min()) / 2 * dist + up * (sy.max() + sy.min()) / 2 * dist
    return lookat, fit_distance(points - lookat, azimuth, elevation, fovy, aspect, fill)


def _point_body(model: mujoco.MjModel, point: str) -> int:
    name = point.split("@", 1)[0]
    try:
        return int(model.site(name).bodyid[0])
    except KeyError:
        return int(model.body(name).id)


def fingertip_bodies(robot: Robot) -> list[int]:
    """The profile's end-effector bodies, else the leaves of the robot's moving tree."""
    model = robot.mj_model
    if robot.profile.end_effectors:
        return [_point_body(model, p) for p in robot.profile.end_effectors]
    moving = segment.robot_bodies(robot, moving_only=True)
    has_child = np.zeros(model.nbody, bool)
    has_child[model.body_parentid[1:]] = True
    return [int(b) for b in np.flatnonzero(moving & ~has_child)]


@dataclasses.dataclass
class Shot:
    """A fixed or followed free-camera view: look-at point, angles and distance."""

    view: View
    lookat: np.ndarray
    azimuth: float
    elevation: float
    distance: float
    suite_camera: int = -1


_searched_shots: dict[tuple[Any, ...], tuple[Shot, np.ndarray, np.ndarray]] = {}
_search_lock = threading.Lock()


class CameraRig:
    """One robot's video camera: ``camera`` is the MjvCamera, ``update(data)`` moves it for the next frame."""

    def __init__(self, robot: Robot, width: int = 640, height: int = 360, fps: float = 30.0):
        self.robot, self.dt = robot, 1.0 / fps
        self.aspect = width / height
        model = robot.mj_model
        self.fovy = float(model.vis.global_.fovy)
        self.override = robot.profile.camera
        self.geoms = segment.robot_geoms(robot)
        self.base = model.body(robot.profile.base_body).id if robot.profile.base_body != "world" else 0
        data = _default_data(robot)
        self._base0 = np.array(data.xpos[self.base])
        self.shot = self._choose_shot(data)
        self.camera = mujoco.MjvCamera()
        if self.shot.view == "suite":
            self.camera.type = mujoco.mjtCamera.mjCAMERA_FIXED
            self.camera.fixedcamid = self.shot.suite_camera
        else:
            self.camera.type = mujoco.mjtCamera.mjCAMERA_FREE
            self.camera.azimuth, self.camera.elevation = self.shot.azimuth, self.shot.elevation
            self.camera.distance = self.shot.distance
            self.camera.lookat[:] = self.shot.lookat
        self._state: tuple[np.ndarray, ...] | None = None
        self._target: tuple[np.ndarray, float] | None = None

    # -- choosing the view -----------------------------------------------------------------
    def _view(self) -> View:
        if self.override.view:
            return self.override.view
        robot = self.robot
        suite_cam = self._suite_camera()
        if robot.model_id in _dm_control_ids() and suite_cam >= 0 and not self.override.framing_given():
            return "suite"
        if robot.spec.floating_base:
            return "follow"
        return "hand" if robot.profile.category == "hand" else "fixed"

    def _suite_camera(self) -> int:
        model = self.robot.mj_model
        if self.override.suite_camera:
            return int(model.camera(self.override.suite_camera).id)
        tracking = [i for i in range(model.ncam) if int(model.cam_mode[i]) in _SUITE_TRACKING]
        side = [i for i in tracking if "side" in model.camera(i).name]
        world_fixed = [
            i for i in range(model.ncam) if int(model.cam_mode[i]) == 0 and model.cam_bodyid[i] == 0
        ]
        for pick in (side, tracking, world_fixed):
            if pick:
                return pick[0]
        return -1

    def _choose_shot(self, data: mujoco.MjData) -> Shot:
        view = self._view()
        if view == "suite":
            return Shot("suite", np.zeros(3), 0.0, 0.0, 0.0, suite_camera=self._suite_camera())
        robot, model = self.robot, self.robot.mj_model
        if not self.geoms.any():  # nothing drawn to frame: the whole model, as MuJoCo's viewer would
            self.geoms = (model.geom_group <= 2) & (model.geom_bodyid > 0)
        fill = self._fill(view)
        poses: list[np.ndarray] = []
        azimuths: tuple[float, ...]
        elevations: tuple[float, ...]
        if view == "follow":
            points = robot_points(model, data, self.geoms)
            azimuths, elevations = FOLLOW_AZIMUTHS, FOLLOW_ELEVATIONS
        elif view == "fixed":
            points = reach_points(robot, self.geoms, REACH_SHARE["fixed"])
            side = self._arm_azimuth(data)
            azimuths, elevations = tuple(side + o + 180.0 for o in ARM_OFFSETS), ARM_ELEVATIONS
            poses = reach_poses(robot, SEARCH_SHARE, SEARCH_POSES)
        else:  # a hand: scored on the start pose, where every fingertip must show
            points = reach_points(robot, self.geoms, REACH_SHARE["hand"])
            azimuths, elevations = HAND_AZIMUTHS, HAND_ELEVATIONS
        if self.override.azimuth is not None:
            azimuths = (self.override.azimuth,)
        if self.override.elevation is not None:
            elevations = (self.override.elevation,)
        self._hull, self.watched = points, self.geoms
        if len(azimuths) * len(elevations) == 1:
            az, el = azimuths[0], elevations[0]
            lookat, dist = frame_points(points, az, el, self.fovy, self.aspect, fill)
            shot = Shot(view, lookat, az, el, dist)
        else:
            key = (id(model), view, round(self.aspect * 1000), round(fill * 1000), azimuths, elevations)
            with _search_lock:
                if key not in _searched_shots:
                    _searched_shots[key] = self._search_shot(view, azimuths, elevations, points, poses, fill)
                found, self._hull, self.watched = _searched_shots[key]
            shot = dataclasses.replace(found, lookat=found.lookat.copy())
        if self.override.distance is not None:
            shot.distance = self.override.distance
        return shot

    def _fill(self, view: View) -> float:
        if self.override.fill:
            return self.override.fill
        if view == "follow" and self.robot.profile.category != "quadruped":
            return FILL["follow_tall"]
        return FILL[view]

    def _arm_azimuth(self, data: mujoco.MjData) -> float:
        """The base->end-effector direction (degrees): the side the arm works on."""
        spec = self.robot.spec
        base = (
            data.xpos[self.base]
            if self.base
            else data.xpos[np.flatnonzero(segment.robot_bodies(self.robot))[0]]
        )
        if len(spec.ee):
            reach = data.sensordata[spec.ee_pos_adr[0]] - base
        else:
            reach = robot_points(self.robot.mj_model, data, self.geoms).mean(axis=0) - base
        return math.degrees(math.atan2(reach[1], reach[0])) if np.hypot(reach[0], reach[1]) > 1e-3 else 0.0

    def _search_shot(
        self, view, azimuths, elevations, points, poses, fill
    ) -> tuple[Shot, np.ndarray, np.ndarray]:
        """Among the candidate views framing ``points``, the one in which the moving parts cover most
        of the frame, averaged over the start pose and ``poses`` (segmentation renders at low
        resolution), the points it frames and the geoms watched per frame. A hand's view must also show
        every fingertip; a followed robot's thin parts sticking up are left out of its framing (THIN_TOP)."""
        robot, model = self.robot, self.robot.mj_model
        data = _default_data(robot)
        starts = [np.array(data.qpos), *poses]
        tips = fingertip_bodies(robot) if view == "hand" else []
        tip_geoms = [self.geoms & (model.geom_bodyid == b) for b in tips]
        moving = segment.robot_geoms(robot, moving_only=True)
        h = 72
        w = max(1, round(h * self.aspect))
        renderer = make_renderer(robot, w, h)
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        best: tuple[float, Shot] | None = None
        try:
            for el in elevations:
                for az in azimuths:
                    lookat, cam.distance = frame_points(points, az, el, self.fovy, self.aspect, fill)
                    cam.azimuth, cam.elevation, cam.lookat[:] = az, el, lookat
                    covers, shown = [], 1.0
                    for k, qpos in enumerate(starts):
                        data.qpos[:] = qpos
                        mujoco.mj_kinematics(model, data)
                        renderer.enable_segmentation_rendering()
                        renderer.update_scene(data, cam)
                        seg = renderer.render()
                        renderer.disable_segmentation_rendering()
                        ids = np.where(seg[..., 1] == int(mujoco.mjtObj.mjOBJ_GEOM), seg[..., 0], -1)
                        valid = ids >= 0
                        covers.append(moving[ids[valid]].sum() / ids.size if valid.any() else 0.0)
                        if k == 0 and tips:
                            tip_px = [int(mask[ids[valid]].sum()) for mask in tip_geoms]
                            shown = sum(px >= 4 for px in tip_px) / len(tip_px)
                    score = float(np.mean(covers)) * (1.0 if shown == 1.0 else 0.1 * shown)
                    if best is None or score > best[0]:
                        best = (score, Shot(view, lookat, float(az), float(el), cam.distance))
            assert best is not None  # every candidate view is scored
            shot = best[1]
            if view == "follow":
                data.qpos[:] = starts[0]
                mujoco.mj_kinematics(model, data)
                cam.azimuth, cam.elevation, cam.distance = shot.azimuth, shot.elevation, shot.distance
                cam.lookat[:] = shot.lookat
                rows = segment.segment(renderer, data, cam, self.geoms).sum(axis=1)
                return self._without_thin_top(shot, points, rows, fill, data)
        finally:
            renderer.close()
        return shot, points, self.geoms

    def _without_thin_top(self, shot: Shot, points: np.ndarray, rows: np.ndarray, fill: float, data):
        """``shot`` re-framed without the points above the silhouette's first row that is at least
        THIN_TOP as wide as its widest (``rows``: robot pixels per image row, top first), those points,
        and the geoms the rig watches per frame (those with no point above that row; ``data``: the pose)."""
        if not rows.any():
            return shot, points, self.geoms
        top = int(np.flatnonzero(rows >= THIN_TOP * rows.max())[0])
        if top - int(np.flatnonzero(rows)[0]) < 2:
            return shot, points, self.geoms  # nothing thin on top
        h = len(rows)
        top_tan = (h / 2 - top) / (h / 2) * math.tan(math.radians(self.fovy) / 2)
        forward, _, up = basis(shot.azimuth, shot.elevation)

        def below(pts: np.ndarray) -> np.ndarray:
            rel = pts - shot.lookat
            return (rel @ up) / (shot.distance + rel @ forward) <= top_tan

        keep = below(points)
        if keep.sum() < 8:
            return shot, points, self.geoms
        watched = self.geoms.copy()
        for g in np.flatnonzero(self.geoms):
            one = np.zeros_like(self.geoms)
            one[g] = True
            watched[g] = bool(below(robot_points(self.robot.mj_model, data, one)).all())
        lookat, dist = frame_points(points[keep], shot.azimuth, shot.elevation, self.fovy, self.aspect, fill)
        return Shot(shot.view, lookat, shot.azimuth, shot.elevation, dist), points[keep], watched

    # -- per frame ---------------------------------------------------------------------------
    def update(self, data: mujoco.MjData) -> mujoco.MjvCamera:
        """The camera for this frame: a follow view moves towards the base, and any view widens
        (smoothly, only ever out) when the robot reaches past the frame's edge."""
        if self.shot.view == "suite":
            return self.camera
        if self._target is None:
            self._seen = self._hull
            self._target = (np.array(self.shot.lookat), self.shot.distance)
            self._frame_lookat = np.array(self.shot.lookat)
        if self.shot.view == "follow":
            self._follow(data)
        cam = self.camera
        hull = robot_points(self.robot.mj_model, data, self.watched)
        rel = hull - np.asarray(cam.lookat)
        if fit_distance(rel, cam.azimuth, cam.elevation, self.fovy, self.aspect, EDGE) > self._target[1]:
            # Re-frame the start hull plus every pose seen so far past the edge: the motion's own space.
            offset = self.shot.lookat - np.asarray(cam.lookat)  # a follow view frames relative to the base
            self._seen = np.vstack([self._seen, hull + offset])
            fill = self._fill(self.shot.view)
            lookat, dist = frame_points(self._seen, cam.azimuth, cam.elevation, self.fovy, self.aspect, fill)
            self._target = (lookat, max(dist, self._target[1]))
        k = 1.0 - math.exp(-2 * math.pi * WIDEN_HZ * self.dt)
        self._frame_lookat = self._frame_lookat + (self._target[0] - self._frame_lookat) * k
        cam.distance += (self._target[1] - cam.distance) * k
        if self.shot.view != "follow":
            cam.lookat[:] = self._frame_lookat
        else:
            cam.lookat[:] = np.asarray(cam.lookat) + (self._frame_lookat - self.shot.lookat)
        return cam

    def _follow(self, data: mujoco.MjData) -> None:
        x = np.array(data.xpos[self.base], np.float64)
        if self._state is None:
            self._state = (x.copy(), np.zeros(3), np.zeros(3), np.zeros(3), x.copy())
        p, v, vs, dvs, last = self._state
        dt = self.dt
        w = 2 * math.pi * np.array([FOLLOW_HZ, FOLLOW_HZ, FOLLOW_Z_HZ])
        v = v + (w * w * (x - p) - 2 * w * v) * dt  # critically damped spring towards the base
        p = p + v * dt
        ws = 2 * math.pi * VELOCITY_HZ  # the base's travel velocity, through a second slower spring
        dvs = dvs + (ws * ws * ((x - last) / dt - vs) - 2 * ws * dvs) * dt
        vs = vs + dvs * dt
        self._state = (p, v, vs, dvs, x)
        lead = np.array([2 / w[0] * vs[0], 2 / w[1] * vs[1], 0.0])  # cancels the spring's lag at steady speed
        self.camera.lookat[:] = p + lead + (self.shot.lookat - self._base0)


def make_camera(robot: Robot, width: int = 640, height: int = 360) -> mujoco.MjvCamera:
    """The first frame's camera of the robot's rig (framing from its geometry)."""
    return CameraRig(robot, width, height).camera


def _dm_control_ids() -> set[str]:
    return {i for i, v in catalog.model_index().items() if v["suite"] == "dm_control"}
