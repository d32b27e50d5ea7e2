"""The reward language's limits and counts, defined once for every package that needs them.

Plain constants, so the designer, the LLM path and the page's `/api/info` can import them
without loading the reward language itself (numpy, the term library).
"""

from __future__ import annotations

MAX_NAME_CHARS = 60  # a program's name
MAX_SUMMARY_CHARS = 200  # its one-line summary
MAX_TERMS = 12  # terms in one program
MAX_WEIGHT = 100.0  # |weight| of one term
N_APPROACHES = 3  # programs the designer (built-in or LLM) proposes for one prompt
