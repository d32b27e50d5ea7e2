"""One path from candidate data to a program a robot can train on: schema, compile, smoke test.

The LLM designer checks every candidate with it (and tells the model the failing stage), the
refiner checks its rule-based edits, training checks a stored program before it starts. Any
failure, whatever its exception, comes back as one :class:`ProgramCheckError` naming the stage:
nothing a model writes can make the caller fail in another way.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from pydantic import ValidationError

from tabrl.rewards.compiler import CompiledReward, compile_program
from tabrl.rewards.program import ProgramError, RewardProgram
from tabrl.rewards.smoke import smoke_test
from tabrl.robots.model import Robot

STAGES = ("schema", "compile", "smoke test")


class ProgramCheckError(ProgramError):
    """A candidate program failed a check; ``stage`` is schema, compile or smoke test."""

    def __init__(self, stage: str, message: str):
        super().__init__(f"{stage}: {message}")
        self.stage, self.message = stage, message


class CheckedProgram(NamedTuple):
    """A program that passed every check, and its reward as compiled (numpy) for the robot it was checked on."""

    program: RewardProgram
    reward: CompiledReward


def validate_program(data: RewardProgram | dict[str, Any], robot: Robot) -> RewardProgram:
    """The validated program, compiled for ``robot`` and smoke-tested on its sampled states.

    ``data`` is a RewardProgram or parsed JSON (a dict); it is only handed to the reward
    language's validators, never executed. Raises ProgramCheckError, and nothing else.
    """
    return check_program(data, robot).program


def check_program(data: RewardProgram | dict[str, Any], robot: Robot) -> CheckedProgram:
    """As :func:`validate_program`, with the compiled reward the checks ran on: a job trains on it, so a
    program is compiled once per job."""
    if isinstance(data, RewardProgram):
        program = data
    elif not isinstance(data, dict):
        raise ProgramCheckError("schema", f"an approach must be a JSON object, got {type(data).__name__}")
    else:
        try:
            program = RewardProgram.parse(data)
        except ValidationError as exc:
            raise ProgramCheckError("schema", describe_errors(exc)) from None
        except Exception as exc:  # noqa: BLE001 - ProgramError, or any surprise in a validator: the data's fault
            raise ProgramCheckError("schema", exception_text(exc)) from None
    try:
        reward = compile_program(program, robot.spec, np)
    except ValidationError as exc:
        raise ProgramCheckError("compile", describe_errors(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any compile failure is the program's fault, reported back
        raise ProgramCheckError("compile", exception_text(exc)) from None
    try:
        smoke_test(program, robot, reward)
    except Exception as exc:  # noqa: BLE001 - ProgramError and friends
        raise ProgramCheckError("smoke test", exception_text(exc)) from None
    return CheckedProgram(program, reward)


def describe_errors(exc: ValidationError) -> str:
    """'terms.0.params.group: Field required; ...': where and what, one clause per problem."""
    lines = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(program)"
        lines.append(f"{loc}: {err.get('msg')}")
    return "; ".join(lines)


def exception_text(exc: BaseException) -> str:
    """The reward language's own messages as they are; anything else prefixed with its type."""
    text = str(exc).strip()
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
    name = type(exc).__name__
    return text if name in ("ProgramError", "ValueError", "ExpressionError") else f"{name}: {text}"
