"""Run CPython's own sqlite3 test suite (``test.test_sqlite3``) against a sqlite3-shaped module.

The suite's modules say ``import sqlite3 as sqlite``; :func:`run` imports fresh copies of them
with ``sys.modules["sqlite3"]`` set to the module under test (``vermilion.sql.dbapi``, or the
stdlib ``sqlite3`` for the baseline), runs every test under a time limit (SIGALRM: a hang fails
one test, not the run) and returns each test's outcome.  The figure the project reports is
``passed by both / passed by stdlib sqlite3``.

``python tests/cpython/sqlite3_suite.py [--timeout S] [--show-failures]`` prints that figure
against a private redis-server it starts (and stops).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import signal
import sys
import types
import unittest
from collections.abc import Iterator
from typing import Any

MODULES = ("test_dbapi", "test_transactions", "test_hooks", "test_regression", "test_types",
           "test_userfunctions", "test_factory", "test_backup", "test_dump")
PACKAGE = "test.test_sqlite3"


class TestTimeout(Exception):
    """A test ran past its time limit."""


@contextlib.contextmanager
def _sqlite3_as(module: types.ModuleType) -> Iterator[None]:
    saved = {name: mod for name, mod in sys.modules.items()
             if name == "sqlite3" or name.startswith((PACKAGE, LEGACY_PACKAGE))}
    for name in saved:
        del sys.modules[name]
    import sqlite3 as stdlib  # the real one, for the package's own checks

    sys.modules["sqlite3"] = module if module is not None else stdlib
    try:
        yield
    finally:
        for name in [n for n in sys.modules
                     if n == "sqlite3" or n.startswith((PACKAGE, LEGACY_PACKAGE))]:
            del sys.modules[name]
        sys.modules.update(saved)


def _flatten(suite: Any) -> Iterator[unittest.TestCase]:
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _flatten(item)
        else:
            yield item


# Python 3.10 keeps the suite in the sqlite3 package itself (sqlite3/test/dbapi.py...): loaded
# from its files under another package name, since ``sqlite3`` is the module under test
LEGACY_DIR = os.path.join(os.path.dirname(os.__file__), "sqlite3", "test")
LEGACY_PACKAGE = "_cpython_sqlite3_tests"


def _import(name: str) -> types.ModuleType | None:
    if sys.version_info >= (3, 11):
        try:
            return importlib.import_module(f"{PACKAGE}.{name}")
        except ModuleNotFoundError:  # not in this Python's suite
            return None
    path = os.path.join(LEGACY_DIR, name.removeprefix("test_") + ".py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location(f"{LEGACY_PACKAGE}.{name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def load(module: types.ModuleType) -> list[unittest.TestCase]:
    """The suite's test cases, imported with ``sqlite3`` bound to ``module``."""
    with _sqlite3_as(module):
        loader = unittest.TestLoader()
        tests: list[unittest.TestCase] = []
        for name in MODULES:
            mod = _import(name)
            if mod is not None:
                tests.extend(_flatten(loader.loadTestsFromModule(mod)))
        return tests


class _Result(unittest.TestResult):
    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, str] = {}
        self.details: dict[str, str] = {}

    def _set(self, test: Any, outcome: str, detail: str = "") -> None:
        tid = test.id()
        for prefix in (PACKAGE + ".", LEGACY_PACKAGE + "."):
            if tid.startswith(prefix):
                tid = tid[len(prefix):]
        # a failed subtest fails its test
        if self.outcomes.get(tid) in ("fail", "error") and outcome == "pass":
            return
        self.outcomes[tid] = outcome
        if detail:
            self.details[tid] = detail

    def addSuccess(self, test: Any) -> None:  # noqa: N802
        self._set(test, "pass")

    def addFailure(self, test: Any, err: Any) -> None:  # noqa: N802
        self._set(test, "fail", self._exc_info_to_string(err, test))

    def addError(self, test: Any, err: Any) -> None:  # noqa: N802
        self._set(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test: Any, reason: str) -> None:  # noqa: N802
        self._set(test, "skip", reason)

    def addExpectedFailure(self, test: Any, err: Any) -> None:  # noqa: N802
        self._set(test, "pass")

    def addUnexpectedSuccess(self, test: Any) -> None:  # noqa: N802
        self._set(test, "fail", "unexpected success")

    def addSubTest(self, test: Any, subtest: Any, err: Any) -> None:  # noqa: N802
        if err is not None:
            outcome = "fail" if issubclass(err[0], test.failureException) else "error"
            self._set(test, outcome, self._exc_info_to_string(err, test))


def _alarm(signum: int, frame: Any) -> None:
    raise TestTimeout("the test ran past its time limit")


def run(module: types.ModuleType, timeout: float = 20.0,
        reset: Any = None) -> tuple[dict[str, str], dict[str, str]]:
    """Every test's outcome ("pass", "fail", "error", "skip") and the failures' tracebacks.

    ``reset()``, if given, runs after each test: the suite deletes the database files it made
    (``unlink(TESTFN)``); with databases stored in Redis the equivalent is an empty server."""
    tests = load(module)
    result = _Result()
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        with _sqlite3_as(module):
            for test in tests:
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    test(result)
                except TestTimeout as e:  # raised outside the test's own try (setUp, cleanup)
                    result._set(test, "error", repr(e))
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    if reset is not None:
                        reset()
    finally:
        signal.signal(signal.SIGALRM, previous)
    return result.outcomes, result.details


def figure(ours: dict[str, str], stdlib: dict[str, str]) -> tuple[int, int, list[str]]:
    """(passed by both, passed by stdlib, the tests stdlib passes that ``ours`` does not)."""
    base = sorted(t for t, o in stdlib.items() if o == "pass")
    missing = [t for t in base if ours.get(t) != "pass"]
    return len(base) - len(missing), len(base), missing


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sqlite3

    import vermilion
    from vermilion.server import EmbeddedServer
    from vermilion.sql import dbapi

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("-k", default="", help="only tests whose id contains this")
    args = parser.parse_args(argv)
    import redis

    with EmbeddedServer() as server:
        vermilion.configure(url=server.url)
        client = redis.Redis.from_url(server.url)
        stdlib, _ = run(sqlite3, args.timeout)
        ours, details = run(dbapi, args.timeout, reset=client.flushall)
    both, base, missing = figure(ours, stdlib)
    for tid in missing:
        if args.k in tid:
            print(f"{ours.get(tid, 'missing'):5} {tid}")
            if args.show_failures:
                print("   ", details.get(tid, "").strip().replace("\n", "\n    ")[-1500:])
    print(f"vermilion.sql.dbapi passes {both} of the {base} tests stdlib sqlite3 passes "
          f"({100 * both / base:.1f}%), Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
