"""aiosqlite's own test suite (``aiosqlite.tests.smoke``) run against ``vermilion.sql.aio_dbapi``.

The suite's module says ``import aiosqlite``; its global is swapped for vermilion's module (the
one-line change a user makes) and the suite run twice: with the real aiosqlite (the baseline)
and with vermilion's, on the private server of the ``r`` fixture.  The figure is the share of
the tests aiosqlite passes that vermilion passes too.  The tests vermilion does not pass are
listed in ``KNOWN`` with the reason: a deliberate difference (a path is a name in Redis) or a
test that reads aiosqlite's private attributes.
"""

from __future__ import annotations

import unittest
from typing import Any

import pytest

from vermilion.sql import aio_dbapi

aiosqlite = pytest.importorskip("aiosqlite")
smoke = pytest.importorskip("aiosqlite.tests.smoke")

TARGET = 0.85

KNOWN = {
    "test_connect_error": "a path is a name in Redis: /something/that/shouldnt/exist.db opens",
    "test_close_blocking_until_transaction_queue_empty": "reads aiosqlite's private queue _tx",
    "test_connect_base_exception": "reads aiosqlite's private flag _running (the worker thread "
                                   "does end: tests/test_sql_aio_dbapi.py checks it)",
}


def run_suite(module: Any) -> dict[str, str]:
    """Each smoke test's outcome ("pass", "fail", "error", "skip") with ``aiosqlite`` bound
    to ``module`` in the suite's module."""
    saved = smoke.aiosqlite
    smoke.aiosqlite = module
    try:
        suite = unittest.defaultTestLoader.loadTestsFromModule(smoke)
        names = [test.id().rsplit(".", 1)[-1] for test in _flatten(suite)]
        result = unittest.TestResult()
        suite.run(result)  # (drops its tests as they run)
    finally:
        smoke.aiosqlite = saved
    outcomes = dict.fromkeys(names, "pass")
    for kind, items in (("fail", result.failures), ("error", result.errors),
                        ("skip", result.skipped)):
        for test, _ in items:
            outcomes[test.id().rsplit(".", 1)[-1]] = kind
    return outcomes


def _flatten(suite: Any) -> list[unittest.TestCase]:
    tests: list[unittest.TestCase] = []
    for item in suite:
        tests.extend(_flatten(item) if isinstance(item, unittest.TestSuite) else [item])
    return tests


@pytest.mark.timeout(300, method="thread")
def test_aiosqlite_smoke_suite(r: Any, capsys: Any) -> None:
    baseline = run_suite(aiosqlite)
    r.flushall()
    ours = run_suite(aio_dbapi)
    passed = {name for name, outcome in baseline.items() if outcome == "pass"}
    both = {name for name in passed if ours.get(name) == "pass"}
    missing = sorted(passed - both)
    assert len(passed) >= 20, f"the suite did not load: {len(passed)} tests passed on aiosqlite"
    with capsys.disabled():
        print(f"\nvermilion.sql.aio_dbapi passes {len(both)} of the {len(passed)} tests "
              f"aiosqlite {getattr(aiosqlite, '__version__', '?')} passes "
              f"({100 * len(both) / len(passed):.1f}%)")
        for name in missing:
            print(f"  not passed: {name} ({ours.get(name, 'not run')}: "
                  f"{KNOWN.get(name, 'unexpected')})")
    assert len(both) / len(passed) >= TARGET, missing
