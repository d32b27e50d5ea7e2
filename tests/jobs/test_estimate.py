"""The page's time estimate: from the machine's calibration first, then from finished jobs."""

from __future__ import annotations

import json

import pytest

from tabrl.jobs import estimate
from tabrl.render import film


def test_uncalibrated_estimate_says_so_and_grows_with_steps(tmp_path):
    small = estimate.estimate_batch(
        tmp_path, "Go1JoystickFlatTerrain", 10_000, 3, workers=2, video_seconds=10
    )
    big = estimate.estimate_batch(tmp_path, "Go1JoystickFlatTerrain", 100_000, 3, workers=2, video_seconds=10)
    assert small["basis"].startswith("defaults") and not small["calibrated"]
    assert big["seconds"] > small["seconds"] > 0
    assert [w["jobs"] for w in big["waves"]] == [2, 1]  # three approaches on two workers: two waves


def test_calibration_then_finished_jobs_drive_the_estimate(tmp_path):
    model = "Go1JoystickFlatTerrain"
    estimate.record_calibration(
        tmp_path, {"model": model, "physics_steps_per_s": 10_000.0, "bare_render_ms": 80.0}
    )
    calibrated = estimate.estimate_batch(tmp_path, model, 50_000, 1, workers=1, video_seconds=10)
    assert calibrated["basis"].startswith("calibration")
    # 50k steps at 0.45 x 10k/s + 300 frames at 0.45 x 80 ms + 2 s
    assert calibrated["seconds"] == pytest.approx(50_000 / 4500 + 300 * 0.036 + 2.0, rel=0.01)

    # A job ran at 5,000 steps/s, 40 ms a frame, 1 s besides: the estimate follows what happened.
    estimate.record_job(
        tmp_path, model, concurrency=1, steps=50_000, train_s=10.0, video_s=12.0, frames=300, overhead_s=1.0
    )
    measured = estimate.estimate_batch(tmp_path, model, 50_000, 1, workers=1, video_seconds=10)
    assert measured["basis"] == f"{model} jobs, 1 at once"
    assert measured["seconds"] == pytest.approx(10.0 + 12.0 + 1.0, rel=0.01)
    ratios = estimate.load(tmp_path).ratios
    assert ratios.train_to_physics == pytest.approx(0.5) and ratios.video_to_bare == pytest.approx(0.5)

    # Another robot, never trained: the calibration scaled by how jobs compared to it.
    other = estimate.estimate_batch(tmp_path, "AnymalC", 50_000, 1, workers=1, video_seconds=10)
    assert other["seconds"] == pytest.approx(50_000 / 5000 + 300 * 0.040 + 2.0, rel=0.01)

    # Two at once were measured slower each; a batch of three runs as 2 + 1.
    estimate.record_job(
        tmp_path, model, concurrency=2, steps=50_000, train_s=16.0, video_s=18.0, frames=300, overhead_s=1.0
    )
    batch = estimate.estimate_batch(tmp_path, model, 50_000, 3, workers=2, video_seconds=10)
    assert batch["seconds"] == pytest.approx((16 + 18 + 1) + (10 + 12 + 1), rel=0.01)


def test_a_train_all_batch_is_estimated_from_single_jobs_then_from_finished_batches(tmp_path, monkeypatch):
    model = "Go1JoystickFlatTerrain"
    # One job alone: 5,000 steps/s, 40 ms a frame, 1 s besides.
    estimate.record_job(
        tmp_path, model, concurrency=1, steps=50_000, train_s=10.0, video_s=12.0, frames=300, overhead_s=1.0
    )
    before = estimate.estimate_batch(tmp_path, model, 50_000, 3, workers=2, video_seconds=10, batch_max=3)
    assert [w["batches"] for w in before["waves"]] == [[3]] and "one batch of 3" in before["basis"]
    # Training 150k steps at 1.2 x 5,000/s, then three videos, filmed side by side on a machine with cores to
    # spare (render.film), one after another on one core.
    speedup = estimate.DEFAULT_BATCH_TO_SINGLE
    monkeypatch.setenv("TABRL_FILM_THREADS", "2")
    before = estimate.estimate_batch(tmp_path, model, 50_000, 3, workers=2, video_seconds=10, batch_max=3)
    filming = film.SIDE_BY_SIDE_COST
    assert before["seconds"] == pytest.approx(
        1.0 + 150_000 / (5_000 * speedup) + 3 * 12.0 * filming, rel=0.01
    )
    monkeypatch.setenv("TABRL_FILM_THREADS", "1")
    one_by_one = estimate.estimate_batch(tmp_path, model, 50_000, 3, workers=2, video_seconds=10, batch_max=3)
    assert one_by_one["seconds"] == pytest.approx(1.0 + 150_000 / (5_000 * speedup) + 3 * 12.0, rel=0.01)

    # A finished batch: 150k steps in 20 s (7,500/s, 1.5x one job), 900 frames in 30 s, 2 s besides.
    estimate.record_batch(
        tmp_path, model, size=3, steps=50_000, train_s=20.0, video_s=30.0, frames=300, overhead_s=2.0
    )
    after = estimate.estimate_batch(tmp_path, model, 50_000, 3, workers=2, video_seconds=10, batch_max=3)
    assert after["basis"] == f"{model} batches of 3" and after["seconds"] == pytest.approx(52.0, rel=0.01)
    assert estimate.load(tmp_path).ratios.batch_to_single == pytest.approx(1.5)
    # Two approaches: the batch of three's speeds; six with batches of three on two workers: two at once.
    two = estimate.estimate_batch(tmp_path, model, 50_000, 2, workers=2, video_seconds=10, batch_max=3)
    assert two["seconds"] == pytest.approx(2.0 + 100_000 / 7_500 + 600 * 30.0 / 900, rel=0.01)
    separate = estimate.estimate_batch(tmp_path, model, 50_000, 3, workers=2, video_seconds=10)
    assert [w["jobs"] for w in separate["waves"]] == [2, 1]  # batching off: jobs in waves, as before


# estimate.json as the untyped version of this module wrote it (calibration, jobs one and two at once,
# a batch of three): a file already on a user's machine.
OLD_FILE = """{
 "machine": {"model": "Go1JoystickFlatTerrain", "physics_steps_per_s": 10000.0, "bare_render_ms": 80.0,
  "measured_at": 1796648806.955139},
 "models": {"Go1JoystickFlatTerrain": {
   "1": {"train_steps_per_s": 5000.0, "video_ms_per_frame": 40.0, "overhead_s": 1.0, "jobs": 1},
   "2": {"train_steps_per_s": 3125.0, "video_ms_per_frame": 60.0, "overhead_s": 1.0, "jobs": 1}}},
 "ratios": {"train_to_physics": 0.5, "video_to_bare": 0.5, "batch_to_single": 1.5},
 "batches": {"Go1JoystickFlatTerrain": {
   "3": {"train_steps_per_s": 7500.0, "video_ms_per_frame": 33.333333333333336, "overhead_s": 2.0,
    "batches": 1}}}
}"""


def test_an_existing_estimate_file_loads_and_is_written_back_alike(tmp_path):
    path = tmp_path / "cache" / "estimate.json"
    path.parent.mkdir()
    path.write_text(OLD_FILE)
    go1 = "Go1JoystickFlatTerrain"
    # The figures the untyped version gave from this file.
    for model, batch_max, seconds, basis in [
        (go1, 1, 58.0, f"{go1} jobs, 2 at once"),
        (go1, 3, 52.0, f"{go1} batches of 3"),
        ("AnymalC", 1, 60.0, f"calibration on {go1} (no AnymalC job finished yet)"),
        ("AnymalC", 3, 47.0, f"calibration on {go1} (no AnymalC job finished yet); one batch of 3 (x1.50"),
    ]:
        got = estimate.estimate_batch(
            tmp_path, model, 50_000, 3, workers=2, video_seconds=10, batch_max=batch_max
        )
        assert got["seconds"] == seconds and got["basis"].startswith(basis) and got["calibrated"], got

    # Recording a job writes the same layout back: every figure kept, unmeasured ones still left out.
    estimate.record_job(
        tmp_path, "AnymalC", concurrency=1, steps=10_000, train_s=5.0, video_s=9.0, frames=300, overhead_s=1.0
    )
    written = json.loads(path.read_text())
    old = json.loads(OLD_FILE)
    old["models"]["AnymalC"] = {
        "1": {"train_steps_per_s": 2000.0, "video_ms_per_frame": 30.0, "overhead_s": 1.0, "jobs": 1}
    }
    assert written == old


def test_an_unreadable_estimate_file_starts_afresh(tmp_path):
    path = tmp_path / "cache" / "estimate.json"
    path.parent.mkdir()
    for content in ["{not json", "[1, 2]", '{"models": {"Go1JoystickFlatTerrain": {"1": {"jobs": "many"}}}}']:
        path.write_text(content)
        got = estimate.estimate_batch(
            tmp_path, "Go1JoystickFlatTerrain", 10_000, 1, workers=1, video_seconds=10
        )
        assert got["basis"].startswith("defaults") and not got["calibrated"]
    estimate.record_calibration(
        tmp_path, {"model": "Go1JoystickFlatTerrain", "physics_steps_per_s": 9_000.0, "bare_render_ms": 70.0}
    )
    assert estimate.load(tmp_path).machine.physics_steps_per_s == 9_000.0
