"""A real ``tabrl serve`` with a token, as a person runs it: the WebSocket refusal arrives as close
code 4401 (not an HTTP 403), and no token ever reaches the server's log."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.helpers.studio import ServerProcess

TOKEN = "pr0be-t0ken-9f3a"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with ServerProcess(tmp_path_factory.mktemp("served") / "data", TABRL_TOKEN=TOKEN) as srv:
        yield srv


def ws_url(server, query: str) -> str:
    return server.url.replace("http://", "ws://") + "/api/ws" + query


def close_code(url: str, **kwargs) -> int:
    """The close code the server ends a fresh socket with (the handshake itself must succeed)."""
    try:
        with connect(url, open_timeout=30, **kwargs) as ws:
            ws.recv(timeout=30)
    except InvalidStatus as exc:  # the handshake was refused: what the page saw before the fix
        raise AssertionError(f"handshake refused with HTTP {exc.response.status_code}") from None
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else 1006
    raise AssertionError("the socket stayed open")


def test_websocket_without_or_with_a_wrong_token_is_closed_with_4401(server):
    assert close_code(ws_url(server, "?session_id=s1")) == 4401
    assert close_code(ws_url(server, "?session_id=s1&token=wrong")) == 4401
    assert (
        close_code(ws_url(server, "?session_id=s1"), additional_headers={"Cookie": "tabrl_token=wrong"})
        == 4401
    )


def test_websocket_with_the_cookie_alone_is_let_in(server):
    with connect(
        ws_url(server, "?session_id=none&after=0"),
        open_timeout=30,
        additional_headers={"Cookie": f"tabrl_token={TOKEN}"},
    ) as ws:
        with pytest.raises(TimeoutError):
            ws.recv(timeout=1)  # open, and nothing to replay for an unknown session


def test_a_call_with_the_bearer_header_sets_the_httponly_cookie_that_media_use(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        r = client.get("/api/sessions", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 200
        cookie = r.headers["set-cookie"]
        assert f"tabrl_token={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
        # The client now holds the cookie: a URL with no token (as <video src> loads it) gets in.
        r = client.get("/api/jobs/1/video.mp4")
        assert r.status_code == 404 and "no job" in r.json()["detail"]
        assert "set-cookie" not in r.headers  # already set: not sent again


def test_no_token_reaches_the_log(server):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        # A session of requests, the way the page and a script would make them.
        client.get(f"/?token={TOKEN}")
        assert client.get(f"/api/sessions?token={TOKEN}&limit=5").status_code == 200
        client.get(f"/api/jobs/1/video.mp4?download=true&token={TOKEN}")
        client.get(f"/api/sessions/nosuch/download.zip?token={TOKEN}")
        client.get(f"/docs?token={TOKEN}")
        client.get("/api/sessions?token=wrong-one")
    with connect(ws_url(server, f"?session_id=s1&after=0&token={TOKEN}"), open_timeout=30):
        pass
    assert close_code(ws_url(server, "?token=wrong-two")) == 4401
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.get("/api/info")  # one more line after the socket's, so everything above is flushed
    log = server.log.read_text()
    assert "GET /api/sessions?token=[redacted]&limit=5" in log, log[-3000:]
    assert "/api/ws?session_id=s1&after=0&token=[redacted]" in log
    for secret in (TOKEN, "wrong-one", "wrong-two"):
        assert secret not in log, secret
