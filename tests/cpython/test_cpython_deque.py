"""CPython's ``test_deque.TestSequence`` (``seq_tests.CommonTest`` minus slicing, which
``deque`` lacks) on :class:`vermilion.Deque`."""

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
}


class TestDequeSequence(test_deque.TestSequence, unittest.TestCase):
    type2test = VDeque

