"""What ``connect()``'s ``database`` argument names: a database stored in Redis, or a private
temporary one (``":memory:"``, ``""``, ``file::memory:`` / ``mode=memory`` URIs).

A path is a name: ``connect("app.db")`` opens (creating it if missing, as sqlite3 creates a file)
the database stored in Redis under the name ``app.db``; no file is read or written.  With
``uri=True`` the ``file:`` URI's path is the name and its ``mode`` is honoured (``ro``: read
only, ``rw``: must exist, ``rwc``: created if missing, ``memory``: private).
"""

from __future__ import annotations

import os
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import Any

from .errors import OperationalError

TEMP_PREFIX = "vermilion-temp-"


@dataclass(frozen=True)
class Target:
    """The database a connection opens."""

    name: str
    temporary: bool = False
    readonly: bool = False
    create: bool = True


def _text(database: Any) -> str:
    if isinstance(database, str):
        return database
    if isinstance(database, (bytes, os.PathLike)):
        return os.fsdecode(database)
    raise TypeError(f"expected str, bytes or os.PathLike object, not {type(database).__name__}")


def _temporary() -> Target:
    return Target(TEMP_PREFIX + secrets.token_hex(8), temporary=True)


def resolve(database: Any, uri: bool, create: bool) -> Target:
    """The :class:`Target` for ``connect(database, uri=uri, create=create)``."""
    text = _text(database)
    if uri and text.startswith("file:"):
        rest = text[5:]
        path, _, query = rest.partition("?")
        path = path.partition("#")[0]
        if path.startswith("//"):  # file://host/path: only an empty or localhost authority
            authority, slash, tail = path[2:].partition("/")
            if authority not in ("", "localhost"):
                raise OperationalError(f"invalid uri authority: {authority}")
            path = slash + tail
        name = urllib.parse.unquote(path)
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        mode = params.get("mode", "rwc")
        if mode not in ("ro", "rw", "rwc", "memory"):
            raise OperationalError(f"no such access mode: {mode}")
        if mode == "memory" or name in ("", ":memory:"):
            return _temporary()
        return Target(name, readonly=mode == "ro", create=create and mode == "rwc")
    if text in ("", ":memory:"):
        return _temporary()
    return Target(text, create=create)


__all__ = ["TEMP_PREFIX", "Target", "resolve"]
