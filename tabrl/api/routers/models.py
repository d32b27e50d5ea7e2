"""The model gallery: every catalog model, and its thumbnail."""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from tabrl.api.schemas import BasePolicyOut, ModelOut

router = APIRouter(prefix="/api/models", tags=["models"])
_render_lock = threading.Lock()  # one GL renderer at a time in the web process


@router.get("/playground", response_model=list[ModelOut], summary="Every trainable model, featured first")
def list_playground_models() -> list[ModelOut]:
    from tabrl.robots.catalog import gallery_order, list_models

    return [
        ModelOut(
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
        for e in gallery_order(list_models())
    ]


@router.get(
    "/{model_id}/thumbnail.png",
    summary="A still of the model in its default pose (rendered once)",
    responses={200: {"content": {"image/png": {}}}, 404: {"description": "unknown model or no assets"}},
)
def thumbnail(model_id: str) -> FileResponse:
    from tabrl.robots import catalog

    try:
        entry = catalog.get_entry(model_id)  # also refuses odd ids before any path is made of them
    except catalog.UnknownModel as exc:
        raise HTTPException(404, str(exc)) from None
    path = catalog.thumbnail_path(model_id)
    if path.is_symlink() or path.exists():
        _confine_thumbnail(path)
    if not path.is_file():
        if not entry.assets_available:
            raise HTTPException(404, f"{model_id} has no thumbnail: {entry.assets_reason}")
        from tabrl.render.thumbnails import render_thumbnail

        with _render_lock:
            if not path.is_file():
                render_thumbnail(model_id)
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


def _confine_thumbnail(path: Path) -> None:
    """404 unless the thumbnail really lies in the thumbnail folder, inside the data directory."""
    from tabrl.config import get_settings

    folder = path.parent.resolve()
    if not (
        folder.is_relative_to(get_settings().data_dir.resolve())
        and path.resolve().is_relative_to(folder)
        and path.resolve().parent == folder
    ):
        raise HTTPException(404, "the thumbnail file is outside the thumbnail folder")
