"""CPython's ``test_queue`` (Queue, LifoQueue, PriorityQueue tests) on vermilion's queues.

``self.queue`` (the module under test in CPython's suite) is a namespace whose ``Queue``,
``LifoQueue`` and ``PriorityQueue`` are vermilion's (their class names are what the suite checks),
with ``queue.Empty`` / ``queue.Full`` and ``vermilion.ShutDown`` (``queue.ShutDown`` on Python
3.13+), which vermilion raises.  On 3.13 the suite includes the 18 ``test_shutdown*`` tests of
each class (``Queue.shutdown``).  Each queue is a new key on the private test server, default
codec.
"""

from __future__ import annotations

import functools
import queue
import types
import unittest
from typing import Any

import pytest
from test import test_queue

import vermilion as vm

pytestmark = pytest.mark.timeout(30)

VERMILION_QUEUE = types.SimpleNamespace(
    Queue=vm.Queue, LifoQueue=vm.LifoQueue, PriorityQueue=vm.PriorityQueue,
    Empty=queue.Empty, Full=queue.Full, ShutDown=vm.ShutDown)

XFAIL: dict[str, str] = {}


def _longer_for_many_threads(cls: type) -> type:
    """``test_shutdown*_all_methods_in_many_threads`` (3.13) move tens of thousands of items
    through one queue, each a round trip (about 10 s): 90 s, not 30, on a busy machine."""
    for name in dir(cls):
        if name.startswith("test_shutdown") and name.endswith("_in_many_threads"):
            test = getattr(cls, name)

            @functools.wraps(test)
            def run(self: Any, test: Any = test) -> Any:
                return test(self)

            setattr(cls, name, pytest.mark.timeout(90)(run))  # the suite's own stays unmarked
    return cls


@_longer_for_many_threads
class QueueTest(test_queue.QueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE


@_longer_for_many_threads
class LifoQueueTest(test_queue.LifoQueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE


@_longer_for_many_threads
class PriorityQueueTest(test_queue.PriorityQueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE
