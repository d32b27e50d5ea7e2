"""Base policies: a robust starting point per robot, trained by this project and shipped in the package.

``tabrl base train MODEL`` trains one with the native engine from a small per-category recipe:
legged robots stand and balance while random pushes hit the base and reference motions (motion
priors) move their joints — random sines and, for quadrupeds, the very priors the built-in designer
writes for that robot (``designer_pool``; the caller hands them in, from
``tabrl.design.builtin.motion_priors``: training knows nothing of the designer; a change to the
designer's vocabulary or gait rigs is a reason to retrain the base); arms and hands hold their pose against random joint kicks and large
random start offsets. The recipe's reward is a RewardProgram (data, never code).
Each base is evaluated against the zero action under the same pushes (``judge``); one that does
not beat it is kept with its figures but never used.

A base lives in ``tabrl/train/base_policies/<model id>/`` (Brax PPO params as flax msgpack and
``metadata.json`` with steps, seed, wall time and its own evaluation). Training a behavior starts
from it when the observation and action layout match (``tabrl/train/finetune.py``: ``find_base``, ``load_base``); a fine-tune
whose action map differs (a motion prior's residual scales some joints' actions) gets the base
rescaled so that its first actions move the robot as the base did (``adapt_to_action_scale``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np
from ml_collections import config_dict

from tabrl.config import VIDEO_SECONDS
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.motion import CompiledMotion, Motion, MotionError, MotionPart, compile_motion
from tabrl.rewards.program import RewardProgram
from tabrl.robots.model import Robot
from tabrl.sim import behavior, observations
from tabrl.sim.native import NativeBatchEnv
from tabrl.train import batch, checkpoint, ppo
from tabrl.train.params import FROM_BASE_DEFAULT, STEPS_FOR_MODEL  # per model/category: the table

BASE_DIR = Path(__file__).parent / "base_policies"

# Which robots the package ships a base for (reproduced by ``tabrl base train ID --steps N``).
SEED_MODELS = (
    "Go1JoystickFlatTerrain",
    "AnymalC",
    "BarkourJoystick",
    "H1InplaceGaitTracking",
    "T1JoystickFlatTerrain",
    "UR5e",
    "PandaPickCube",
    "AllegroHand",
    "LeapCubeReorient",
)


@dataclasses.dataclass(frozen=True)
class RandomMotion:
    """Reference motions under the policy, one per env: a random sine on a random joint group, or one of the
    priors the built-in designer writes for this robot (its gaits, turns, hops, sways and poses)."""

    share: float = 0.75  # fraction of the batch that moves (the rest holds still)
    max_amplitude: float = 0.15  # rad
    frequencies: tuple[float, float] = (0.5, 2.5)  # Hz, drawn uniformly
    resample_every: int = 8  # PPO iterations between new draws
    # Of the moving envs, the fraction given a designer prior (at a random fraction of its amplitude): a
    # fine-tune then starts from a policy that already balances under the rhythm it will be given.
    designer_share: float = 0.0
    designer_scale: tuple[float, float] = (0.7, 1.0)


@dataclasses.dataclass(frozen=True)
class Recipe:
    goal: str
    program: dict[str, Any]  # a RewardProgram, as JSON
    config: dict[str, Any]  # env config overrides (pushes, start noise)
    random_motion: RandomMotion | None
    steps: int  # the default budget
    # PPO overrides. A stiff position-controlled robot often stands (or holds its pose) with a zero action;
    # unit initial action noise knocks it over at once, so these start quieter.
    ppo: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The base acts on this fraction of the robot's action scale (a fine-tune rescales it back, see
    # adapt_to_action_scale): a humanoid stands on stiff joints, and full-scale noise topples it.
    action_scale_factor: float = 1.0
    # Start from (nearly) the zero action: the policy's last layer scaled by 0.01 at initialisation (as in
    # Andrychowicz et al. 2021, "What matters in on-policy RL"), so the first policy holds the default pose.
    quiet_start: bool = False


_REGULARISE = [{"term": "action_rate", "weight": -0.02}, {"term": "joint_limits", "weight": -1.0}]
_BALANCE = {
    "name": "Base: balance under pushes",
    "summary": "Stand upright at standing height, stay in place, recover from pushes; smooth actions.",
    "terms": [
        {"term": "upright", "weight": 1.0, "params": {"sigma": 0.4}},
        {"term": "base_height", "weight": 1.0, "params": {"ratio": 1.0, "sigma": 0.08}},
        {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.3}},
        {"term": "alive", "weight": 0.5},
        {"term": "expr", "weight": -0.05, "expr": "sum(base_ang_vel * base_ang_vel)"},
        *_REGULARISE,
    ],
}
_HOLD = {
    "name": "Base: hold the pose",
    "summary": "Return to the default pose from random offsets and joint kicks, and hold it still.",
    "terms": [
        {"term": "joint_pose", "weight": 1.0, "params": {"group": "all", "sigma": 0.3}},
        {"term": "expr", "weight": -0.01, "expr": "sum(qd * qd)"},
        *_REGULARISE,
    ],
}

# Per robot category (the profile's): the program, the perturbations and the default budget.
# Arms and hands hold their default pose from large random start offsets under random joint kicks.
_HOLD_RECIPE = Recipe(
    "hold a pose under random offsets and joint kicks",
    _HOLD,
    dict(push_interval_s=2.0, push_joint_speed=1.0, reset_noise_qpos=0.3),
    None,
    40_000,
    dict(init_noise_std=0.3),
    quiet_start=True,
)

RECIPES: dict[str, Recipe] = {
    # Half the moving envs play one of the designer's own priors (gaits, turns, hops, sways, poses): from a base
    # that balances under them, the Go1 suite passes 4 of 5 prompts at 10k steps where a base that knew only
    # small random sines passed 1 (docs/base-policies.md).
    "quadruped": Recipe(
        "stand and balance under pushes, random reference motions and the designer's motion priors",
        _BALANCE,
        dict(push_interval_s=2.0, push_speed=0.5),
        RandomMotion(max_amplitude=0.25, designer_share=0.5),
        600_000,
    ),
    # As the quadrupeds: a humanoid base that balances under the designer's own gestures, squats, bows and steps
    # (OP3 600k: falls in 6 % of pushed episodes under them, the zero action 12 %; docs/base-policies.md).
    "humanoid": Recipe(
        "stand and balance under pushes, random reference motions and the designer's motion priors",
        _BALANCE,
        dict(push_interval_s=3.0, push_speed=0.2),
        RandomMotion(max_amplitude=0.15, designer_share=0.5),
        600_000,
        dict(init_noise_std=0.3, entropy_cost=1e-3, learning_rate=3e-4),
        action_scale_factor=0.3,
        quiet_start=True,
    ),
    "arm": _HOLD_RECIPE,
    "hand": dataclasses.replace(_HOLD_RECIPE, goal="hold a finger pose under random offsets and joint kicks"),
}


def default_steps(robot: Robot) -> int:
    """The steps ``tabrl base train MODEL`` trains for without ``--steps`` (the packaged base's budget)."""
    return STEPS_FOR_MODEL.get(robot.model_id, recipe_for(robot).steps)


def wants_base(robot: Robot, from_base: bool | None) -> bool:
    return FROM_BASE_DEFAULT.get(robot.spec.category, False) if from_base is None else bool(from_base)


class BaseError(checkpoint.CheckpointError):
    """A base policy that is missing, corrupt or does not fit the robot."""


def recipe_for(robot: Robot) -> Recipe:
    category = robot.spec.category
    if category not in RECIPES:
        raise BaseError(
            f"no base-policy recipe for {robot.model_id} (category '{category}'); "
            f"recipes exist for: {', '.join(RECIPES)}"
        )
    recipe = RECIPES[category]
    share = robot.profile.balance_share  # the share the fine-tunes leave the free joints (rewards/shapes.py)
    return recipe if share is None else dataclasses.replace(recipe, action_scale_factor=share)


def env_config(recipe: Recipe, robot: Robot) -> config_dict.ConfigDict:
    cfg = behavior.default_config()
    for k, v in recipe.config.items():
        cfg[k] = v
    if recipe.action_scale_factor != 1.0:
        if not np.isscalar(robot.action_scale):
            raise BaseError(f"{robot.model_id} has one action scale per actuator; recipes scale a single one")
        cfg.action_scale = float(np.asarray(robot.action_scale)) * recipe.action_scale_factor
    return cfg


def _one_sine(c: CompiledMotion) -> CompiledMotion | None:
    """``c`` as a single sine per actuator (a sum of same-frequency sines is one sine), None if it has two
    frequencies: the batch stacks one sine per env."""
    nu = len(c.offset)
    if not len(c.omega):
        return dataclasses.replace(c, omega=np.zeros(1), amplitude=np.zeros((1, nu)), phase=np.zeros((1, nu)))
    if not np.allclose(c.omega, c.omega[0]):
        return None
    z = np.sum(c.amplitude * np.exp(1j * c.phase), axis=0)
    return dataclasses.replace(c, omega=c.omega[:1], amplitude=np.abs(z)[None], phase=np.angle(z)[None])


def designer_pool(robot: Robot, recipe: Recipe, priors: Sequence[Motion]) -> list[CompiledMotion]:
    """The built-in designer's priors for ``robot`` (``priors``: ``tabrl.design.builtin.motion_priors``),
    compiled, one sine each, where ``recipe`` draws from them (RandomMotion.designer_share); else none."""
    if recipe.random_motion is None or not recipe.random_motion.designer_share:
        return []
    pool = []
    for motion in priors:
        try:
            one = _one_sine(compile_motion(motion, robot.spec))
        except MotionError:
            continue
        if one is not None:
            pool.append(one)
    return pool


def _random_motions(
    robot: Robot, rm: RandomMotion, n: int, rng: np.random.Generator, pool: Sequence[CompiledMotion] = ()
) -> CompiledMotion:
    """``n`` random priors stacked over the batch (the motion arrays broadcast per env)."""
    spec, nu = robot.spec, robot.action_size
    groups = [g for g in spec.groups if g != "all"] or list(spec.groups)
    offset, residual = np.zeros((n, nu)), np.ones((n, nu))
    omega, amp, phase = np.zeros((n, 1)), np.zeros((n, 1, nu)), np.zeros((n, 1, nu))
    for i in range(n):
        if rng.random() >= rm.share:
            continue
        if pool and rng.random() < rm.designer_share:
            c = pool[int(rng.integers(len(pool)))]
            k = rng.uniform(*rm.designer_scale)
            offset[i], omega[i], amp[i], phase[i] = k * c.offset, c.omega, k * c.amplitude, c.phase
            continue
        a = rng.uniform(0.3, 1.0) * rm.max_amplitude
        part = dict(
            group=str(rng.choice(groups)),
            frequency_hz=float(rng.uniform(*rm.frequencies)),
            pattern=str(rng.choice(["sync", "alternate", "diagonal", "left_right"])),
        )
        for _ in range(4):  # halve the amplitude until the reference stays inside every joint's range
            try:
                c = compile_motion(
                    Motion(parts=[MotionPart(amplitude=a, **part)], residual=1.0, ramp_s=0.5), spec
                )
                break
            except MotionError:
                a /= 2
        else:
            continue
        omega[i], amp[i], phase[i] = c.omega, c.amplitude, c.phase
    return CompiledMotion(
        offset=offset, omega=omega, amplitude=amp, phase=phase, residual=residual, ramp_s=0.5
    )


def _set_motion(env: NativeBatchEnv, robot: Robot, motion: CompiledMotion) -> None:
    """Puts the stacked priors under ``env``'s policy; each env observes a clock at its prior's frequency, as
    a fine-tune under that prior does (the default clock where it holds still or a pose)."""
    am = behavior.ActionMap.for_robot(robot, env.config.action_scale)
    env._action_map = dataclasses.replace(am, motion=motion)
    hz = motion.omega[:, 0] / (2 * np.pi)
    env.clock_hz = np.where(hz > 0, hz, observations.PHASE_CLOCK_HZ)


def action_scale(robot: Robot, motion: Motion | None = None) -> np.ndarray:
    """How far an action of 1 moves each actuator's target, for this robot and prior (ActionMap.scale)."""
    return np.asarray(behavior.ActionMap.for_robot(robot, -1.0, motion).scale, dtype=np.float64)


def _quiet_init(robot: Robot, cfg: ppo.PPOConfig, seed: int) -> ppo.Params:
    obs_size = behavior.observation_size(robot)
    networks = ppo.make_networks(
        obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden, cfg.init_noise_std
    )
    state = ppo.init_state(networks, obs_size, cfg, jax.random.PRNGKey(seed + 7))
    policy = jax.device_get(state.params.policy)
    return state.normalizer, scale_policy_mean(policy, np.full(robot.action_size, 0.01)), state.params.value


def scale_policy_mean(policy: Mapping[str, Any], ratio: np.ndarray) -> dict[str, Any]:
    """The policy with the mean (first half) of its last layer's outputs multiplied by ``ratio`` per action."""
    ratio = np.asarray(ratio, dtype=np.float32)
    nu = len(ratio)
    layers = policy["params"]
    last = sorted(layers, key=lambda k: int(k.rsplit("_", 1)[-1]))[-1]
    kernel, bias = np.array(layers[last]["kernel"]), np.array(layers[last]["bias"])
    kernel[:, :nu] *= ratio
    bias[:nu] *= ratio
    return {**policy, "params": {**layers, last: {**layers[last], "kernel": kernel, "bias": bias}}}


def load_base(folder: Path, robot: Robot, cfg: ppo.PPOConfig) -> tuple[Any, dict[str, Any]]:
    """A base's params for ``robot``, checked against its layout; raises BaseError saying what does not fit."""
    try:
        meta = checkpoint.load_metadata(folder)
    except checkpoint.CheckpointError as e:
        raise BaseError(f"base policy unusable: {e}") from None
    obs_size = behavior.observation_size(robot)
    if meta["observation_size"] != obs_size or meta["action_size"] != robot.action_size:
        raise BaseError(
            f"base policy {folder} has observation {meta['observation_size']} / action "
            f"{meta['action_size']}, but {robot.model_id} has {obs_size} / {robot.action_size}"
        )
    net = meta["network"]
    if tuple(net["policy_hidden"]) != tuple(cfg.policy_hidden) or tuple(net["value_hidden"]) != tuple(
        cfg.value_hidden
    ):
        raise BaseError(
            f"base policy {folder} has networks {net}, but this training uses {cfg.network_kwargs()}"
        )
    networks = ppo.make_networks(obs_size, robot.action_size, cfg.policy_hidden, cfg.value_hidden)
    # Only the structure and shapes: traced, never compiled (a real init compiled ~50 XLA programs, 10 s of a
    # first configure's rehearsal under load).
    template = jax.eval_shape(lambda: ppo.init_state(networks, obs_size, cfg, jax.random.PRNGKey(0)))
    try:
        params, meta = checkpoint.load(
            folder, (template.normalizer, template.params.policy, template.params.value)
        )
    except checkpoint.CheckpointError as e:
        raise BaseError(f"base policy unusable: {e}") from None
    return params, meta


def _resumed(
    robot: Robot, cfg: ppo.PPOConfig, folder: Path, scale: np.ndarray
) -> tuple[ppo.Params, dict[str, Any]]:
    """(params, what came before: steps, wall time, the commands that reproduce it) of the base in ``folder``,
    to go on training; raises BaseError where it was trained at another action scale than ``scale``."""
    params, earlier = load_base(folder, robot, cfg)
    trained_at = earlier.get("base", {}).get("action_scale")
    if trained_at is not None and not np.allclose(trained_at, scale):
        raise BaseError(
            f"base policy {folder} was trained at another action scale than {robot.model_id}'s recipe"
        )
    return params, {
        "steps": int(earlier["steps"]),
        "wall_time_s": float(earlier.get("wall_time_s", 0.0)),
        # the commands that reproduce it: the earlier base's, then this one
        "command": f"{earlier.get('base', {}).get('command', '')} && ",
    }


def train_base(
    robot: Robot,
    steps: int | None = None,
    *,
    seed: int = 0,
    out_dir: Path | None = None,
    on_progress: Callable[[ppo.Progress], None] | None = None,
    priors: Sequence[Motion],
    resume: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Trains, evaluates and saves ``robot``'s base policy; returns its folder and metadata. ``priors``: the
    built-in designer's motion priors for the robot (``tabrl.design.builtin.motion_priors(model_id)``), the
    reference motions a legged base learns to balance under. ``resume``: a base folder of the same recipe to
    go on training from (its policy, value function and normaliser) for ``steps`` more; the saved base counts
    both runs' steps and wall time."""
    recipe = recipe_for(robot)
    steps = steps or default_steps(robot)
    program = RewardProgram.parse(recipe.program)
    compiled = compile_program(program, robot.spec, np)
    cfg = dataclasses.replace(ppo.ppo_config_for(steps, robot.spec.category), **recipe.ppo)
    env = NativeBatchEnv(robot, compiled, cfg.num_envs, seed=seed, config=env_config(recipe, robot))
    rng = np.random.default_rng(seed + 1)
    iteration = [0]

    def progress(p: ppo.Progress) -> None:
        iteration[0] += 1
        if recipe.random_motion is not None and iteration[0] % recipe.random_motion.resample_every == 0:
            _set_motion(env, robot, _random_motions(robot, recipe.random_motion, env.num_envs, rng, pool))
        if on_progress is not None:
            on_progress(p)

    pool = designer_pool(robot, recipe, priors)
    if recipe.random_motion is not None:
        _set_motion(env, robot, _random_motions(robot, recipe.random_motion, env.num_envs, rng, pool))
    init: ppo.Params | None
    if resume is not None:
        init, before = _resumed(robot, cfg, resume, np.asarray(env._action_map.scale))
    else:
        init = _quiet_init(robot, cfg, seed) if recipe.quiet_start else None
        before = {"steps": 0, "wall_time_s": 0.0, "command": ""}
    start = time.perf_counter()
    params, final = batch.train(env, steps, cfg, seed=seed, init_params=init, on_progress=progress)
    wall = time.perf_counter() - start
    evaluation = evaluate(robot, params, cfg, recipe, seed=seed + 100, pool=pool)
    usable, verdict = judge(robot, evaluation)
    meta = {
        "model_id": robot.model_id,
        "robot": robot.profile.robot,
        "program": program.model_dump(),
        "observation_size": behavior.observation_size(robot),
        "action_size": robot.action_size,
        "network": cfg.network_kwargs(),
        "clock_hz": observations.PHASE_CLOCK_HZ,
        "motion": None,
        "backend": "native",
        "steps": before["steps"] + final.steps,
        "seed": seed,
        "wall_time_s": before["wall_time_s"] + wall,
        "final_metrics": {"mean_episode_reward": final.mean_episode_reward, "steps_per_s": final.steps_per_s},
        "base": {
            "recipe": robot.spec.category,
            "goal": recipe.goal,
            "config": recipe.config,
            "ppo": recipe.ppo,
            "action_scale_factor": recipe.action_scale_factor,
            "quiet_start": recipe.quiet_start,
            "random_motion": dataclasses.asdict(recipe.random_motion) if recipe.random_motion else None,
            "action_scale": np.asarray(env._action_map.scale, dtype=np.float64).tolist(),
            "evaluation": evaluation,
            "usable": usable,
            "verdict": verdict,
            "command": f"{before['command']}tabrl base train {robot.model_id} --steps {steps} --seed {seed}"
            + (" --resume" if resume is not None else ""),
        },
    }
    folder = checkpoint.save(Path(out_dir or BASE_DIR) / robot.model_id, params, meta)
    return folder, checkpoint.load_metadata(folder)


MAX_FALL_RATE = 0.25  # under pushes: a base that falls more often than this is not a base ...
# ... unless it falls at most half as often as the zero action under the same pushes and priors: a humanoid under
# the designer's squats and kicks falls often whatever it does (H1 1.2M: 38 % against 81 %), and its fine-tunes
# fell 5 of 15 times where those from the pushes-only base fell 11 of 15 (docs/base-policies.md).
MAX_FALL_SHARE_OF_ZERO = 0.5


def judge(robot: Robot, evaluation: dict[str, Any]) -> tuple[bool, str]:
    """Whether a base is worth starting from: it must beat holding the default pose (the zero action)."""
    mine, zero = evaluation["perturbed"], evaluation["zero_action"]
    if robot.spec.floating_base:
        rate, zero_rate = mine["fall_rate"], zero["fall_rate"]
        ok = rate <= zero_rate and (rate <= MAX_FALL_RATE or rate <= MAX_FALL_SHARE_OF_ZERO * zero_rate)
        return ok, (
            f"falls in {rate:.0%} of pushed 10 s episodes (the zero action: {zero_rate:.0%}; allowed: "
            f"{MAX_FALL_RATE:.0%} or half the zero action's, and no more than the zero action)"
        )
    ok = mine["pose_error_rms"] <= zero["pose_error_rms"]
    return ok, (
        f"pose error {mine['pose_error_rms']:.3f} rad rms after kicks (the zero action: "
        f"{zero['pose_error_rms']:.3f}; must not be larger)"
    )


def evaluate(
    robot: Robot,
    params: ppo.Params,
    cfg: ppo.PPOConfig,
    recipe: Recipe,
    *,
    seed: int = 100,
    envs: int = 16,
    seconds: float = VIDEO_SECONDS,
    pool: Sequence[CompiledMotion],
) -> dict[str, Any]:
    """The base's own figures: deterministic policy, ``envs`` episodes of ``seconds``, with the recipe's pushes
    (and, for legged robots, random reference motions), and the same without any perturbation. ``pool``: the
    designer's priors as training drew them (``designer_pool``)."""
    networks = ppo.make_networks(
        behavior.observation_size(robot), robot.action_size, cfg.policy_hidden, cfg.value_hidden
    )
    act = ppo.make_deterministic_policy(networks)
    compiled = compile_program(RewardProgram.parse(recipe.program), robot.spec, np)
    out: dict[str, Any] = {"episodes": envs, "seconds": seconds}

    def zero(_params: Any, obs: np.ndarray) -> np.ndarray:
        return np.zeros((len(obs), robot.action_size), np.float32)

    # The same perturbations with a zero action (the default pose held by the actuators): what the base must beat.
    for label, perturbed, policy in (
        ("perturbed", True, act),
        ("still", False, act),
        ("zero_action", True, zero),
    ):
        cfg_env = env_config(recipe, robot)
        if not perturbed:
            cfg_env.push_interval_s = 0.0
        cfg_env.terminate_on_fall = False  # count falls, keep going
        env = NativeBatchEnv(robot, compiled, envs, seed=seed, config=cfg_env)
        if perturbed and recipe.random_motion is not None:
            _set_motion(
                env,
                robot,
                _random_motions(robot, recipe.random_motion, envs, np.random.default_rng(seed), pool),
            )
        obs = env.reset()
        n = int(round(seconds / robot.ctrl_dt))
        fell_ever = np.zeros(envs, bool)
        upright, rewards, jerk, qerr, qd = [], [], [], [], []
        for _ in range(n):
            action = np.asarray(policy(params, obs))
            obs, reward, _, _, info = env.step(action)
            f = info["features"]
            fell_ever |= np.asarray(behavior.fallen(np, robot, f)) > 0
            upright.append(-f["gravity"][:, 2] > 0.9)
            rewards.append(reward)
            jerk.append(np.mean(np.abs(f["action"] - f["last_action"]), axis=-1))
            qerr.append(np.sqrt(np.mean(f["q_rel"] ** 2, axis=-1)))
            qd.append(np.sqrt(np.mean(f["qd"] ** 2, axis=-1)))
        figures = {
            "mean_step_reward": float(np.mean(rewards)),
            "action_change": float(np.mean(jerk)),  # shaking shows here: mean |a_t - a_{t-1}|
            "joint_speed_rms": float(np.mean(qd)),
            "pose_error_rms": float(np.mean(qerr[n // 2 :])),
        }  # second half: after settling
        if robot.spec.floating_base:
            figures.update(fall_rate=float(fell_ever.mean()), upright_fraction=float(np.mean(upright)))
        if perturbed and env._pushes is not None:
            figures["pushes"] = int(env._pushes.count)
        out[label] = figures
    return out
