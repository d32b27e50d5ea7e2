"""Body-part words land on the body the robot has (issue 21): a hand's gesture moves that hand's arm on
every humanoid, and a part the robot lacks is said, never replaced by a silent sine on another limb."""

from __future__ import annotations

import pytest

from tabrl.design import design
from tabrl.rewards.motion import moved_joints
from tabrl.rewards.outcome_checks import TOGETHER, hands_gap_at_rest, prior_hands_gap, prior_torso_turn
from tabrl.robots import catalog
from tabrl.robots.anatomy import body_plan_of, trunk_axes

HUMANOIDS_WITH_ARMS = [
    "H1JoystickGaitTracking",
    "G1JoystickFlatTerrain",
    "T1JoystickFlatTerrain",
    "Op3Joystick",
    "ApolloJoystickFlatTerrain",
]


def _moved_joints(model_id: str, program) -> set[str]:
    """The joints a program's motion prior moves (its groups expanded on the compiled robot), but for the legs'
    static part holding a raised arm's weight (``shapes._hold_posed_weight``: a pose, no rhythm)."""
    motion = program.motion
    if motion is not None:
        swinging = [p for p in motion.parts if not (p.group == "legs" and p.amplitude == 0.0)]
        motion = motion.model_copy(update={"parts": swinging})
    return moved_joints(motion, catalog.load_robot(model_id).spec)


@pytest.mark.parametrize("model_id", HUMANOIDS_WITH_ARMS)
@pytest.mark.parametrize("side", ["right", "left"])
def test_a_hand_gesture_moves_only_that_arm(model_id, side):
    plan = body_plan_of(catalog.load_robot(model_id))
    (arm,) = plan.of_kind("arm", side)
    allowed = set(arm.joints) | set(arm.fingers) | set(plan.trunk)
    for prompt in (f"wave your {side} hand", f"raise your {side} hand"):
        programs = design(model_id, prompt).programs
        assert len(programs) == 3
        for p in programs:
            moved = _moved_joints(model_id, p)
            assert moved, (prompt, p.name)  # each approach moves the arm
            assert moved <= allowed, (model_id, prompt, p.name, sorted(moved - allowed))
            assert moved & set(arm.joints), (prompt, p.name)


@pytest.mark.parametrize("model_id", HUMANOIDS_WITH_ARMS)
@pytest.mark.parametrize("prompt", ["raise both arms", "flap your arms like a bird", "clap your hands"])
def test_both_arms_move_both_arms_and_no_leg(model_id, prompt):
    plan = body_plan_of(catalog.load_robot(model_id))
    arms = {lb.side: set(lb.joints) for lb in plan.of_kind("arm")}
    legs = {j for lb in plan.of_kind("leg") for j in lb.joints}
    result = design(model_id, prompt)
    assert not any("not understood" in n.lower() for n in result.notes), result.notes
    for p in result.programs:
        moved = _moved_joints(model_id, p)
        assert moved & arms["left"] and moved & arms["right"], (model_id, prompt, p.name, sorted(moved))
        assert not moved & legs, (model_id, prompt, p.name, sorted(moved & legs))


@pytest.mark.parametrize(
    ("model_id", "prompt", "said"),
    [
        ("H1JoystickGaitTracking", "nod your head", "has no movable head: the whole body pitches"),
        ("G1JoystickFlatTerrain", "nod your head", "has no movable head"),
        (
            "BerkeleyHumanoidJoystickFlatTerrain",
            "wave your right hand",
            "has no arms: the body sways instead",
        ),
        ("BerkeleyHumanoidJoystickFlatTerrain", "flap your arms", "has no arms"),
        ("Go1JoystickFlatTerrain", "wave your left hand", "has no arms: its front left leg does it instead"),
    ],
)
def test_a_missing_part_is_said_on_every_card(model_id, prompt, said):
    result = design(model_id, prompt)
    for p in result.programs:
        assert any(said in n for n in p.notes), (prompt, p.name, p.notes)


def test_an_arm_gesture_on_an_armless_biped_moves_no_single_leg():
    """Berkeley Humanoid has no arms: its approaches sway the body through both legs, never one leg alone."""
    plan = body_plan_of(catalog.load_robot("BerkeleyHumanoidJoystickFlatTerrain"))
    left, right = ({*lb.joints} for lb in sorted(plan.of_kind("leg"), key=lambda lb: lb.side))
    for p in design("BerkeleyHumanoidJoystickFlatTerrain", "wave your right hand").programs:
        moved = _moved_joints("BerkeleyHumanoidJoystickFlatTerrain", p)
        assert not moved or (moved & left and moved & right), (p.name, sorted(moved))


def test_a_head_gesture_moves_the_head_where_there_is_one():
    plan = body_plan_of(catalog.load_robot("T1JoystickFlatTerrain"))
    (head,) = plan.of_kind("head")
    result = design("T1JoystickFlatTerrain", "nod your head")
    assert not any("no movable head" in n for n in result.notes)
    assert any(_moved_joints("T1JoystickFlatTerrain", p) & set(head.joints) for p in result.programs)


def _program_with_prior(group: str) -> dict:
    return {
        "name": "Wave",
        "summary": "wave",
        "terms": [{"term": "upright", "weight": 1.0}],
        "motion": {"parts": [{"group": group, "amplitude": 0.3, "frequency_hz": 1.0}]},
    }


def test_an_llm_prior_on_the_legs_for_an_arm_gesture_is_sent_back():
    from tabrl.design.prompting import robot_text
    from tabrl.design.repair import words_check

    robot = catalog.load_robot("H1JoystickGaitTracking")
    check = words_check("wave your right hand")
    with pytest.raises(ValueError, match=r"moves only leg joints .*right_arm"):
        check(_program_with_prior("legs"), robot)
    assert check(_program_with_prior("right_arm"), robot).motion is not None
    # Words that name no arm leave a leg prior alone; the provider's prompt carries the plan.
    assert words_check("march in place")(_program_with_prior("legs"), robot).motion is not None
    assert "right_arm (arm, right): right_shoulder_pitch [flexion]" in robot_text(robot)
    assert "it lacks head, hands" in robot_text(robot)


@pytest.mark.parametrize(
    "model_id", ["G1JoystickFlatTerrain", "T1JoystickFlatTerrain", "ApolloJoystickFlatTerrain"]
)
def test_a_posture_composes_under_a_gait(model_id):
    """'sneak forward, low to the ground': every approach asks for forward motion and carries the lowered
    stance (the legs' flexion joints bent together, the same on both sides) as its prior."""
    plan = body_plan_of(catalog.load_robot(model_id))
    flexion = {j for lb in plan.of_kind("leg") for j in lb.with_role("flexion")}
    for p in design(model_id, "sneak forward, low to the ground").programs:
        terms = {t.term for t in p.terms}
        assert terms & {"forward_speed", "track_velocity", "expr"}, (p.name, terms)
        assert any(t.term == "base_height" for t in p.terms), p.name
        offsets = {part.joint: part.offset for part in p.motion.parts if part.joint} if p.motion else {}
        bent = {j for j, o in offsets.items() if abs(o) > 0.1}
        assert len(bent & flexion) >= 4, (p.name, sorted(bent))  # hips, knees (and ankles) of both legs


def test_a_squat_lowers_the_pelvis_with_the_feet_flat():
    """The solved posture, checked on the compiled model: pelvis-to-foot height shrinks by the drop, the
    foot stays under the hip and nearly level."""
    import mujoco
    import numpy as np

    from tabrl.rewards.postures import squat_offsets

    robot = catalog.load_robot("G1JoystickFlatTerrain")
    spec, model = robot.spec, robot.mj_model
    drop = 0.15
    offsets = squat_offsets(robot, drop)
    assert offsets, "no squat solved"
    data = mujoco.MjData(model)

    def foot_below_pelvis(q_offsets):
        data.qpos[:] = spec.default_qpos
        for name, d in q_offsets.items():
            data.qpos[spec.joint_qpos_adr[list(spec.joint_names).index(name)]] += d
        mujoco.mj_kinematics(model, data)
        foot = data.xpos[model.body("left_ankle_roll_link").id]
        pelvis = data.xpos[model.body("pelvis").id]
        return pelvis - foot, data.xmat[model.body("left_ankle_roll_link").id].reshape(3, 3)

    (rel0, rot0), (rel1, rot1) = foot_below_pelvis({}), foot_below_pelvis(offsets)
    assert rel0[2] - rel1[2] == pytest.approx(drop, abs=0.01)
    assert abs(rel1[0] - rel0[0]) < 0.02
    tilt = np.degrees(np.arccos(np.clip(np.trace(rot0.T @ rot1) / 2 - 0.5, -1, 1)))
    assert tilt < 5.0


@pytest.mark.parametrize("model_id", ["H1InplaceGaitTracking", "Op3Joystick"])
def test_a_bow_folds_at_the_hips_and_the_body_holds_it(model_id):
    """'bend forward and touch your toes' is a bow: the prior folds the hips (feet flat under the centre of
    mass, the leaning weight held), and the robot, holding those targets with no policy at all, stands
    pitched forward by about the pose's angle in real physics."""
    import mujoco
    import numpy as np

    from tabrl.rewards.postures import bow_offsets

    robot = catalog.load_robot(model_id)
    spec, model = robot.spec, robot.mj_model
    program = design(model_id, "bend forward and touch your toes").programs[0]
    hips = {j for leg in body_plan_of(robot).of_kind("leg") for j in leg.with_role("flexion")}
    assert program.motion is not None and moved_joints(program.motion, spec) & hips
    assert any(c.metric == "pitch" and c.op == ">=" for c in program.success or [])
    offsets = bow_offsets(robot, 0.45)
    ctrl = robot.default_ctrl.copy()
    for a, j in enumerate(robot.actuator_joint):
        if j >= 0 and spec.joint_names[j] in offsets:
            ctrl[a] += offsets[spec.joint_names[j]]
    data = mujoco.MjData(model)
    data.qpos[:] = spec.default_qpos
    base = model.body(robot.profile.base_body).id
    for t in range(int(3.0 / model.opt.timestep)):  # ramped in over a second, then held
        data.ctrl[:] = robot.default_ctrl + min(1.0, t * model.opt.timestep) * (ctrl - robot.default_ctrl)
        mujoco.mj_step(model, data)
    frame = data.xmat[base].reshape(3, 3)
    pitch = float(-np.arcsin(frame[2, 0]))  # the pelvis's forward axis pointing down
    assert 0.3 <= pitch <= 0.6, pitch
    assert frame[2, 2] > 0.8  # standing, bowed: not on the floor


def test_an_unknown_verb_on_a_named_part_moves_that_part():
    """Words the designer does not know, with a body part it does: the gentle default rhythm goes on the
    named part (the arms), not on the hips, and the card says the verb was not understood."""
    model_id = "H1JoystickGaitTracking"
    plan = body_plan_of(catalog.load_robot(model_id))
    arms = {j for lb in plan.of_kind("arm") for j in lb.joints}
    result = design(model_id, "frobnicate your arms")
    assert result.default_used and any("frobnicate" in n for n in result.notes)
    for p in result.programs:
        moved = _moved_joints(model_id, p)
        assert moved and moved <= arms, (p.name, sorted(moved))


@pytest.mark.parametrize(
    "prompt", ["salute with your right hand", "give me a high five", "shrug your shoulders", "look around"]
)
def test_everyday_gesture_words_are_understood(prompt):
    result = design("T1JoystickFlatTerrain", prompt)
    assert not result.default_used and not any("not understood" in n.lower() for n in result.notes), (
        result.notes
    )


@pytest.mark.parametrize("model_id", HUMANOIDS_WITH_ARMS)
def test_a_clap_brings_the_hands_together_on_every_humanoid_with_arms(model_id):
    """Each hand's path is solved on its own arm (two paths in one program), ending at the body's midline half a
    lap apart: the prior alone (no physics) brings the hands within the check's reach, in two approaches of
    three; before, every clap was a sine on both arms whose hands stayed 40-55 cm apart on H1."""
    robot = catalog.load_robot(model_id)
    plan = body_plan_of(robot)
    arms = {j for arm in plan.of_kind("arm") for j in arm.joints + arm.fingers}
    rest = hands_gap_at_rest(robot)
    assert rest is not None
    meeting = []
    for program in design(model_id, "clap your hands").programs:
        assert _moved_joints(model_id, program) <= arms, program.name  # the legs keep the balance
        gap = prior_hands_gap(robot, program.motion)
        assert gap is not None
        if gap <= TOGETHER * rest:
            meeting.append(program.name)
            paths = [t for t in program.terms if t.term == "ee_path"]
            assert len(paths) == 2 and {p.params.index for p in paths} == {0, 1}, program.name
    assert len(meeting) >= 2, (model_id, meeting)


@pytest.mark.parametrize("model_id", HUMANOIDS_WITH_ARMS)
def test_a_humanoid_dances_with_its_arms_too(model_id):
    """'dance' on a body with arms: the groove swings the arms in turn beside the hips (the hips-only groove moved
    G1's and T1's arms 0.03 rad), as far as the public suite's dance asks of the arms (0.15 rad)."""
    robot = catalog.load_robot(model_id)
    arms = {j for limb in body_plan_of(robot).of_kind("arm") for j in limb.joints}
    groove = next(p for p in design(model_id, "dance").programs if p.name == "Dance Groove")
    swung = [p for p in groove.motion.parts if p.amplitude >= 0.15 and p.group is not None]
    assert any(
        set(moved_joints(groove.motion.model_copy(update={"parts": [p]}), robot.spec)) <= arms for p in swung
    )


@pytest.mark.parametrize("model_id", HUMANOIDS_WITH_ARMS)
@pytest.mark.parametrize("prompt", ["twist your torso left and right", "rock your upper body"])
def test_a_torso_word_turns_the_upper_body(model_id, prompt):
    """A twist or a rock of the torso on a standing biped: the prior turns the waist about the words' axis
    where the body has one (G1, Apollo: yaw and roll; H1, T1: a yaw waist), a twist turns both hips under the
    body without one (OP3), and no leg swings in a wave; the check asks the chest to turn (``torso_turn``)
    where there is a waist, as far as a share of the prior turns it."""
    robot = catalog.load_robot(model_id)
    plan = body_plan_of(robot)
    twist = "twist" in prompt
    axis = "yaw" if twist else "roll"
    waist = {j for j, turn in trunk_axes(robot).items() if turn == axis}
    hips_yaw = set(robot.profile.groups.get("hip_yaw", []))
    for program in design(model_id, prompt).programs:
        moved = _moved_joints(model_id, program)
        arms = {j for limb in plan.of_kind("arm") for j in limb.joints}
        if waist:
            assert moved - arms == waist, (program.name, moved)
            assert program.success and program.success[0].metric == "torso_turn", program.success
            turn = prior_torso_turn(robot, program.motion)
            assert turn is not None and program.success[0].value == pytest.approx(
                max(0.06, 0.3 * turn), abs=1e-3
            )
        elif twist and hips_yaw:
            assert moved - arms == hips_yaw, (program.name, moved)


def test_the_waist_groups_turn_about_their_axes():
    """Every profile's waist groups (``waist_yaw``, ``waist_roll``, ``waist_pitch``) name trunk joints of the
    body plan that turn about that axis in the base frame, and every trunk joint of a profiled humanoid is in
    the group of its axis: the designer's torso words rest on them."""
    for model_id in [*HUMANOIDS_WITH_ARMS, "BerkeleyHumanoidJoystickFlatTerrain"]:
        robot = catalog.load_robot(model_id)
        axes = trunk_axes(robot)
        groups = robot.profile.groups
        for joint, turn in axes.items():
            assert joint in groups.get(f"waist_{turn}", []), (model_id, joint, turn)
        for turn in ("yaw", "roll", "pitch"):
            for joint in groups.get(f"waist_{turn}", []):
                assert axes.get(joint) == turn, (model_id, joint, turn)


@pytest.mark.parametrize("model_id", HUMANOIDS_WITH_ARMS)
def test_scratching_the_head_is_done_with_a_hand(model_id):
    """'scratch your head' on a body with arms: the right hand goes to the head and rubs there (a placement),
    no leg swings (it was a quadruped's hind-leg scratch on the right leg), and the check is on the arm that
    moves, not on the head the words name as the place."""
    robot = catalog.load_robot(model_id)
    plan = body_plan_of(robot)
    right_arm = set(plan.limb("right_arm").joints)
    legs = {j for limb in plan.of_kind("leg") for j in limb.joints}
    for program in design(model_id, "scratch your head").programs:
        moved = _moved_joints(model_id, program)
        assert moved and moved <= right_arm, (program.name, moved - right_arm)
        assert not moved & legs
        assert program.success and program.success[0].metric.startswith("right_arm_"), program.success
