"""SQL databases stored in Redis: SQLite runs in this process (apsw), its pages live in Redis.

``vermilion.sql.create_db / open / drop_db / list_dbs / copy / import_from`` and
:class:`Database` give RediSQL's model (named databases, stored statements, read-only queries,
results into streams); ``connect`` is a DB-API 2.0 (PEP 249) connection like :mod:`sqlite3`'s;
``open_connection`` gives a plain ``apsw.Connection``.  The asyncio face is
:mod:`vermilion.sql.aio`.
"""

from .api import (
    Database,
    Rows,
    StatementInfo,
    copy,
    create_db,
    drop_db,
    exists,
    import_from,
    list_dbs,
    open,
)
from .database import drop, open_connection
from .dbapi import connect
from .errors import (
    DatabaseExists,
    FencedError,
    NoSuchDatabase,
    NoSuchStatement,
    QueryTimeout,
    ReadOnlyViolation,
    SQLDatabaseError,
    StatementExists,
)

__all__ = [
    "Database", "DatabaseExists", "FencedError", "NoSuchDatabase", "NoSuchStatement",
    "QueryTimeout", "ReadOnlyViolation", "Rows", "SQLDatabaseError", "StatementExists",
    "StatementInfo", "copy", "connect", "create_db", "drop", "drop_db", "exists", "import_from",
    "list_dbs", "open", "open_connection",
]
