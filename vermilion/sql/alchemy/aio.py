"""``sqlite+vermilion_async://``: SQLAlchemy's aiosqlite dialect over
:mod:`vermilion.sql.aio_dbapi` (see :mod:`vermilion.sql.alchemy`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)

from .common import VermilionDialectMixin

try:  # SQLAlchemy 2.1
    from sqlalchemy.util.concurrency import await_
except ImportError:  # 2.0 (the newest on Python 3.10)
    from sqlalchemy.util.concurrency import await_only as await_


class AsyncAdaptVermilionConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite adapter (2.0 and 2.1), calling :mod:`.aio_dbapi`'s public methods
    where the original reaches into aiosqlite's internals."""

    __slots__ = ()

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level  # type: ignore[no-any-return]

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        try:
            await_(self._connection.set_isolation_level(value))
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        if not self._connection.closed:
            try:
                await_(self._connection.rollback())
            except Exception as error:
                self._handle_exception(error)

    def commit(self) -> None:
        if not self._connection.closed:
            try:
                await_(self._connection.commit())
            except Exception as error:
                self._handle_exception(error)

    def _terminate_force_close(self) -> None:
        self._connection.stop()


class AsyncAdaptVermilionDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """:mod:`.aio_dbapi` as SQLAlchemy's "aiosqlite" module, :mod:`.dbapi` as its "sqlite"."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdaptVermilionConnection:
        if kw.pop("async_fallback", False):  # SQLAlchemy 2.0's deprecated testing mode
            raise exc.ArgumentError("async_fallback is not supported by sqlite+vermilion_async")
        creator_fn = kw.pop("async_creator_fn", None)
        connection = creator_fn(*arg, **kw) if creator_fn else self.aiosqlite.connect(*arg, **kw)
        return AsyncAdaptVermilionConnection(self, await_(connection))


class VermilionAsyncDialect(VermilionDialectMixin, SQLiteDialect_aiosqlite):
    """The asyncio dialect: ``create_async_engine("sqlite+vermilion_async:///NAME?redis=URL")``;
    each connection runs on its own worker thread (:mod:`vermilion.sql.aio_dbapi`).  ``begin``
    as :class:`~vermilion.sql.alchemy.VermilionDialect`'s."""

    driver = "vermilion_async"
    supports_statement_cache = True

    def __init__(self, begin: str = "IMMEDIATE", **kwargs: Any) -> None:
        self._init_vermilion(begin)
        super().__init__(**kwargs)

    @classmethod
    def import_dbapi(cls) -> Any:  # type: ignore[override]
        from .. import aio_dbapi, dbapi
        return AsyncAdaptVermilionDBAPI(aio_dbapi, dbapi)  # type: ignore[arg-type]


dialect = VermilionAsyncDialect
