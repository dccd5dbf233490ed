"""The asyncio face of :mod:`vermilion.models`: the same names, methods awaited.

``users = vermilion.aio.models.Repository(User); await users.save(User(...))``;
``async with vermilion.aio.models.UnitOfWork(users) as uow: ...; await uow.commit()``.
"""

from . import (
    AlreadyExists,
    Children,
    DataLayerError,
    Index,
    IndexNotReady,
    LazyCommand,
    Model,
    MultipleResultsError,
    NotFoundError,
    Ref,
    Reference,
    Specification,
    SpecificationError,
    StoredDataError,
    Unique,
    UniqueViolation,
    specs,
)
from .repository import AsyncRepository as Repository
from .uow import AsyncUnitOfWork as UnitOfWork

__all__ = [
    "AlreadyExists", "Children", "DataLayerError", "Index", "IndexNotReady", "LazyCommand", "Model",
    "MultipleResultsError", "NotFoundError", "Ref", "Reference", "Repository", "Specification",
    "SpecificationError", "StoredDataError", "Unique", "UniqueViolation", "UnitOfWork", "specs",
]
