"""``UnitOfWork``: optimistic, all-or-nothing changes to one model.

``with UnitOfWork(users) as uow: u = uow.repository.get("luke"); u.balance += 10;
uow.repository.save(u); uow.commit()``.  Reads run at once and remember the version of every
object they return (or that an id did not exist); writes (``save``, ``update``, ``delete``) wait
in the unit, and reads inside it see them (read-your-writes).  ``commit()`` sends everything in
one script that first checks every remembered version: if any object read changed (or appeared)
since, it raises :class:`~vermilion.TransactionConflict` and writes nothing; else it applies
every write at once.  Leaving the block without ``commit()`` (or with an exception) rolls back:
the pending writes are dropped.  Round trips: one per read, one for the commit.  A unit writes
each object once, its last pending state: an object deleted and then saved again in one unit is
saved (over what Redis holds, its children kept), not deleted first.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from .model import Model
from .repository import AsyncRepository, Repository, RepositoryBase

M = TypeVar("M", bound=Model)


class UnitOfWorkBase(Generic[M]):
    """The state shared by both faces: the unit's repository and its pending writes."""

    def __init__(self, repository: RepositoryBase[M]):
        if not isinstance(repository, RepositoryBase):
            raise TypeError(f"a UnitOfWork takes a Repository, not {type(repository).__name__}")
        self._source = repository
        self._repository: RepositoryBase[M] = repository._for_unit()

    def begin(self) -> None:
        """Start (again) with no reads remembered and no writes pending."""
        self._repository = self._source._for_unit()

    def rollback(self) -> None:
        """Drop the pending writes and the remembered reads."""
        unit = self._repository._unit
        assert unit is not None
        unit.writes.clear()
        unit.reads.clear()

    def close(self) -> None:
        """End the unit (pending writes are dropped)."""
        self.rollback()

    @property
    def pending(self) -> int:
        """How many objects the unit will write at commit."""
        unit = self._repository._unit
        return len(unit.writes) if unit is not None else 0


class UnitOfWork(UnitOfWorkBase[M]):
    """The sync face: ``with UnitOfWork(repository) as uow: ...; uow.commit()``."""

    @property
    def repository(self) -> Repository[M]:
        """The unit's repository: the methods of :class:`Repository`, inside the unit."""
        return self._repository  # type: ignore[return-value]

    def commit(self) -> None:
        """Apply every pending write in one round trip, if nothing read changed since; else
        :class:`~vermilion.TransactionConflict` and nothing is written."""
        repo = self._repository
        repo._run(repo._commit(), True, "commit")

    def __enter__(self) -> UnitOfWork[M]:
        self.begin()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.rollback()


class AsyncUnitOfWork(UnitOfWorkBase[M]):
    """The asyncio face: ``async with UnitOfWork(repository) as uow: ...; await uow.commit()``."""

    @property
    def repository(self) -> AsyncRepository[M]:
        """The unit's repository: the methods of :class:`AsyncRepository`, inside the unit."""
        return self._repository  # type: ignore[return-value]

    async def commit(self) -> None:
        """See :meth:`UnitOfWork.commit`."""
        repo = self._repository
        await repo._run(repo._commit(), True, "commit")

    async def __aenter__(self) -> AsyncUnitOfWork[M]:
        self.begin()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.rollback()
