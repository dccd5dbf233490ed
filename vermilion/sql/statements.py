"""The one scanner for SQL text that vermilion needs outside SQLite's own parser.

SQLite parses statements; what the layers above it need before a statement runs is small:
where the first token starts (past whitespace and ``--`` / ``/* */`` comments) and what the first
keyword is (``INSERT`` opens an implicit transaction in the DB-API module, ``BEGIN IMMEDIATE``
tells the VFS a transaction will write).  Everything here is pure and tested without Redis.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z_]+")
DML = frozenset(("INSERT", "UPDATE", "DELETE", "REPLACE"))
_BEGIN_STARTS = frozenset("bB-/ \t\n\r\f\v")  # what a text whose first word is BEGIN starts with


def skip_blank(sql: str, pos: int = 0) -> int:
    """Index of the first character at or after ``pos`` that is not whitespace or a comment
    (``len(sql)`` if none); an unterminated ``/*`` comment runs to the end, as in SQLite."""
    n = len(sql)
    while pos < n:
        ch = sql[pos]
        if ch.isspace():
            pos += 1
        elif sql.startswith("--", pos):
            nl = sql.find("\n", pos)
            pos = n if nl < 0 else nl + 1
        elif sql.startswith("/*", pos):
            end = sql.find("*/", pos + 2)
            pos = n if end < 0 else end + 2
        else:
            break
    return pos


def keywords(sql: str, count: int = 1) -> tuple[str, ...]:
    """The statement's first ``count`` words, upper-cased, skipping comments between them
    (fewer when the text has fewer words before a non-word character)."""
    out: list[str] = []
    pos = 0
    for _ in range(count):
        m = _WORD.match(sql, skip_blank(sql, pos))
        if m is None:
            break
        out.append(m.group().upper())
        pos = m.end()
    return tuple(out)


def first_keyword(sql: str) -> str:
    """The statement's first keyword, upper-cased ('' if none)."""
    m = _WORD.match(sql)  # the common case: no blank or comment before it
    if m is not None:
        return m.group().upper()
    words = keywords(sql, 1)
    return words[0] if words else ""


def is_dml(sql: str) -> bool:
    """True for INSERT / UPDATE / DELETE / REPLACE (what sqlite3 opens a transaction for)."""
    return first_keyword(sql) in DML


def begins_writing(sql: str) -> bool:
    """True for ``BEGIN IMMEDIATE`` / ``BEGIN EXCLUSIVE`` (a transaction that will write)."""
    first = sql[:1]
    if first and first not in _BEGIN_STARTS:  # the common case (SELECT...): no scan at all
        return False
    words = keywords(sql, 2)
    return len(words) == 2 and words[0] == "BEGIN" and words[1] in ("IMMEDIATE", "EXCLUSIVE")


__all__ = ["DML", "begins_writing", "first_keyword", "is_dml", "keywords", "skip_blank"]
