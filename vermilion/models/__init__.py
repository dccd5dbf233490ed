"""Pydantic models stored in Redis: ``Model``, ``Repository``, ``UnitOfWork``, specifications.

See ``docs/models.md``.  ``vermilion.aio.models`` is the asyncio face (the same names).
"""

from .errors import (
    AlreadyExists,
    DataLayerError,
    IndexNotReady,
    MultipleResultsError,
    NotFoundError,
    StoredDataError,
    UniqueViolation,
)
from .model import Model, Reference
from .repository import ATTEMPTS, LazyCommand, Repository
from .schema import Children, Index, Ref, Unique
from .specs import Specification, SpecificationError, SpecificationList, specs
from .uow import UnitOfWork

__all__ = [
    "ATTEMPTS", "AlreadyExists", "Children", "DataLayerError", "Index", "IndexNotReady",
    "LazyCommand", "Model", "MultipleResultsError", "NotFoundError", "Ref", "Reference",
    "Repository", "Specification",
    "SpecificationError", "SpecificationList", "StoredDataError", "Unique", "UniqueViolation",
    "UnitOfWork", "specs",
]
