"""CPython's ``test_deque.TestSequence`` (``seq_tests.CommonTest`` minus slicing, which
``deque`` lacks) and ``TestVariousIteratorArgs`` (constructors from iterators, iterators of a
deque that changes) on :class:`vermilion.Deque`."""

from __future__ import annotations

import unittest
from typing import Any

import pytest
from test import test_deque

import vermilion as vm

pytestmark = pytest.mark.timeout(60)


class VDeque(vm.Deque):
    """``deque(iterable)`` as a new Deque on a generated key."""

    def __init__(self, iterable: Any = (), maxlen: Any = None, **kwargs: Any) -> None:
        super().__init__(iterable, maxlen, **kwargs)


JSON = "stores an object the JSON codec cannot hold: "
XFAIL: dict[str, str] = {
    "test_contains_fake": JSON + "ALWAYS_EQ (an object equal to everything)",
    "test_contains_order": JSON + "StopCompares (an object whose __eq__ raises)",
    "test_count": JSON + "ALWAYS_EQ (an object equal to everything)",
    "test_index": JSON + "ALWAYS_EQ (an object equal to everything)",
    "test_iter_with_altered_data": (
        "an iterator notices a change of length when a read finds it (the next chunk of 10,000 "
        "items, or the end of the iteration), not at the first next() after the change: the "
        "items it has already read come first"),
}


class TestDequeSequence(test_deque.TestSequence, unittest.TestCase):
    type2test = VDeque



class TestDequeIterators(test_deque.TestVariousIteratorArgs):
    """``TestVariousIteratorArgs`` calls ``deque(...)`` directly: each test runs with
    ``test_deque.deque`` replaced by a Deque on a generated key."""

    def setUp(self) -> None:
        super().setUp()
        original = test_deque.deque
        test_deque.deque = VDeque  # type: ignore[misc]
        self.addCleanup(setattr, test_deque, "deque", original)
