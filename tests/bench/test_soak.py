"""The soak's measuring parts (tabrl/bench/soak.py) on real processes; the soak itself is `tabrl bench --soak`."""

from __future__ import annotations

import multiprocessing as mp
import os

from tabrl.bench import soak


def _wait(conn) -> None:
    conn.send("ready")
    conn.recv()


def test_workers_are_the_spawned_children_with_their_memory_and_open_files():
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_wait, args=(child,))
    process.start()
    try:
        # Measured once the child runs: until its exec, a busy machine shows it with the parent's command line
        assert parent.poll(600) and parent.recv() == "ready"
        found = [w for w in soak.workers(os.getpid()) if w["pid"] == process.pid]
        assert len(found) == 1, soak.workers(os.getpid())
        assert found[0]["rss_mb"] > 1 and found[0]["open_files"] >= 3  # stdin, stdout, stderr at least
    finally:
        parent.send("stop")
        process.join(timeout=600)  # a guard against a hang only
    assert process.pid not in [w["pid"] for w in soak.workers(os.getpid())]


def test_growth_is_measured_over_the_last_rounds_after_the_first_five():
    rows = [
        {key: 100.0 + (50 if n < soak.SETTLE else n) for key in soak.WATCHED} | {"round": n + 1}
        for n in range(10)
    ]
    rows[-1]["event_rows"] = None  # a figure that could not be read is skipped, not taken as 0
    growth = soak.growth(rows)
    assert growth["server_rss_mb"] == round((109 - 105) / 105, 3)
    assert growth["event_rows"] == round((108 - 105) / 105, 3)
    assert soak.growth(rows[:6]) == dict.fromkeys(
        soak.WATCHED
    )  # one round after the first five: no growth yet
