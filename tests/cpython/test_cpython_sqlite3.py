"""CPython's own sqlite3 test suite (``test.test_sqlite3``) run against ``vermilion.sql.dbapi``.

The suite's modules are imported with ``sqlite3`` bound to vermilion's module (the one-line
change a user makes), each test under a 20-second limit, the server emptied between tests (the
suite deletes its database files in ``tearDown``).  The figure is the share of the tests that
stdlib sqlite3 passes on this Python that vermilion passes too; the issue's target is 90%.
The tests vermilion does not pass are those of the deliberate differences the README lists
(a path is a name in Redis: no file is created, a directory or an unwritable path opens; a
subprocess running stdlib sqlite3 on the same path sees another database) and a few listed in
``KNOWN`` with the reason.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

import pytest

from vermilion.sql import dbapi

from . import sqlite3_suite

TARGET = 0.90


@pytest.mark.timeout(900, method="thread")  # the suite's own per-test limit uses SIGALRM
def test_cpython_sqlite3_suite(r: Any, capsys: Any) -> None:
    stdlib, _ = sqlite3_suite.run(sqlite3)
    r.flushall()
    ours, details = sqlite3_suite.run(dbapi, reset=r.flushall)
    both, base, missing = sqlite3_suite.figure(ours, stdlib)
    assert base > 300, f"the suite did not load: {base} tests passed on stdlib sqlite3"
    with capsys.disabled():
        print(f"\nvermilion.sql.dbapi passes {both} of the {base} tests stdlib sqlite3 passes "
              f"({100 * both / base:.1f}%) on Python {sys.version.split()[0]}")
        for tid in missing:
            print(f"  not passed: {tid} ({ours.get(tid, 'not run')})")
    assert both / base >= TARGET, "\n".join(
        f"{tid}: {details.get(tid, '')[-800:]}" for tid in missing)
