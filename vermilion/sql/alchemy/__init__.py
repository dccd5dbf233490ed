"""SQLAlchemy dialects for SQL databases stored in Redis: ``sqlite+vermilion://`` (sync) and
``sqlite+vermilion_async://`` (asyncio).

::

    from sqlalchemy import create_engine
    engine = create_engine("sqlite+vermilion:///HN?redis=redis://localhost:6379/0")

Both are SQLAlchemy's SQLite dialects (pysqlite and aiosqlite) over :mod:`vermilion.sql.dbapi`
and :mod:`vermilion.sql.aio_dbapi`, registered through the ``sqlalchemy.dialects`` entry point:

* the URL's path is the database's name (``sqlite+vermilion:///HN`` opens the database "HN",
  created if missing as sqlite3 creates a file; ``?create=false`` refuses a missing one); an
  empty path or ``:memory:`` is a private temporary database per connection, as in sqlite3;
* the Redis server: ``?redis=<redis URL>`` (one client per engine), else
  ``connect_args={"client": client}``, else vermilion's configured client
  (``vermilion.configure`` / ``VERMILION_URL``); a Redis URL holding ``&`` or a password is
  best given through ``URL.create(..., query={"redis": redis_url})``; other query arguments:
  ``timeout`` (seconds to wait for another writer, default 5), ``lease`` (seconds a crashed
  process can hold a lock), ``check_same_thread``, ``create``, and ``uri=true`` (the remaining
  arguments are then SQLite URI parameters, e.g. ``mode=ro``, as with pysqlite); an unknown
  argument raises ``ArgumentError`` (a mistyped ``redis`` must not reach another server);
* every SQLAlchemy transaction is one SQLite transaction started with ``BEGIN IMMEDIATE`` (so
  reads and writes of a transaction are serializable, ``SAVEPOINT`` works, and concurrent
  writers wait for each other instead of failing with "database is locked");
  the cost: every transaction, even a read, holds the writer lease until it ends (two open at
  once in one thread wait for each other); ``create_engine(..., begin="DEFERRED")`` starts
  them as readers instead (read-only work then runs beside writers, but a transaction that
  writes after reading fails at once when another writer holds the lock); a read-only
  connection (``mode=ro``) begins with a plain ``BEGIN``; ``isolation_level="AUTOCOMMIT"``
  emits no ``BEGIN``;
* a named database gets a ``QueuePool`` (``AsyncAdaptedQueuePool``) and
  ``check_same_thread=False``; ``server_version_info`` is the version of apsw's SQLite.
"""

from .aio import VermilionAsyncDialect
from .dialect import VermilionDialect

__all__ = ["VermilionAsyncDialect", "VermilionDialect"]
