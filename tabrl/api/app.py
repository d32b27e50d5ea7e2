"""The studio service: REST + WebSocket under /api, the built page at /."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from tabrl import __version__
from tabrl.api import errors
from tabrl.api.deps import EventHub
from tabrl.api.limits import EventCompactor
from tabrl.api.rehearsals import Rehearsals
from tabrl.api.routers import events, jobs, meta, models, sessions, training
from tabrl.api.routers.meta import EXAMPLE_PROMPTS
from tabrl.api.schemas import EventOut
from tabrl.api.security import BodyLimitMiddleware, TokenMiddleware, install_log_redaction
from tabrl.config import Settings, get_settings
from tabrl.design.builtin import design
from tabrl.jobs.db import open_database
from tabrl.jobs.executor import Executor
from tabrl.jobs.factory import create_executor
from tabrl.jobs.worker import configure_jax_cache
from tabrl.robots.catalog import load_robot, start_building

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger(__name__)

_NOT_BUILT = """<!doctype html><title>TabRL Training Studio</title>
<h1>TabRL Training Studio</h1><p>The page is not built yet: run <code>make web</code> (needs Node.js and npm),
then reload. The API is up: see <a href="/docs">/docs</a>.</p>"""


def _warm_web_process(settings: Settings, done: threading.Event) -> None:
    """What a first configure does in this process, done once at start on the first warm model: JAX's
    persistent compilation cache turned on (the rehearsal's policy then loads instead of compiling), the
    robot loaded, and one designed approach rehearsed."""
    try:
        models = [m.strip() for m in settings.warm_models.split(",") if m.strip()]
        if not models:
            return
        configure_jax_cache(settings.resolved_cache_dir)
        if settings.rehearse:
            from tabrl.render.rehearsal import rehearse  # JAX (the base policy): only when rehearsing

            rehearse(load_robot(models[0]), design(models[0], EXAMPLE_PROMPTS[0]).programs[0])
    except Exception:  # the first configure does it instead
        log.exception("could not warm the web process")
    finally:
        done.set()


def _json_safe(value: Any) -> Any:
    """Validation errors echo the input; JSON has no NaN or infinity, so those are echoed as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # 'nan', 'inf', '-inf'
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": _json_safe(jsonable_encoder(exc.errors()))})


def _document_event_messages(app: FastAPI) -> None:
    """Adds the WebSocket's message (``EventOut``) to the OpenAPI components: no route returns it, and
    the page's types are generated from this schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            message = EventOut.model_json_schema(
                ref_template="#/components/schemas/{model}", mode="serialization"
            )
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in message.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components["EventOut"] = message
        built = app.openapi_schema
        assert built is not None  # build() stored it
        return built

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None, executor: Executor | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction()  # here: uvicorn has configured its loggers by now
        app.state.sessions = open_database(settings.resolved_database_url)
        app.state.hub.bind(asyncio.get_running_loop())
        app.state.executor = executor or create_executor(settings, app.state.sessions)
        app.state.executor.add_listener(app.state.hub.notify)
        compactor = EventCompactor(app.state.sessions, settings.events_keep_progress)
        await asyncio.to_thread(compactor)  # jobs that ended before this start
        app.state.executor.add_listener(compactor)
        app.state.executor.start()
        app.state.rehearsals = Rehearsals(app.state.sessions, enabled=settings.rehearse)
        # The machine's catalog cache is usually complete; when it is not (a new install), whatever is
        # missing is built in the background now, featured robots first, its progress at /api/warm-up.
        start_building()
        threading.Thread(
            target=_warm_web_process, args=(settings, app.state.web_warm), name="tabrl-warm-web", daemon=True
        ).start()
        try:
            yield
        finally:
            app.state.rehearsals.shutdown()
            await asyncio.to_thread(app.state.executor.shutdown)

    app = FastAPI(
        title="TabRL Training Studio",
        version=__version__,
        lifespan=lifespan,
        description="Turn a sentence into trained robot behaviors: design reward approaches, train them "
        "with PPO on MuJoCo Playground robots, compare their videos. Live events: `/api/ws`.",
    )
    app.state.settings = settings
    app.state.hub = EventHub()
    app.state.web_warm = threading.Event()  # set once _warm_web_process is done
    app.exception_handler(RequestValidationError)(_validation_error)
    errors.install(app)
    for router in (meta.router, models.router, training.router, sessions.router, jobs.router, events.router):
        app.include_router(router)
    _document_event_messages(app)

    if (STATIC / "assets").is_dir():
        app.mount("/assets", StaticFiles(directory=STATIC / "assets"), name="assets")

    @app.get("/", include_in_schema=False)
    def page() -> Response:
        index = STATIC / "index.html"
        return FileResponse(index) if index.is_file() else HTMLResponse(_NOT_BUILT)

    @app.get("/favicon.svg", include_in_schema=False)
    def favicon() -> Response:
        icon = STATIC / "favicon.svg"
        return FileResponse(icon) if icon.is_file() else HTMLResponse(status_code=404)

    # Outermost first: the size cap sees the raw request, then the token check.
    app.add_middleware(TokenMiddleware, token=settings.token)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    return app
