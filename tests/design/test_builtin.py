"""The built-in approach designer: words, recipes per robot, validity on real models, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from tabrl.design.builtin import MAX_PROMPT_CHARS, DesignError, design, design_approaches, term_signature
from tabrl.design.vocabulary import INTENTS, interpret, lemma, vocabulary_entries
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import ExprTerm, RewardProgram
from tabrl.rewards.smoke import smoke_test
from tabrl.rewards.terms import TERMS
from tabrl.robots.catalog import UnknownModel, load_robot, profile_for

GO1 = "Go1JoystickFlatTerrain"
CASES = {
    GO1: [
        "walk forward",
        "spin in place",
        "keep shaking your hips aloha dude!",
        "jump up and down",
        "lie down",
        "wave your front paw",
        "walk forward and wag",
        "rear up on your hind legs",
        "dance!",
        "flibber jabber",
    ],
    "PandaPickCube": ["draw a circle in the air", "close the gripper", "reach up high", "wave"],
    "AnymalC": ["trot forward", "keep shaking your hips", "sit", "spin clockwise"],
    "UR5e": ["draw a figure eight", "swing side to side", "grasp", "nod"],
    "AllegroHand": ["make a fist", "pinch", "wiggle your fingers", "open your hand"],
    "CheetahRun": ["run", "run backwards", "hop", "stand still"],
    "H1JoystickGaitTracking": ["walk forward", "wave hello", "shake your hips", "squat", "jump"],
}


def _dump(programs: list[RewardProgram]) -> list[dict]:
    return [p.model_dump(mode="json") for p in programs]


def _kinds(program: RewardProgram) -> frozenset:
    return frozenset(term_signature(t.model_dump(mode="json", exclude_none=True)) for t in program.terms)


def _terms(program: RewardProgram, name: str) -> list:
    return [t for t in program.terms if t.term == name]


@pytest.fixture(scope="module")
def robots():
    cache: dict = {}

    def get(model_id: str):
        if model_id not in cache:
            cache[model_id] = load_robot(model_id)
        return cache[model_id]

    return get


@pytest.mark.parametrize("model_id", list(CASES))
def test_three_valid_distinct_programs_that_compile_and_pass_the_smoke_test(model_id, robots):
    robot = robots(model_id)
    profile = profile_for(model_id)
    groups = set(profile.groups) | {"all"}
    for prompt in CASES[model_id]:
        programs = design_approaches(model_id, prompt)
        assert len(programs) == 3 and all(isinstance(p, RewardProgram) for p in programs)
        assert len({p.name for p in programs}) == 3, prompt
        kinds = [_kinds(p) for p in programs]
        assert len(set(kinds)) == 3, f"{model_id} {prompt!r}: approaches differ only in weights"
        for p in programs:
            assert p.notes, "every program explains what was understood"
            RewardProgram.model_validate(p.model_dump(mode="json"))  # JSON round trip
            for t in p.terms:
                if isinstance(t, ExprTerm):
                    continue
                group_param = TERMS[t.term].group_param
                if group_param:
                    assert getattr(t.params, group_param) in groups, (
                        f"{p.name}: {t.term} names a missing group"
                    )
                if "feet" in TERMS[t.term].needs:
                    assert profile.feet
                if "ee" in TERMS[t.term].needs:
                    assert t.params.index < len(profile.end_effectors)
            compile_program(p, robot.spec, np)
            smoke_test(p, robot)


def test_deterministic():
    for prompt in ("keep shaking your hips aloha dude!", "walk forward and turn left", "zzz"):
        assert _dump(design_approaches(GO1, prompt)) == _dump(design_approaches(GO1, prompt))


def test_go1_suite_prompts_have_strong_main_terms():
    walk = design_approaches(GO1, "walk forward")
    assert [p.name for p in walk] == ["Trot Rhythm", "Pace Rhythm", "Velocity Tracker"]
    assert _terms(walk[0], "forward_speed")[0].params.target >= 0.3
    assert _terms(walk[0], "foot_contact_pattern")[0].params.pattern == "trot"
    assert any(
        t.term == "expr" and "q_front_left_leg[1]" in t.expr and "sin(12.5664 * t" in t.expr
        for t in walk[0].terms
    )  # thigh rhythm at the clock's 2 Hz
    assert _terms(walk[1], "joint_sine")[0].params.pattern == "alternate"
    assert _terms(walk[2], "track_velocity")[0].params.vx >= 0.3

    spin = design_approaches(GO1, "spin in place")
    assert [p.name for p in spin] == ["Stepping Turn", "Trot Turn", "Spin Tracker"]
    assert all(t.params.yaw_rate >= 1.0 for p in spin[:2] for t in _terms(p, "spin"))
    assert _terms(spin[2], "track_velocity")[0].params.yaw_rate >= 1.0
    assert all(_terms(p, "stay_in_place") for p in spin)
    clockwise = design_approaches(GO1, "spin clockwise")[0]
    assert _terms(clockwise, "spin")[0].params.yaw_rate < 0
    assert [t.expr for t in clockwise.terms if t.term == "expr"] != [
        t.expr for t in spin[0].terms if t.term == "expr"
    ]

    hips = design_approaches(GO1, "keep shaking your hips aloha dude!")
    sine = _terms(hips[0], "joint_sine")[0].params
    assert hips[0].name == "Hip Oscillator"
    assert sine.group == "hip_abduction" and sine.amplitude >= 0.2 and 0.5 <= sine.frequency_hz <= 4.0
    assert all(_terms(p, "upright") and _terms(p, "stay_in_place") for p in hips)
    assert _terms(hips[1], "base_oscillation") and any(
        t.params.group == "all" for t in _terms(hips[2], "joint_sine")
    )

    jump = design_approaches(GO1, "jump up and down")
    assert [p.name for p in jump] == ["Pronk Rhythm", "Pronk Jumper", "Launch Pad"]
    assert _terms(jump[0], "foot_contact_pattern")[0].params.pattern == "pronk"
    assert _terms(jump[1], "jump") and _terms(jump[1], "air_time")[0].params.all_feet
    assert any("feet_contact" in getattr(t, "expr", "") for t in jump[2].terms)

    lie = design_approaches(GO1, "lie down")
    fall = profile_for(GO1).fall_height_ratio
    for p in lie:
        ratios = [t.params.ratio for t in _terms(p, "base_height")]
        assert ratios and all(fall < r <= 0.6 for r in ratios)
    h1 = design("H1JoystickGaitTracking", "lie down")  # H1 falls below 60 % of standing: aim just above
    floor = profile_for("H1JoystickGaitTracking").fall_height_ratio
    assert all(t.params.ratio > floor for p in h1.programs for t in _terms(p, "base_height"))
    assert any("as a fall" in n for n in h1.notes)

    paw = design_approaches(GO1, "wave your front paw")
    assert _terms(paw[0], "joint_sine")[0].params.group == "front_right_leg"
    assert any("feet_height[0]" in getattr(t, "expr", "") for t in paw[1].terms)  # FR is Go1's first foot
    assert any("No side given" in n for n in paw[0].notes)


def test_regularisers_are_small_and_negative():
    for prompt in CASES[GO1]:
        for p in design_approaches(GO1, prompt):
            rates = _terms(p, "action_rate")
            assert rates and all(-0.05 <= t.weight < 0 for t in rates)
            for t in p.terms:
                if t.term in ("torque", "energy", "joint_limits", "action_rate"):
                    assert t.weight < 0


def test_robot_specific_groups_and_terms():
    h1 = design_approaches("H1JoystickGaitTracking", "shake your hips")
    assert _terms(h1[0], "joint_sine")[0].params.group == "hip_roll"
    assert all(_terms(p, "alive") for p in h1)  # a humanoid falls easily
    wave = design_approaches("H1JoystickGaitTracking", "wave hello")
    assert _terms(wave[0], "joint_sine")[0].params.group == "right_arm"
    assert _terms(wave[1], "ee_path")[0].params.index == 1  # right_wrist

    circle = design_approaches("PandaPickCube", "draw a circle in the air")
    path = _terms(circle[0], "ee_path")[0].params
    assert path.shape == "circle" and path.index == 0
    assert {t.params.plane for p in (circle[0], circle[2]) for t in _terms(p, "ee_path")} == {"yz", "xz"}

    cheetah = design_approaches("CheetahRun", "run")
    assert _terms(cheetah[0], "forward_speed")[0].params.target > 1.0
    assert design_approaches("CheetahRun", "run backwards")[0].terms[0].params.target < 0

    fist = design_approaches("AllegroHand", "make a fist")
    curls = {
        t.params.group: t.params.targets for t in _terms(fist[0], "joint_pose")
    }  # each finger by its range
    assert all(sum(curls[f]) / len(curls[f]) > 0.3 for f in ("index", "middle", "ring", "thumb"))

    ur5e = design("UR5e", "grasp")  # no gripper: says so and reaches down instead
    assert any("no gripper" in n for n in ur5e.notes)


def test_modifiers_change_parameters():
    def yaw(prompt: str) -> float:
        return _terms(design_approaches(GO1, prompt)[1], "spin")[0].params.yaw_rate

    assert yaw("spin") > 0 and yaw("spin clockwise") < 0 and yaw("spin to the right") < 0
    assert abs(yaw("spin fast")) > abs(yaw("spin")) > abs(yaw("spin slowly"))

    def vel(prompt: str):
        return next(t.params for p in design_approaches(GO1, prompt) for t in _terms(p, "track_velocity"))

    assert vel("walk backwards").vx < 0 < vel("walk forward").vx
    assert vel("run").vx > vel("walk").vx > vel("walk slowly").vx
    assert vel("strafe left").vy > 0 > vel("strafe right").vy
    assert vel("walk forward and turn left").yaw_rate > 0 > vel("walk and turn right").yaw_rate
    speeds = [_terms(design_approaches(GO1, p)[0], "forward_speed")[0].params.target for p in ("run", "walk")]
    assert speeds[0] > speeds[1] > 0

    def hip(prompt: str):
        return _terms(design_approaches(GO1, prompt)[0], "joint_sine")[0].params

    assert (
        hip("shake your hips fast").frequency_hz
        > hip("shake your hips").frequency_hz
        > hip("shake your hips slowly").frequency_hz
    )
    assert (
        hip("big hip shakes").amplitude > hip("shake your hips").amplitude > hip("tiny hip shakes").amplitude
    )

    left = design_approaches(GO1, "wave your left front paw")
    assert _terms(left[0], "joint_sine")[0].params.group == "front_left_leg"
    lean = design_approaches(GO1, "lean left")
    assert _terms(lean[0], "base_orientation")[0].params.roll < 0
    jump_high = _terms(design_approaches(GO1, "jump high")[0], "jump")[0].params.height
    assert jump_high > _terms(design_approaches(GO1, "jump")[0], "jump")[0].params.height


def test_multi_intent_prompts_combine():
    programs = design_approaches(GO1, "walk forward and wag")
    for p in programs:
        assert "Wag" in p.name
        assert not _terms(p, "stay_in_place"), "a travelling approach must not be told to stay in place"
        moving = (
            _terms(p, "track_velocity")
            + _terms(p, "forward_speed")
            + [t for t in p.terms if t.term == "expr" and "forward_speed" in t.expr]
        )
        wag = _terms(p, "joint_sine") + _terms(p, "base_oscillation")
        assert moving and wag
    turn = design_approaches(GO1, "walk forward and turn left")[0]
    assert len(_terms(turn, "track_velocity")) == 1  # one merged command, not two
    assert (
        _terms(turn, "track_velocity")[0].params.yaw_rate > 0
        and _terms(turn, "track_velocity")[0].params.vx > 0
    )


def test_measured_rhythms_only_where_measured():
    """Gait rigs are measured robot data (Go1, ANYmal C); other quadrupeds get the generic recipes (no
    leg-group rhythm expressions)."""
    for prompt in ("walk forward", "spin in place", "jump up and down"):
        for p in design_approaches("BarkourJoystick", prompt):
            assert not any(t.term == "expr" and "_leg[" in t.expr for t in p.terms)
    assert any(p.name == "Trot Rhythm" for p in design_approaches("Go1JoystickRoughTerrain", "walk forward"))
    walk = design_approaches("AnymalC", "walk forward")
    assert [p.name for p in walk] == ["Trot Rhythm", "Pace Rhythm", "Velocity Tracker"]
    # ANYmal's hind knees bend the other way: their calf targets carry the opposite sign (rig signs)
    calves = next(t.expr for t in walk[0].terms if t.term == "expr" and "q_rear_left_leg[2]" in t.expr)
    assert (
        "square(q_front_left_leg[2] - 0.35 * sin(" in calves and "square(q_rear_left_leg[2] + 0.35" in calves
    )


def test_word_matching_is_robust():
    assert lemma("shaking") == "shake" and lemma("jumps") == "jump" and lemma("lying") == "lie"
    assert lemma("wagging") == "wag" and lemma("spinning") == "spin" and lemma("faster") == "fast"
    cases = {
        "Keep SHAKING your hips, aloha dude!!!": "shake",
        "the robot jumps": "jump",
        "Lying down.": "lie_down",
        "stand on its hind legs": "rear_up",
        "twirling counter-clockwise": "spin",
        "draw a figure-8": "figure8",
        "wag your tail": "wag",
    }
    for prompt, key in cases.items():
        assert key in [m.value for m in interpret(prompt).intents], prompt
    mods = {m.value for m in interpret("spin counter-clockwise quickly").modifiers}
    assert ("rotation", "ccw") in mods and ("speed", "fast") in mods


def test_vocabulary_size_and_coverage():
    legged, manip = vocabulary_entries("legged"), vocabulary_entries("manip")
    assert len(legged) >= 40 and len(manip) >= 8
    required_legged = [
        "walk",
        "trot",
        "run",
        "gallop",
        "backwards",
        "sideways",
        "strafe",
        "spin",
        "turn",
        "twirl",
        "jump",
        "hop",
        "bounce",
        "shake",
        "wiggle",
        "wag",
        "twerk",
        "dance",
        "sway",
        "bob",
        "bow",
        "sit",
        "lie down",
        "stand up",
        "rear up",
        "stand on hind legs",
        "handstand",
        "wave a paw",
        "march",
        "stomp",
        "crouch",
        "squat",
        "lean",
        "nod",
        "tilt",
        "stretch",
        "balance",
        "stay still",
        "pace",
        "prance",
    ]
    required_manip = [
        "reach",
        "wave",
        "circle",
        "draw a circle",
        "point",
        "open",
        "close",
        "grasp",
        "grip",
        "pinch",
        "figure eight",
        "swing",
        "nod",
        "up and down",
        "side to side",
    ]
    for words in required_legged:
        intents = [INTENTS[m.value] for m in interpret(words).intents]
        assert any(i.legged for i in intents), words
    for words in required_manip:
        intents = [INTENTS[m.value] for m in interpret(words).intents]
        assert any(i.manip for i in intents), words


def test_unknown_words_give_a_default_with_a_note():
    result = design(GO1, "flibber jabber wocky")
    assert result.default_used and len(result.programs) == 3
    for p in result.programs:
        assert any("flibber" in n and "assumed" in n for n in p.notes)
    assert result.programs[0].name == "Stand Tall"
    partial = design(GO1, "walk forward like a zorblax")
    assert not partial.default_used
    assert any("zorblax" in n for n in partial.programs[0].notes)
    arm = design("UR5e", "qwerty")
    assert arm.default_used and any("qwerty" in n for n in arm.programs[0].notes)


def test_prompt_limits():
    for bad in ("", "   \n", "x" * (MAX_PROMPT_CHARS + 1)):
        with pytest.raises(DesignError) as e:
            design_approaches(GO1, bad)
        assert "prompt" in str(e.value).lower()
    assert issubclass(DesignError, ValueError)
    assert len(design_approaches(GO1, ("walk forward " * 200)[:MAX_PROMPT_CHARS])) == 3


def test_unknown_model_lists_closest_ids():
    with pytest.raises(UnknownModel) as e:
        design_approaches("Go1JoystickFlatTerain", "walk")
    assert "Go1JoystickFlatTerrain" in e.value.closest and "Go1JoystickFlatTerrain" in str(e.value)


@pytest.mark.parametrize("model_id", ["AlohaHandOver", "PandaRobotiqPushCube", "AeroCubeRotateZAxis"])
def test_robots_without_a_profile_get_joint_level_programs(model_id):
    from tabrl.robots.profiles import get_profile

    assert get_profile(profile_for(model_id).robot) is None, f"{model_id} has a profile now: pick another"
    for prompt in ("walk forward", "keep shaking your hips", "grasp", "zzz"):
        programs = design_approaches(model_id, prompt)
        assert len(programs) == 3 and len({_kinds(p) for p in programs}) == 3
        for p in programs:
            for t in p.terms:
                if isinstance(t, ExprTerm):
                    assert "feet" not in t.expr and "ee_pos" not in t.expr and "base" not in t.expr
                    continue
                assert not TERMS[t.term].needs and t.term not in ("upright", "base_height", "stay_in_place")
                group_param = TERMS[t.term].group_param
                if group_param:
                    assert getattr(t.params, group_param) == "all"


@pytest.mark.parametrize(
    "model_id",
    [
        "CartpoleBalance",
        "PendulumSwingup",
        "AcrobotSwingup",
        "ReacherEasy",
        "WalkerWalk",
        "SwimmerSwimmer6",
        "LeapCubeReorient",
        "T1JoystickFlatTerrain",
    ],
)
def test_more_catalog_robots(model_id, robots):
    robot = robots(model_id)
    for prompt in ("balance", "move in a circle", "run forward", "wiggle", "zzz"):
        programs = design_approaches(model_id, prompt)
        assert len({_kinds(p) for p in programs}) == 3
        for p in programs:
            smoke_test(p, robot)


# --------------------------------------------------------------------------- CLI

runner = CliRunner()


def test_cli_table_and_json():
    from tabrl.cli import app

    result = runner.invoke(
        app, ["approaches", "--model", GO1, "keep shaking your hips aloha dude!"], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 0, result.output
    for name in ("Hip Oscillator", "joint_sine", "hip_abduction", "Understood"):
        assert name in result.output
    result = runner.invoke(
        app, ["approaches", "--model", "PandaPickCube", "--json", "draw a circle in the air"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data) == 3 and all(RewardProgram.model_validate(p) for p in data)
    assert data[0]["terms"][0]["term"] == "ee_path"


def test_cli_errors_exit_2():
    from tabrl.cli import app

    result = runner.invoke(app, ["approaches", "--model", "Go1JoystickFlatTerain", "walk"])
    assert result.exit_code == 2 and "Go1JoystickFlatTerrain" in result.output
    result = runner.invoke(app, ["approaches", "--model", GO1, "  "])
    assert result.exit_code == 2 and "empty" in result.output
    result = runner.invoke(app, ["approaches", "--model", GO1, "w" * (MAX_PROMPT_CHARS + 1)])
    assert result.exit_code == 2 and "2,000" in result.output


def test_vocabulary_file_names_each_word_once():
    """vocabulary.yaml is read by a plain YAML loader, which keeps the last of two equal keys: refuse them here,
    and a phrase listed under two intents (or two modifiers) would silently mean only one."""
    import yaml

    from tabrl.design.vocabulary import VOCABULARY_FILE

    class Strict(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
            assert len(keys) == len(set(keys)), f"duplicate keys at line {node.start_mark.line + 1}"
            return super().construct_mapping(node, deep=deep)

    tables = yaml.load(VOCABULARY_FILE.read_text(), Loader=Strict)  # noqa: S506 - a SafeLoader subclass
    phrases = [p for entry in tables["intents"].values() for p in entry["phrases"]]
    assert len(phrases) == len(set(phrases))
    modifiers = [p for values in tables["modifiers"].values() for ps in values.values() for p in ps]
    assert len(modifiers) == len(set(modifiers))
    assert all(entry["phrases"] for entry in tables["intents"].values())


@pytest.mark.parametrize("model_id", ["CartpoleBalance", "AcrobotSwingup", "PendulumSwingup"])
def test_stacked_intensifiers_stay_inside_the_term_bounds(model_id):
    """'very very very big' multiplies sizes: a pole swing must still be a valid amplitude (at most 1.5 rad)."""
    for prompt in (
        "very very very big fast swing",
        "really really wide circles",
        "super extremely huge spin",
    ):
        for p in design_approaches(model_id, prompt):
            for t in p.terms:
                if t.term == "joint_sine":
                    assert t.params.amplitude <= 1.5


def test_every_intent_phrase_of_the_vocabulary_is_understood_as_written():
    # phrases with an article or a possessive inside ("give a round of applause", "throw a punch", "on the spot")
    # were keyed with it while the reader skips it: they could never match
    from tabrl.design.vocabulary import INTENT_PHRASES, interpret

    missed = {}
    for phrase, intent in INTENT_PHRASES.items():
        it = interpret(phrase)
        if it.unknown or not any(m.kind == "intent" and m.value == intent for m in it.matches):
            missed[phrase] = [(m.kind, m.value) for m in it.matches]
    assert not missed, missed
    assert [m.value for m in interpret("Give a round of applause!").matches if m.kind == "intent"] == ["clap"]
    assert [m.value for m in interpret("throw the punch").matches if m.kind == "intent"] == ["punch"]
    assert [m.value for m in interpret("give me your paw").matches if m.kind == "intent"] == ["give_paw"]
