"""Prompt -> three RewardPrograms: the built-in offline designer and LLM providers.

The names below load lazily, so ``import tabrl.design.llm`` (or the CLI) does not pull in the
reward language (numpy, MuJoCo) until a design is asked for.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "design_approaches": "tabrl.design.builtin",
    "design": "tabrl.design.builtin",
    "Design": "tabrl.design.builtin",
    "DesignError": "tabrl.design.builtin",
    "MAX_PROMPT_CHARS": "tabrl.design.builtin",
    "interpret": "tabrl.design.vocabulary",
    "Interpretation": "tabrl.design.vocabulary",
    "INTENTS": "tabrl.design.vocabulary",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tabrl.design' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
