"""What a language model is told: the robot's facts, the reward language, worked examples, the schema.

``system_prompt(robot)`` and ``user_prompt(robot, prompt)`` start a design; ``refine_prompt``
asks to improve a trained program. ``reply_schema`` is the structured-output schema of a reply
(``{"approaches": [three RewardPrograms]}``), with local references inlined for providers
that reject ``$ref``. Everything here is text and JSON Schema; nothing is executed.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from tabrl.rewards import checks, expressions
from tabrl.rewards import features as features_mod
from tabrl.rewards import terms as terms_mod
from tabrl.rewards.limits import N_APPROACHES
from tabrl.rewards.program import RewardProgram
from tabrl.robots.anatomy import body_plan_of
from tabrl.robots.body_plan import BodyPlan
from tabrl.robots.model import Robot
from tabrl.robots.observables import observables_of

PROMPT_VERSION = 2  # part of the cache key: change it when prompts change what a reply means


def program_schema() -> dict[str, Any]:
    """The RewardProgram JSON Schema as the reward language publishes it."""
    return RewardProgram.json_schema()


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Resolves local ``#/$defs/...`` references (some providers reject ``$ref``); keeps recursive ones."""
    defs = schema.get("$defs") or schema.get("definitions") or {}
    recursive = False

    def resolve(node: Any, stack: tuple[str, ...]) -> Any:
        nonlocal recursive
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
                name = ref.rsplit("/", 1)[1]
                if name in stack or name not in defs:
                    recursive = True
                    return node
                merged = {k: v for k, v in node.items() if k != "$ref"}
                target = resolve(defs[name], stack + (name,))
                return {**target, **merged} if merged else target
            # "discriminator" maps tags to "#/$defs/..." strings; the inlined oneOf with const tags says the same.
            return {
                k: resolve(v, stack)
                for k, v in node.items()
                if k not in ("$defs", "definitions", "discriminator")
            }
        if isinstance(node, list):
            return [resolve(v, stack) for v in node]
        return node

    out = resolve(schema, ())
    if recursive:
        out["$defs"] = defs
    return out


def reply_schema(n: int = N_APPROACHES) -> dict[str, Any]:
    """The schema of a whole reply: ``{"approaches": [n RewardPrograms]}``."""
    program = copy.deepcopy(program_schema())
    defs = program.pop("$defs", {})
    wrapper = {
        "type": "object",
        "properties": {
            "approaches": {
                "type": "array",
                "items": program,
                "minItems": n,
                "maxItems": n,
                "description": f"Exactly {n} reward programs that differ in kind.",
            }
        },
        "required": ["approaches"],
    }
    if defs:
        wrapper["$defs"] = defs
    return _inline_refs(wrapper)


def robot_text(robot: Robot) -> str:
    """The robot's facts in a few lines: joints with their indices, groups, feet, end effectors, time steps."""
    profile, spec = robot.profile, robot.spec
    base = "floating base" if spec.floating_base else "fixed base"
    groups = "\n".join(
        f"  {name}: {', '.join(spec.joint_names[i] for i in idx)}" for name, idx in spec.groups.items()
    )
    return "\n".join(
        [
            f"model: {robot.model_id} ({profile.name}, {profile.category}, {base}, base body '{profile.base_body}')",
            f"control step: {robot.ctrl_dt:g} s (physics {robot.sim_dt:g} s); action size {robot.action_size}; "
            f"standing height {float(spec.standing_height):.3f} m; each video shows 10 s",
            "joints (index into q, qd, q_rel): "
            + ", ".join(f"{i} {n}" for i, n in enumerate(spec.joint_names)),
            "joint groups (use the names in params and as q_<group>, qd_<group>):\n" + (groups or "  (none)"),
            "joint default pose and range (rad; a motion prior's offset ± amplitude must stay inside): "
            + ", ".join(
                f"{n} {float(d):.2f} [{float(lo):.2f}, {float(hi):.2f}]"
                for n, d, (lo, hi) in zip(
                    spec.joint_names, spec.default_joint_pos, spec.joint_range, strict=True
                )
            ),
            "motion priors: "
            + (
                "yes (position-controlled joints)"
                if getattr(spec, "position_control", False)
                else "no (motor-driven: leave 'motion' out)"
            ),
            "feet: " + (", ".join(spec.feet) or "none"),
            "end effectors: " + (", ".join(spec.ee) or "none"),
            body_plan_text(body_plan_of(robot)),
        ]
    )


def body_plan_text(plan: BodyPlan) -> str:
    """The body plan for the model: each limb's joints with their roles, and what the body lacks, so a
    gesture's prior goes on the limb the words name (and a missing part is said, not faked)."""
    limbs = "\n".join(
        f"  {lb.name} ({lb.kind}, {lb.side}): " + ", ".join(f"{j} [{lb.roles[j]}]" for j in lb.joints)
        for lb in plan.limbs
    )
    lacks = ", ".join(plan.lacks) or "nothing"
    return (
        f"body plan: {plan.summary()}; it lacks {lacks} (for a part it lacks, use the nearest part and say "
        "so in the summary; never put a prior on an unrelated limb)\n"
        + (f"  waist: {', '.join(plan.trunk)}\n" if plan.trunk else "")
        + limbs
    )


def success_metrics_text(robot: Robot) -> str:
    """Every metric a success check may name on this robot, outcomes first."""
    names = checks.metric_names(robot.spec, observables_of(robot))
    ordered = sorted(
        names,
        key=lambda n: (not checks.is_outcome_name(n), n.endswith(("_amplitude", "_frequency", "_offset"))),
    )
    return "\n".join(f"- {n} [{names[n][0] or '-'}]: {names[n][1]}" for n in ordered)


def _features_text(robot: Robot) -> str:
    """One line per feature this robot has, with its shape in this robot's sizes."""
    spec = robot.spec
    sizes = {"nj": spec.n_joints, "nu": robot.action_size, "nfeet": len(spec.feet), "nee": len(spec.ee)}
    sizes["npassive"] = len(getattr(spec, "passive_qpos_adr", ()))
    docs: dict[str, Any] = dict(getattr(features_mod, "FEATURES", {}))
    docs.update(features_mod.scene_features(spec))  # the object / drawer of a task scene
    for pattern, doc in getattr(features_mod, "GROUP_FEATURES", {}).items():
        text = doc[1] if isinstance(doc, tuple) and len(doc) == 2 else str(doc)
        if spec.groups:
            docs[pattern.replace("{group}", "<group>")] = (
                "group",
                f"{text}; one value per joint of the group",
            )
    lines = []
    for name, doc in docs.items():
        shape, text = doc if isinstance(doc, tuple) and len(doc) == 2 else ("", str(doc))
        dims = [sizes.get(d.strip(), d.strip()) for d in str(shape).split(",") if d.strip()]
        if any(d == 0 for d in dims):
            continue  # e.g. feet features on a robot without feet
        shown = f" [{', '.join(str(d) for d in dims)}]" if dims else " (scalar)"
        lines.append(f"- {name}{shown}: {text}")
    return "\n".join(lines) or "(see the schema)"


def _terms_text(robot: Robot) -> str:
    """The primitive terms this robot can use, with their parameters, and the expression functions."""
    spec = robot.spec
    has = {"feet": bool(spec.feet), "ee": bool(spec.ee), "floating_base": bool(spec.floating_base)}
    has.update(object=spec.has_objects, passive=spec.has_passive)
    lines = []
    for name, definition in terms_mod.TERMS.items():
        needs = getattr(definition, "needs", ())
        if not all(has.get(n, True) for n in needs):
            continue
        fields = getattr(getattr(definition, "params", None), "model_fields", {})
        params = ", ".join(
            f"{k}={'required' if f.is_required() else json.dumps(f.default, default=str)}"
            for k, f in fields.items()
        )
        doc = " ".join(str(getattr(definition, "description", "")).split())
        lines.append(f"- {name} [{getattr(definition, 'category', '')}]({params}): {doc}")
    lines.append(
        '- expr (expr="..."): a safe expression over the features; functions: '
        + ", ".join(f"{k}/{v[0]}" for k, v in expressions.FUNCTIONS.items())
        + "; arithmetic, comparisons (give 0/1), indexing like base_lin_vel[0]; vectors reduce to their mean."
    )
    return "\n".join(lines)


# Worked examples for the prompt: (robot and request, three approaches). Tests check they are valid.
EXAMPLES: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "Go1JoystickFlatTerrain (quadruped): spin in place",
        [
            {
                "name": "Spin Tracker",
                "summary": "Reward the turning rate directly and stay on the spot.",
                "notes": ["primitive terms aimed straight at the motion"],
                "motion": {
                    "parts": [
                        {"group": "hip", "amplitude": 0.2, "frequency_hz": 2.5, "pattern": "trot"},
                        {
                            "group": "knee",
                            "amplitude": 0.2,
                            "frequency_hz": 2.5,
                            "pattern": "trot",
                            "phase": 0.25,
                        },
                        {
                            "group": "hip_abduction",
                            "amplitude": 0.15,
                            "frequency_hz": 2.5,
                            "pattern": "left_right",
                            "phase": 0.75,
                        },
                    ],
                    "residual": 0.6,
                },
                "success": "abs_yaw_rate >= 1.0 and drift <= 0.5 and falls < 1",
                "terms": [
                    {"term": "spin", "weight": 2.0, "params": {"yaw_rate": 1.5}},
                    {"term": "stay_in_place", "weight": 0.5, "params": {"radius": 0.3}},
                    {"term": "upright", "weight": 1.0},
                    {"term": "action_rate", "weight": -0.01},
                ],
            },
            {
                "name": "Trotting Turn",
                "summary": "Turn through a trot rhythm, like a joystick command.",
                "notes": ["shapes the motion through gait timing"],
                "motion": {
                    "parts": [
                        {"group": "hip", "amplitude": 0.2, "frequency_hz": 2.0, "pattern": "trot"},
                        {
                            "group": "knee",
                            "amplitude": 0.25,
                            "frequency_hz": 2.0,
                            "pattern": "trot",
                            "phase": 0.25,
                        },
                    ],
                    "residual": 0.6,
                },
                "success": "yaw_rate >= 0.9 and falls < 1",
                "terms": [
                    {
                        "term": "track_velocity",
                        "weight": 2.0,
                        "params": {"vx": 0.0, "vy": 0.0, "yaw_rate": 1.5},
                    },
                    {
                        "term": "foot_contact_pattern",
                        "weight": 0.5,
                        "params": {"pattern": "trot", "frequency_hz": 2.0},
                    },
                    {"term": "upright", "weight": 0.5},
                    {"term": "action_rate", "weight": -0.01},
                ],
            },
            {
                "name": "Heading Sweep",
                "summary": "Expressions: turn counter-clockwise, no drift, stay level.",
                "notes": ["written as expressions over features"],
                "success": [
                    {"metric": "yaw_rate", "op": ">=", "value": 0.9},
                    {"metric": "drift", "op": "<=", "value": 0.5},
                ],
                "terms": [
                    {"term": "expr", "weight": 1.0, "expr": "clip(yaw_rate, -0.5, 2.0)"},
                    {"term": "expr", "weight": -0.5, "expr": "drift"},
                    {"term": "expr", "weight": -0.5, "expr": "abs(roll) + abs(pitch)"},
                    {"term": "action_rate", "weight": -0.01},
                ],
            },
        ],
    ),
    (
        "PandaPickCube (arm with one end effector): draw circles in the air",
        [
            {
                "name": "Circle Tracer",
                "summary": "Follow a moving point around a vertical circle.",
                "notes": [],
                "motion": {
                    "parts": [
                        {"joint": "joint1", "amplitude": 0.3, "frequency_hz": 0.5},
                        {"joint": "joint2", "amplitude": 0.3, "frequency_hz": 0.5, "phase": 0.25},
                    ],
                    "residual": 0.5,
                },
                "success": "ee_extent >= 0.12 and ee_extent2 >= 0.08",
                "terms": [
                    {
                        "term": "ee_path",
                        "weight": 2.0,
                        "params": {"shape": "circle", "radius": 0.15, "plane": "xz", "frequency_hz": 0.5},
                    },
                    {"term": "action_rate", "weight": -0.01},
                ],
            },
            {
                "name": "Shoulder Rhythm",
                "summary": "Swing shoulder and elbow in rhythm so the hand loops.",
                "notes": [],
                "motion": {
                    "parts": [
                        {"group": "shoulder", "amplitude": 0.4, "frequency_hz": 0.5, "pattern": "wave"},
                        {"group": "elbow", "amplitude": 0.3, "frequency_hz": 0.5, "pattern": "wave"},
                    ]
                },
                "success": "shoulder_amplitude >= 0.2 and ee_path_length >= 1.0",
                "terms": [
                    {
                        "term": "joint_sine",
                        "weight": 1.0,
                        "params": {
                            "group": "shoulder",
                            "amplitude": 0.4,
                            "frequency_hz": 0.5,
                            "pattern": "wave",
                        },
                    },
                    {
                        "term": "joint_sine",
                        "weight": 0.5,
                        "params": {
                            "group": "elbow",
                            "amplitude": 0.3,
                            "frequency_hz": 0.5,
                            "pattern": "wave",
                        },
                    },
                    {"term": "joint_limits", "weight": -1.0},
                    {"term": "action_rate", "weight": -0.01},
                ],
            },
            {
                "name": "Hand Speed",
                "summary": "Keep the hand moving at a steady pace, wrist still.",
                "notes": [],
                "terms": [
                    {"term": "expr", "weight": 1.0, "expr": "clip(sum(abs(qd_shoulder)), 0, 2)"},
                    {"term": "joint_pose", "weight": 0.5, "params": {"group": "wrist", "offset": 0.0}},
                    {"term": "energy", "weight": -0.001},
                    {"term": "action_rate", "weight": -0.01},
                ],
            },
        ],
    ),
]


MOTION_AND_CHECKS = """## Motion priors and success checks (give both with every approach)
A few tens of thousands of training steps are too few to discover a rhythm or a gait from a reward
alone. So each approach may carry a "motion" prior: a reference motion per joint group (or joint)
that the policy's action is added to as a residual: target = default pose + offset + amplitude *
sin(2 pi (frequency_hz * t + phase + pattern)) + residual * action. The behavior is then visible
from the first step, and the rewards only have to stabilise and refine it. Give one whenever the
behavior has a shape:
- rhythms (shake, wag, dance, nod): a sine on the group the words name, at the rewarded frequency
  and pattern, e.g. {"parts": [{"group": "hip_abduction", "amplitude": 0.3, "frequency_hz": 2.0}]};
- gaits (walk, trot, spin, jump): thighs and knees with a trot pattern, knees a quarter cycle ahead,
  e.g. [{"group": "hip", "amplitude": 0.3, "frequency_hz": 2.0, "pattern": "trot"},
  {"group": "knee", "amplitude": 0.3, "frequency_hz": 2.0, "pattern": "trot", "phase": 0.25}],
  "residual": 0.6; all legs together ("sync") for jumping;
- postures (sit, lie down, crouch, bow): pose offsets ("offset") that bend the legs, with
  "joint_scale" per joint where axes are mirrored;
- arm paths (wave, circle): sines on two shoulder joints a quarter cycle apart trace a loop;
- hands (open and close, wiggle): an offset plus a sine on the finger joints.
Keep offset ± amplitude inside each joint's range (listed above) and the rhythmic reward terms at
the prior's frequency (the policy's clock follows the first sine). Leave "motion" out on
motor-driven robots. "residual" 0.3-0.7: lower keeps the prior's shape, higher lets the policy
balance; "other_residual" (default 1.0) is the policy's share on joints no part names: 0.3 keeps a
legged robot standing while it learns.
"success" says how a person watching the 10 s video would tell the behavior worked, measured on its
trajectory. Check the OUTCOME the words ask for, never only the joints your own prior drives (they move
because the prior moves them; such a check is refused): a named hand or foot's tip ("right_arm_sweep >=
0.1", "left_leg_rise >= 0.05", "<limb>_reach"), the base's speed, turning, height or tilt (with an upper
bound for "slowly" or "a little": "yaw_rate >= 0.3 and yaw_rate <= 0.8"), the feet's stepping
("least_foot_air >= 0.1 and feet_alternation >= 0.7"), an object's state ("object_rise >= 0.05",
"object_turn >= 1.5", "opening >= 0.05"); and, for a body that can fall, "falls < 1" unless the words
ask it to lie down. Joint-group figures (<group>_amplitude, <group>_frequency, <group>_offset) may stand
beside an outcome. Use the metric names listed under "Success metrics" and thresholds a clearly visible
behavior reaches."""


def system_prompt(robot: Robot, *, task: str = "design") -> str:
    """Instructions, robot facts, features, terms, schema and worked examples."""
    parts = [
        "You design reward functions for reinforcement learning of MuJoCo robots in TabRL's reward language. "
        "A reward program is JSON data: a list of weighted terms, each a library primitive with typed params "
        "or a safe arithmetic expression over named features. Never write code: no imports, no attribute "
        "access, no function calls beyond the allowed math functions. Anything else is rejected.",
        'Reply with JSON only, matching the schema below: {"approaches": [three reward programs]}.',
        "Rules: the three approaches must differ in kind (for example: one built from library primitives that "
        "target the motion directly; one that shapes it through rhythm, phase or contact timing; one that uses "
        "expressions over features or a different body part or strategy), not just in weights. Positive "
        "weights reward, negative weights penalise. Keep the robot stable (an upright/alive term for robots "
        "with a floating base) and actions smooth (a small action_rate penalty). Use only joint groups, feet "
        "and features this robot has. 3 to 8 terms each. 'name' is 2-4 words, 'summary' one sentence.",
        "## Robot\n" + robot_text(robot),
        "## Features (use them in expressions by name; vectors take an index, e.g. base_lin_vel[0])\n"
        + _features_text(robot),
    ]
    parts.append(
        "## Terms this robot can use (params with defaults; regularisers take negative weights)\n"
        + _terms_text(robot)
    )
    parts.append(MOTION_AND_CHECKS)
    parts.append("## Success metrics of this robot (name [unit]: meaning)\n" + success_metrics_text(robot))
    schema = {k: v for k, v in program_schema().items() if k != "description"}  # features are listed above
    parts.append("## Reward program JSON Schema\n" + json.dumps(schema, separators=(",", ":")))
    for i, (prompt, programs) in enumerate(EXAMPLES, 1):
        parts.append(
            f"## Example {i} (another robot's groups may differ: use this robot's)\nRequest: {prompt}\n"
            f"Reply: " + json.dumps({"approaches": programs})
        )
    if task == "refine":
        parts.append(
            "You are improving a program that was already trained: read its reward shares and the "
            "measured behavior, then propose three improved programs that differ in kind."
        )
    return "\n\n".join(parts)


def user_prompt(robot: Robot, prompt: str) -> str:
    return (
        f"Robot: {robot.model_id} ({robot.profile.name}).\nBehavior wanted: {prompt.strip()}\n"
        f"Give three approaches that differ in kind, as JSON."
    )


def _compact_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Metrics for a prompt: numbers rounded, long lists dropped."""

    def trim(v: Any, depth: int = 0) -> Any:
        if isinstance(v, float):
            return round(v, 4) if math.isfinite(v) else None
        if isinstance(v, dict) and depth < 3:
            return {k: trim(x, depth + 1) for k, x in v.items()}
        if isinstance(v, list):
            return [trim(x, depth + 1) for x in v[:12]]
        return v

    return {k: trim(v) for k, v in metrics.items() if k not in ("video_frames", "fps", "width", "height")}


def refine_prompt(
    program: dict[str, Any], term_shares: dict[str, float], metrics: dict[str, Any], words: str | None
) -> str:
    shares = {k: round(float(v), 4) for k, v in term_shares.items()}
    verdict = metrics.get("verdict") if isinstance(metrics.get("verdict"), dict) else None
    failed = [r for r in (verdict or {}).get("checks") or [] if isinstance(r, dict) and not r.get("passed")]
    if failed:  # the first feedback: what the success check under the video says is missing
        first = (
            "The program's own success check FAILED on the rollout; fix this first:\n"
            + "\n".join(
                f"- {r.get('check')}: measured {r.get('measured'):.4g}"
                if isinstance(r.get("measured"), (int, float))
                else f"- {r.get('check')}: not measured"
                for r in failed
            )
            + "\nStrengthen (or restructure) the terms and the motion prior behind each failed condition; keep "
            "the success check itself unless it asks for something the prompt did not."
        )
    elif verdict is not None:
        first = "The program's own success check passed on the rollout: " + str(verdict.get("summary", ""))
    else:
        first = "The program carried no success check."
    return "\n\n".join(
        [
            "This reward program was trained; the policy's behavior was measured.",
            first,
            "Program:\n" + json.dumps(program),
            "Share of the reward each term contributed during training (negative: penalties):\n"
            + json.dumps(shares),
            "Measured behavior (10 s rollout):\n" + json.dumps(_compact_metrics(metrics)),
            f"What the user wants changed: {words.strip()}"
            if words and words.strip()
            else "The user gave no words: improve what the measurements show is off.",
            "Propose three improved programs that differ in kind: (1) a careful re-weighting, (2) a structural "
            "change (add, replace or retune terms), (3) a bolder alternative strategy for the same behavior. "
            "Say what changed and why in each program's 'notes'. Reply with JSON {\"approaches\": [...]}.",
        ]
    )
