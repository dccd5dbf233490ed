"""``progress=`` of import_from / export_to / copy (and their asyncio twins): (done, total) in
pages, at the start, once per 4 MiB step and at the end; an exception from the callback aborts
the copy and leaves nothing half-made."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("apsw")

import apsw  # noqa: E402

import vermilion.sql as vsql  # noqa: E402
from vermilion.sql import aio as asql  # noqa: E402
from vermilion.sql.progress import CHUNK_BYTES, Reporter  # noqa: E402
from vermilion.sql.redis_vfs import STAGE_CHUNK  # noqa: E402

ROWS = 9000  # ~ 5 MB: two 4 MiB steps


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory: Any) -> Path:
    """A local SQLite file of a few MB."""
    path = tmp_path_factory.mktemp("progress") / "source.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT, b BLOB)")
        conn.executemany("INSERT INTO t VALUES (?, ?, randomblob(500))",
                         ((i, f"row {i}") for i in range(ROWS)))
    conn.close()
    return path


def _pages(path: Path) -> int:
    return os.path.getsize(path) // 4096


def _summary(conn: Any) -> list[Any]:
    return list(conn.execute("SELECT count(*), sum(length(b)), max(body) FROM t").fetchall())


def _check_calls(calls: list[tuple[int, int]], total: int) -> None:
    assert calls[0] == (0, total) and calls[-1] == (total, total)
    assert all(t == total for _, t in calls)
    dones = [d for d, _ in calls]
    assert dones == sorted(set(dones))  # growing, never repeated
    steps = -(-total * 4096 // CHUNK_BYTES)  # backup steps of 4 MiB
    staged = -(-total // STAGE_CHUNK)  # a commit to Redis reports each 1 MiB chunk it sends
    assert 3 <= len(calls) <= steps + staged + 2  # per step and chunk, not per page


def test_import_export_copy_report_pages(r: Any, sqlite_file: Path, tmp_path: Path) -> None:
    total = _pages(sqlite_file)
    calls: list[tuple[int, int]] = []
    with vsql.import_from(sqlite_file, "P", progress=lambda d, t: calls.append((d, t))) as db:
        _check_calls(calls, total)
        # the second half is the commit to Redis: its staged chunks move the bar too
        assert any(total // 2 < d < total for d, _ in calls), calls
        assert db.query("SELECT count(*), sum(length(b)), max(body) FROM t") == \
            _summary(sqlite3.connect(sqlite_file))
        calls.clear()
        db.export_to(tmp_path / "out.sqlite", progress=lambda d, t: calls.append((d, t)))
        _check_calls(calls, total)
    assert _summary(sqlite3.connect(tmp_path / "out.sqlite")) == \
        _summary(sqlite3.connect(sqlite_file))
    calls.clear()
    vsql.copy("P", "P2", progress=lambda d, t: calls.append((d, t)))
    _check_calls(calls, total)
    with vsql.open("P2") as copied:
        assert copied.query("SELECT count(*) FROM t") == [(ROWS,)]


class Stop(Exception):
    pass


def _stop_after(n: int) -> Any:
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) > n:
            raise Stop(done)

    return progress


@pytest.mark.parametrize("calls_before", [0, 1])
def test_an_exception_from_progress_aborts_import_and_leaves_no_database(
        r: Any, sqlite_file: Path, calls_before: int) -> None:
    with pytest.raises(Stop):
        vsql.import_from(sqlite_file, "I", progress=_stop_after(calls_before))
    assert not vsql.exists("I")
    with vsql.import_from(sqlite_file, "I") as db:  # the name is free again
        assert db.query("SELECT count(*) FROM t") == [(ROWS,)]


def test_an_aborted_import_into_an_existing_database_leaves_it_as_it_was(
        r: Any, sqlite_file: Path) -> None:
    with vsql.create_db("E") as db:
        db.exec("CREATE TABLE kept(x); INSERT INTO kept VALUES (1)")
    with pytest.raises(Stop):
        vsql.import_from(sqlite_file, "E", exist_ok=True, progress=_stop_after(1))
    with vsql.open("E") as db:
        assert db.query("SELECT x FROM kept") == [(1,)]
        assert db.query("SELECT count(*) FROM sqlite_schema WHERE name = 't'") == [(0,)]


def test_an_aborted_copy_leaves_no_destination(r: Any, sqlite_file: Path) -> None:
    vsql.import_from(sqlite_file, "S").close()
    with pytest.raises(Stop):
        vsql.copy("S", "D", progress=_stop_after(1))
    assert not vsql.exists("D")


def test_an_aborted_export_leaves_no_file_or_the_old_one(r: Any, sqlite_file: Path,
                                                         tmp_path: Path) -> None:
    with vsql.import_from(sqlite_file, "X") as db:
        new = tmp_path / "new.sqlite"
        with pytest.raises(Stop):
            db.export_to(new, progress=_stop_after(1))
        assert not new.exists()
        old = tmp_path / "old.sqlite"
        with sqlite3.connect(old) as conn:
            conn.execute("CREATE TABLE old(x)")
        conn.close()
        with pytest.raises(Stop):
            db.export_to(old, progress=_stop_after(1))
        assert sqlite3.connect(old).execute("SELECT name FROM sqlite_schema").fetchall() == [
            ("old",)]
        assert db.query("SELECT count(*) FROM t") == [(ROWS,)]  # still usable


def test_bad_sources(r: Any, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        vsql.import_from(tmp_path / "missing.sqlite", "B", progress=lambda d, t: None)
    text = tmp_path / "text.sqlite"
    text.write_text("not a database, " * 100)
    with pytest.raises(apsw.NotADBError):
        vsql.import_from(text, "B", progress=lambda d, t: None)
    assert not vsql.exists("B")
    with pytest.raises(vsql.NoSuchDatabase):
        vsql.copy("missing", "B", progress=lambda d, t: None)


def test_reporter_averages_the_two_passes_of_a_redis_destination() -> None:
    calls: list[tuple[int, int]] = []
    report = Reporter(lambda d, t: calls.append((d, t)), 1000, to_redis=True)
    report.start()
    report.copied_to(500)
    report.copied_to(1000)
    with report.committing():
        from vermilion.sql.progress import report_commit

        report_commit(128, 512)
        report_commit(128, 512)  # no change: not reported again
        report_commit(512, 512)
    report_commit(256, 512)  # outside the copy: no effect
    report.finish()
    assert calls == [(0, 1000), (250, 1000), (500, 1000), (625, 1000), (1000, 1000)]


async def test_async_twins_report_on_their_worker_thread(r: Any, sqlite_file: Path,
                                                         tmp_path: Path) -> None:
    total = _pages(sqlite_file)
    threads: set[int] = set()
    calls: list[tuple[int, int]] = []

    def progress(done: int, of: int) -> None:
        threads.add(threading.get_ident())
        calls.append((done, of))

    db = await asql.import_from(sqlite_file, "A", progress=progress)
    _check_calls(calls, total)
    assert db.worker.thread is not None and threads == {db.worker.thread.ident}
    calls.clear()
    await db.export_to(tmp_path / "a.sqlite", progress=progress)
    _check_calls(calls, total)
    calls.clear()
    await asql.copy("A", "A2", progress=progress)
    _check_calls(calls, total)
    assert threading.get_ident() not in threads
    with pytest.raises(Stop):
        await asql.copy("A", "A3", progress=_stop_after(1))
    assert not await asql.exists("A3")
    await db.close()
