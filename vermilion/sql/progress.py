"""Progress of long copies (import, export, copy): ``progress(done, total)`` in pages.

The copies use SQLite's backup API in steps of :data:`CHUNK_BYTES` (4 MiB) of pages, so a
callback runs once per step, never per page.  A destination in Redis receives its pages at the
commit that ends the copy (one atomic transaction, sent in chunks of
256 pages, one round trip each): for it each page is counted twice, when copied into the
transaction and when sent to Redis, and ``done`` is the average of both passes, still in pages.
The commit's chunks are reported through :data:`commit_progress` when the VFS calls
:func:`report_commit` for each chunk it sends.

An exception raised by the callback aborts the copy: the destination's transaction is rolled
back (see each function for what is left).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

ProgressCallback = Callable[[int, int], object]
"""``progress(done, total)``: pages copied so far and pages in all."""

CHUNK_BYTES = 4 * 1024 * 1024  # pages copied per backup step when progress is reported

commit_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "vermilion_sql_commit_progress", default=None)
"""Set while a reported copy commits: called with (pages sent, pages to send) by the VFS."""


def report_commit(sent: int, total: int) -> None:
    """Called by the VFS after each chunk of a commit is sent to Redis (no-op unless a copy
    with progress is committing in this context)."""
    hook = commit_progress.get()
    if hook is not None:
        hook(sent, total)


class Reporter:
    """Turns backup steps (and a Redis commit's chunks) into ``progress(done, total)`` calls:
    the first at (0, total), the last at (total, total), none that repeats the previous one."""

    def __init__(self, progress: ProgressCallback, total: int, *, to_redis: bool):
        self.progress = progress
        self.total = total
        self.passes = 2 if to_redis else 1
        self.copied: int = 0
        self.stored: int = 0
        self.last: int = -1

    def _report(self, done: int) -> None:
        done = min(done, self.total)
        if done != self.last:
            self.last = done
            self.progress(done, self.total)

    def start(self) -> None:
        self._report(0)

    def copied_to(self, pages: int) -> None:
        self.copied = pages
        self._report((self.copied + self.stored) // self.passes)

    def stored_chunk(self, sent: int, of: int) -> None:
        if self.passes == 2 and of > 0:
            self.stored = self.total * sent // of
            self._report((self.copied + self.stored) // self.passes)

    def finish(self) -> None:
        self._report(self.total)

    @contextlib.contextmanager
    def committing(self) -> Iterator[None]:
        """:func:`report_commit` calls made by this context's commit reach this reporter."""
        token = commit_progress.set(self.stored_chunk)
        try:
            yield
        finally:
            commit_progress.reset(token)


__all__ = ["CHUNK_BYTES", "ProgressCallback", "Reporter", "commit_progress", "report_commit"]
