"""Compiled robots on disk: the same robot back (physics included), used instead of compiling, never trusted when broken."""

from __future__ import annotations

import dataclasses

import mujoco
import numpy as np
import pytest

from tabrl.robots import catalog, catalog_robots, robot_cache


def _same(a, b) -> list[str]:
    diffs = []
    for obj_a, obj_b in ((a, b), (a.spec, b.spec)):
        for field in dataclasses.fields(obj_a):
            va, vb = getattr(obj_a, field.name), getattr(obj_b, field.name)
            if field.name in ("mj_model", "spec"):
                continue
            if isinstance(va, np.ndarray):
                ok = np.array_equal(va, vb) and va.dtype == vb.dtype
            elif isinstance(va, dict) and va and isinstance(next(iter(va.values())), np.ndarray):
                ok = list(va) == list(vb) and all(np.array_equal(va[k], vb[k]) for k in va)
            else:
                ok = va == vb and type(va) is type(vb)
            if not ok:
                diffs.append(field.name)
    return diffs


@pytest.mark.parametrize("model_id", ["Go1JoystickFlatTerrain", "AeroCubeRotateZAxis", "CartpoleBalance"])
def test_a_stored_robot_is_the_compiled_one(model_id, tmp_path):
    compiled = catalog_robots.compile_catalog_robot(model_id)
    robot_cache.save(tmp_path / "r", compiled)
    stored = robot_cache.load(tmp_path / "r")
    assert stored is not None and _same(compiled, stored) == []
    a, b = mujoco.MjData(compiled.mj_model), mujoco.MjData(stored.mj_model)
    a.ctrl[:] = b.ctrl[:] = compiled.default_ctrl + 0.1
    for _ in range(100):
        mujoco.mj_step(compiled.mj_model, a)
        mujoco.mj_step(stored.mj_model, b)
    assert np.array_equal(a.qpos, b.qpos) and np.abs(a.qpos - compiled.spec.default_qpos).max() > 0


def test_load_robot_uses_the_stored_robot_and_recompiles_a_broken_one(monkeypatch):
    model_id = "CartpoleBalance"
    catalog.forget_loaded_models()
    first = catalog.load_robot(model_id)  # compiled, or found from an earlier test: stored either way
    folder = catalog_robots.robot_folder(model_id)
    assert (folder / "model.mjb").is_file()
    catalog.forget_loaded_models()
    monkeypatch.setattr(
        catalog_robots, "compile_catalog_robot", lambda _: pytest.fail("compiled although stored")
    )
    again = catalog.load_robot(model_id)
    assert _same(first, again) == []

    (folder / "model.mjb").write_bytes(b"not a model")
    catalog.forget_loaded_models()
    monkeypatch.undo()
    assert (
        robot_cache.load(folder) is None
    )  # a broken store is not trusted: loading compiles and stores it again
    assert _same(first, catalog.load_robot(model_id)) == [] and robot_cache.load(folder) is not None
    catalog.forget_loaded_models()
