"""``vermilion cache stats`` / ``vermilion cache invalidate`` on a private server."""

from __future__ import annotations

from typing import Any

import pytest

from vermilion.cache import cached
from vermilion.cache.testing import reset_cache_state
from vermilion.cli import main


@pytest.fixture(autouse=True)
def _fresh_stores() -> Any:
    reset_cache_state()
    yield
    reset_cache_state()


def test_stats_and_invalidate(r: Any, vermilion_server: Any, capsys: Any) -> None:
    calls: list[int] = []

    @cached(ttl=60, tags=["u:{x}"])
    def f(x: int) -> int:
        calls.append(x)
        return x

    f(1), f(1), f(2)
    assert main(["cache", "stats", "--url", vermilion_server.url]) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if row.strip().startswith("default"))
    cells = [c.strip() for c in line.split("|")]
    assert cells[1] == "1" and cells[3] == "2" and cells[-1] == "33.3%"
    assert main(["cache", "invalidate", "--tag", "u:1", "--url", vermilion_server.url]) == 0
    assert "u:1 in 'default'" in capsys.readouterr().out
    f(1), f(2)
    assert calls == [1, 2, 1]
    assert main(["cache", "invalidate", "--all", "--url", vermilion_server.url]) == 0
    f(2)
    assert calls == [1, 2, 1, 2]
    assert main(["cache", "stats", "default", "--table", "users", "--url",
                 vermilion_server.url]) == 0
    assert "sql:users" in capsys.readouterr().out


def test_expected_failures_are_one_line(capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("VERMILION_URL", raising=False)
    assert main(["cache", "invalidate", "--url", "redis://127.0.0.1:1"]) == 1
    assert "nothing to invalidate" in capsys.readouterr().err
    assert main(["cache", "stats", "--url", "redis://127.0.0.1:1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("vermilion cache: error:") and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["cache", "stats", "--url"])
