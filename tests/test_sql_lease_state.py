"""A connection's lease state (``vermilion.sql.leases.LeaseState``), without Redis: the transitions
SQLite's locks drive, what each sends to the keeper, and what the keeper renews."""

from __future__ import annotations

import ast
import pathlib

from hypothesis import given
from hypothesis import strategies as st

import vermilion.sql
from vermilion.sql.leases import LeaseHolder, LeaseState, Reader, Writer


def _write_txn(s: LeaseState, member: str, fence: int, kept: bool) -> None:
    """An autocommit write: begin with the writer lease, commit (keeping it or not)."""
    s.start(member)
    s.began(leased=True, fence=fence, rejoin=False)
    s.committed(kept=kept)


def test_read_transaction_takes_and_ends_the_reader_lease() -> None:
    s = LeaseState()
    assert not s.reading and not s.writing and s.releases() == [] and s.renewals() == []
    s.start("b.1")
    s.began(leased=True, fence=0, rejoin=False)
    assert s.reader is Reader.HELD and s.writer is Writer.NONE
    assert s.renewals() == [("r", "b.1", "0")]
    assert s.end_write() is None
    assert s.end_read() == ("R", "b.1", "0")
    assert not s.reading and s.end_read() is None  # ended once


def test_read_without_a_lease_releases_nothing() -> None:
    s = LeaseState()
    s.start("b.1")
    s.began(leased=False, fence=0, rejoin=False)  # Redis refused it: out of memory
    assert s.reading and s.reader is Reader.UNLEASED
    assert s.renewals() == [] and s.releases() == []
    assert s.end_read() is None and not s.reading


def test_commit_that_releases_the_writer_lease() -> None:
    s = LeaseState()
    _write_txn(s, "a.1", 7, kept=False)
    assert s.writer is Writer.NONE and s.fence == 0 and not s.reading
    assert s.end_write() is None and s.end_read() is None


def test_kept_writer_lease_is_queued_then_taken_back() -> None:
    s = LeaseState()
    _write_txn(s, "a.1", 7, kept=True)
    assert s.writer is Writer.KEEPING and s.renewals() == [("w", "a.1", "7")]
    assert s.end_write() == (("W", "a.1", "7"), True)  # queued with a delay
    assert s.writer is Writer.KEPT and s.writing and s.needs_writer
    assert s.renewals() == []  # a kept lease is never renewed
    assert s.releases() == [("W", "a.1", "7")]  # (at exit: released)
    s.start("a.2")
    s.took_back(True)
    assert s.writer is Writer.HELD and s.fence == 7 and s.owner == "a.1" and not s.needs_writer
    assert s.renewals() == [("w", "a.1", "7")]
    s.committed(kept=False)
    assert s.end_write() is None and s.fence == 0


def test_kept_writer_lease_carried_away_makes_the_holder_begin_anew() -> None:
    """Another writer carried the kept lease's release: its fence is stale, never reused."""
    s = LeaseState()
    _write_txn(s, "a.1", 7, kept=True)
    s.end_write()
    s.start("a.2")
    s.took_back(False)
    assert s.writer is Writer.NONE and s.fence == 0 and s.releases() == []
    s.began(leased=True, fence=9, rejoin=False)  # the begin script's fresh token
    assert (s.writer, s.owner, s.fence) == (Writer.HELD, "a.2", 9)


def test_read_between_writes_leaves_a_kept_lease_be() -> None:
    s = LeaseState()
    _write_txn(s, "a.1", 7, kept=True)
    s.end_write()
    s.start("a.2")
    s.began(leased=True, fence=0, rejoin=False)  # a read: the lease stays kept
    assert s.writer is Writer.KEPT and s.fence == 7
    assert s.renewals() == [("r", "a.2", "0")]
    assert s.end_write() is None  # still queued, nothing to send again
    assert s.end_read() == ("R", "a.2", "0")


def test_upgrade_to_writer_and_rejoin() -> None:
    s = LeaseState()
    s.start("a.1")
    s.began(leased=True, fence=0, rejoin=False)
    s.reserved(12)
    assert (s.writer, s.owner, s.fence, s.reader) == (Writer.HELD, "a.1", 12, Reader.HELD)
    s.start("a.2")
    s.began(leased=True, fence=0, rejoin=True)  # a rejoin keeps the writer lease
    assert (s.writer, s.owner, s.fence) == (Writer.HELD, "a.1", 12)
    assert s.end_write() == (("W", "a.1", "12"), False)
    assert s.end_read() == ("R", "a.2", "0")


def test_close_releases_everything_once() -> None:
    s = LeaseState()
    s.start("a.1")
    s.began(leased=True, fence=3, rejoin=False)
    assert s.close() == [("W", "a.1", "3"), ("R", "a.1", "0")]
    assert s.close() == [] and not s.reading and not s.writing


OPS = st.sampled_from(["begin_read", "begin_write", "unleased", "reserve", "take_back",
                       "lost", "commit", "commit_keep", "unlock_shared", "unlock_none", "close"])


@given(st.lists(OPS, max_size=40))
def test_invariants_under_any_lock_sequence(ops: list[str]) -> None:
    """Whatever SQLite does, a fence is held exactly when a writer lease is, a kept lease is
    never renewed, and every lease taken is released exactly once."""
    s = LeaseState()
    fence, gen, level = 0, 0, 0  # level: 0 none, 1 shared, 2 reserved
    taken: set[tuple[str, str]] = set()  # leases held in Redis (kind, owner)
    released: list[tuple[str, str]] = []
    for op in ops:
        if op.startswith("begin") or op == "unleased":
            if level:
                continue
            gen += 1
            s.start(f"m{gen}")
            if op == "begin_write" and s.writer is Writer.KEPT:
                s.took_back(True)
            else:
                if s.writer is Writer.KEPT:  # a read between writes
                    s.began(leased=op != "unleased", fence=0, rejoin=False)
                else:
                    fence += op == "begin_write"
                    f = fence if op == "begin_write" else 0
                    s.began(leased=op != "unleased", fence=f, rejoin=False)
                    if f:
                        taken.add(("W", f"m{gen}"))
                if s.reader is Reader.HELD:
                    taken.add(("R", f"m{gen}"))
            level = 2 if s.writer is Writer.HELD else 1
        elif op == "reserve" and level == 1 and s.writer in (Writer.NONE, Writer.KEPT):
            if s.writer is Writer.KEPT:
                s.took_back(False)
                released.append(("W", s.owner))  # carried away by another writer
                taken.discard(("W", s.owner))
            fence += 1
            s.reserved(fence)
            taken |= {("W", s.member), ("R", s.member)}
            level = 2
        elif op in ("commit", "commit_keep") and level == 2 and s.writer is Writer.HELD:
            if s.reader is Reader.HELD:
                taken.discard(("R", s.member))  # the commit script ends it
            if op == "commit":
                taken.discard(("W", s.owner))
            s.committed(kept=op == "commit_keep")
        elif op in ("unlock_shared", "unlock_none") and level:
            end = s.end_write()
            if end is not None:
                released.append(end[0][:2])
                if not end[1]:
                    taken.discard(end[0][:2])
            if op == "unlock_none":
                r = s.end_read()
                if r is not None:
                    released.append(r[:2])
                    taken.discard(r[:2])
                level = 0
            else:
                level = 1
        elif op == "close" and not level:
            for kind, owner, _ in s.close():
                released.append((kind, owner))
                taken.discard((kind, owner))
        assert (s.fence != 0) == (s.writer is not Writer.NONE)
        assert all(o[0] != "w" or s.writer is not Writer.KEPT for o in s.renewals())
        assert {(k.upper(), o) for k, o, _ in s.renewals()} <= taken
    for kind, owner, _ in s.close():
        taken.discard((kind, owner))
    # a kept lease's queued release is sent by the keeper: not in ``taken`` at the end
    assert {t for t in taken if t[0] == "R"} == set()
    assert not s.reading and not s.writing


def _sql_imports() -> dict[str, set[str]]:
    """Module -> the modules of vermilion.sql it imports at module level, ``TYPE_CHECKING``
    blocks included (a typing cycle is a cycle); imports inside functions left out."""
    root = pathlib.Path(vermilion.sql.__file__).parent
    graph: dict[str, set[str]] = {}
    for path in root.glob("*.py"):
        deps: set[str] = set()
        body = ast.parse(path.read_text()).body
        for node in body + [n for b in body if isinstance(b, ast.If) for n in b.body]:
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    deps.add(node.module.split(".")[0])
                else:
                    deps.update(a.name for a in node.names)
        graph[path.stem] = deps
    return graph


def test_a_file_is_a_lease_holder_and_no_import_cycle() -> None:
    """The keeper knows connections only as LeaseHolders: it imports neither the VFS nor
    anything that does, and the package's modules import each other without a cycle."""
    assert getattr(LeaseHolder, "_is_protocol", False)
    graph = _sql_imports()

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for dep in graph.get(todo.pop(), ()):
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
        return seen

    assert "redis_vfs" in reach("database") and "leases" in reach("redis_vfs")
    assert "redis_vfs" not in reach("leases")
    assert [m for m in graph if m != "__init__" and m in reach(m)] == []
