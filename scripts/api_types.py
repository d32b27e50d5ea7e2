"""The page's API types, generated from the studio's OpenAPI schema (tabrl/api/schemas.py).

    python scripts/api_types.py           # writes web/src/api-schema.ts
    python scripts/api_types.py --check   # fails, with the difference, when the committed file is stale

The schema comes from ``create_app().openapi()`` (no server is started); openapi-typescript, installed
in web/node_modules by web/package-lock.json, turns it into TypeScript.
"""

from __future__ import annotations

import argparse
import difflib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's tabrl, also when run as a plain script

from tabrl.api.app import create_app  # noqa: E402
from tabrl.config import Settings  # noqa: E402
from tabrl.jobs import states  # noqa: E402

OUT = REPO / "web" / "src" / "api-schema.ts"
GENERATOR = REPO / "web" / "node_modules" / ".bin" / "openapi-typescript"
HEADER = "// Generated from tabrl/api/schemas.py by scripts/api_types.py (`make api-types`): do not edit.\n"


def openapi_schema() -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        return create_app(Settings(data_dir=Path(data_dir), prewarm_workers=False)).openapi()


def generate() -> str:
    if not GENERATOR.exists():
        sys.exit(f"{GENERATOR.relative_to(REPO)} is missing: run `cd web && npm ci` first.")
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "openapi.json", Path(tmp) / "schema.ts"
        source.write_text(json.dumps(openapi_schema(), indent=1))
        subprocess.run(
            # A default is not a guarantee in a request: fields with one stay optional.
            [str(GENERATOR), str(source), "-o", str(target), "--default-non-nullable", "false"],
            check=True,
            capture_output=True,
        )
        return HEADER + target.read_text() + state_groups()


def state_groups() -> str:
    """The job state groups of tabrl/jobs/states.py, so the page never lists states by hand."""
    lines = ["", "// The job state groups (tabrl/jobs/states.py)."]
    for name, group in (("ACTIVE_STATUSES", states.ACTIVE), ("RESTARTABLE_STATUSES", states.RESTARTABLE)):
        values = ", ".join(f'"{s.value}"' for s in group)
        lines.append(f'export const {name}: readonly components["schemas"]["JobStatus"][] = [{values}];')
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare with the committed file, write nothing")
    args = parser.parse_args()
    fresh = generate()
    name = OUT.relative_to(REPO)
    if not args.check:
        OUT.write_text(fresh)
        sys.stdout.write(f"wrote {name}\n")
        return 0
    current = OUT.read_text() if OUT.exists() else ""
    if current == fresh:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(),
        fresh.splitlines(),
        f"{name} (committed)",
        f"{name} (from schemas.py)",
        lineterm="",
    )
    sys.stderr.write("\n".join(list(diff)[:80]))
    sys.stderr.write(
        f"\n\n{name} is out of date with tabrl/api/schemas.py: run `make api-types` and commit it.\n"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
