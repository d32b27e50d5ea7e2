"""A session's designs go into their JSON column and come back through one typed model (real SQLite)."""

from __future__ import annotations

import json

from sqlalchemy import text

from tabrl.jobs.db import open_database
from tabrl.jobs.models import StoredDesign, StudioSession


def test_designs_are_stored_as_the_json_they_always_were_and_read_back_typed(tmp_path):
    sessions = open_database(f"sqlite:///{tmp_path / 'studio.db'}")
    with sessions() as db:
        s = StudioSession(id="s1", model_id="Go1JoystickFlatTerrain", prompt="trot", num_steps=2000)
        s.designs = [StoredDesign(index=0, provider="builtin", label="Built-in designer", cached=True)]
        db.add(s)
        # A row an older version wrote: only some keys, and one this version does not know.
        old = [{"index": 0, "provider": "openai", "error": "timeout", "later_key": 1}]
        db.execute(
            text(
                "INSERT INTO sessions (id, model_id, prompt, num_steps, designs, created_at) "
                "VALUES ('s0', 'CartpoleBalance', 'balance', 2000, :designs, '2024-01-01 00:00:00')"
            ),
            {"designs": json.dumps(old)},
        )
        db.commit()
    with sessions() as db:
        raw = json.loads(db.execute(text("SELECT designs FROM sessions WHERE id = 's1'")).scalar_one())
        assert raw == [
            {
                "index": 0,
                "provider": "builtin",
                "label": "Built-in designer",
                "model": "",
                "error": None,
                "cached": True,
            }
        ]
        (new,) = db.get(StudioSession, "s1").designs
        assert isinstance(new, StoredDesign) and new.label == "Built-in designer" and new.cached
        (older,) = db.get(StudioSession, "s0").designs
        assert (older.index, older.provider, older.label, older.error, older.cached) == (
            0,
            "openai",
            "",
            "timeout",
            False,
        )
