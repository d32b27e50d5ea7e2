"""RewardProgram validation, the compiler, the smoke test and `tabrl schema`."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from typer.testing import CliRunner

from tabrl.cli import app
from tabrl.rewards.compiler import compile_program
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.rewards.smoke import sample_states, smoke_test
from tabrl.rewards.terms import TERMS
from tabrl.robots.catalog import load_robot
from tests.helpers.programs import HIP_OSCILLATOR


@pytest.fixture(scope="module")
def go1():
    return load_robot("Go1JoystickFlatTerrain")


def test_design_example_parses_round_trips_and_compiles(go1):
    program = RewardProgram.parse(json.dumps(HIP_OSCILLATOR))
    assert RewardProgram.parse(program.model_dump_json()) == program
    f = sample_states(go1, n=8)
    total, terms = compile_program(program, go1.spec, np)(f)
    assert list(terms) == [
        "joint_sine:hip_abduction",
        "upright",
        "expr:-abs(base_lin_vel[0])",
        "action_rate",
    ]
    np.testing.assert_allclose(total, sum(terms.values()))
    assert all(v.shape == (8,) for v in terms.values())
    # The weighted value of a term is its weight times the term alone.
    alone, _ = compile_program({"name": "u", "terms": [{"term": "upright"}]}, go1.spec, np)(f)
    np.testing.assert_allclose(terms["upright"], alone)


def test_compiled_program_jits_and_vmaps_like_numpy(go1):
    f = sample_states(go1, n=8)
    total_np, terms_np = compile_program(HIP_OSCILLATOR, go1.spec, np)(f)
    compiled = compile_program(HIP_OSCILLATOR, go1.spec, jnp)
    total, terms = jax.jit(jax.vmap(compiled))({k: jnp.asarray(v) for k, v in f.items()})
    np.testing.assert_allclose(np.asarray(total), total_np, rtol=1e-4, atol=1e-4)
    assert set(terms) == set(terms_np)


def test_repeated_terms_get_unique_readable_keys(go1):
    program = {
        "name": "x",
        "terms": [
            {"term": "joint_sine", "params": {"group": "knee"}},
            {"term": "joint_sine", "params": {"group": "knee"}},
            {"term": "foot_contact_pattern", "params": {"pattern": "pace"}},
            {"term": "upright"},
            {"term": "upright"},
        ],
    }
    keys = compile_program(program, go1.spec, np).keys
    assert keys == [
        "joint_sine:knee",
        "joint_sine:knee#2",
        "foot_contact_pattern:pace",
        "upright",
        "upright#2",
    ]


@pytest.mark.parametrize(
    "data,needle",
    [
        (
            {"name": "x", "terms": [{"term": "dance_move"}]},
            "term 1: unknown term 'dance_move'; allowed: upright, base_height",
        ),
        ({"name": "x", "terms": [{"weight": 1.0}]}, "every term needs a 'term' field; allowed: upright"),
        (
            {"name": "x", "terms": [{"term": "joint_sine", "params": {"group": "hip", "speed": 2}}]},
            "'joint_sine' has no parameter 'speed'; allowed: group, amplitude, frequency_hz, pattern, sigma",
        ),
        (
            {"name": "x", "terms": [{"term": "upright", "params": {"height": 2}}]},
            "'upright' has no parameter 'height'; allowed: sigma",
        ),
        (
            {"name": "x", "terms": [{"term": "alive", "params": {"x": 1}}]},
            "'alive' has no parameter 'x'; allowed: none",
        ),
        (
            {"name": "x", "terms": [{"term": "joint_sine", "params": {"group": "hip", "amplitude": 9}}]},
            "term 1 (joint_sine) params.amplitude: Input should be less than or equal to 1.5",
        ),
        (
            {"name": "x", "terms": [{"term": "joint_sine", "params": {"group": "hip", "pattern": "zigzag"}}]},
            "'sync', 'alternate' or 'wave'",
        ),
        (
            {"name": "x", "terms": [{"term": "joint_sine"}]},
            "term 1 (joint_sine) params.group: required parameter of 'joint_sine' is missing",
        ),
        (
            {"name": "x", "terms": [{"term": "upright", "weight": 1e9}]},
            "term 1 (upright) weight: weight 1e+09 is outside [-100, 100]",
        ),
        (
            {"name": "x", "terms": [{"term": "upright", "weight": float("nan")}]},
            "weight must be a finite number",
        ),
        ({"name": "x", "terms": [{"term": "upright", "expr": "q"}]}, "unexpected field 'expr'"),
        ({"name": "x", "terms": [{"term": "expr", "expr": "().__class__"}]}, "attribute access '__class__'"),
        (
            {"name": "x", "terms": [{"term": "expr", "expr": "q", "params": {"a": 1}}]},
            "an expr term takes no params",
        ),
        ({"name": "x", "terms": []}, "terms: List should have at least 1 item"),
        ({"name": "x", "terms": [{"term": "upright"}] * 13}, "at most 12 items"),
        ({"name": "", "terms": [{"term": "upright"}]}, "name: String should have at least 1 character"),
        (
            {"name": "x" * 61, "terms": [{"term": "upright"}]},
            "name: String should have at most 60 characters",
        ),
        (
            {"name": "x", "summary": "s" * 201, "terms": [{"term": "upright"}]},
            "summary: String should have at most 200",
        ),
        ({"name": "x", "terms": [{"term": "upright"}], "code": "import os"}, "unexpected field 'code'"),
    ],
)
def test_validation_errors_say_what_is_wrong_and_what_is_allowed(data, needle):
    with pytest.raises(ProgramError) as err:
        RewardProgram.parse(data)
    assert needle in str(err.value)


def test_program_json_text_errors_are_program_errors():
    with pytest.raises(ProgramError, match="invalid reward program"):
        RewardProgram.parse('{"name": "x", "terms": [')


@pytest.mark.parametrize(
    "expr,needle",
    [
        ("q[40]", "index 40 is out of bounds"),  # jax would clamp this silently: refused at compile
        ("feet_pos[4, 0]", "out of bounds"),
        ("q + feet_contact", "could not be broadcast"),
        ("q_tail[0]", "unknown name 'q_tail'"),
    ],
)
def test_expressions_that_do_not_fit_the_robot_are_refused_at_compile(expr, needle, go1):
    with pytest.raises(ProgramError) as err:
        compile_program({"name": "x", "terms": [{"term": "expr", "expr": expr}]}, go1.spec, jnp)
    assert "term 1 ('expr')" in str(err.value) and needle in str(err.value)


def test_smoke_test_accepts_good_programs(go1):
    stats = smoke_test(HIP_OSCILLATOR, go1)
    assert stats["std"] > 0 and np.isfinite(stats["mean"])
    panda = load_robot("PandaPickCube")
    smoke_test(
        {
            "name": "Reach",
            "terms": [
                {"term": "ee_path", "params": {"shape": "circle"}},
                {"term": "torque", "weight": -0.001},
            ],
        },
        panda,
    )


@pytest.mark.parametrize(
    "model_id,term",
    [
        ("Go1JoystickFlatTerrain", "upright"),
        ("Go1JoystickFlatTerrain", "base_orientation"),
        ("Go1JoystickFlatTerrain", "stay_in_place"),
        ("CheetahRun", "upright"),
        ("CheetahRun", "forward_speed"),
    ],
)
def test_sampled_states_move_the_base_so_posture_alone_is_not_constant(model_id, term):
    """Floating bases are shifted and tilted, planar roots perturbed: a lone posture term varies."""
    smoke_test({"name": term, "terms": [{"term": term}]}, load_robot(model_id))


def test_constant_message_names_the_constant_terms_and_a_fixed_base():
    with pytest.raises(ProgramError) as err:
        smoke_test(
            {"name": "x", "terms": [{"term": "alive"}, {"term": "upright"}]}, load_robot("PandaPickCube")
        )
    assert "(constant terms: alive, upright)" in str(err.value) and "base is fixed" in str(err.value)


@pytest.mark.parametrize(
    "program,needle",
    [
        (
            {"name": "Constant", "terms": [{"term": "alive"}]},
            "gives the same reward (1) in every sampled state",
        ),
        (
            {"name": "Constant expr", "terms": [{"term": "expr", "expr": "2 + standing_height"}]},
            "same reward",
        ),
        (
            {
                "name": "Overflow",
                "terms": [
                    {"term": "upright"},
                    {"term": "expr", "expr": "exp(1000 * base_height) * 1e300 * 1e300"},
                ],
            },
            "term 'expr:exp(1000 * base_height)' gives non-finite rewards",
        ),
        ({"name": "Inf", "terms": [{"term": "expr", "expr": "1e308 * (10 + q[0])"}]}, "non-finite"),
    ],
)
def test_smoke_test_refuses_constant_and_non_finite_programs(program, needle, go1):
    with pytest.raises(ProgramError) as err:
        smoke_test(program, go1)
    assert needle in str(err.value)


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_schema_command_prints_a_valid_json_schema_with_every_term():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema["title"] == "RewardProgram" and schema["type"] == "object"
    assert set(schema["required"]) == {"name", "terms"} and schema["additionalProperties"] is False
    defs = schema["$defs"]
    for ref in _refs(schema):  # every reference resolves inside the document
        assert ref.startswith("#/$defs/") and ref.split("/")[-1] in defs, ref
    items = schema["properties"]["terms"]["items"]
    assert items["discriminator"]["propertyName"] == "term"
    mapping = items["discriminator"]["mapping"]
    assert set(mapping) == set(TERMS) | {"expr"}
    assert len(items["oneOf"]) == len(mapping)
    for name, ref in mapping.items():
        term = defs[ref.split("/")[-1]]
        assert term["properties"]["term"]["const"] == name and "term" in term["required"]
        assert term["properties"]["weight"]["maximum"] == 100
        assert term.get("description"), f"{name} has no description in the schema"
        if name != "expr":
            params = defs[term["properties"]["params"]["$ref"].split("/")[-1]]
            assert params["additionalProperties"] is False
            for field, prop in params.get("properties", {}).items():
                assert prop.get("description"), f"{name}.{field}"
    assert defs["JointSineParams"]["required"] == ["group"]
    assert defs["JointSineParams"]["properties"]["amplitude"]["maximum"] == 1.5
    assert "hip_abduction" not in json.dumps(schema)  # robot-independent
    assert "base_lin_vel" in schema["description"]  # features are documented for expressions


def test_package_exports_the_public_api():
    import tabrl.rewards as rewards

    for name in rewards.__all__:
        assert getattr(rewards, name) is not None
    assert rewards.compile_program is compile_program and rewards.RewardProgram is RewardProgram
