"""What every LLM provider shares: errors, conversation turns, replies and the retry loop.

A provider turns a neutral conversation (system text, user turns, earlier replies) into one
request to its API and returns the model's answer as text or, where the API has a structured
mode (JSON schema, tool calls), as the parsed JSON object. Nothing here executes a reply.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import random
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, SecretStr

log = logging.getLogger(__name__)

Kind = Literal["openai", "anthropic"]
T = TypeVar("T")


class ProviderError(RuntimeError):
    """A provider request failed; ``kind`` says how (auth, model, timeout, unavailable, request, config)."""

    kind = "error"

    def __init__(self, provider: str, message: str, *, status: int | None = None):
        super().__init__(message)
        self.provider, self.status = provider, status

    def __str__(self) -> str:
        return self.args[0]


class ProviderConfigError(ProviderError):
    """The provider is missing a setting (key, model) or names an unknown kind."""

    kind = "config"


class ProviderAuthError(ProviderError):
    """401/403: the key is wrong, expired or lacks access."""

    kind = "auth"


class ProviderModelError(ProviderError):
    """404: the model (or the endpoint) does not exist."""

    kind = "model"


class ProviderTimeout(ProviderError):
    """Every attempt ran past the timeout."""

    kind = "timeout"


class ProviderUnavailable(ProviderError):
    """429, 5xx or connection errors on every attempt."""

    kind = "unavailable"


class ProviderRequestError(ProviderError):
    """Another 4xx: the service refused the request itself."""

    kind = "request"


class ProviderConfig(BaseModel):
    """One configured provider. The key is a SecretStr: it never shows in repr, logs or JSON."""

    name: str
    kind: Kind
    model: str
    base_url: str | None = None
    api_key: SecretStr | None = Field(default=None, exclude=True)
    key_source: str | None = Field(default=None, description="The variable the key came from.")
    mode: str | None = Field(
        default=None, description="Structured-output mode; None picks the kind's default."
    )
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    max_tokens: int = 8192

    @property
    def label(self) -> str:
        return f"{self.name} ({self.model})"


@dataclasses.dataclass
class Reply:
    """A model's answer: raw text, and the JSON object when the API returned one structurally."""

    text: str
    data: Any = None
    call_id: str | None = None  # tool-call id, for answering a tool call in the next turn
    raw: Any = None  # provider-specific content, replayed verbatim in later turns
    finish_reason: str | None = None


@dataclasses.dataclass
class Turn:
    """One conversation turn: a user message, or an earlier assistant reply."""

    role: Literal["user", "assistant"]
    text: str = ""
    reply: Reply | None = None
    is_error: bool = False  # a user turn that reports what was wrong with the previous reply


@dataclasses.dataclass(frozen=True)
class OutputSpec:
    """What to ask for: a JSON Schema for the whole reply and the name of the tool that submits it."""

    schema: dict
    tool_name: str = "submit_approaches"
    description: str = "Submit the reward programs."


class Provider:
    """Base class: ``ask`` sends the conversation and returns the reply, with retries."""

    def __init__(self, config: ProviderConfig):
        self.config = config

    @property
    def name(self) -> str:
        return self.config.name

    def ask(self, system: str, turns: list[Turn], output: OutputSpec) -> Reply:
        raise NotImplementedError

    def close(self) -> None:
        """Releases the HTTP client."""


@dataclasses.dataclass(frozen=True)
class Classified:
    """How to treat an exception: retry it or fail with ``error``."""

    retry: bool
    error: ProviderError
    retry_after: float | None = None


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header, if present and sane."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except Exception:  # noqa: BLE001 - odd header containers
        return None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return max(0.0, parsed.timestamp() - time.time())


def status_error(config: ProviderConfig, status: int, detail: str, headers: Any = None) -> Classified:
    """Maps an HTTP status to retry-or-fail, with a message a person can act on."""
    who = f"LLM provider '{config.name}'"
    detail = (detail or "").strip()
    short = f": {detail[:300]}" if detail else ""
    key_var = config.key_source or f"TABRL_LLM_{config.name.upper()}_API_KEY"
    if status in (401, 403):
        return Classified(
            False,
            ProviderAuthError(
                config.name, f"{who} rejected the API key ({status}){short}. Check {key_var}.", status=status
            ),
        )
    if status == 404:
        return Classified(
            False,
            ProviderModelError(
                config.name,
                f"{who} does not know model '{config.model}' (404){short}. "
                f"Check TABRL_LLM_{config.name.upper()}_MODEL (and the base URL {config.base_url or 'default'}).",
                status=status,
            ),
        )
    if status == 429 or status >= 500 or status == 408:
        return Classified(
            True,
            ProviderUnavailable(config.name, f"{who} is unavailable ({status}){short}", status=status),
            retry_after_seconds(headers),
        )
    return Classified(
        False,
        ProviderRequestError(config.name, f"{who} refused the request ({status}){short}", status=status),
    )


def _redact(config: ProviderConfig, text: str) -> str:
    key = config.api_key.get_secret_value() if config.api_key else ""
    return text.replace(key, "***") if len(key) >= 4 else text


def _error_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
    return str(getattr(exc, "message", "") or exc)


def classify_sdk_error(config: ProviderConfig, exc: Exception, sdk: Any) -> Classified | None:
    """Classifies an exception of an official SDK (``openai`` or ``anthropic``; same class names)."""
    if isinstance(exc, sdk.APITimeoutError):
        return Classified(
            True,
            ProviderTimeout(
                config.name,
                f"LLM provider '{config.name}' did not answer within {config.timeout_s:g} s "
                f"(TABRL_LLM_TIMEOUT_S)",
            ),
        )
    if isinstance(exc, sdk.APIStatusError):
        headers = getattr(getattr(exc, "response", None), "headers", None)
        return status_error(config, exc.status_code, _redact(config, _error_detail(exc)), headers)
    if isinstance(exc, sdk.APIConnectionError):
        where = config.base_url or "its default endpoint"
        return Classified(
            True,
            ProviderUnavailable(
                config.name,
                f"LLM provider '{config.name}': cannot reach {where} ({_redact(config, str(exc))})",
            ),
        )
    return None


def with_retries(
    config: ProviderConfig,
    call: Callable[[], T],
    classify: Callable[[Exception], Classified | None],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Runs ``call``; retries what ``classify`` marks retryable with exponential backoff and jitter.

    Honours Retry-After up to ``backoff_max_s``. Raises the classified ProviderError at the end.
    """
    attempts = 1 + max(0, config.max_retries)
    for attempt in range(attempts):
        try:
            return call()
        except ProviderError:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            verdict = classify(exc)
            if verdict is None:
                raise
            if not verdict.retry or attempt == attempts - 1:
                raise verdict.error from exc
            delay = config.backoff_s * (2**attempt) * random.uniform(0.8, 1.2)
            if verdict.retry_after is not None:
                delay = max(delay, verdict.retry_after)
            delay = min(delay, config.backoff_max_s)
            log.info(
                "%s: %s; retry %d/%d in %.2fs", config.name, verdict.error, attempt + 1, attempts - 1, delay
            )
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
