"""A short Go1 run produces a real, decodable video and its companions; checkpoints are safe."""

from __future__ import annotations

import json

import av
import numpy as np
import pytest

from tabrl.pipeline import load_policy, run_training_job
from tabrl.train import checkpoint
from tests.helpers.programs import HIP_OSCILLATOR

PROGRAM = HIP_OSCILLATOR


@pytest.fixture(scope="module")
def go1_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("go1") / "job"
    events = []
    result = run_training_job("Go1JoystickFlatTerrain", PROGRAM, 2_048, out, on_event=events.append)
    return result, events, out


def test_video_decodes_as_10s_640x360_h264(go1_job):
    result, _, _ = go1_job
    with av.open(result.video) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (640, 360)
        assert stream.codec_context.pix_fmt == "yuv420p"
        frames = sum(1 for _ in container.decode(stream))
        duration = float(stream.duration * stream.time_base) if stream.duration else frames / 30
    assert frames == 300
    assert 9.9 <= duration <= 10.1
    with open(result.video, "rb") as f:  # faststart: the moov atom precedes the media data
        head = f.read(4096)
    assert head.find(b"moov") != -1 and (head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat"))


def test_poster_trajectory_and_metrics(go1_job):
    result, events, out = go1_job
    from PIL import Image

    with Image.open(result.poster) as img:
        assert img.format == "JPEG" and img.size == (640, 360)
        assert np.asarray(img).std() > 5  # not a blank frame
    traj = np.load(result.trajectory)
    assert traj["qpos"].shape[0] == 500 and traj["actions"].shape == (500, 12)
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "forward_speed_mps",
        "lateral_speed_mps",
        "yaw_rate_radps",
        "base_height_mean_m",
        "base_height_std_m",
        "roll_mean_abs_rad",
        "pitch_mean_abs_rad",
        "drift_m",
        "joint_groups",
        "feet",
        "falls",
    ):
        assert key in metrics
    assert metrics["joint_groups"]["hip_abduction"]["amplitude_rad"] >= 0.0
    assert len(metrics["feet"]["contact_fraction"]) == 4
    kinds = [e.type for e in events]
    assert kinds[0] == "started" and "progress" in kinds and "checkpoint" in kinds and "rendering" in kinds


def test_checkpoint_round_trip_and_metadata(go1_job):
    result, _, _ = go1_job
    policy, meta = load_policy(result.checkpoint)
    assert meta["model_id"] == "Go1JoystickFlatTerrain" and meta["backend"] == "native"
    assert meta["steps"] >= 2_048 and meta["program"]["name"] == "Hip Oscillator"
    assert "jax" in meta["versions"] and meta["wall_time_s"] > 0
    action = policy(np.zeros(meta["observation_size"], np.float32))
    assert action.shape == (12,) and np.all(np.abs(action) <= 1.0)


def test_corrupt_checkpoint_gives_clear_error(go1_job, tmp_path):
    import shutil

    result, _, _ = go1_job
    bad = tmp_path / "bad"
    shutil.copytree(result.checkpoint, bad)
    (bad / checkpoint.PARAMS_FILE).write_bytes(b"\x00garbage" * 10)
    with pytest.raises(checkpoint.CheckpointError, match="corrupt"):
        load_policy(bad)
    (bad / checkpoint.METADATA_FILE).write_text("{not json")
    with pytest.raises(checkpoint.CheckpointError, match="metadata.json is corrupt"):
        load_policy(bad)
    with pytest.raises(checkpoint.CheckpointError, match="does not exist"):
        load_policy(tmp_path / "missing")


def test_incompatible_checkpoint_refused_for_fine_tuning(go1_job, tmp_path):
    result, _, _ = go1_job
    with pytest.raises(checkpoint.CheckpointError, match="cannot fine-tune"):
        run_training_job(
            "CartpoleBalance",
            {"name": "x", "summary": "y", "terms": [{"term": "expr", "weight": 1.0, "expr": "cos(q[1])"}]},
            2_048,
            tmp_path / "ft",
            init_checkpoint=result.checkpoint,
        )


def test_atomic_save_leaves_no_partial_directory(tmp_path):
    def mlp(*widths):  # a Brax MLP's params: the metadata reads the layer widths off them
        return {
            "params": {
                f"hidden_{i}": {"kernel": np.zeros((a, b)), "bias": np.zeros(b)}
                for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False))
            }
        }

    params = ({"a": np.zeros(2)}, mlp(3, 4, 2), mlp(3, 4, 1))

    class Boom:
        def model_dump(self):
            raise RuntimeError("crash while writing metadata")

    with pytest.raises(RuntimeError):
        checkpoint.save(tmp_path / "policy", params, {"bad": Boom()})
    assert list(tmp_path.iterdir()) == []


def test_trained_policy_folder_carries_its_onnx_export(go1_job):
    result, _, _ = go1_job
    from pathlib import Path

    policy = Path(result.checkpoint)
    assert {"policy.onnx", "policy.json", "model.mjb", "run_policy.py"} <= {p.name for p in policy.iterdir()}
    side = json.loads((policy / "policy.json").read_text())
    meta = json.loads((policy / "metadata.json").read_text())
    assert side["observation"]["size"] == meta["observation_size"] and side["steps"] == meta["steps"]


def test_training_curve_has_a_row_per_progress_event(go1_job):
    import csv

    result, events, _ = go1_job
    rows = list(csv.DictReader(open(result.curves)))
    progress = [e for e in events if e.type == "progress"]
    assert len(rows) == len(progress) >= 1
    assert [int(r["steps"]) for r in rows] == [e.data.steps for e in progress]
    assert any(k.startswith("share:") for k in rows[0]) and "reward" in result.curve_summary


def test_progress_is_honest_before_any_episode_ends_and_names_terms_readably(go1_job):
    import csv

    result, events, _ = go1_job
    progress = [e for e in events if e.type == "progress"]
    # 2,048 steps over 32 envs is 64 control steps each, far short of a 500-step episode: the first
    # report has no episode figure (it used to extrapolate step reward x 500), only the per-step reward.
    first = progress[0]
    assert first.data.mean_reward is None and first.data.episodes == 0
    assert all(np.isfinite(e.data.mean_step_reward) for e in progress)
    assert first.data.term_labels == {
        "joint_sine:hip_abduction": "hip abduction swing",
        "upright": "upright",
        "expr:-abs(base_lin_vel[0])": "forward velocity",
        "action_rate": "action rate",
    }
    assert set(first.data.terms) == set(first.data.term_labels)
    rows = list(csv.DictReader(open(result.curves)))
    assert rows[0]["mean_episode_reward"] == ""
    assert float(rows[0]["mean_step_reward"]) == pytest.approx(first.data.mean_step_reward, rel=1e-5)
    assert "share:hip abduction swing" in rows[0] and "reward per step" in result.curve_summary
