"""A scripted LLM server on loopback that speaks OpenAI chat completions and Anthropic Messages.

Each test gives a "lane" (the first path segment, e.g. ``/p1/v1/chat/completions``) a list of
steps: a reply, an error status, or a stall. The server answers requests on that lane in order
and records every request (path, headers, JSON body) so tests can read what the SDK sent.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclasses.dataclass
class Step:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0


@dataclasses.dataclass
class Recorded:
    lane: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float = dataclasses.field(default_factory=time.monotonic)  # when the request arrived

    def texts(self) -> str:
        """Every message text in the request (system, user, tool results), joined."""
        parts: list[str] = []
        body = self.body or {}
        system = body.get("system")
        if isinstance(system, str):
            parts.append(system)
        for message in body.get("messages", []):
            content = message.get("content")
            if isinstance(content, str):
                parts.append(content)
            elif isinstance(content, list):
                for block in content:
                    if isinstance(block, dict):
                        for key in ("text", "content"):
                            if isinstance(block.get(key), str):
                                parts.append(block[key])
        return "\n".join(parts)


def openai_text(content: str, model: str = "test-model") -> Step:
    """A chat completion whose message content is ``content``."""
    return Step(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def openai_json(obj: Any) -> Step:
    return openai_text(json.dumps(obj))


def openai_tool(obj: Any, name: str = "submit_approaches") -> Step:
    return Step(
        body={
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "tool_calls",
                    "message": {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": name, "arguments": json.dumps(obj)},
                            }
                        ],
                    },
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


def anthropic_tool(obj: Any, name: str = "submit_approaches") -> Step:
    return Step(
        body={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-test",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": name, "input": obj}],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )


def anthropic_text(text: str) -> Step:
    return Step(
        body={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-test",
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )


def error(
    status: int, message: str, *, anthropic: bool = False, headers: dict[str, str] | None = None
) -> Step:
    kinds = {
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
        400: "invalid_request_error",
    }
    kind = kinds.get(status, "api_error")
    body = (
        {"type": "error", "error": {"type": kind, "message": message}}
        if anthropic
        else {"error": {"message": message, "type": kind, "code": None, "param": None}}
    )
    return Step(status=status, body=body, headers=headers or {})


def stall(seconds: float, then: Step | None = None) -> Step:
    """Waits ``seconds`` before answering (with ``then`` or an empty 200)."""
    step = dataclasses.replace(then) if then else openai_text("{}")
    step.delay = seconds
    return step


class LLMServer:
    """Threaded HTTP server on 127.0.0.1 with a random port."""

    def __init__(self) -> None:
        self._lanes: dict[str, list[Step]] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    body = raw.decode(errors="replace")
                lane = self.path.strip("/").split("/")[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                step = server._record_and_next(Recorded(lane, self.path, headers, body))
                if step.delay:
                    time.sleep(step.delay)
                payload = json.dumps(step.body).encode()
                try:
                    self.send_response(step.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for key, value in step.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _record_and_next(self, rec: Recorded) -> Step:
        with self._lock:
            self.requests.append(rec)
            steps = self._lanes.get(rec.lane)
            if not steps:
                return error(500, f"test server: no scripted reply left for lane '{rec.lane}'")
            return steps.pop(0)

    def url(self, lane: str, suffix: str = "/v1") -> str:
        """Base URL for a lane: ``/v1`` suffix for the OpenAI SDK, none for Anthropic's."""
        return f"http://127.0.0.1:{self.port}/{lane}{suffix}"

    def script(self, lane: str, steps: list[Step]) -> None:
        with self._lock:
            self._lanes[lane] = list(steps)
            self.requests = [r for r in self.requests if r.lane != lane]

    def remaining(self, lane: str) -> int:
        with self._lock:
            return len(self._lanes.get(lane, []))

    def lane_requests(self, lane: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.lane == lane]

    def start(self) -> LLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
