"""The reward language: features, primitive terms, safe expressions, RewardProgram, compiler, smoke test.

Names are loaded on first use (PEP 562) so importing one submodule never drags in the rest.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FEATURES": "features",
    "compute_features": "features",
    "features_from_data": "features",
    "feature_names": "features",
    "feature_ranks": "features",
    "TERMS": "terms",
    "term_key": "terms",
    "ExpressionError": "expressions",
    "compile_expression": "expressions",
    "check_syntax": "expressions",
    "RewardProgram": "program",
    "ProgramError": "program",
    "schema_json": "program",
    "CompiledReward": "compiler",
    "compile_program": "compiler",
    "check_fits": "compiler",
    "smoke_test": "smoke",
    "sample_states": "smoke",
    "validate_program": "validate",
    "ProgramCheckError": "validate",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
