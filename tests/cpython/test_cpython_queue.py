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


class QueueTest(test_queue.QueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE


class LifoQueueTest(test_queue.LifoQueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE


class PriorityQueueTest(test_queue.PriorityQueueTest, unittest.TestCase):
    queue = VERMILION_QUEUE
