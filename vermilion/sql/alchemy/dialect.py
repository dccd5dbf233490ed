"""``sqlite+vermilion://``: SQLAlchemy's pysqlite dialect over :mod:`vermilion.sql.dbapi` (see
:mod:`vermilion.sql.alchemy`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite

from .common import VermilionDialectMixin


class VermilionDialect(VermilionDialectMixin, SQLiteDialect_pysqlite):
    """The synchronous dialect: ``create_engine("sqlite+vermilion:///NAME?redis=URL")``.

    ``begin``: how each SQLAlchemy transaction starts, ``"IMMEDIATE"`` (default),
    ``"DEFERRED"`` or ``"EXCLUSIVE"`` (see :mod:`vermilion.sql.alchemy`)."""

    driver = "vermilion"
    supports_statement_cache = True

    def __init__(self, begin: str = "IMMEDIATE", **kwargs: Any) -> None:
        self._init_vermilion(begin)
        super().__init__(**kwargs)

    @classmethod
    def import_dbapi(cls) -> Any:
        from .. import dbapi
        return dbapi


dialect = VermilionDialect
