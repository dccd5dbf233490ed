"""Deprecated: the names that modules not yet updated import from here.

The VFS is :mod:`.redis_vfs`; the defaults are :data:`.database.DEFAULT_LEASE` and
:data:`.database.DEFAULT_BUSY_TIMEOUT`; the keeper is :func:`.leases.keeper`.  This module goes
once ``api.py``, ``dbapi``, ``tests/test_sql_api.py``, ``tests/test_sql_dbapi.py`` and
``bench/sql.py`` import those instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from .leases import DEFAULT_LEASE, keeper
from .redis_vfs import DEFAULT_BUSY_TIMEOUT

__all__: Sequence[str] = ("DEFAULT_BUSY_TIMEOUT", "DEFAULT_LEASE", "keeper")
