"""Behavior metrics from a recorded rollout: what the robot actually did, in numbers.

These are what the behavior suite checks and what the page shows under each video.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tabrl.render.outcomes import outcome_metrics, outcome_values
from tabrl.render.rollout import Trajectory
from tabrl.rewards import checks
from tabrl.robots.model import Robot
from tabrl.robots.observables import observables_of

SETTLE_S = 1.0  # ignore the first second (getting started) for rhythm statistics
# A planar body (hopper, walker, cheetah) has no fall height of its own: its torso below this share of
# its standing height, or tilted past this angle, is down.
PLANAR_FALL_RATIO = 0.5
PLANAR_FALL_TILT = 1.0


def _dominant_frequency(signal: np.ndarray, dt: float) -> tuple[float, float]:
    """(frequency Hz, share of power) of the strongest non-zero frequency of a 1-D signal."""
    x = signal - signal.mean()
    if len(x) < 8 or np.allclose(x, 0):
        return 0.0, 0.0
    power = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    freqs = np.fft.rfftfreq(len(x), dt)
    power[0] = 0.0
    k = int(np.argmax(power))
    return float(freqs[k]), float(power[k] / max(power.sum(), 1e-12))


def _airborne_moments(all_off: np.ndarray) -> int:
    """Number of separate intervals during which every foot is off the ground."""
    rises = np.flatnonzero(np.diff(np.concatenate([[0], all_off.astype(int)])) == 1)
    return int(len(rises))


def _run_lengths(mask: np.ndarray) -> list[int]:
    runs, n = [], 0
    for v in mask:
        if v:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    if n:
        runs.append(n)
    return runs


def behavior_metrics(robot: Robot, traj: Trajectory) -> dict[str, Any]:
    f = traj.features
    dt = robot.ctrl_dt
    spec = robot.spec
    settle = min(int(SETTLE_S / dt), max(0, len(traj.time) - 8))
    yaw = f["yaw"]
    world_v = np.stack(
        [
            np.cos(yaw) * f["base_lin_vel"][:, 0] - np.sin(yaw) * f["base_lin_vel"][:, 1],
            np.sin(yaw) * f["base_lin_vel"][:, 0] + np.cos(yaw) * f["base_lin_vel"][:, 1],
        ],
        -1,
    )
    # Speed along the robot's own heading (forward) and across it (lateral).
    forward = f["base_lin_vel"][:, 0]
    lateral = f["base_lin_vel"][:, 1]
    yaw_rate = f["yaw_rate"] if "yaw_rate" in f else f["base_ang_vel"][:, 2]
    start = traj.base_pos[0, :2]
    drift = np.linalg.norm(traj.base_pos[:, :2] - start, axis=-1)
    up = -f["gravity"][:, 2]
    fallen_mask = np.zeros(len(up), dtype=bool)
    if spec.floating_base:
        fallen_mask = (up < np.cos(min(spec.fall_tilt, np.pi))) | (f["base_height"] < spec.fall_height)
    elif observables_of(robot).planar and spec.standing_height > 0.1:
        fallen_mask = (up < np.cos(PLANAR_FALL_TILT)) | (
            f["base_height"] < PLANAR_FALL_RATIO * spec.standing_height
        )
    groups = {}
    q_rel = f["q_rel"][settle:]
    for name, idx in spec.groups.items():
        if len(idx) == 0:
            continue
        sig = q_rel[:, idx]
        amp = float(np.mean((np.percentile(sig, 95, axis=0) - np.percentile(sig, 5, axis=0)) / 2))
        freqs = [_dominant_frequency(sig[:, j], dt) for j in range(sig.shape[1])]
        best = max(freqs, key=lambda fp: fp[1])
        groups[name] = {"amplitude_rad": amp, "frequency_hz": best[0], "mean_rad": float(np.mean(sig))}
    out: dict[str, Any] = {
        "duration_s": float(traj.time[-1]) if len(traj.time) else 0.0,
        "forward_speed_mps": float(np.mean(forward[settle:])),
        "lateral_speed_mps": float(np.mean(lateral[settle:])),
        "world_velocity_mps": [float(v) for v in world_v[settle:].mean(axis=0)],
        "yaw_rate_radps": float(np.mean(yaw_rate[settle:])),
        "abs_yaw_rate_radps": float(np.abs(np.mean(yaw_rate[settle:]))),
        "base_height_mean_m": float(np.mean(f["base_height"][settle:])),
        "base_height_std_m": float(np.std(f["base_height"][settle:])),
        "standing_height_m": spec.standing_height,
        "roll_mean_abs_rad": float(np.mean(np.abs(f["roll"][settle:]))),
        "roll_mean_rad": float(np.mean(f["roll"][settle:])),  # > 0: the right side down
        "pitch_mean_abs_rad": float(np.mean(np.abs(f["pitch"][settle:]))),
        # how far the body rocks to and fro (half the 5-95 % range of roll or pitch, the larger)
        "rock_rad": float(
            max(np.percentile(f[a][settle:], 95) - np.percentile(f[a][settle:], 5) for a in ("roll", "pitch"))
            / 2
        ),
        "upright_fraction": float(np.mean(up > np.cos(0.5))),
        "drift_m": float(drift[-1]),
        "max_drift_m": float(drift.max()),
        "falls": int(np.sum(np.diff(np.concatenate([[0], fallen_mask.astype(int)])) == 1)),
        "fallen_fraction": float(np.mean(fallen_mask)),
        "joint_groups": groups,
        "mean_reward": float(np.mean(traj.reward)) if len(traj.reward) else 0.0,
    }
    if spec.feet:
        contact = f["feet_contact"] > 0.5
        all_off = ~np.any(contact, axis=1)
        later_air = ~contact[settle:]
        some_air = np.any(later_air, axis=1)
        air_runs = [r * dt for j in range(contact.shape[1]) for r in _run_lengths(~contact[:, j])]
        out["feet"] = {
            "contact_fraction": [float(c) for c in contact.mean(axis=0)],
            "mean_air_time_s": float(np.mean(air_runs)) if air_runs else 0.0,
            "all_feet_off_moments": _airborne_moments(all_off),
            "all_feet_off_fraction": float(all_off.mean()),
            # each foot's share of time in the air, and of the time some foot is up, the share in which
            # another stands (stepping alternates; hopping lifts them all at once)
            "air_fraction": [float(a) for a in later_air.mean(axis=0)],
            "alternation": float(np.mean(~np.all(later_air[some_air], axis=1))) if some_air.any() else 0.0,
        }
    if spec.ee:
        ee = f["ee_pos"]
        out["end_effectors"] = [
            {
                "path_length_m": float(np.sum(np.linalg.norm(np.diff(ee[:, i], axis=0), axis=-1))),
                "extent_m": [float(v) for v in (ee[:, i].max(axis=0) - ee[:, i].min(axis=0))],
                "mean_displacement_m": [float(v) for v in (ee[settle:, i] - ee[0, i]).mean(axis=0)],
            }
            for i in range(ee.shape[1])
        ]
    out.update(outcome_metrics(robot, traj, settle))
    if traj.terms:
        out["reward_terms"] = {k: float(np.mean(v)) for k, v in traj.terms.items()}
    return out


def metric_values(m: dict[str, Any]) -> dict[str, float]:
    """The flat, named figures a success check reads (``checks.metric_names``) from the metrics above."""
    v: dict[str, float] = {
        "forward_speed": m["forward_speed_mps"],
        "lateral_speed": m["lateral_speed_mps"],
        "yaw_rate": m["yaw_rate_radps"],
        "abs_yaw_rate": m["abs_yaw_rate_radps"],
        "base_height": m["base_height_mean_m"],
        "height_ratio": m["base_height_mean_m"] / max(m["standing_height_m"], 1e-6),
        "base_height_std": m["base_height_std_m"],
        "roll": m["roll_mean_abs_rad"],
        "lean_right": m.get("roll_mean_rad", 0.0),
        "pitch": m["pitch_mean_abs_rad"],
        "rock": m.get("rock_rad", 0.0),
        "upright": m["upright_fraction"],
        "drift": m["drift_m"],
        "max_drift": m["max_drift_m"],
        "falls": float(m["falls"]),
        "fallen_fraction": m["fallen_fraction"],
        "mean_reward": m["mean_reward"],
    }
    if "feet" in m:
        feet = m["feet"]
        v.update(
            contact_fraction=float(np.mean(feet["contact_fraction"])),
            air_time=feet["mean_air_time_s"],
            airborne_moments=float(feet["all_feet_off_moments"]),
            airborne_fraction=feet["all_feet_off_fraction"],
        )
        if "air_fraction" in feet:
            v.update(least_foot_air=float(min(feet["air_fraction"])), feet_alternation=feet["alternation"])
    if m.get("end_effectors"):
        ees = m["end_effectors"]
        disp = np.mean([e.get("mean_displacement_m", [0.0, 0.0, 0.0]) for e in ees], axis=0)
        v.update(
            ee_path_length=float(np.mean([e["path_length_m"] for e in ees])),
            ee_extent=float(np.mean([max(e["extent_m"]) for e in ees])),
            ee_extent2=float(np.mean([sorted(e["extent_m"])[-2] for e in ees])),
            ee_dx=float(disp[0]),
            ee_dy=float(disp[1]),
            ee_dz=float(disp[2]),
        )
    v.update(outcome_values(m))
    for group, g in m.get("joint_groups", {}).items():
        v[f"{group}_amplitude"] = g["amplitude_rad"]
        v[f"{group}_frequency"] = g["frequency_hz"]
        v[f"{group}_offset"] = g["mean_rad"]
    return {k: float(x) for k, x in v.items()}


def evaluate_success(
    spec: Any, m: dict[str, Any], conditions: list[checks.Condition] | None, observables: Any = None
) -> dict[str, Any] | None:
    """The verdict of an approach's success check on these metrics (None when it has none)."""
    if not conditions:
        return None
    units = {k: unit for k, (unit, _) in checks.metric_names(spec, observables).items()}
    return checks.verdict(conditions, metric_values(m), units)
