"""FastRDB's API (``fastrdb.FastRDB``, 0.0.3), accepted as is, on vermilion's cache.

``from vermilion.cache import FastRDB`` replaces ``from fastrdb import FastRDB``: the same
class, generic parameters, constructor and methods (``create``, ``create_multi``, ``get``,
``get_multi``, ``update``, ``delete``, ``count``, ``paginate``), used with an ``AsyncSession``
and a ``redis.asyncio`` client as before.  What changes is what its users would have hit:

* list keys cover every filter, the ordering and the page (FastRDB's ``list_pattern`` silently
  ignored filters that were not placeholders, so two different queries shared one entry);
* no ``SCAN``: writes invalidate the table's lists and counts and the changed rows' entries in
  one round trip once the transaction commits (``invalidate_pattern_prefix`` is accepted and
  not needed; the tutorial's ``"todo:*"`` for users never matched anyway);
* a reader that missed before an update can no longer write the old row back after it (leases
  and invalidation sequence numbers); concurrent misses run the query once;
* ``get_multi`` results carry the query's total, so ``paginate`` reports it (FastRDB reported
  the page size); ``count`` is cached;
* no ``print`` on every cache write; Redis down means answers from the database (a warning).

As in FastRDB, every write commits the session itself.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.exc import NoResultFound

from .crud import AsyncCRUD
from .page import PageList, PaginatedResponse

ModelType = TypeVar("ModelType")
ResponseSchemaType = TypeVar("ResponseSchemaType", bound=BaseModel)
CreateSchemaType = TypeVar("CreateSchemaType", bound=BaseModel)
UpdateSchemaType = TypeVar("UpdateSchemaType", bound=BaseModel)


class FastRDB(Generic[ModelType, CreateSchemaType, UpdateSchemaType, ResponseSchemaType]):
    """CRUD with Redis caching for a SQLAlchemy model, FastRDB's signature (asyncio)."""

    def __init__(self, model: type[ModelType], response_schema: type[ResponseSchemaType],
                 pattern: str, list_pattern: str, exp: int,
                 invalidate_pattern_prefix: str = ""):
        self.model = model
        self.response_schema = response_schema
        self.pattern = pattern
        self.list_pattern = list_pattern
        self.exp = exp
        self.invalidate_pattern_prefix = invalidate_pattern_prefix
        self._crud: AsyncCRUD[Any, Any] = AsyncCRUD(
            model, response_schema, key=pattern, list_key=list_pattern, ttl=exp,
            negative_ttl=min(float(exp), 30.0), register=False)
        self._redis: Any = None

    def _store(self, redis: Any) -> Any:
        if redis is not None:
            self._redis = redis
        return self._crud.store(redis)

    async def _run(self, redis: Any, operation: Any, name: str) -> Any:
        store = self._store(redis)
        return await store.run(operation(store), name)

    @staticmethod
    def paginate(data: list[Any], limit: int, page: int) -> PaginatedResponse[Any]:
        """A page of ``data`` with the query's real total when ``data`` came from
        :meth:`get_multi` (else ``len(data)``, as FastRDB did)."""
        total = data.total if isinstance(data, PageList) else len(data)
        return PaginatedResponse[Any](data=data, total=total, limit=limit, page=page)

    async def create(self, db: Any, redis: Any, obj_in: CreateSchemaType,
                     **kwargs: Any) -> ResponseSchemaType:
        """INSERT ... RETURNING, commit; the table's lists and counts are invalidated."""
        if self._crud.key is not None:  # FastRDB formats its pattern with them: same error
            self._crud.key.check(kwargs)
        created = await self._run(redis, lambda st: self._crud._create_op(db, st, [obj_in.model_dump()]),
                                  "create")
        await db.commit()
        return created[0]  # type: ignore[no-any-return]

    async def create_multi(self, db: Any, redis: Any, instances: list[CreateSchemaType],
                           **kwargs: Any) -> list[ResponseSchemaType]:
        """One INSERT ... RETURNING of every instance, commit."""
        rows = [i.model_dump() for i in instances]
        created = await self._run(redis, lambda st: self._crud._create_op(db, st, rows),
                                  "create_multi")
        await db.commit()
        return created  # type: ignore[no-any-return]

    async def get(self, db: Any, redis: Any, **kwargs: Any) -> ResponseSchemaType:
        """The row matching ``kwargs`` (which must fill ``pattern``); ``NoResultFound``."""
        return await self._run(redis, lambda st: self._crud._get(db, st, kwargs), "get")  # type: ignore[no-any-return]

    async def get_multi(self, db: Any, redis: Any, limit: int = 10, page: int = 1,
                        order_by: str | None = None, ascending: bool = True,
                        **kwargs: Any) -> list[ResponseSchemaType]:
        """A page of rows; the list also carries the query's ``total`` (for :meth:`paginate`)."""
        result = await self._run(redis, lambda st: self._crud._page_op(db, st, limit, page, order_by,
                                                            ascending, kwargs), "get_multi")
        return PageList(result.data, total=result.total)

    async def update(self, db: Any, redis: Any, obj_in: UpdateSchemaType,
                     **matches: Any) -> ResponseSchemaType:
        """UPDATE ... RETURNING of the fields set in ``obj_in``, commit; the row's entries and
        the table's lists are invalidated.  ``NoResultFound`` / ``MultipleResultsFound`` after
        the commit, as FastRDB's ``scalar_one()``."""
        rows = await self._run(redis, lambda st: self._crud._update_op(db, st, obj_in, matches, False),
                               "update")
        await db.commit()
        if not rows:
            raise NoResultFound("No row was found when one was required")
        if len(rows) > 1:
            from sqlalchemy.exc import MultipleResultsFound

            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return rows[0]  # type: ignore[no-any-return]

    async def count(self, db: Any, redis: Any = None, **kwargs: Any) -> int:
        """How many rows match ``kwargs``; cached on the Redis client this object last used
        (FastRDB's ``count`` takes no client)."""
        client = redis if redis is not None else self._redis
        if client is None:
            return await self._crud._counter(db, kwargs)()  # type: ignore[no-any-return]
        return await self._run(client, lambda st: self._crud._count_op(db, st, kwargs), "count")  # type: ignore[no-any-return]

    async def delete(self, db: Any, redis: Any, **kwargs: Any) -> None:
        """DELETE the rows matching ``kwargs``, commit; ``NoResultFound`` if there were none."""
        n = await self._run(redis, lambda st: self._crud._delete_op(db, st, kwargs), "delete")
        await db.commit()
        if n == 0:
            raise NoResultFound("No records found matching the delete criteria")

    async def invalidate_cache(self, redis: Any, **kwargs: Any) -> None:
        """Make every cached entry of the table a miss (1 round trip; no SCAN)."""
        await self._run(redis, lambda st: self._crud._invalidate_op(st, ["any", "bulk"]), "invalidate")

    async def get_redis_data(self, redis: Any, return_multi: bool = False,
                             **kwargs: Any) -> bytes | None:
        """The cached JSON of the entry ``get`` (or, ``return_multi``, ``get_multi``) would
        answer from, if it is fresh; ``None`` otherwise (1 round trip; never computes)."""
        store = self._store(redis)
        if return_multi:
            limit, page = kwargs.pop("limit", 10), kwargs.pop("page", 1)
            order_by, ascending = kwargs.pop("order_by", None), kwargs.pop("ascending", True)
            key = self._crud._list_key("p:", kwargs, limit, page, order_by, ascending)
        else:
            key = self._crud._item_key(kwargs)
        return await store.run(store.peek_op(key), "peek")  # type: ignore[no-any-return]
