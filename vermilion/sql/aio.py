"""The asyncio face of :mod:`vermilion.sql.api`: the same databases, whose methods are coroutines.

``db = await vermilion.aio.sql.open("HN"); await db.exec_statement("insert_item", ...)``.

There is one implementation: every coroutine runs the sync method in a worker thread
(``asyncio.to_thread``), because SQLite itself is synchronous.  So these objects use a *sync*
redis-py client: ``client=`` if given, else the one :func:`vermilion.configure` derives from its
``url``.  One :class:`AsyncDatabase` serialises its calls; tasks that need their own transactions
should each open their own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from . import api
from .api import Rows, StatementInfo


class AsyncTransaction:
    """``async with db.transaction():`` - the sync transaction entered and left in a thread."""

    def __init__(self, db: api.Database):
        self._cm = db.transaction()

    async def __aenter__(self) -> None:
        await asyncio.to_thread(self._cm.__enter__)

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> bool | None:
        return await asyncio.to_thread(self._cm.__exit__, exc_type, exc, tb)


class AsyncDatabase:
    """A named SQL database stored in Redis (see :class:`vermilion.sql.api.Database`)."""

    def __init__(self, sync: api.Database):
        self.sync = sync

    @property
    def name(self) -> str:
        return self.sync.name

    def __repr__(self) -> str:
        return f"<vermilion.aio.sql.Database {self.name!r}>"

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncDatabase:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def transaction(self) -> AsyncTransaction:
        return AsyncTransaction(self.sync)

    async def exec(self, sql: str, /, *params: Any, **named: Any) -> Rows:
        return await asyncio.to_thread(self.sync.exec, sql, *params, **named)

    async def query(self, sql: str, /, *params: Any, timeout: float | None = None,
                    **named: Any) -> Rows:
        """See :meth:`vermilion.sql.api.Database.query`: read-only SQL, ``timeout`` seconds at
        most (the query is interrupted in its worker thread, which cancelling the awaiting task
        would not do)."""
        return await asyncio.to_thread(self.sync.query, sql, *params, timeout=timeout, **named)

    async def create_statement(self, name: str, sql: str) -> None:
        await asyncio.to_thread(self.sync.create_statement, name, sql)

    async def update_statement(self, name: str, sql: str) -> None:
        await asyncio.to_thread(self.sync.update_statement, name, sql)

    async def delete_statement(self, name: str) -> None:
        await asyncio.to_thread(self.sync.delete_statement, name)

    async def show_statement(self, name: str) -> StatementInfo:
        return await asyncio.to_thread(self.sync.show_statement, name)

    async def list_statements(self) -> list[StatementInfo]:
        return await asyncio.to_thread(self.sync.list_statements)

    async def exec_statement(self, name: str, /, *params: Any, **named: Any) -> Rows:
        return await asyncio.to_thread(self.sync.exec_statement, name, *params, **named)

    async def query_statement(self, name: str, /, *params: Any, timeout: float | None = None,
                              **named: Any) -> Rows:
        return await asyncio.to_thread(self.sync.query_statement, name, *params,
                                       timeout=timeout, **named)

    async def query_into(self, stream: str, sql: str, /, *params: Any,
                         timeout: float | None = None, **named: Any) -> int:
        return await asyncio.to_thread(self.sync.query_into, stream, sql, *params,
                                       timeout=timeout, **named)

    async def query_statement_into(self, stream: str, name: str, /, *params: Any,
                                   timeout: float | None = None, **named: Any) -> int:
        return await asyncio.to_thread(self.sync.query_statement_into, stream, name, *params,
                                       timeout=timeout, **named)

    async def statistics(self) -> dict[str, int]:
        return await asyncio.to_thread(self.sync.statistics)

    async def export_to(self, path: str | os.PathLike[str]) -> None:
        await asyncio.to_thread(self.sync.export_to, path)


async def open(name: str, **options: Any) -> AsyncDatabase:  # noqa: A001
    """Open existing database ``name`` (options as :func:`vermilion.sql.open`)."""
    return AsyncDatabase(await asyncio.to_thread(api.open, name, **options))


async def create_db(name: str, **options: Any) -> AsyncDatabase:
    """Create database ``name`` and open it (options as :func:`vermilion.sql.create_db`)."""
    return AsyncDatabase(await asyncio.to_thread(api.create_db, name, **options))


async def import_from(path: str | os.PathLike[str], name: str, **options: Any) -> AsyncDatabase:
    return AsyncDatabase(await asyncio.to_thread(api.import_from, path, name, **options))


async def drop_db(name: str, **options: Any) -> None:
    await asyncio.to_thread(api.drop_db, name, **options)


async def list_dbs(**options: Any) -> list[str]:
    return await asyncio.to_thread(api.list_dbs, **options)


async def exists(name: str, **options: Any) -> bool:
    return await asyncio.to_thread(api.exists, name, **options)


async def copy(source: str, destination: str, **options: Any) -> None:
    await asyncio.to_thread(api.copy, source, destination, **options)


Database = AsyncDatabase

__all__: Sequence[str] = (
    "AsyncDatabase", "AsyncTransaction", "Database", "copy", "create_db", "drop_db", "exists",
    "import_from", "list_dbs", "open",
)
