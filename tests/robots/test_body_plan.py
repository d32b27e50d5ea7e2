"""The body plan read from each compiled model (tabrl/robots/anatomy.py): every catalog model has one,
and the plans of fifteen robots across the gallery match goldens checked by eye against their models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tabrl.robots import catalog
from tabrl.robots.anatomy import read_body_plan
from tabrl.robots.body_plan import BodyPlan

GOLDEN = json.loads((Path(__file__).parent / "data" / "golden_body_plans.json").read_text())


def _as_golden(plan: BodyPlan) -> dict:
    return {
        "summary": plan.summary(),
        "lacks": plan.lacks,
        "trunk": plan.trunk,
        "limbs": {
            lb.name: {
                "kind": lb.kind,
                "side": lb.side,
                "end": lb.end,
                "joints": [f"{j}:{lb.roles[j]}" for j in lb.joints],
                "fingers": len(lb.fingers),
            }
            for lb in plan.limbs
        },
    }


def test_every_catalog_model_has_a_body_plan():
    """From the catalog (built once per install): every model with assets carries a plan whose joints are
    the model's own and which names each limb once."""
    entries = [e for e in catalog.list_models() if e.assets_available]
    assert len(entries) == len(catalog.all_ids())
    for e in entries:
        plan = e.body_plan
        assert plan is not None, e.id
        names = [lb.name for lb in plan.limbs]
        assert len(names) == len(set(names)), (e.id, names)
        joints = [j for lb in plan.limbs for j in lb.joints] + plan.trunk
        assert len(joints) == len(set(joints)), (e.id, joints)  # a joint belongs to one limb
        assert plan.summary(), e.id
        if e.category in ("humanoid", "quadruped"):
            assert plan.of_kind("leg"), (e.id, plan.summary())
        if e.category == "hand":
            assert len(plan.of_kind("finger")) >= 4 and plan.limb("thumb") is not None, e.id


@pytest.mark.parametrize("model_id", sorted(GOLDEN))
def test_golden_body_plans(model_id):
    assert _as_golden(read_body_plan(catalog.load_robot(model_id))) == GOLDEN[model_id]


def test_the_plan_says_what_a_body_lacks():
    plans = {
        m: GOLDEN[m]
        for m in ("H1JoystickGaitTracking", "BerkeleyHumanoidJoystickFlatTerrain", "T1JoystickFlatTerrain")
    }
    assert "head" in plans["H1JoystickGaitTracking"]["lacks"]  # no neck joint to nod with
    assert {"head", "arms"} <= set(plans["BerkeleyHumanoidJoystickFlatTerrain"]["lacks"])
    assert "head" not in plans["T1JoystickFlatTerrain"]["lacks"]
    assert plans["BerkeleyHumanoidJoystickFlatTerrain"]["summary"] == "2 legs, no head, no arms"


def test_a_profile_corrects_a_misleading_axis():
    """Berkeley Humanoid's hip rotation and abduction axes are both tilted 45 degrees: the profile says which."""
    legs = read_body_plan(catalog.load_robot("BerkeleyHumanoidJoystickFlatTerrain")).of_kind("leg")
    assert [lb.roles[f"L{lb.side[0].upper()}_HAA"] for lb in legs] == ["abduction", "abduction"]
