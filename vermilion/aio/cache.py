"""``vermilion.aio.cache``: the asyncio face of :mod:`vermilion.cache` (see
:mod:`vermilion.cache.aio`): ``from vermilion.aio.cache import CRUD, invalidate``."""

from ..cache.aio import *  # noqa: F403
from ..cache.aio import __all__, __getattr__  # noqa: F401
