"""A page of results with its real total (FastRDB's ``PaginatedResponse``, fixed)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class PaginatedResponse(BaseModel, Generic[T]):
    """``data``: the page's items; ``total``: the number of items of the whole query (not of
    the page); ``limit``: items per page; ``page``: the page number (from 1)."""

    data: list[T]
    total: int
    limit: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages the query has."""
        return -(-self.total // self.limit) if self.limit else 0


class PageList(list[T]):
    """A page's items (a ``list``) that also knows the query's ``total``; what FastRDB's
    ``get_multi`` returns, so that ``paginate(data=...)`` reports the real total."""

    def __init__(self, items: Any = (), *, total: int | None = None):
        super().__init__(items)
        self.total: int = len(self) if total is None else total
