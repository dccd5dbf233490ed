"""Writer fairness (issue 7, item 3): four writer processes in tight loops on one database.

Each gets at least 10% of a fair share of the commits (counted in the database: every row names
its writer) and no commit waits more than 1 s (the requirement: the only wall-clock assert).
The same run with figures: ``python bench/sql_fairness.py``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.sql_fairness import report, run  # noqa: E402

PROCS = 4
SECONDS = 3.0


@pytest.mark.slow
def test_four_writer_processes_share_the_writer_lease(r: Any, vermilion_server: Any) -> None:
    writers = run(vermilion_server.url, procs=PROCS, seconds=SECONDS, busy_timeout=5.0)
    print(report(writers, SECONDS))
    total = sum(w.commits for w in writers)
    assert total > 0
    for w in writers:
        # every INSERT that returned without an error committed, and no writer gave up
        assert (w.busy, w.commits) == (0, w.attempts), w
        assert w.commits >= 0.10 * total / PROCS, w  # at least 10% of a fair share
        assert w.worst < 1.0, w  # no commit waited more than 1 s
    version = int(r.hget("vermilion:sql:{fairness}:meta", "version"))
    assert version == total + 1  # (the CREATE TABLE) no commit lost or doubled
    assert r.zcard("vermilion:sql:{fairness}:queue") == 0  # every waiter left the queue
