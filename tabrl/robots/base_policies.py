"""Which packaged base policy a catalog model starts from, read from its metadata without importing JAX
(tabrl/train/base.py trains them; the catalog, `tabrl models` and the gallery show the status)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel


class BasePolicy(BaseModel):
    available: bool
    path: str | None = None
    steps: int | None = None
    note: str = ""


# Base policies ship in the package (tabrl/train/base.py trains them); read here without importing JAX.
BASE_POLICY_DIR = Path(__file__).resolve().parents[1] / "train" / "base_policies"


def _base_meta(folder: Path) -> dict | None:
    try:
        meta = json.loads((folder / "metadata.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return meta if isinstance(meta, dict) else None


def base_policy_status(
    model_id: str,
    robot: str | None = None,
    observation_size: int | None = None,
    action_size: int | None = None,
) -> BasePolicy:
    """The packaged base for ``model_id``, else one of the same robot with the same observation/action layout."""
    own = BASE_POLICY_DIR / model_id
    if (own / "metadata.json").exists():
        meta = _base_meta(own)
        if meta is None:
            return BasePolicy(available=False, note="base policy metadata is unreadable")
        judged = meta.get("base") or {}
        if not judged.get("usable", True):  # trained, but it does not beat holding the default pose
            return BasePolicy(
                available=False,
                path=str(own),
                steps=meta.get("steps"),
                note=f"the one trained for {meta.get('steps'):,} steps {judged.get('verdict', '')}; not used",
            )
        return BasePolicy(available=True, path=str(own), steps=meta.get("steps"))
    if robot is not None and BASE_POLICY_DIR.is_dir():
        for folder in sorted(BASE_POLICY_DIR.iterdir()):
            meta = _base_meta(folder)
            if (
                meta
                and meta.get("robot") == robot
                and meta.get("observation_size") == observation_size
                and meta.get("action_size") == action_size
                and (meta.get("base") or {}).get("usable", True)
            ):
                return BasePolicy(
                    available=True,
                    path=str(folder),
                    steps=meta.get("steps"),
                    note=f"the {folder.name} base (same robot and layout)",
                )
    return BasePolicy(available=False, note="no base policy trained yet")
