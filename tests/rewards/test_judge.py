"""The labelled judge set: the studio's verdicts against what a person saw in each video (issue 23's bar:
agreement of at least 95 %, and at most 2 % of approaches showing ✓ where the label says it failed)."""

from __future__ import annotations

import pytest

from tests.rewards.judge import judge_all, labels

pytestmark = pytest.mark.slow  # designs and measures ~50 stored rollouts over 25 robots


def test_the_labels_cover_every_category_and_both_verdicts():
    rows = labels()
    assert len(rows) >= 50
    assert sum(r["pass"] for r in rows) >= 15 and sum(not r["pass"] for r in rows) >= 15
    assert {r["set"] for r in rows} == {"tune", "held_out"}
    assert all(r["why"] for r in rows), "every label says what the person saw"


def test_verdicts_agree_with_what_a_person_saw():
    rows = judge_all()
    wrong = [
        f"{r['name']}: label {'pass' if r['label'] else 'fail'}, verdict {r['summary']}"
        for r in rows
        if not r["agree"]
    ]
    false_pass = [r for r in rows if r["passed"] and not r["label"]]
    assert len(rows) - len(wrong) >= 0.95 * len(rows), "\n".join(wrong)
    assert len(false_pass) <= 0.02 * len(rows), "\n".join(wrong)
