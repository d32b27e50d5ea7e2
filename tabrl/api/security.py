"""Token check and request-size cap, as plain ASGI middleware so they cover HTTP and WebSocket alike.

With a token set, every ``/api`` call and the OpenAPI pages need it: as ``Authorization: Bearer``,
as ``?token=`` (for what a browser loads by itself: video, downloads, WebSocket) or as the cookie
the server sets when a page is opened with ``?token=``. The page shell itself holds no data.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

COOKIE = "tabrl_token"
PROTECTED_PREFIXES = ("/api", "/docs", "/redoc", "/openapi.json")
PUBLIC_PATHS = ("/api/info",)  # limits and whether a token is needed: what a page asks before it has one


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _presented_tokens(scope) -> list[str]:
    tokens = []
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        tokens.append(auth[7:].strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens += query.get("token", [])
    if "cookie" in headers:
        cookie = SimpleCookie()
        try:
            cookie.load(headers["cookie"])
        except Exception:  # a malformed cookie header is simply no token
            pass
        if COOKIE in cookie:
            tokens.append(cookie[COOKIE].value)
    return tokens


class TokenMiddleware:
    def __init__(self, app, token: str | None):
        self.app, self.token = app, token

    def _ok(self, scope) -> bool:
        return any(hmac.compare_digest(t.encode(), self.token.encode()) for t in _presented_tokens(scope))

    async def __call__(self, scope, receive, send):
        if self.token is None or scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if path in PUBLIC_PATHS or not path.startswith(PROTECTED_PREFIXES):
            if scope["type"] == "http" and self._ok(scope):
                send = _with_cookie(send, self.token)  # a page opened with ?token= keeps it for later calls
            return await self.app(scope, receive, send)
        if self._ok(scope):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await receive()  # the connect message
            await send({"type": "websocket.close", "code": 4401, "reason": "missing or wrong token"})
            return
        await _json_response(send, 401, "This studio requires a token: send 'Authorization: Bearer <token>' "
                                        "or open the page with ?token=<token> (the server's TABRL_TOKEN).")


def _with_cookie(send, token: str):
    async def wrapped(message):
        if message["type"] == "http.response.start":
            cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
        await send(message)

    return wrapped


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413 (by header, and while reading a chunked body)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for key, value in scope.get("headers", []):
            if key.lower() == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await self._refuse(send, int(value))
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send, seen)

    async def _refuse(self, send, size: int) -> None:
        await _json_response(send, 413, f"The request body is {size:,} bytes; at most {self.limit:,} are accepted.")


class _TooLarge(Exception):
    pass


async def _json_response(send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
