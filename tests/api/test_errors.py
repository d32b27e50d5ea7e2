"""Domain errors become HTTP answers in one place (tabrl/api/errors.py): status, message, headers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from tabrl.api import errors
from tabrl.api.limits import CapReached
from tabrl.design.builtin import DesignError
from tabrl.design.providers import ProviderConfigError
from tabrl.design.runs import RunNotFound
from tabrl.export.model_store import ModelStoreError
from tabrl.jobs.retention import SessionBusy, SessionNotFound
from tabrl.robots.catalog import CatalogNotReady, UnknownModel
from tests.helpers.studio import studio

RAISED = {
    "design": (DesignError("prompt is too long"), 422),
    "provider": (ProviderConfigError("nope", "provider 'nope' is not configured"), 422),
    "run": (RunNotFound("the run folder is gone"), 409),
    "session": (SessionNotFound("abc"), 404),
    "busy": (SessionBusy("abc", {7: "running"}), 409),
    "store": (ModelStoreError("the shared model x.mjb.gz is missing"), 404),
    "cap": (CapReached("at most 12 at once (TABRL_MAX_ACTIVE_JOBS_PER_SESSION)"), 429),
    "catalog": (CatalogNotReady("the catalog is being prepared"), 503),
    "plain": (ValueError("a bug, not the caller's mistake"), 500),
}


class Body(BaseModel):
    model_id: str


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    errors.install(app)

    @app.get("/raise/{what}")
    def raise_it(what: str) -> None:
        raise RAISED[what][0]

    @app.get("/models/{model_id}")
    def by_path(model_id: str) -> None:
        raise UnknownModel(model_id, ["Go1JoystickFlatTerrain"])

    @app.post("/models")
    def by_body(body: Body) -> None:
        raise UnknownModel(body.model_id, ["Go1JoystickFlatTerrain"])

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("what", sorted(RAISED))
def test_each_domain_error_has_its_status_and_its_own_message(client, what):
    error, status = RAISED[what]
    r = client.get(f"/raise/{what}")
    assert r.status_code == status, r.text
    if status != 500:  # an error nobody mapped stays a server error, its message not shown
        assert str(error) in r.json()["detail"]
    else:
        assert "a bug" not in r.text


def test_a_model_being_prepared_asks_to_come_back_and_a_store_error_says_what_failed(client):
    assert client.get("/raise/catalog").headers["Retry-After"] == "5"
    assert client.get("/raise/store").json()["detail"].startswith("the policy cannot be downloaded whole: ")


def test_an_unknown_model_is_404_in_the_path_and_422_in_a_body(client):
    r = client.get("/models/Go1JoystickFlatTerain")
    assert r.status_code == 404 and "Closest: Go1JoystickFlatTerrain" in r.json()["detail"]
    r = client.post("/models", json={"model_id": "Go1JoystickFlatTerain"})
    assert r.status_code == 422 and r.json()["detail"].startswith("Unknown model 'Go1JoystickFlatTerain'")


def test_the_studio_answers_its_routes_errors_through_the_table(tmp_path):
    with studio(tmp_path / "data", prewarm_workers=False) as c:
        r = c.post("/api/training/configure", json={"model_id": "NoSuchRobot", "prompt": "walk"})
        assert r.status_code == 422 and "Unknown model 'NoSuchRobot'" in r.json()["detail"]
        r = c.post("/api/training/configure", json={"model_id": "CartpoleBalance", "prompt": "   "})
        assert r.status_code == 422 and r.json()["detail"]
        r = c.post(
            "/api/training/configure",
            json={"model_id": "CartpoleBalance", "prompt": "walk", "providers": ["nosuchprovider"]},
        )
        assert r.status_code == 422 and "nosuchprovider" in r.json()["detail"]
        assert c.delete("/api/sessions/nobody").json()["detail"] == "no session 'nobody'"
