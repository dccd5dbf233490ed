"""What the sync and the async dialect share: the URL, the Redis client, how transactions
begin, the SQLite version (see :mod:`vermilion.sql.alchemy`)."""

from __future__ import annotations

from typing import Any

import apsw
from sqlalchemy import exc, util
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine.url import URL

MEMORY = ":memory:"
_BEGIN_MODES = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")
_SQLITE_READONLY = 8
# URL query arguments: (name, type) passed to connect(); "redis" becomes the client
_CONNECT_ARGS = (("timeout", float), ("lease", float), ("check_same_thread", bool),
                 ("create", bool), ("cached_statements", int), ("detect_types", int),
                 ("uri", bool))


def sqlite_version_info() -> tuple[int, ...]:
    """The version of the SQLite library apsw runs (not the stdlib sqlite3's)."""
    return tuple(int(part) for part in apsw.sqlite_lib_version().split("."))


class VermilionDialectMixin:
    """Mixed into SQLAlchemy's pysqlite and aiosqlite dialects."""

    begin_mode: str
    _clients: dict[str, Any]

    def _init_vermilion(self, begin: str) -> None:
        mode = begin.upper() if isinstance(begin, str) else begin
        if mode not in _BEGIN_MODES:
            raise exc.ArgumentError(
                f"begin must be one of {', '.join(_BEGIN_MODES)}, not {begin!r}")
        self.begin_mode = mode
        self._clients = {}

    # -- URL -----------------------------------------------------------------------------------
    def _client(self, url: str) -> Any:
        """One Redis client per Redis URL and engine, made on first use."""
        client = self._clients.get(url)
        if client is None:
            from ...core.config import client_from_url
            client = self._clients[url] = client_from_url(url)
        return client

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        """``([name], kwargs)`` for ``connect``: the database name is the URL's path."""
        if url.username or url.password or url.host or url.port:
            raise exc.ArgumentError(
                f"Invalid vermilion URL: {url!r}: the Redis server is given as "
                "sqlite+vermilion:///NAME?redis=redis://host:port/0 (or connect_args={'client': "
                "client}, or vermilion.configure / VERMILION_URL), the database name as the path")
        opts = dict(url.query)
        kwargs: dict[str, Any] = {}
        for key, type_ in _CONNECT_ARGS:
            util.coerce_kw_type(opts, key, type_, dest=kwargs)
            opts.pop(key, None)
        redis_url = opts.pop("redis", None)
        name = url.database or MEMORY
        if kwargs.get("uri") and opts:  # the rest are SQLite URI parameters, as for pysqlite
            name += "?" + "&".join(f"{key}={opts[key]}" for key in sorted(opts))
            opts = {}
        if opts:
            raise exc.ArgumentError(
                f"Unknown query argument(s) {', '.join(sorted(opts))} in {url!r}; accepted: "
                f"redis, {', '.join(k for k, _ in _CONNECT_ARGS)} (with uri=true, SQLite's URI "
                "parameters)")
        if redis_url is not None:
            if not isinstance(redis_url, str):
                raise exc.ArgumentError("the redis query argument must be given once")
            kwargs["client"] = self._client(redis_url)
        # a database shared through the pool moves between threads (pysqlite's rule too)
        kwargs.setdefault("check_same_thread", not self._is_url_file_db(url))  # type: ignore[attr-defined]
        return [name], kwargs

    # -- transactions --------------------------------------------------------------------------
    def do_begin(self, dbapi_connection: Any) -> None:
        """``BEGIN IMMEDIATE`` (or the ``begin=`` mode) unless the connection is in autocommit
        mode; a plain ``BEGIN`` on a read-only connection (it cannot take the writer lease).
        One round trip: the transaction start (page-cache check, reader lease and, but with
        ``DEFERRED``, the writer lease)."""
        if dbapi_connection.isolation_level is None:
            return
        cursor = dbapi_connection.cursor()
        try:
            try:
                cursor.execute(f"BEGIN {self.begin_mode}")
            except self.loaded_dbapi.OperationalError as e:  # type: ignore[attr-defined]
                if getattr(e, "sqlite_errorcode", 0) & 0xFF != _SQLITE_READONLY:
                    raise
                cursor.execute("BEGIN")  # a read-only connection (uri mode=ro): it only reads
        finally:
            cursor.close()

    def set_isolation_level(self, dbapi_connection: Any, level: Any) -> None:
        """``AUTOCOMMIT`` turns the driver's transaction control off (no ``BEGIN``); other
        levels are SQLite's (``SERIALIZABLE``, ``READ UNCOMMITTED``), transactions then being
        opened by :meth:`do_begin` (the driver's implicit ``BEGIN`` before DML is only a
        fallback)."""
        if level == "AUTOCOMMIT":
            self._set_driver_level(dbapi_connection, None)
        else:
            self._set_driver_level(dbapi_connection, self.begin_mode)
            SQLiteDialect.set_isolation_level(self, dbapi_connection, level)  # type: ignore[arg-type]

    def _set_driver_level(self, dbapi_connection: Any, value: str | None) -> None:
        dbapi_connection.isolation_level = value

    # -- versions ------------------------------------------------------------------------------
    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        return sqlite_version_info()

    def retrieve_dbapi_version(self, dbapi: Any) -> Any:
        from ... import __version__
        return util.parse_version_string(__version__)
