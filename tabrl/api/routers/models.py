"""The model gallery: every catalog model, and its thumbnail, served from memory.

The list is built once per server start (again only when the install changes or the background
catalog build makes progress) and kept as its JSON bytes with an ETag; thumbnails are read from the
machine's cache once and kept too. Both answer ``If-None-Match`` with 304.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response

from tabrl.api.schemas import BasePolicyOut, ModelOut
from tabrl.config import get_settings
from tabrl.robots import catalog
from tabrl.robots.catalog import CatalogEntry

router = APIRouter(prefix="/api/models", tags=["models"])
_render_lock = threading.Lock()  # one GL renderer at a time in the web process
_memo_lock = threading.Lock()
# (what the list was built from, its JSON, its ETag): rebuilt only when that changes.
_gallery: tuple[tuple[str, str, int], bytes, str] | None = None
_thumbs: dict[tuple[str, str], tuple[bytes, str]] = {}  # (install key, model id) -> (PNG, ETag)
# The list may change with the install (checked every few seconds), so the browser asks again each time
# (a 304 costs nothing); a thumbnail changes only with the install.
_LIST_CACHE = "no-cache"
_THUMB_CACHE = "public, max-age=3600"


def _etag(body: bytes) -> str:
    return f'"{hashlib.sha1(body).hexdigest()[:20]}"'


def _not_modified(request: Request, etag: str) -> bool:
    sent = request.headers.get("if-none-match", "")
    return etag in {tag.strip() for tag in sent.split(",")} or sent.strip() == "*"


def _cached(request: Request, body: bytes, etag: str, media_type: str, cache: str) -> Response:
    headers = {"ETag": etag, "Cache-Control": cache}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def _gallery_body() -> tuple[bytes, str]:
    """The list as JSON and its ETag, rebuilt only when the install or the catalog's progress changed."""
    global _gallery
    status = catalog.build_status()
    version = (catalog.current_key(), status.state, status.done)
    memo = _gallery
    if memo is not None and memo[0] == version:
        return memo[1], memo[2]
    with _memo_lock:
        if _gallery is not None and _gallery[0] == version:
            return _gallery[1], _gallery[2]
        entries = catalog.gallery_order(catalog.list_models(wait=False))
        body = b"[" + b",".join(_model_out(e).model_dump_json().encode() for e in entries) + b"]"
        _gallery = (version, body, _etag(body))
        return body, _gallery[2]


def _model_out(e: CatalogEntry) -> ModelOut:
    return ModelOut(
        id=e.id,
        name=e.name,
        robot_name=e.robot_name,
        group=e.robot,
        variant=e.variant,
        featured=e.featured,
        category=e.category,
        label=e.label,
        suite=e.suite,
        action_size=e.action_size,
        assets_available=e.assets_available,
        assets_reason=e.assets_reason,
        assets_source=e.assets_source,
        base_policy=BasePolicyOut(
            available=e.base_policy.available, steps=e.base_policy.steps, note=e.base_policy.note
        ),
        thumbnail_url=f"/api/models/{e.id}/thumbnail.png" if e.assets_available else None,
        body=e.body_plan.summary() if e.body_plan else None,
        lacks=e.body_plan.lacks if e.body_plan else [],
    )


@router.get(
    "/playground",
    response_model=list[ModelOut],
    summary="Every trainable model, featured first (ETag; 304 on If-None-Match)",
    responses={304: {"description": "the list the ETag names is still current"}},
)
async def list_playground_models(request: Request) -> Response:
    # On the event loop when the kept list is current (no thread hop: hundreds of reads at once stay
    # cheap); in a thread when it must be (re)built.
    kept = _current_gallery()
    body, etag = kept if kept is not None else await asyncio.to_thread(_gallery_body)
    return _cached(request, body, etag, "application/json", _LIST_CACHE)


def _current_gallery() -> tuple[bytes, str] | None:
    """The kept list if it is of the complete catalog and the install's key was checked recently."""
    memo, key = _gallery, catalog.recent_key()
    if memo is None or key is None or memo[0][1] != "ready" or memo[0][0] != key:
        return None
    return memo[1], memo[2]


@router.get(
    "/{model_id}/thumbnail.png",
    summary="A still of the model in its default pose (rendered once per install; ETag)",
    responses={
        200: {"content": {"image/png": {}}},
        304: {"description": "the thumbnail the ETag names is still current"},
        404: {"description": "unknown model or no assets"},
        503: {"description": "the catalog is still being prepared"},
    },
)
async def thumbnail(model_id: str, request: Request) -> Response:
    key = (await asyncio.to_thread(catalog.current_key), model_id)
    kept = _thumbs.get(key)
    if kept is None:
        kept = await asyncio.to_thread(_load_thumbnail, model_id)
        _thumbs[key] = kept
    return _cached(request, kept[0], kept[1], "image/png", _THUMB_CACHE)


def _load_thumbnail(model_id: str) -> tuple[bytes, str]:
    # Also refuses odd ids before any path is made of them (UnknownModel: 404 here, tabrl/api/errors.py).
    entry = catalog.get_entry(model_id, wait=False)
    path = catalog.thumbnail_path(model_id)
    if path.is_symlink() or path.exists():
        _confine_thumbnail(path)
    if not path.is_file():
        if not entry.assets_available:
            raise HTTPException(404, f"{model_id} has no thumbnail: {entry.assets_reason}")
        from tabrl.render.thumbnails import render_thumbnail  # the renderer: only for a missing thumbnail

        with _render_lock:
            if not path.is_file():
                render_thumbnail(model_id)
    body = path.read_bytes()
    return body, _etag(body)


def _confine_thumbnail(path: Path) -> None:
    """404 unless the thumbnail really lies in the thumbnail folder, inside the cache folder."""
    folder = path.parent.resolve()
    if not (
        folder.is_relative_to(get_settings().resolved_cache_dir.resolve())
        and path.resolve().is_relative_to(folder)
        and path.resolve().parent == folder
    ):
        raise HTTPException(404, "the thumbnail file is outside the thumbnail folder")
