"""SQL databases stored in Redis: SQLite runs in this process (apsw), its pages live in Redis."""

from .database import drop, open_connection
from .vfs import FencedError

__all__ = ["FencedError", "drop", "open_connection"]
