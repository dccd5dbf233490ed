"""CPython's ``test_queue`` (Queue, LifoQueue, PriorityQueue tests) on vermilion's queues.

``self.queue`` (the module under test in CPython's suite) is a namespace whose ``Queue``,
``LifoQueue`` and ``PriorityQueue`` are vermilion's (their class names are what the suite checks),
with ``queue.Empty`` / ``queue.Full``, which vermilion raises.  Each queue is a new key on the
private test server, default codec.
"""

from __future__ import annotations

import queue
import types
import unittest

import pytest
from test import test_queue

import vermilion as vm

pytestmark = pytest.mark.timeout(30)

VERMILION_QUEUE = types.SimpleNamespace(
    Queue=vm.Queue, LifoQueue=vm.LifoQueue, PriorityQueue=vm.PriorityQueue,
    Empty=queue.Empty, Full=queue.Full)

XFAIL: dict[str, str] = {}

# Python 3.13 added Queue.shutdown(); vermilion's queues do not have it yet (issue 8 stays open
# for it).  Skipped rather than xfailed: those tests start threads that block for ever on a queue
# without shutdown, and would keep the test run from exiting.
NOT_YET = "Queue.shutdown (Python 3.13) is not implemented by vermilion's queues yet"


def _without_shutdown(cls: type) -> type:
    for name in dir(cls):
        if name.startswith("test_shutdown"):
            setattr(cls, name, unittest.skip(NOT_YET)(getattr(cls, name)))
    return cls


@_without_shutdown
class QueueTest(test_queue.QueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE


@_without_shutdown
class LifoQueueTest(test_queue.LifoQueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE


@_without_shutdown
class PriorityQueueTest(test_queue.PriorityQueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE
