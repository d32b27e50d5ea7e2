"""Token check and request-size cap, as plain ASGI middleware so they cover HTTP and WebSocket alike.

With a token set, every ``/api`` call and the OpenAPI pages need it: as ``Authorization: Bearer``,
as the HttpOnly cookie the server sets on any answer to a request that presented the token
another way (what a browser loads by itself — video, downloads, the WebSocket — carries that
cookie), or as ``?token=`` (the first visit, scripts). The page shell itself holds no data.
A token in a URL never reaches the log: :class:`RedactTokens` rewrites uvicorn's log lines.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


def _presented_tokens(scope: Scope) -> tuple[list[str], str | None]:
    """Tokens sent by header or query, and the one the cookie carries."""
    tokens: list[str] = []
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        tokens.append(auth[7:].strip())
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    tokens += query.get("token", [])
    cookie_token = None
    if "cookie" in headers:
        cookie = SimpleCookie()
        try:
            cookie.load(headers["cookie"])
        except Exception:  # a malformed cookie header is simply no token
            pass
        if COOKIE in cookie:
            cookie_token = cookie[COOKIE].value
    return tokens, cookie_token


class TokenMiddleware:
    def __init__(self, app: ASGIApp, token: str | None):
        self.app, self.token = app, token

    @staticmethod
    def _matches(token: str | None, expected: str) -> bool:
        return token is not None and hmac.compare_digest(token.encode(), expected.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.token is None or scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        expected = self.token
        tokens, cookie_token = _presented_tokens(scope)
        by_cookie = self._matches(cookie_token, expected)
        ok = by_cookie or any(self._matches(t, expected) for t in tokens)
        if ok and not by_cookie and scope["type"] == "http":
            # The token came by header or URL: leave the cookie, so the page's media, downloads and
            # WebSocket need no token in their URLs (which browsers, proxies and logs keep).
            send = _with_cookie(send, expected)
        path = scope.get("path", "")
        if ok or path in PUBLIC_PATHS or not path.startswith(PROTECTED_PREFIXES):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            # Accept, then close: a close before the accept reaches the browser as a bare HTTP 403,
            # and the page could not tell a wrong token from a network failure.
            await receive()  # the connect message
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 4401, "reason": "missing or wrong token"})
            return
        await _json_response(
            send,
            401,
            "This studio requires a token: send 'Authorization: Bearer <token>' "
            "or open the page with ?token=<token> (the server's TABRL_TOKEN).",
        )


def _with_cookie(send: Send, token: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            cookie = f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
            message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
        await send(message)

    return wrapped


class BodyLimitMiddleware:
    """Refuses request bodies over ``limit`` bytes with 413, by header or while reading a chunked body.

    The body (at most ``limit`` bytes) is read here before the app sees it: refusing from inside
    the app's own read would surface as FastAPI's 400 "error parsing the body".
    """

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for key, value in scope.get("headers", []):
            if key.lower() == b"content-length" and value.isdigit() and int(value) > self.limit:
                return await self._refuse(send, f"{int(value):,} bytes")
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                return await self._refuse(send, f"over {self.limit:,} bytes (still arriving)")
            if not message.get("more_body", False):
                break
        body, delivered = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect, as the server would

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, size: str) -> None:
        await _json_response(
            send,
            413,
            f"The request body is {size}; at most {self.limit:,} bytes are accepted.",
            headers=((b"connection", b"close"),),
        )


_TOKEN_IN_TEXT = re.compile(r"(token=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """``...?token=abc&x=1`` -> ``...?token=[redacted]&x=1``."""
    return _TOKEN_IN_TEXT.sub(r"\1[redacted]", text)


class RedactTokens(logging.Filter):
    """Rewrites a log record so no ``token=`` value from a URL reaches the log (uvicorn logs every
    request's path with its query, and WebSocket handshakes on its error logger)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is left to the handler to report
            return True
        if "token=" in message.lower():
            record.msg, record.args = redact(message), ()
        return True


REDACTED_LOGGERS = ("uvicorn.access", "uvicorn.error", "uvicorn")


def install_log_redaction() -> None:
    """Adds the filter to uvicorn's loggers and their handlers (once)."""
    for name in REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        for target in [logger, *logger.handlers]:
            if not any(isinstance(f, RedactTokens) for f in target.filters):
                target.addFilter(RedactTokens())


async def _json_response(
    send: Send, status: int, detail: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
