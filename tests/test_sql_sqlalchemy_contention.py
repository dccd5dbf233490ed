"""Write contention through the SQLAlchemy dialect: 4 processes, each with its own engine on one
private Redis, do ORM read-modify-write increments of one shared row and inserts of their own
rows.  Every update must survive (no lost update: each SQLAlchemy transaction is one serializable
SQLite transaction started with BEGIN IMMEDIATE) and no process may see an error (a writer waits
for the lease, up to the URL's ``timeout``, rather than failing with "database is locked").
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from sqlalchemy import ForeignKey, create_engine, func, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# spawn, not fork: forking while the lease keeper thread runs can hang the child
ctx = multiprocessing.get_context("spawn")
PROCESSES = 4
PER_PROCESS = 40


class Base(DeclarativeBase):
    pass


class Tally(Base):
    __tablename__ = "tally"
    id: Mapped[int] = mapped_column(primary_key=True)
    n: Mapped[int]


class Entry(Base):
    __tablename__ = "entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    worker: Mapped[int]
    seq: Mapped[int]
    tally_id: Mapped[int] = mapped_column(ForeignKey("tally.id"))
    seen: Mapped[int]  # the tally this transaction read, before its increment


def _url(redis_url: str) -> str:
    # a generous timeout: 4 writers on a busy 2-core machine must wait, never fail
    return f"sqlite+vermilion:///contention?redis={redis_url}&timeout=60"


def _worker(redis_url: str, worker: int, start: Any, errors: Any) -> None:
    engine = create_engine(_url(redis_url))
    start.wait(60)
    failures = 0
    for seq in range(PER_PROCESS):
        try:
            with Session(engine) as s:
                tally = s.get(Tally, 1)
                assert tally is not None
                s.add(Entry(worker=worker, seq=seq, tally_id=1, seen=tally.n))
                tally.n += 1  # computed here: lost if another commit came between
                if seq % 5 == 0:  # a savepoint rolled back inside the transaction
                    with s.begin_nested() as sp:
                        s.add(Entry(worker=worker, seq=-1, tally_id=1, seen=-1))
                        s.flush()
                        sp.rollback()
                s.commit()
        except Exception as e:  # noqa: BLE001 - reported to the parent
            failures += 1
            errors.put(f"{worker}/{seq}: {type(e).__name__}: {e}")
    engine.dispose()
    raise SystemExit(1 if failures else 0)


@pytest.mark.slow
def test_four_processes_lose_no_update(r: Any, vermilion_server: Any) -> None:
    engine = create_engine(_url(vermilion_server.url))
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(Tally(id=1, n=0))
        s.commit()
    start, errors = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(vermilion_server.url, w, start, errors))
             for w in range(PROCESSES)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(240)
    reported = []
    while not errors.empty():
        reported.append(errors.get())
    assert reported == [] and [p.exitcode for p in procs] == [0] * PROCESSES
    total = PROCESSES * PER_PROCESS
    with Session(engine) as s:
        assert s.get(Tally, 1).n == total  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).select_from(Entry)) == total  # no savepoint rows
        # serializable: the increments form one chain, each transaction saw a distinct tally
        assert sorted(s.scalars(select(Entry.seen))) == list(range(total))
        for w in range(PROCESSES):
            assert sorted(s.scalars(select(Entry.seq).where(Entry.worker == w))) == list(
                range(PER_PROCESS))
        assert s.scalar(text("PRAGMA integrity_check")) == "ok"
    engine.dispose()
