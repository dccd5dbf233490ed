"""CPython's ``test_collections.TestCounter`` on :class:`vermilion.MultiSet`.

The suite calls ``Counter(...)`` directly, so each test runs with ``test_collections.Counter``
replaced by a MultiSet on a generated key (Counters built by the suite's own helpers and by
Counter arithmetic stay plain ``collections.Counter``: the results of MultiSet arithmetic are
plain Counters too).
"""

from __future__ import annotations

from typing import Any

import pytest
from test import test_collections

import vermilion as vm

pytestmark = pytest.mark.timeout(60)


class VMultiSet(vm.MultiSet):
    """``Counter(iterable, **kwds)`` as a new MultiSet on a generated key."""

    def __init__(self, iterable: Any = None, /, **kwds: Any) -> None:
        super().__init__(iterable, **kwds)


COPY = ("copy() returns a plain collections.Counter snapshot (a new Redis key per copy would "
        "outlive the program)")
INTS = "counts are integers (Redis sorted-set scores); the suite stores None as a count"
XFAIL: dict[str, str] = {
    "test_basics": ("a MultiSet is not a dict subclass (its data lives in Redis); it is "
                    "registered as a collections.abc.Mapping"),
    "test_copy_subclass": COPY + "; the suite wants the subclass",
    "test_inplace_operations": (COPY + "; the suite applies MultiSet's unbound __iadd__ to that "
                                "plain Counter"),
    "test_copying": ("repr is MultiSet({...}, key=...): it names vermilion's class and the key, "
                     "so eval(repr(c)) needs MultiSet in scope"),
    "test_init": INTS + " (Counter(iterable=None))",
    "test_repr_nonsortable": INTS + " (Counter(a=2, b=None))",
    "test_update": INTS + " (c.update(iterable=None); self=42 and iterable=42 work)",
    "test_helper_function": ("not applicable: the suite's Counter subclasses are made from the "
                             "real Counter at import; MultiSet.update is one script and calls "
                             "no overridden __setitem__/get"),
}
WITH_SUBTESTS = ("test_copying",)


class TestCounter(test_collections.TestCounter):
    def setUp(self) -> None:
        super().setUp()
        original = test_collections.Counter
        test_collections.Counter = VMultiSet  # type: ignore[misc]
        self.addCleanup(setattr, test_collections, "Counter", original)
