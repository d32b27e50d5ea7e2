"""What every arm and hand recipe reads off the robot: its end effector, its size, its joint groups,
the terms that keep it steady and the plane it works in."""

from __future__ import annotations

from typing import Any

from tabrl.design.drafting import (
    RATE,
    Ctx,
    T,
    finger_index,
    index_of,
    standing_support,
)


def manip_ee(ctx: Ctx) -> int:
    if ctx.category == "hand":
        i = finger_index(ctx.ee, "thumb" if "thumb" in ctx.parts else "index")
        return 0 if i is None else i
    if ctx.biped:
        side = ctx.side("right", "" if ctx.mods.both else "using the right hand")
        i = index_of(ctx.ee, None, side == "left")
        return 0 if i is None else i
    return 0


def manip_scale(ctx: Ctx) -> float:
    """Path size (m) for this kind of robot: fingertips move centimetres, arms decimetres."""
    if ctx.category == "hand":
        return 0.02
    if ctx.category == "classic":
        return 0.06
    return 0.12 if ctx.biped else 0.15


def manip_groups(ctx: Ctx) -> tuple[str, str]:
    """(big joints, small joints) for rhythm variants."""
    if ctx.category == "hand":
        return ctx.group("index", "fingers", "all") or "all", ctx.group("knuckles", "fingers", "all") or "all"
    if ctx.biped:
        side = ctx.mods.side or "right"
        return ctx.group(f"{side}_arm", "arms", "all") or "all", ctx.group("elbows", "arms", "all") or "all"
    big = ctx.group("shoulder", "arm", "all") or "all"
    small = ctx.group("wrist", "elbow", "arm", "all") or "all"
    return big, small


def manip_support(ctx: Ctx) -> list[dict[str, Any]]:
    if ctx.biped:
        return standing_support()
    return [T("action_rate", RATE), T("joint_limits", -0.1)]


def planar_axis(ctx: Ctx) -> str | None:
    """Planar dm_control robots move in one plane only."""
    return {"reacher": "xy", "point_mass": "xy", "finger": "xz", "acrobot": "xz", "ball_in_cup": "xz"}.get(
        ctx.profile.robot
    )
