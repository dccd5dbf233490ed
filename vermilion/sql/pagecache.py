"""The process-wide page cache of SQL databases: one LRU of committed pages per database."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any

CACHE_PAGES = 8192  # per database and process (32 MiB with 4 KiB pages)


class PageCache:
    """Committed pages of one database at ``version`` (of ``epoch``, produced by commit
    ``head``), shared by this process's connections.

    Entries are all valid at that state; a transaction start moves it forward and drops the
    pages changed in between, or everything when the database's history no longer contains it
    (it went back in time: a rollback, even one followed by as many other commits).
    LRU-bounded to ``capacity`` pages.  Callers hold ``lock`` around every access.
    """

    def __init__(self, capacity: int = CACHE_PAGES):
        self.lock: threading.Lock = threading.Lock()
        self.version: int = -1
        self.epoch: str = ""
        self.head: str = ""  # id of the commit that produced ``version`` ('' for none)
        self.capacity = capacity
        self.pages: OrderedDict[int, bytes] = OrderedDict()
        self.flushes: int = 0  # whole-cache flushes (time travel, or too many changes)
        self.npages: int = 0  # no cached page is past this (truncate scans only when it shrinks)

    def valid_at(self, version: int, epoch: str, head: str) -> bool:
        return self.version == version and self.epoch == epoch and self.head == head

    def get(self, pgno: int) -> bytes | None:
        data = self.pages.get(pgno)
        if data is not None:
            self.pages.move_to_end(pgno)
        return data

    def put(self, pgno: int, data: bytes) -> None:
        self.npages = max(self.npages, pgno)
        self.pages[pgno] = data
        self.pages.move_to_end(pgno)
        while len(self.pages) > self.capacity:
            self.pages.popitem(last=False)

    def clear(self) -> None:
        self.pages.clear()
        self.flushes += 1

    def drop(self, pgnos: Any) -> None:
        for p in pgnos:
            self.pages.pop(int(p), None)

    def truncate(self, npages: int) -> None:
        """Drop the pages past ``npages`` (the database shrank).  O(1) unless it did."""
        if npages < self.npages:
            for p in [p for p in self.pages if p > npages]:
                del self.pages[p]
            self.npages = npages


_caches: dict[tuple[int, str], PageCache] = {}
_caches_lock = threading.Lock()


def page_cache(executor: Any, name: str) -> PageCache:
    """The cache of database ``name`` reached through ``executor`` (one per server)."""
    with _caches_lock:
        key = (id(executor), name)
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = PageCache()
        return cache


def _after_fork() -> None:
    global _caches_lock
    _caches_lock = threading.Lock()
    _caches.clear()


os.register_at_fork(after_in_child=_after_fork)
