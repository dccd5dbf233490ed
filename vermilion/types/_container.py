"""Shared helpers for container types: index checks, slice arguments, tombstones."""

from __future__ import annotations

import operator
import secrets
from typing import Any

TOMBSTONE_PREFIX = b"\x00vermilion-tombstone:"


def tombstone() -> bytes:
    """A value no codec produces, used to delete list items by position in one script."""
    return TOMBSTONE_PREFIX + secrets.token_bytes(12)


def as_index(index: Any, what: str = "list") -> int:
    """``index.__index__()`` or the TypeError Python raises for a bad index."""
    try:
        return operator.index(index)
    except TypeError:
        raise TypeError(
            f"{what} indices must be integers or slices, not {type(index).__name__}"
        ) from None


def slice_args(s: slice) -> tuple[str, str, int]:
    """``(start, stop, step)`` as script arguments ('' for None); ValueError for step 0."""
    step = 1 if s.step is None else operator.index(s.step)
    if step == 0:
        raise ValueError("slice step cannot be zero")
    start = "" if s.start is None else str(operator.index(s.start))
    stop = "" if s.stop is None else str(operator.index(s.stop))
    return start, stop, step


def check_hashable(value: Any) -> None:
    """Raise the TypeError Python raises for an unhashable set member or dict key."""
    try:
        hash(value)
    except TypeError:
        raise TypeError(f"unhashable type: '{type(value).__name__}'") from None
