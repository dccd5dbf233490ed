"""SQL databases stored in Redis: SQLite runs in this process (apsw), its pages live in Redis.

This is the foundation of the SQL face (work in progress): ``open_connection`` gives a plain
``apsw.Connection`` on a database stored in Redis, ``connect`` a DB-API 2.0 (PEP 249) connection
like :mod:`sqlite3`'s, ``drop`` deletes a database.  RediSQL's named-database API (stored
statements, ``query_into``, copy, statistics), its asyncio face and the ``vermilion sql`` shell
come next.
"""

from .database import drop, open_connection
from .dbapi import connect
from .safety import UnsafeServerError
from .vfs import FencedError

__all__ = ["FencedError", "UnsafeServerError", "connect", "drop", "open_connection"]
