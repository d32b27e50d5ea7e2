"""What a behavior environment is, independent of the simulator that steps it.

A BehaviorEnv is a catalog robot plus a RewardProgram. Actions are position targets around
the default pose (scaled like the Playground environment) for position-controlled robots, or
normalised torques for the dm_control motors. An episode ends when the robot falls or its
time runs out. Everything here is written against ``xp`` (numpy or jax.numpy) so the native
and MJX backends compute the same observation, reward and termination.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from ml_collections import config_dict

from tabrl.rewards.motion import CompiledMotion, Motion, compile_motion
from tabrl.rewards.terms import rhythm_hz
from tabrl.robots.model import Robot
from tabrl.sim import observations


def default_config() -> config_dict.ConfigDict:
    return config_dict.create(
        episode_length=500,  # control steps: 10 s at the usual 50 Hz
        action_scale=-1.0,  # < 0: the robot's (Playground's) own scale
        terminate_on_fall=True,
        reset_noise_qpos=0.05,  # uniform noise on joint angles at reset (rad)
        reset_noise_qvel=0.05,
        # Per-step reward = the program total, not x ctrl_dt as Playground does: O(1) rewards keep
        # Adam-trained value functions stable at our small batch sizes.
        reward_dt_scale=False,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class ActionMap:
    """Arrays that turn a policy action in [-1, 1] (and the time, for a motion prior) into controls.

    Without a prior: ``default + scale * action``. With one (position-controlled robots):
    ``default + prior(t) + residual * scale * action``, so the policy is a residual around the
    prior's reference motion.
    """

    default_ctrl: np.ndarray  # (nu,)
    scale: np.ndarray  # (nu,) the action's scale, times the prior's residual where it names a joint
    low: np.ndarray  # (nu,)
    high: np.ndarray  # (nu,)
    motion: CompiledMotion | None = None

    @classmethod
    def for_robot(cls, robot: Robot, action_scale: float = -1.0, motion: Motion | None = None) -> ActionMap:
        nu = robot.action_size
        low, high = robot.ctrl_range[:, 0].copy(), robot.ctrl_range[:, 1].copy()
        low[~np.isfinite(low)], high[~np.isfinite(high)] = -1.0, 1.0
        if robot.position_control:
            s = action_scale if action_scale > 0 else robot.action_scale
            scale = np.broadcast_to(np.asarray(s, dtype=np.float64), (nu,)).copy()  # one or per actuator
            default = robot.default_ctrl.copy()
        else:  # motors: the action spans the control range
            scale = (high - low) / 2
            default = (high + low) / 2
        compiled = compile_motion(motion, robot.spec) if motion is not None else None
        if compiled is not None:
            scale = scale * compiled.residual
        return cls(default_ctrl=default, scale=scale, low=low, high=high, motion=compiled)

    def ctrl(self, xp: Any, action: Any, t: Any = 0.0) -> Any:
        """Controls for ``action`` (..., nu) chosen at time ``t`` (scalar or (...,)), in seconds."""
        target = self.default_ctrl + action * self.scale
        if self.motion is not None:
            target = target + self.motion.reference(xp, t)
        return xp.clip(target, self.low, self.high)


def fallen(xp: Any, robot: Robot, features: dict[str, Any]) -> Any:
    """1.0 where the base is too low or too tilted (only robots with a floating base fall)."""
    spec = robot.spec
    if not spec.floating_base:
        return xp.zeros_like(features["base_height"])
    up = -features["gravity"][..., 2]
    too_tilted = up < np.cos(min(spec.fall_tilt, np.pi))
    too_low = features["base_height"] < spec.fall_height
    return xp.where(too_tilted | too_low, 1.0, 0.0)


RewardFn = Callable[[dict[str, Any]], tuple[Any, dict[str, Any]]]


def reward_scale(robot: Robot, config: config_dict.ConfigDict) -> float:
    return robot.ctrl_dt if config.reward_dt_scale else 1.0


def program_clock_hz(program: Any) -> float:
    """The phase clock the policy observes: the motion prior's first sine, else the first rhythmic term's.

    A policy can only produce a rhythm it can time; feeding it a clock at the prior's (or the
    rewarded) frequency makes "shake at 1.5 Hz" a function of the observation.
    """
    motion = getattr(program, "motion", None)
    if motion is not None and motion.first_frequency():
        return float(motion.first_frequency())
    return rhythm_hz(program.terms) or observations.PHASE_CLOCK_HZ


def observation_size(robot: Robot) -> int:
    return observations.observation_size(robot.spec, robot.action_size)
