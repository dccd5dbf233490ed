"""Cache-aside CRUD for a SQLAlchemy model: reads from Redis, writes through the database.

``users = vermilion.cache.CRUD(User, UserResponse, key="user:email:{email}", ttl=600)``;
``users.get(session, email=...)`` answers from the cache (1 round trip) or runs the query once
for every concurrent caller (a lease) and caches the row; ``get_multi``, ``count`` and ``page``
cache their results under keys that cover every filter, the ordering and the page.  Writes
(``create``, ``update``, ``delete``) run in the caller's transaction (flushed, not committed);
the cache changes after the commit, never after a rollback (:mod:`vermilion.cache.events`).

One implementation for both faces: the operations are generators that yield the database work
(:class:`~vermilion.core.calls.Compute`) and the Redis scripts; :class:`CRUD` runs them with a
sync ``Session``, :class:`AsyncCRUD` with an ``AsyncSession``.

Which entries a write makes misses (tags, per table): a row's entry depends on the row
(``r:<pk>``) and on ``bulk`` (writes whose rows are unknown); an entry looked up by columns that
are not unique, a "not found", a list, a page or a count depend on ``any`` (every write).
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Optional, TypeVar

from pydantic import BaseModel, TypeAdapter, create_model
from sqlalchemy import delete as sa_delete
from sqlalchemy import func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import update as sa_update
from sqlalchemy.exc import InvalidRequestError, MultipleResultsFound, NoInspectionAvailable, NoResultFound

from ..core.calls import Compute, Op
from . import events
from .decorator import store_for
from .keys import KeyTemplate, bounded, memo_key, with_extras
from .page import PaginatedResponse
from .store import NOT_FOUND, Entry, StoreBase, to_ms

ModelT = TypeVar("ModelT")
ResponseT = TypeVar("ResponseT", bound=BaseModel)

_SNAPSHOT_LEVELS = ("REPEATABLE READ", "SERIALIZABLE", "SNAPSHOT")
# whether an engine's transactions read a snapshot taken at their start
_snapshot_engines: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def sync_session_of(session: Any) -> Any:
    """The ``Session`` behind ``session`` (an ``AsyncSession``'s ``sync_session``)."""
    return getattr(session, "sync_session", session)


def is_async_session(session: Any) -> bool:
    return hasattr(session, "sync_session")


def database(session: Any, work: Callable[[Any], Any], statement: Any) -> Callable[[], Any]:
    """A callable running ``session.execute(statement)`` (awaited for an ``AsyncSession``) and
    then ``work(result)``: the database part of an operation, for :class:`Compute`.
    ``statement`` may be a function returning it: built only when the query runs (a cache hit
    never builds it)."""
    make = statement if callable(statement) else (lambda: statement)
    if is_async_session(session):
        async def run_async() -> Any:
            return work(await session.execute(make()))

        return run_async
    return lambda: work(session.execute(make()))


def _python_type(column: Any) -> Any:
    try:
        t = column.type.python_type
    except (NotImplementedError, AttributeError):
        return Any
    return Optional[t] if column.nullable else t  # noqa: UP045 - a runtime type


def response_model_for(model: type[Any]) -> type[BaseModel]:
    """A Pydantic model of ``model``'s columns (read with ``from_attributes``)."""
    mapper = sa_inspect(model)
    fields: dict[str, Any] = {}
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        fields[attr.key] = (_python_type(column), None if column.nullable else ...)
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"{model.__name__}Response", __config__={"from_attributes": True}, **fields)


class CRUDBase(Generic[ModelT, ResponseT]):
    """The operations (generators); :class:`CRUD` and :class:`AsyncCRUD` run them."""

    _face = "base"

    def __init__(
        self,
        model: type[ModelT],
        response_schema: type[ResponseT] | None = None,
        *,
        key: str | None = None,
        list_key: str | None = None,
        ttl: float | dt.timedelta = 300.0,
        negative_ttl: float | dt.timedelta | None = 30.0,
        namespace: str | None = None,
        client: Any = None,
        register: bool = True,
    ):
        try:
            mapper = sa_inspect(model)
        except NoInspectionAvailable:
            raise TypeError(f"CRUD needs a SQLAlchemy mapped class, not {model!r}") from None
        self.model: type[ModelT] = model
        self.mapper: Any = mapper
        self.response: type[ResponseT] = (response_schema if response_schema is not None
                                          else response_model_for(model))  # type: ignore[assignment]
        if not (isinstance(self.response, type) and issubclass(self.response, BaseModel)):
            raise TypeError(f"response_schema must be a Pydantic model class, not {self.response!r}")
        self.tables: list[str] = events.tables_of(mapper)
        self.table: str = mapper.local_table.fullname
        self.namespace: str = namespace or f"sql:{mapper.persist_selectable.fullname}"
        self.ttl_ms: int = to_ms(ttl, "ttl")  # type: ignore[assignment]
        self.negative_ttl_ms: int | None = to_ms(negative_ttl, "negative_ttl")
        self.client: Any = client
        self.attributes: dict[str, Any] = {a.key: a for a in mapper.column_attrs}
        self.key: KeyTemplate | None = self._template(key, "key", ())
        self.list_key: KeyTemplate | None = self._template(list_key, "list key",
                                       ("page", "limit", "order_by", "ascending"))
        self._pk_keys = [mapper.get_property_by_column(c).key for c in mapper.primary_key]
        self._unique_sets = self._unique_attribute_sets()
        self._list = TypeAdapter(list[self.response])  # type: ignore[name-defined]
        self._page = TypeAdapter(tuple[int, list[self.response]])  # type: ignore[name-defined]
        self._count = TypeAdapter(int)
        self._unique_of: dict[frozenset[str], bool] = {}
        self._lookups: dict[Any, tuple[str, bool, bool]] = {}
        self._registered: weakref.WeakSet[StoreBase] = weakref.WeakSet()
        self._generation = events.generation()
        self._last: tuple[int, StoreBase] | None = None  # the default store, while registered
        if register:  # so that a program that only writes invalidates too
            self.store()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.model.__name__} namespace={self.namespace!r}>"

    # -- set-up ------------------------------------------------------------------------------
    def _template(self, text: str | None, what: str, extra: Sequence[str]) -> KeyTemplate | None:
        if text is None:
            return None
        template = KeyTemplate(text, what)
        unknown = [n for n in template.names if n not in self.attributes and n not in extra]
        if unknown:
            raise ValueError(f"{self.model.__name__}: {what} template {text!r} names "
                             f"{', '.join(unknown)}, which are not columns of the model")
        return template

    def _unique_attribute_sets(self) -> list[frozenset[str]]:
        by_column = {a.columns[0]: key for key, a in self.attributes.items()}
        sets = [frozenset(self._pk_keys)]
        table = self.mapper.local_table
        for column, key in by_column.items():
            if getattr(column, "unique", False):
                sets.append(frozenset([key]))
        for constraint in getattr(table, "constraints", ()):
            if type(constraint).__name__ == "UniqueConstraint":
                cols = [by_column.get(c) for c in constraint.columns]
                if all(cols):
                    sets.append(frozenset(cols))  # type: ignore[arg-type]
        for index in getattr(table, "indexes", ()):
            if index.unique:
                cols = [by_column.get(c) for c in index.columns]
                if all(cols):
                    sets.append(frozenset(cols))  # type: ignore[arg-type]
        return sets

    def store(self, client: Any = None) -> StoreBase:
        """The cache namespace of this model on ``client`` (default: the CRUD's client),
        registered so that commits writing the model's tables reach it."""
        if client is None:
            last = self._last
            if last is not None and last[0] == events.generation():
                return last[1]
        store: StoreBase = store_for(self.namespace, client if client is not None else self.client,
                                     "async" if self._face == "async" else "sync")
        if client is None:
            self._last = (events.generation(), store)
        if store not in self._registered or events.generation() != self._generation:
            if events.generation() != self._generation:
                self._registered = weakref.WeakSet()
                self._generation = events.generation()
            for table in self.tables:
                events.register(table, store)
            self._registered.add(store)
        return store

    # -- reading -----------------------------------------------------------------------------
    def _bypass(self, session: Any) -> bool:
        """Read the database, not the cache: the session wrote in its open transaction, or
        reads a snapshot older than this call (REPEATABLE READ / SERIALIZABLE)."""
        sync = sync_session_of(session)
        if events.wrote(sync):
            return True
        if not sync.in_transaction():
            return False
        bind = sync.bind if sync.bind is not None else sync.get_bind()
        engine = getattr(bind, "engine", bind)
        snapshot = _snapshot_engines.get(engine)
        if snapshot is None:
            level = (engine.get_execution_options().get("isolation_level")
                     or engine.dialect.default_isolation_level or "")
            # SQLite: a read outside a write transaction always sees the last commit
            snapshot = (engine.dialect.name != "sqlite"
                        and str(level).upper() in _SNAPSHOT_LEVELS)
            _snapshot_engines[engine] = snapshot
        return snapshot

    def _values(self, obj: Any) -> dict[str, Any]:
        if isinstance(obj, BaseModel):
            return obj.model_dump()
        if isinstance(obj, Mapping):
            return dict(obj)
        raise TypeError(f"expected a Pydantic model or a mapping of column values, not {obj!r}")

    def _item_key(self, filters: Mapping[str, Any]) -> str:
        if self.key is None:
            return bounded("o:" + with_extras("", filters, ()))
        base = "o:" + self.key.format(filters)
        if len(filters) != len(self.key.names):  # filters the template does not name
            base = with_extras(base, filters, self.key.names)
        return bounded(base)

    def _is_unique(self, filters: Mapping[str, Any]) -> bool:
        given = frozenset(k for k, v in filters.items() if v is not None)
        known = self._unique_of.get(given)
        if known is None:
            known = self._unique_of[given] = any(s <= given for s in self._unique_sets)
        return known

    def _respond(self, obj: Any) -> ResponseT:
        return self.response.model_validate(obj, from_attributes=True)

    def _read(self, session: Any, store: StoreBase, entry: Entry[Any]) -> Op[Any]:
        """The entry through ``store``, or straight from the database when the session must
        not use the cache (:meth:`_bypass`)."""
        if self._bypass(session):
            return (yield Compute(entry.compute))
        return (yield from store.get_or_compute(entry))

    def _lookup(self, filters: dict[str, Any]) -> tuple[str, bool, bool]:
        """``(entry key, unique, columns only)`` of a ``get`` with ``filters``; remembered for
        plain filter values (a hit then does no key formatting)."""
        memo = memo_key((), filters)
        found = self._lookups.get(memo) if memo is not None else None
        if found is not None:
            return found
        if self.key is not None:
            self.key.check(filters)
        found = (self._item_key(filters), self._is_unique(filters),
                 all(name in self.attributes for name in filters))
        if memo is not None:
            if len(self._lookups) >= 4096:
                self._lookups.clear()
            self._lookups[memo] = found
        return found

    def _get(self, session: Any, store: StoreBase, filters: dict[str, Any]) -> Op[ResponseT]:
        key, unique, columns_only = self._lookup(filters)
        stmt: Any
        if columns_only:
            stmt = lambda: select(self.model).filter_by(**filters)  # noqa: E731 - on a miss only
        else:  # SQLAlchemy's own error for a name that is no column, before any round trip
            stmt = select(self.model).filter_by(**filters)
        found: dict[str, Any] = {}

        def one(result: Any) -> Any:
            rows = result.scalars().all()
            if not rows:
                return NOT_FOUND
            if len(rows) > 1:
                raise MultipleResultsFound("Multiple rows were found when one or none was required")
            found["pk"] = self.mapper.primary_key_from_instance(rows[0])
            return self._respond(rows[0])

        def tags_of(value: Any) -> list[str]:
            if value is NOT_FOUND or not unique:
                return ["any"] if value is NOT_FOUND else ["any", events.row_tag(found["pk"])]
            return [events.row_tag(found["pk"])]

        entry: Entry[Any] = Entry(
            key, database(session, one, stmt),
            encode=lambda v: v.model_dump_json(), decode=self.response.model_validate_json,
            ttl_ms=self.ttl_ms, negative_ttl_ms=self.negative_ttl_ms, tags=["bulk"],
            tags_of=tags_of)
        value = yield from self._read(session, store, entry)
        if value is NOT_FOUND:
            raise NoResultFound(f"No {self.model.__name__} found matching criteria: {filters}")
        return value  # type: ignore[no-any-return]

    def _select(self, filters: dict[str, Any], order_by: str | Sequence[str] | None,
                ascending: bool) -> Any:
        stmt = select(self.model).filter_by(**filters)
        if order_by is None:
            return stmt
        names = [order_by] if isinstance(order_by, str) else list(order_by)
        columns = []
        for name in names:
            attr = self.attributes.get(name)
            if attr is None:
                raise InvalidRequestError(
                    f"{self.model.__name__} has no column {name!r} to order by")
            column = getattr(self.model, name)
            columns.append(column.asc() if ascending else column.desc())
        for pk in self._pk_keys:  # a total order, so pages never overlap
            if pk not in names:
                columns.append(getattr(self.model, pk).asc())
        return stmt.order_by(*columns)

    def _list_key(self, prefix: str, filters: dict[str, Any], limit: int, page: int,
                  order_by: Any, ascending: bool) -> str:
        values = {**filters, "limit": limit, "page": page, "order_by": order_by,
                  "ascending": ascending}
        if self.list_key is not None:
            return bounded(prefix + with_extras(self.list_key.format(values), values,
                                                self.list_key.names))
        return bounded(prefix + with_extras("", values, ()))

    @staticmethod
    def _check_page(limit: int, page: int) -> None:
        for name, v in (("limit", limit), ("page", page)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{name} must be an int, not {v!r}")
            if v < 1:
                raise ValueError(f"{name} must be >= 1, not {v}")

    def _get_multi(self, session: Any, store: StoreBase, limit: int, page: int, order_by: Any,
                   ascending: bool, filters: dict[str, Any]) -> Op[list[ResponseT]]:
        self._check_page(limit, page)
        stmt = self._select(filters, order_by, ascending).limit(limit).offset((page - 1) * limit)
        entry: Entry[Any] = Entry(
            self._list_key("l:", filters, limit, page, order_by, ascending),
            database(session, lambda r: [self._respond(o) for o in r.scalars().all()], stmt),
            encode=self._list.dump_json, decode=self._list.validate_json, ttl_ms=self.ttl_ms,
            tags=["any", "bulk"])
        return (yield from self._read(session, store, entry))  # type: ignore[no-any-return]

    def _counter(self, session: Any, filters: dict[str, Any]) -> Callable[[], Any]:
        stmt = select(func.count()).select_from(self.model).filter_by(**filters)
        return database(session, lambda r: int(r.scalar_one()), stmt)

    def _count_op(self, session: Any, store: StoreBase, filters: dict[str, Any]) -> Op[int]:
        compute = self._counter(session, filters)
        entry: Entry[Any] = Entry(
            bounded("c:" + with_extras("", filters, ())), compute, encode=self._count.dump_json,
            decode=self._count.validate_json, ttl_ms=self.ttl_ms, tags=["any", "bulk"])
        return (yield from self._read(session, store, entry))  # type: ignore[no-any-return]

    def _page_op(self, session: Any, store: StoreBase, limit: int, page: int, order_by: Any,
                 ascending: bool, filters: dict[str, Any]) -> Op[PaginatedResponse[ResponseT]]:
        self._check_page(limit, page)
        stmt = self._select(filters, order_by, ascending).limit(limit).offset((page - 1) * limit)
        count = self._counter(session, filters)
        rows = database(session, lambda r: [self._respond(o) for o in r.scalars().all()], stmt)

        def both() -> Any:
            if is_async_session(session):
                async def run() -> Any:
                    return (await count(), await rows())

                return run()
            return (count(), rows())

        entry: Entry[Any] = Entry(
            self._list_key("p:", filters, limit, page, order_by, ascending), both,
            encode=self._page.dump_json, decode=self._page.validate_json, ttl_ms=self.ttl_ms,
            tags=["any", "bulk"])
        total, data = yield from self._read(session, store, entry)
        return PaginatedResponse[self.response](  # type: ignore[name-defined]
            data=data, total=total, limit=limit, page=page)

    # -- writing -----------------------------------------------------------------------------
    def _mark(self, session: Any, store: StoreBase, *tags: str) -> None:
        """Record the tags the session's transaction changes (``store`` came from
        :meth:`store`, which registered it: the commit reaches its namespace)."""
        sync = sync_session_of(session)
        for table in self.tables:
            events.pending(sync, table, *tags)

    def _create_op(self, session: Any, store: StoreBase, rows: list[dict[str, Any]]) -> Op[list[ResponseT]]:
        if not rows:
            return []
        stmt = (insert(self.model).values(rows).returning(self.model)
                .execution_options(**{events.OPTION: True}))
        created = yield Compute(database(session, lambda r: r.scalars().all(), stmt))
        self._mark(session, store, "any")
        return [self._respond(o) for o in created]

    def _update_op(self, session: Any, store: StoreBase, obj_in: Any, filters: dict[str, Any],
                   one: bool) -> Op[Any]:
        if isinstance(obj_in, BaseModel):
            values = obj_in.model_dump(exclude_unset=True)
        else:
            values = self._values(obj_in)
        stmt: Any
        if values:
            stmt = (sa_update(self.model).filter_by(**filters).values(values)
                    .returning(self.model).execution_options(**{events.OPTION: True}))
        else:
            stmt = select(self.model).filter_by(**filters)
        objs = yield Compute(database(session, lambda r: r.scalars().all(), stmt))
        if values:
            tags = ["any", *(events.row_tag(self.mapper.primary_key_from_instance(o)) for o in objs)]
            if set(values) & set(self._pk_keys):
                tags.append("bulk")  # a primary key changed: the old one is unknown here
            self._mark(session, store, *tags)
        if not one:
            return [self._respond(o) for o in objs]
        if not objs:
            raise NoResultFound(f"No {self.model.__name__} found matching criteria: {filters}")
        if len(objs) > 1:
            raise MultipleResultsFound("Multiple rows were found when one was required")
        return self._respond(objs[0])

    def _delete_op(self, session: Any, store: StoreBase, filters: dict[str, Any]) -> Op[int]:
        pk_columns = [getattr(self.model, k) for k in self._pk_keys]
        bind = sync_session_of(session).get_bind()
        if getattr(bind.dialect, "delete_returning", False):
            stmt = (sa_delete(self.model).filter_by(**filters).returning(*pk_columns)
                    .execution_options(**{events.OPTION: True}))
            pks = yield Compute(database(session, lambda r: [tuple(row) for row in r.all()], stmt))
        else:
            pks = yield Compute(database(
                session, lambda r: [tuple(row) for row in r.all()],
                select(*pk_columns).filter_by(**filters)))
            yield Compute(database(session, lambda r: None, sa_delete(self.model).filter_by(
                **filters).execution_options(**{events.OPTION: True})))
        if pks:
            self._mark(session, store, "any", *(events.row_tag(pk) for pk in pks))
        return len(pks)

    def _invalidate_op(self, store: StoreBase, tags: list[str]) -> Op[bool]:
        return (yield from store.invalidate_op(tags))


class CRUD(CRUDBase[ModelT, ResponseT]):
    """Cache-aside CRUD on a sync ``Session`` (see the module docstring).

    ``CRUD(User, UserResponse, key="user:email:{email}", ttl=600)``: ``key`` names the columns
    a single-row lookup is keyed by (optional: without it every filter makes the key);
    ``list_key`` the same for lists (may also name ``page``, ``limit``, ``order_by``,
    ``ascending``); filters a template does not name are appended to the key, so two different
    queries never share an entry.  ``response_schema`` defaults to a Pydantic model of the
    columns.  ``ttl`` / ``negative_ttl`` (a cached "not found"; ``None``: not cached) in seconds
    or a timedelta.  ``client``: a redis-py client (default: vermilion's configured one).
    """

    _face = "sync"

    def _run(self, operation: Callable[[StoreBase], Any], name: str) -> Any:
        store = self.store()
        return store.run(operation(store), name)  # type: ignore[attr-defined]

    def get(self, session: Any, /, **filters: Any) -> ResponseT:
        """The one row matching ``filters`` (``NoResultFound`` if none, ``MultipleResultsFound``
        if several).  A hit: 1 round trip; a miss: the query + 2 round trips."""
        return self._run(lambda st: self._get(session, st, filters), "get")  # type: ignore[no-any-return]

    def get_multi(self, session: Any, /, *, limit: int = 10, page: int = 1,
                  order_by: str | Sequence[str] | None = None, ascending: bool = True,
                  **filters: Any) -> list[ResponseT]:
        """One page of the rows matching ``filters`` (ordered by ``order_by``, then the primary
        key); cached under a key covering every argument."""
        return self._run(lambda st: self._get_multi(session, st, limit, page, order_by, ascending,  # type: ignore[no-any-return]
                                         filters), "get_multi")

    def page(self, session: Any, /, *, limit: int = 10, page: int = 1,
             order_by: str | Sequence[str] | None = None, ascending: bool = True,
             **filters: Any) -> PaginatedResponse[ResponseT]:
        """:meth:`get_multi` with the query's real ``total`` (one cached entry for both)."""
        return self._run(lambda st: self._page_op(session, st, limit, page, order_by, ascending,  # type: ignore[no-any-return]
                                       filters), "page")

    paginate = page

    def count(self, session: Any, /, **filters: Any) -> int:
        """How many rows match ``filters`` (cached)."""
        return self._run(lambda st: self._count_op(session, st, filters), "count")  # type: ignore[no-any-return]

    def create(self, session: Any, obj_in: Any, /) -> ResponseT:
        """INSERT ... RETURNING in the session's transaction (not committed); the cache's lists
        and counts of the table are invalidated when it commits."""
        return self._run(lambda st: self._create_op(session, st, [self._values(obj_in)]), "create")[0]  # type: ignore[no-any-return]

    def create_multi(self, session: Any, objs: Sequence[Any], /) -> list[ResponseT]:
        """One INSERT ... RETURNING of every object, in the session's transaction."""
        return self._run(lambda st: self._create_op(session, st, [self._values(o) for o in objs]),  # type: ignore[no-any-return]
                         "create_multi")

    def update(self, session: Any, obj_in: Any, /, **filters: Any) -> ResponseT:
        """UPDATE ... RETURNING of the fields set in ``obj_in`` on the one row matching
        ``filters``, in the session's transaction; its entries are invalidated at commit."""
        return self._run(lambda st: self._update_op(session, st, obj_in, filters, True), "update")  # type: ignore[no-any-return]

    def update_many(self, session: Any, obj_in: Any, /, **filters: Any) -> list[ResponseT]:
        """The same, on every row matching ``filters``; returns them."""
        return self._run(lambda st: self._update_op(session, st, obj_in, filters, False), "update_many")  # type: ignore[no-any-return]

    def delete(self, session: Any, /, **filters: Any) -> int:
        """DELETE the rows matching ``filters`` in the session's transaction; returns how many."""
        return self._run(lambda st: self._delete_op(session, st, filters), "delete")  # type: ignore[no-any-return]

    def invalidate(self, **filters: Any) -> bool:
        """Drop the entry of :meth:`get` with these filters (1 round trip)."""
        tags = ["k:" + self._item_key(filters)]
        return self._run(lambda st: self._invalidate_op(st, tags), "invalidate")  # type: ignore[no-any-return]

    def invalidate_table(self) -> bool:
        """Make every entry of the table a miss (after writes the sessions did not see)."""
        return self._run(lambda st: self._invalidate_op(st, ["any", "bulk"]), "invalidate_table")  # type: ignore[no-any-return]

    def stats(self) -> dict[str, int]:
        """The namespace's counters (hits, misses, fills, waits, invalidations...)."""
        return self.store().stats()  # type: ignore[attr-defined, no-any-return]


class AsyncCRUD(CRUDBase[ModelT, ResponseT]):
    """The asyncio face of :class:`CRUD`: the same methods, awaited, with an ``AsyncSession``
    (``vermilion.aio.cache.CRUD``)."""

    _face = "async"

    async def _run(self, operation: Callable[[StoreBase], Any], name: str) -> Any:
        store = self.store()
        return await store.run(operation(store), name)  # type: ignore[attr-defined]

    async def get(self, session: Any, /, **filters: Any) -> ResponseT:
        return await self._run(lambda st: self._get(session, st, filters), "get")  # type: ignore[no-any-return]

    async def get_multi(self, session: Any, /, *, limit: int = 10, page: int = 1,
                        order_by: str | Sequence[str] | None = None, ascending: bool = True,
                        **filters: Any) -> list[ResponseT]:
        return await self._run(lambda st: self._get_multi(session, st, limit, page, order_by, ascending,  # type: ignore[no-any-return]
                                               filters), "get_multi")

    async def page(self, session: Any, /, *, limit: int = 10, page: int = 1,
                   order_by: str | Sequence[str] | None = None, ascending: bool = True,
                   **filters: Any) -> PaginatedResponse[ResponseT]:
        return await self._run(lambda st: self._page_op(session, st, limit, page, order_by, ascending,  # type: ignore[no-any-return]
                                             filters), "page")

    paginate = page

    async def count(self, session: Any, /, **filters: Any) -> int:
        return await self._run(lambda st: self._count_op(session, st, filters), "count")  # type: ignore[no-any-return]

    async def create(self, session: Any, obj_in: Any, /) -> ResponseT:
        return (await self._run(lambda st: self._create_op(session, st, [self._values(obj_in)]), "create"))[0]  # type: ignore[no-any-return]

    async def create_multi(self, session: Any, objs: Sequence[Any], /) -> list[ResponseT]:
        return await self._run(lambda st: self._create_op(session, st, [self._values(o) for o in objs]),  # type: ignore[no-any-return]
                               "create_multi")

    async def update(self, session: Any, obj_in: Any, /, **filters: Any) -> ResponseT:
        return await self._run(lambda st: self._update_op(session, st, obj_in, filters, True), "update")  # type: ignore[no-any-return]

    async def update_many(self, session: Any, obj_in: Any, /, **filters: Any) -> list[ResponseT]:
        return await self._run(lambda st: self._update_op(session, st, obj_in, filters, False), "update_many")  # type: ignore[no-any-return]

    async def delete(self, session: Any, /, **filters: Any) -> int:
        return await self._run(lambda st: self._delete_op(session, st, filters), "delete")  # type: ignore[no-any-return]

    async def invalidate(self, **filters: Any) -> bool:
        tags = ["k:" + self._item_key(filters)]
        return await self._run(lambda st: self._invalidate_op(st, tags), "invalidate")  # type: ignore[no-any-return]

    async def invalidate_table(self) -> bool:
        return await self._run(lambda st: self._invalidate_op(st, ["any", "bulk"]), "invalidate_table")  # type: ignore[no-any-return]

    async def stats(self) -> dict[str, int]:
        return await self.store().stats()  # type: ignore[attr-defined, no-any-return]
