"""What a SQLAlchemy ``Session`` changed, and invalidating it once the transaction commits.

Listeners on the ``Session`` class (so on every session, sync and the ``AsyncSession``'s
``sync_session`` alike) collect, per cached table, the tags the transaction's writes touch:

* ORM unit-of-work changes (``session.add``, attribute changes, ``session.delete``): the
  rows' primary keys (``r:<pk>``) and the table's ``any`` tag (lists, counts, "not found");
* ``session.execute()`` of an INSERT (``any``), an UPDATE or DELETE statement (rows unknown:
  ``bulk`` and ``any``), or of textual SQL that is not a SELECT (every cached table's ``bulk``
  and ``any``);
* the writes of :class:`~vermilion.cache.CRUD` itself, with their exact rows.

After the commit (``after_commit``) each tag is invalidated in every cache namespace registered
for its table, one round trip per namespace; after a rollback of the whole transaction nothing
is (a savepoint's rollback keeps the tags of the transaction around it). A session that has
written in its open transaction reads through the database, not the cache, until it ends (it
must see its own writes, and must not fill the cache with rows that may roll back).

Not seen (bounded by the entries' TTL; call ``crud.invalidate_table()`` after them): writes
made outside a ``Session`` (``engine.connect()`` / ``connection.execute``), and writes by other
programs.
"""

from __future__ import annotations

import re
import threading
import warnings
import weakref
from collections import defaultdict
from typing import Any

from sqlalchemy import event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from .keys import render
from .store import CacheBypassWarning, StoreBase

INFO_PENDING = "vermilion.cache.pending"  # {table: set(tags)}
INFO_WROTE = "vermilion.cache.wrote"  # True once the open transaction wrote
OPTION = "vermilion_cache_handled"  # execution option: the CRUD records its own tags
_DML = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|REPLACE)\b", re.IGNORECASE)

_lock = threading.Lock()
_registry: dict[str, weakref.WeakSet[StoreBase]] = defaultdict(weakref.WeakSet)
_installed = False
_generation = [0]  # bumped by reset(): whoever cached a registration registers again


def generation() -> int:
    return _generation[0]


def reset() -> None:
    """Forget every registration (tests)."""
    with _lock:
        _registry.clear()
        _generation[0] += 1


def register(table: str, store: StoreBase) -> None:
    """Invalidate ``store`` when a session commits writes to ``table``."""
    install()
    with _lock:
        _registry[table].add(store)


def registered_tables() -> list[str]:
    with _lock:
        return [t for t, stores in _registry.items() if len(stores)]


def row_tag(pk: Any) -> str:
    """The tag of one row, from its primary-key tuple (the identity SQLAlchemy uses)."""
    return "r:" + render(list(pk))


def tables_of(mapper: Any) -> list[str]:
    return [t.fullname for t in mapper.tables]


def pending(session: Session, table: str, *tags: str) -> None:
    """Record that the open transaction of ``session`` changes ``tags`` of ``table``."""
    info = session.info
    info[INFO_WROTE] = True
    info.setdefault(INFO_PENDING, {}).setdefault(table, set()).update(tags)


def wrote(session: Session) -> bool:
    """True when the session's open transaction has written (or has unflushed changes)."""
    if session.info.get(INFO_WROTE):
        return True
    try:  # O(1) (Session.new / .dirty / .deleted build sets): SQLAlchemy's own bookkeeping
        return bool(session._new or session._deleted or session.identity_map._modified)
    except AttributeError:  # pragma: no cover - another SQLAlchemy's internals
        return bool(session.new or session.dirty or session.deleted)


def _cached(table: str) -> bool:
    with _lock:
        return bool(_registry.get(table))


def _after_flush(session: Session, flush_context: Any) -> None:
    for obj in list(session.new):
        state = sa_inspect(obj)
        for table in tables_of(state.mapper):
            if _cached(table):
                pending(session, table, "any")
    for group in (session.dirty, session.deleted):
        for obj in list(group):
            state = sa_inspect(obj)
            if group is session.dirty and not session.is_modified(obj, include_collections=False):
                continue
            tags = ["any"]
            if state.identity is not None:
                tags.append(row_tag(state.identity))
            new_pk = state.mapper.primary_key_from_instance(obj)
            if all(v is not None for v in new_pk):
                tags.append(row_tag(new_pk))
            for table in tables_of(state.mapper):
                if _cached(table):
                    pending(session, table, *tags)
    session.info[INFO_WROTE] = True


def _do_orm_execute(state: Any) -> None:
    if state.is_select or state.execution_options.get(OPTION):
        return
    session = state.session
    statement = state.statement
    kind = getattr(statement, "is_dml", False)
    table = getattr(statement, "table", None)
    if kind and table is not None:
        name = getattr(table, "fullname", None)
        plain_insert = (getattr(statement, "is_insert", False)
                        and getattr(statement, "_post_values_clause", None) is None
                        and not getattr(statement, "_prefixes", ()))
        # an upsert (ON CONFLICT / ON DUPLICATE KEY UPDATE, INSERT OR REPLACE) changes rows
        tags = ("any",) if plain_insert else ("bulk", "any")
        if name is not None:
            session.info[INFO_WROTE] = True
            if _cached(name):
                pending(session, name, *tags)
            return
    # textual SQL or something else: unknown rows of unknown tables
    sql = str(statement).lstrip()
    words = sql.split(None, 1)
    first = words[0].upper() if words else ""
    if first in ("SELECT", "EXPLAIN", "PRAGMA", "SHOW", "VALUES"):
        return
    if first == "WITH" and not _DML.search(sql):  # a data-modifying CTE writes
        return
    session.info[INFO_WROTE] = True
    for name in registered_tables():
        pending(session, name, "bulk", "any")


def _after_commit(session: Session) -> None:
    info = session.info
    info.pop(INFO_WROTE, None)
    todo: dict[str, set[str]] = info.pop(INFO_PENDING, None) or {}
    if not todo:
        return
    flush_invalidations(todo)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    """The outermost transaction ended without a commit (a commit has already sent and dropped
    its tags): its writes never happened, nothing to invalidate.  A savepoint's rollback keeps
    the tags of the transaction around it (its own are then invalidated needlessly, harmlessly)."""
    if transaction.parent is None:
        session.info.pop(INFO_PENDING, None)
        session.info.pop(INFO_WROTE, None)


def flush_invalidations(todo: dict[str, set[str]]) -> None:
    """Send the invalidations: one round trip per namespace.  Inside an ``AsyncSession`` (a
    greenlet of SQLAlchemy's) the asyncio stores are awaited there; sync stores run directly."""
    from sqlalchemy.util.concurrency import await_only, in_greenlet

    by_store: dict[int, tuple[StoreBase, set[str]]] = {}
    for table, tags in todo.items():
        with _lock:
            stores = list(_registry.get(table, ()))
        for store in stores:
            by_store.setdefault(id(store), (store, set()))[1].update(tags)
    for store, tags in by_store.values():
        ordered = sorted(tags)
        try:
            if store._face == "async":
                if in_greenlet():
                    await_only(store.invalidate(ordered))  # type: ignore[attr-defined]
                else:
                    store.pend(ordered)
            else:
                store.invalidate(ordered)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - the commit is done: never fail it afterwards
            if store.strict:
                raise
            store.pend(ordered)
            warnings.warn(f"vermilion cache {store.namespace!r}: the invalidation after the "
                          f"commit failed ({type(exc).__name__}: {exc}); it is kept and sent "
                          "again with the next call", CacheBypassWarning, stacklevel=2)


def install() -> None:
    """Listen on every ``Session`` (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_transaction_end", _after_transaction_end)
        _installed = True
