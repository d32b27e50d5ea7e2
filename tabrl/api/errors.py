"""Domain errors as HTTP answers, in one place: the routes raise what the layers below raise, and the app
answers each with its status code and the error's own message as ``detail``.

``install(app)`` registers one handler per error class (FastAPI ``exception_handler``; a subclass gets its
nearest listed ancestor's answer). The routes still raise ``HTTPException`` for what only HTTP knows: a
request's own values out of range, a job in the wrong state for the call, a file outside its folder.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tabrl.api.limits import CapReached
from tabrl.design.builtin import DesignError
from tabrl.design.providers import ProviderConfigError
from tabrl.design.runs import RunNotFound
from tabrl.export.model_store import ModelStoreError
from tabrl.jobs.retention import SessionBusy, SessionNotFound
from tabrl.robots.catalog import CatalogNotReady, UnknownModel


@dataclass(frozen=True)
class Answer:
    """How one error class is answered: its status, its message, any headers."""

    status: int | Callable[[Request], int]  # a callable: the status depends on where the request named it
    message: Callable[[Exception], str] = str
    headers: dict[str, str] | None = None


def _in_path(name: str, found: int, given: int) -> Callable[[Request], int]:
    """``found`` when the request's URL path names ``name`` (the thing is the resource asked for), else
    ``given`` (it is a value the request carries)."""
    return lambda request: found if name in request.path_params else given


ANSWERS: dict[type[Exception], Answer] = {
    # A prompt the designer cannot take, or a provider that is misspelt or not ready: the caller's request.
    DesignError: Answer(422),
    ProviderConfigError: Answer(422),
    # A model that is not in the catalog: a missing resource in the URL (its thumbnail), a bad value in a body.
    UnknownModel: Answer(_in_path("model_id", 404, 422)),
    # A new install still reads Playground's registry: try again in a few seconds.
    CatalogNotReady: Answer(503, headers={"Retry-After": "5"}),
    # A finished job whose run folder is gone cannot be refined: the job's state, not the request, is wrong.
    RunNotFound: Answer(409),
    SessionNotFound: Answer(404),
    # Deleting a session while its jobs are queued or running; the message names them and what to do.
    SessionBusy: Answer(409),
    # The only request that reads the shared model store is a policy download.
    ModelStoreError: Answer(404, lambda e: f"the policy cannot be downloaded whole: {e}"),
    # A cap against a runaway client (docs/security.md): the message names the setting.
    CapReached: Answer(429),
}


def _handler(answer: Answer) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        status = answer.status(request) if callable(answer.status) else answer.status
        return JSONResponse({"detail": answer.message(exc)}, status_code=status, headers=answer.headers)

    return handle


def install(app: FastAPI) -> None:
    for error, answer in ANSWERS.items():
        app.add_exception_handler(error, _handler(answer))
