"""Ray executor timings on a two-node loopback cluster (the tests' tests/helpers/ray_cluster.py): three
CartpoleBalance approaches with cold and then warm Ray workers, and cancel-to-cancelled latency.

    PYTHONPATH=. TABRL_CACHE_DIR=<a built catalog cache> python scripts/ray_timings.py
"""

from __future__ import annotations

import atexit
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.ray_cluster import RayCluster, use_token_auth  # noqa: E402

_auth = use_token_auth()  # before ray is imported
if _auth is not None:
    atexit.register(shutil.rmtree, _auth, True)

from tests.helpers.studio import configure, studio, train, wait_job  # noqa: E402


def main() -> None:
    cluster = RayCluster()
    data_dir = Path(tempfile.mkdtemp(prefix="tabrl-ray-timings-"))
    out: dict = {}
    try:
        cluster.start()
        with studio(data_dir, executor="ray", ray_address=cluster.address) as client:
            session = configure(client, steps=2000)
            for label in ("three_cold_s", "three_warm_s"):
                start = time.monotonic()
                for job in train(client, session, count=3):
                    wait_job(client, job["id"], {"done"}, timeout=600)
                out[label] = round(time.monotonic() - start, 1)
            out["cancel_s"] = []
            for _ in range(3):
                (job,) = train(client, session, count=1, steps=100_000)
                wait_job(client, job["id"], {"running"}, predicate=lambda j: j["steps_done"] > 0, timeout=300)
                start = time.monotonic()
                client.post(f"/api/jobs/{job['id']}/cancel")
                wait_job(client, job["id"], {"cancelled"}, timeout=60)
                out["cancel_s"].append(round(time.monotonic() - start, 2))
        print(json.dumps(out))
    finally:
        cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
