"""The studio service without training: limits, bad input, sessions, tokens, traversal, providers."""

from __future__ import annotations

import json
import os
import re

import pytest
from starlette.websockets import WebSocketDisconnect
from typer.testing import CliRunner

from tabrl.config import get_settings
from tabrl.jobs.models import Job
from tabrl.rewards.limits import N_APPROACHES
from tests.helpers.llm_server import LLMServer, openai_json
from tests.helpers.studio import FAST_MODEL, catalog_models, configure, rehearsed, studio, train, wait_job


@pytest.fixture
def client(tmp_path):
    with studio(tmp_path / "data") as c:
        yield c


def test_info_gives_limits_examples_and_estimate(client):
    info = client.get("/api/info").json()
    assert info["steps"] == {"min": 1000, "max": 100_000, "default": 50_000}
    assert info["examples"] and all(isinstance(e, str) and e for e in info["examples"])
    assert info["estimate"]["steps_per_s"] > 0 and info["token_required"] is False


def test_info_serves_the_settings_the_service_uses(tmp_path):
    """Steps default, video length and approaches per design: /api/info gives what the service does."""
    with studio(tmp_path / "data", steps_default=3000, video_seconds=2.5) as client:
        info = client.get("/api/info").json()
        assert info["steps"]["default"] == 3000 and info["video_seconds"] == 2.5
        assert info["approaches"] == N_APPROACHES
        r = client.post(
            "/api/training/configure", json={"model_id": FAST_MODEL, "prompt": "balance the pole"}
        )
        assert r.status_code == 200, r.text
        assert r.json()["num_steps"] == 3000  # no steps asked for: the default /api/info gives
        assert len(r.json()["designs"][0]["approaches"]) == info["approaches"]
        too_many = {"model_id": FAST_MODEL, "steps": 3000, "approaches": info["approaches"] + 1}
        r = client.get("/api/estimate", params=too_many)
        assert r.status_code == 422 and f"or {N_APPROACHES}" in r.json()["detail"]
        assert client.get("/api/estimate", params={**too_many, "approaches": N_APPROACHES}).status_code == 200


def test_the_text_limits_in_info_are_the_ones_enforced(client):
    info = client.get("/api/info").json()
    at_limit = {"model_id": FAST_MODEL, "num_steps": 2000, "prompt": "a" * info["max_prompt_chars"]}
    assert client.post("/api/training/configure", json=at_limit).status_code == 200
    r = client.post("/api/training/configure", json={**at_limit, "prompt": at_limit["prompt"] + "a"})
    assert r.status_code == 422 and f"at most {info['max_prompt_chars']:,}" in r.text
    r = client.post("/api/training/refine", json={"job_id": 1, "words": "w" * (info["max_refine_chars"] + 1)})
    assert r.status_code == 422 and f"at most {info['max_refine_chars']} characters" in r.text


def test_openapi_describes_the_websocket_message(client):
    """EventOut (no route returns it) is in the components with everything it refers to, so the
    page's generated types have the message the WebSocket sends."""
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    prefix = "#/components/schemas/"
    seen, todo = set(), ["EventOut"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        assert name in schemas, f"{name} is referred to but not in the components"
        seen.add(name)
        todo += [r[len(prefix) :] for r in re.findall(r'"\$ref": "([^"]+)"', json.dumps(schemas[name]))]
    assert "JobOut" in seen and "sheet_url" in schemas["JobOut"]["properties"]
    fields = {f for name in seen for f in schemas[name].get("properties", {})}
    assert {"id", "job_id", "session_id", "type", "data", "created_at", "job"} <= fields


def test_openapi_documents_every_endpoint(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/models/playground",
        "/api/training/configure",
        "/api/training/batch",
        "/api/training/render",
        "/api/training/refine",
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/sessions/{session_id}/download.zip",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/cancel",
        "/api/jobs/{job_id}/restart",
        "/api/jobs/{job_id}/policy.zip",
        "/api/llm/providers",
    ):
        assert path in paths, path
    assert client.get("/docs").status_code == 200


def test_models_list_every_catalog_model_with_labels(client):
    models = catalog_models(client)
    ids = {m["id"] for m in models}
    assert {"Go1JoystickFlatTerrain", FAST_MODEL} <= ids and len(models) >= 40
    go1 = next(m for m in models if m["id"] == "Go1JoystickFlatTerrain")
    assert go1["label"] == "Go1JoystickFlatTerrain (Quadruped Robot)"
    # The gallery's order and groups: the featured robots first, Go1 leading; variants share a group.
    assert [m["id"] for m in models[:5]] == [
        "Go1JoystickFlatTerrain",
        "AnymalC",
        "UR5e",
        "PandaPickCube",
        "AllegroHand",
    ]
    assert all(m["featured"] for m in models[:5]) and not any(m["featured"] for m in models[5:])
    assert (
        go1["name"] == "Unitree Go1 · joystick, flat terrain" and go1["variant"] == "joystick, flat terrain"
    )
    assert {m["id"] for m in models if m["group"] == "go1"} == {
        "Go1JoystickFlatTerrain",
        "Go1JoystickRoughTerrain",
        "Go1Getup",
        "Go1Handstand",
        "Go1Footstand",
    }
    for m in models:
        assert (m["thumbnail_url"] is None) == (not m["assets_available"])
        if not m["assets_available"]:
            assert m["assets_reason"]


def test_thumbnail_is_a_png_and_unknown_model_is_404(client):
    r = client.get(f"/api/models/{FAST_MODEL}/thumbnail.png")
    assert r.status_code == 200 and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    r = client.get("/api/models/NoSuchRobot/thumbnail.png")
    assert r.status_code == 404 and "NoSuchRobot" in r.json()["detail"]


def test_configure_stores_a_session_with_three_approaches(client):
    session = configure(client, prompt="keep the pole up, calmly")
    assert session["model_label"] == f"{FAST_MODEL} (Classic Control)"
    (design,) = session["designs"]
    assert design["provider"] == "builtin" and len(design["approaches"]) == 3
    assert len({a["name"] for a in design["approaches"]}) == 3
    assert all(a["terms"] for a in design["approaches"])
    # The configure answers before the rehearsals end; each approach is rehearsed once stored: the card's
    # line and the program's record agree.
    for a in design["approaches"]:
        assert a["rehearsing"] or a["rehearsal"] is not None
    again = rehearsed(client, session["id"])
    for a in again["designs"][0]["approaches"]:
        assert a["rehearsal"]["note"].startswith("Rehearsed with the zero action")
        assert a["program"]["rehearsal"]["note"] == a["rehearsal"]["note"]
    assert again["jobs"] == []
    assert [a["id"] for a in again["designs"][0]["approaches"]] == [a["id"] for a in design["approaches"]]
    listed = client.get("/api/sessions").json()
    assert listed[0]["id"] == session["id"] and listed[0]["jobs_total"] == 0


def test_a_job_trains_the_rehearsed_prior(tmp_path):
    """Training waits for the rehearsal of what it trains, and rehearses an approach that never had one (a
    session stored before a restart, here by a studio that did not rehearse)."""
    with studio(tmp_path / "data", rehearse=False) as plain:
        stored = configure(plain)
    assert not any(a["rehearsal"] or a["rehearsing"] for a in stored["designs"][0]["approaches"])
    with studio(tmp_path / "data") as client:
        fresh = configure(client, prompt="sway the cart gently")
        for session in (stored, fresh):
            (job,) = train(client, session, count=1)  # at once: the batch waits for the rehearsal
            trained = client.get(f"/api/sessions/{session['id']}").json()["designs"][0]["approaches"][0]
            assert trained["rehearsal"]["note"].startswith("Rehearsed with") and not trained["rehearsing"]
            assert job["approach_id"] == trained["id"]
            client.post(f"/api/jobs/{job['id']}/cancel")
            wait_job(client, job["id"], {"cancelled", "done"})
        untrained = client.get(f"/api/sessions/{stored['id']}").json()["designs"][0]["approaches"][1]
        assert untrained["rehearsal"] is None  # only what is trained is rehearsed late


@pytest.mark.parametrize(
    "body, status, words",
    [
        ({"num_steps": 5}, 422, "between 1,000 and 100,000"),
        ({"num_steps": 10_000_000}, 422, "between 1,000 and 100,000"),
        ({"prompt": "   "}, 422, "prompt"),
        ({"prompt": "dance " * 600}, 422, "characters"),
        ({"model_id": "Go2JoystickFlatTerrain"}, 422, "Go1JoystickFlatTerrain"),
        ({"model_id": None}, 422, "model_id"),
        ({"providers": ["nosuchprovider"]}, 422, "nosuchprovider"),
    ],
)
def test_configure_refuses_bad_input_with_a_clear_message(client, body, status, words):
    request = {"model_id": FAST_MODEL, "prompt": "balance", "num_steps": 2000, **body}
    r = client.post("/api/training/configure", json=request)
    assert r.status_code == status, r.text
    assert words.lower() in str(r.json()["detail"]).lower()
    assert client.get("/api/sessions").json() == []  # nothing half-written stays behind


def test_model_without_assets_is_refused(client):
    missing = [m for m in catalog_models(client) if not m["assets_available"]]
    if not missing:
        pytest.skip("every model has its assets on this machine")
    r = client.post(
        "/api/training/configure", json={"model_id": missing[0]["id"], "prompt": "walk", "num_steps": 2000}
    )
    assert r.status_code == 422 and "cannot be trained here" in r.json()["detail"]


def test_batch_and_render_refuse_unknown_or_unready_things(client):
    session = configure(client)
    r = client.post("/api/training/batch", json={"session_id": "nosuchsession"})
    assert r.status_code == 404
    r = client.post("/api/training/batch", json={"session_id": session["id"], "approach_ids": [999]})
    assert r.status_code == 422 and "999" in r.json()["detail"]
    r = client.post("/api/training/batch", json={"session_id": session["id"], "num_steps": 1})
    assert r.status_code == 422 and "between" in r.json()["detail"]
    assert client.post("/api/training/render", json={"job_id": 12345}).status_code == 404
    assert client.get("/api/jobs/12345").status_code == 404
    assert client.post("/api/jobs/12345/cancel").status_code == 404
    assert client.get(f"/api/sessions/{session['id']}/download.zip").status_code == 409


def test_request_body_is_capped(client):
    r = client.post(
        "/api/training/configure",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and "at most 262,144" in r.json()["detail"]


def test_artifact_paths_cannot_leave_the_data_directory(client):
    session = configure(client)
    outside = client.app.state.settings.data_dir.parent / "secret.txt"
    outside.write_text("not yours")
    with client.app.state.sessions() as db:  # a tampered row, as if the database were edited by hand
        job = Job(
            session_id=session["id"],
            approach_id=session["designs"][0]["approaches"][0]["id"],
            kind="train",
            status="done",
            total_steps=1000,
            artifacts={"video": "../secret.txt", "poster": "/etc/passwd", "policy": "../"},
        )
        db.add(job)
        db.commit()
        job_id = job.id
    for url in (
        f"/api/jobs/{job_id}/video.mp4",
        f"/api/jobs/{job_id}/poster.jpg",
        f"/api/jobs/{job_id}/policy.zip",
        f"/api/jobs/{job_id}/..%2F..%2Fsecret.txt",
        f"/api/jobs/{job_id}/%2E%2E%2Fsecret.txt",
        "/api/sessions/..%2F..%2Fsecret.txt",
    ):
        r = client.get(url)
        assert r.status_code == 404, (url, r.status_code)
        assert b"not yours" not in r.content
    # The session zip leaves the refused files out and says so in its manifest.
    r = client.get(f"/api/sessions/{session['id']}/download.zip")
    assert r.status_code == 200 and b"not yours" not in r.content
    import io
    import json
    import zipfile

    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert not any("secret" in n for n in zf.namelist())
    assert manifest["complete"] is False
    assert {s["file"].rsplit("/", 1)[1] for s in manifest["skipped"]} == {"video.mp4", "poster.jpg", "policy"}


def test_token_is_required_on_every_call_when_set(tmp_path):
    token = "s3cret-token"
    with studio(tmp_path / "data", token=token) as client:
        assert client.get("/api/info").json()["token_required"] is True  # public: the page asks it first
        r = client.get("/api/sessions")
        assert r.status_code == 401 and "token" in r.json()["detail"]
        assert client.get("/openapi.json").status_code == 401
        assert client.post("/api/training/configure", json={}).status_code == 401
        assert client.get("/api/sessions", headers={"Authorization": "Bearer wrong"}).status_code == 401
        r = client.get("/api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert (
            r.status_code == 200 and "HttpOnly" in r.headers["set-cookie"]
        )  # media and sockets use the cookie
        assert client.get("/api/sessions").status_code == 200  # by the cookie alone
        client.cookies.clear()
        assert client.get(f"/api/sessions?token={token}").status_code == 200
        client.cookies.clear()
        with pytest.raises(WebSocketDisconnect) as info:
            with client.websocket_connect("/api/ws") as ws:
                ws.receive_json()
        assert info.value.code == 4401
        with client.websocket_connect(f"/api/ws?token={token}&after=0") as ws:
            ws.close()
        # The page shell is public; opened with ?token= it leaves a cookie that later calls carry.
        assert client.get("/").status_code == 200
        assert client.get("/api/sessions").status_code == 401
        client.get(f"/?token={token}")
        assert client.get("/api/sessions").status_code == 200


def test_serve_refuses_a_public_address_without_a_token(monkeypatch):
    from tabrl.cli import app

    monkeypatch.delenv("TABRL_TOKEN", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123"])
    assert result.exit_code != 0 and "TABRL_TOKEN" in result.output


@pytest.fixture
def llm_env(monkeypatch):
    server = LLMServer().start()
    for name in list(os.environ):
        if name.startswith("TABRL_LLM"):
            monkeypatch.delenv(name, raising=False)
    for key, value in {
        "PROVIDERS": "local",
        "LOCAL_KIND": "openai",
        "LOCAL_BASE_URL": server.url("local", "/v1"),
        "LOCAL_API_KEY": "sk-test-key-123",
        "LOCAL_MODEL": "local-model",
        "MAX_RETRIES": "0",
        "REPAIR_ROUNDS": "0",
        "TIMEOUT_S": "5",
    }.items():
        monkeypatch.setenv(f"TABRL_LLM_{key}", value)
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def test_providers_are_listed_without_keys_and_configure_uses_them(tmp_path, llm_env):
    programs = [
        {
            "name": name,
            "summary": f"{name} the pole.",
            "notes": [],
            "terms": [{"term": "upright", "weight": 1.0}, {"term": "action_rate", "weight": -0.01 * (i + 1)}],
        }
        for i, name in enumerate(["Steady", "Gentle", "Firm"])
    ]
    llm_env.script("local", [openai_json({"approaches": programs})])
    with studio(tmp_path / "data") as client:
        r = client.get("/api/llm/providers")
        assert r.status_code == 200 and "sk-test-key-123" not in r.text
        assert [p["name"] for p in r.json()["providers"]] == ["local"]
        session = configure(client, providers=["local"])
    (design,) = session["designs"]
    assert design["provider"] == "local" and design["model"] == "local-model"
    assert [a["name"] for a in design["approaches"]] == ["Steady", "Gentle", "Firm"]
    assert not any(a["fallback"] for a in design["approaches"])


def test_database_is_sqlite_in_wal_mode_migrated_to_head(client):
    import sqlite3

    from alembic.script import ScriptDirectory

    from tabrl.jobs.db import alembic_config

    settings = client.app.state.settings
    with sqlite3.connect(settings.sqlite_path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert {"sessions", "approaches", "jobs", "events"} <= tables
    head = ScriptDirectory.from_config(alembic_config(settings.resolved_database_url)).get_current_head()
    assert version == head


def test_the_gallery_and_thumbnails_carry_an_etag_and_answer_304(client):
    first = client.get("/api/models/playground")
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag and first.headers["cache-control"] == "no-cache"
    same = client.get("/api/models/playground", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
    other = client.get("/api/models/playground", headers={"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200 and other.json() == first.json()

    thumb = client.get(f"/api/models/{FAST_MODEL}/thumbnail.png")
    assert thumb.status_code == 200 and "max-age" in thumb.headers["cache-control"]
    again = client.get(
        f"/api/models/{FAST_MODEL}/thumbnail.png", headers={"If-None-Match": thumb.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_warm_up_says_what_is_still_being_prepared(client):
    status = client.get("/api/warm-up").json()
    assert set(status) == {"ready", "catalog", "workers", "workers_ready", "note"}
    assert status["catalog"]["state"] in {"idle", "indexing", "building", "ready"}
    catalog_models(client)  # waits for the catalog
    ready = client.get("/api/warm-up").json()
    assert (
        ready["catalog"]["state"] == "ready" and ready["catalog"]["done"] == ready["catalog"]["total"] >= 40
    )
    assert 0 <= ready["workers_ready"] <= ready["workers"] <= 1  # this studio keeps one worker
    assert ready["ready"] == (ready["workers_ready"] > 0 or ready["workers"] == 0) and ready["note"]
