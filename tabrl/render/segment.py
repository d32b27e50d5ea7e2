"""Which pixels of a frame are the robot: MuJoCo's segmentation render, read per geom.

Used to check framing (how much of a frame the robot's moving parts cover) and lighting (how bright
the robot's own pixels are), on the same drawing model and camera as the video.
"""

from __future__ import annotations

import mujoco
import numpy as np

from tabrl.robots.model import Robot


def robot_bodies(robot: Robot, *, moving_only: bool = False) -> np.ndarray:
    """Bool mask over bodies: the robot's kinematic tree (its base body's root subtree, the world excluded).

    ``moving_only``: only bodies with a joint between them and the world (an arm's bolted base and a
    hand's fixed palm mount drop out). Objects the robot handles (a cube, a ball) are other trees.
    """
    model = robot.mj_model
    base = model.body(robot.profile.base_body).id if robot.profile.base_body != "world" else 0
    moves = np.zeros(model.nbody, bool)
    for b in range(1, model.nbody):  # parents come before children in MuJoCo's body order
        moves[b] = model.body_jntnum[b] > 0 or moves[model.body_parentid[b]]
    if (
        base == 0
    ):  # a profile without a base body: the trees whose joints the actuators drive (not a loose cube)
        driven = [model.joint(name).bodyid[0] for name in robot.spec.joint_names]
        in_tree = np.isin(model.body_rootid, model.body_rootid[driven]) if driven else moves.copy()
    else:
        in_tree = model.body_rootid == model.body_rootid[base]
    in_tree[0] = False
    return in_tree & moves if moving_only else in_tree


def robot_geoms(robot: Robot, *, moving_only: bool = False, visible_only: bool = True) -> np.ndarray:
    """Bool mask over geoms of the robot's bodies (drawn geoms only: group 0-2, alpha > 0)."""
    model = robot.mj_model
    mask = robot_bodies(robot, moving_only=moving_only)[model.geom_bodyid]
    if visible_only:
        mask &= (model.geom_group <= 2) & (model.geom_rgba[:, 3] > 0)
    return mask


def segment(renderer: mujoco.Renderer, data: mujoco.MjData, camera, geom_mask: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels where one of ``geom_mask``'s geoms is the nearest surface."""
    renderer.enable_segmentation_rendering()
    try:
        renderer.update_scene(data, camera)
        seg = renderer.render()
    finally:
        renderer.disable_segmentation_rendering()
    ids, types = seg[..., 0], seg[..., 1]
    is_geom = (types == int(mujoco.mjtObj.mjOBJ_GEOM)) & (ids >= 0)
    out = np.zeros(ids.shape, bool)
    out[is_geom] = geom_mask[ids[is_geom]]
    return out


def luminance(rgb: np.ndarray) -> np.ndarray:
    """Relative luma (Rec. 709 weights) of 8-bit sRGB pixels, 0-255."""
    return rgb[..., :3].astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32)


MARGIN = 0.05  # of the frame's width and height, each side: a framed robot stays inside the central 90 %


def silhouette_stats(mask: np.ndarray, margin: float = MARGIN) -> dict[str, float | bool]:
    """How a robot sits in one frame, from its (H, W) pixel mask: ``touches`` the frame's border (any
    pixel in the outermost row or column), ``outside`` the central box ``margin`` in from each side,
    ``share`` of the frame it covers, ``box`` its bounding box covers (a thin robot's size in the
    picture), ``height`` of its silhouette's rows as a share of the frame's."""
    h, w = mask.shape
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return {"touches": False, "outside": False, "share": 0.0, "box": 0.0, "height": 0.0}
    my, mx = int(round(margin * h)), int(round(margin * w))
    return {
        "touches": bool(rows[0] == 0 or rows[-1] == h - 1 or cols[0] == 0 or cols[-1] == w - 1),
        "outside": bool(rows[0] < my or rows[-1] >= h - my or cols[0] < mx or cols[-1] >= w - mx),
        "share": float(mask.mean()),
        "box": float((rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)) / (h * w),
        "height": float(rows[-1] - rows[0] + 1) / h,
    }
