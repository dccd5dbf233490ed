"""``vermilion.aio.models``: the asyncio face of :mod:`vermilion.models` (see
:mod:`vermilion.models.aio`): ``from vermilion.aio.models import Repository, UnitOfWork``."""

from ..models.aio import *  # noqa: F403
from ..models.aio import __all__  # noqa: F401
