"""Helpers for the differential tests: run one operation on the Python model and on the
vermilion object, and require the same result or the same exception."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

Detail = Callable[[BaseException], tuple[Any, ...]]


def TYPE_ONLY(exc: BaseException) -> tuple[Any, ...]:  # noqa: N802 - used like a constant
    return ()


def ARGS(exc: BaseException) -> tuple[Any, ...]:  # noqa: N802
    return (exc.args,)


def MESSAGE(exc: BaseException) -> tuple[Any, ...]:  # noqa: N802
    return (str(exc),)


def outcome(fn: Callable[[], Any], detail: Detail = TYPE_ONLY) -> tuple[Any, ...]:
    """``("ok", result)`` or ``("err", exception type, *detail(exception))``."""
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - comparing exceptions is the point
        return ("err", type(exc), *detail(exc))


def same(f_model: Callable[[], Any], f_real: Callable[[], Any],
         detail: Detail = TYPE_ONLY) -> tuple[Any, ...]:
    """Run the model's and vermilion's version of one operation; assert identical outcomes."""
    expected = outcome(f_model, detail)
    got = outcome(f_real, detail)
    assert got == expected
    return got


def run_machine(machine: type[RuleBasedStateMachine], *, examples: int, steps: int) -> None:
    """Run a differential state machine (``examples`` runs of up to ``steps`` rules each; no
    deadline: the machine is shared and a round trip's time varies)."""
    run_state_machine_as_test(
        machine, settings=settings(max_examples=examples, stateful_step_count=steps,
                                   deadline=None))
