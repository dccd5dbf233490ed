"""The models face's exceptions (PyAssimilator's names)."""

from __future__ import annotations

from typing import Any

from ..core.errors import VermilionError


class DataLayerError(VermilionError):
    """Base of the models face's errors."""


class NotFoundError(DataLayerError, LookupError):
    """``get`` found no object (by id, or matching the specifications)."""


class MultipleResultsError(DataLayerError, LookupError):
    """``get`` found more than one object matching the specifications."""


class UniqueViolation(DataLayerError, ValueError):
    """A save would give a ``Unique`` field a value another object holds; nothing was written.

    ``.field``, ``.value`` and ``.owner`` (the id of the object holding the value).
    """

    def __init__(self, message: str, *, field: str, value: Any, owner: str, key: str | None = None):
        super().__init__(message, key=key)
        self.field = field
        self.value = value
        self.owner = owner


class AlreadyExists(DataLayerError):
    """``save(only_create=True)`` of an object that exists; nothing was written."""


class StoredDataError(DataLayerError, ValueError):
    """Data at a model's key that the model cannot read (written by something else)."""


class IndexNotReady(DataLayerError):
    """A query uses an index added to a model that already had objects, before
    ``Repository.reindex()`` built it (it would miss the objects stored before)."""
