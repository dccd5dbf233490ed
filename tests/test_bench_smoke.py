"""Smoke test of the benchmark suite (bench/): the List cases in --quick mode compute results,
and vermilion computes the same values as the raw redis-py equivalents.  No timing asserts."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.cases import ITEMS, list_cases  # noqa: E402
from bench.harness import Env, run_case  # noqa: E402
from bench.lean import run_lean  # noqa: E402
from bench.run import format_table, mismatches, run_benchmarks, verdict  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:Doing an O\\(n\\) Redis operation")


def test_list_cases_quick() -> None:
    lines: list[str] = []
    results, lean = run_benchmarks(quick=True, groups=("list",), lean=False, out=lines.append)
    assert lean is None
    assert [r.case.name for r in results] == [c.name for c in list_cases()]
    assert len(lines) == len(results)
    for res in results:
        assert {"vermilion", "redis-py", "pottery"} <= set(res.ops), res.case.name
        assert all(v > 0 for v in res.ops.values()), res.case.name
        vm, rp = res.checks["vermilion"], res.checks["redis-py"]
        assert vm == rp, res.case.name
        assert mismatches(res) == [], res.case.name
        assert verdict(res) == "ok" or verdict(res).startswith("MISS")
    by_name = {r.case.name: r for r in results}
    # the checks hold real values, not placeholders
    results_, state = by_name["list append"].checks["vermilion"]
    assert results_ == [None] * len(results_) and state == ITEMS[: len(results_)]
    got, _ = by_name["list getitem"].checks["vermilion"]
    assert got == ITEMS[: len(got)] and got
    got, _ = by_name["list pop"].checks["vermilion"]
    assert got and got[0] == ITEMS[by_name["list pop"].n - 1]
    got, _ = by_name["list iterate 10,000 items"].checks["vermilion"]
    assert got[0] == ITEMS[:1_000]
    table = format_table(results)
    assert "list append" in table and "vm/rp" in table


def test_mismatch_is_reported() -> None:
    with Env(quick=True) as env:
        case = list_cases()[0]
        res = run_case(env, case, repeats=1, libs=("vermilion", "redis-py"))
        assert mismatches(res) == []
        results_, state = res.checks["redis-py"]
        res.checks["redis-py"] = (results_, state + ["extra"])
        assert mismatches(res) == ["redis-py"]


def test_lean_path_quick() -> None:
    with Env(quick=True) as env:
        ops = run_lean(env, n=50, repeats=1)
    assert set(ops) >= {"redis-py r.get()", "vermilion executor.execute()",
                        "raw socket, prepacked GET"}
    assert all(v > 0 for v in ops.values())


def test_models_bench_tiny() -> None:
    """bench/models.py end to end on tiny data: every side runs and answers what vermilion does
    (the run itself asserts the stored hashes, the gets and the query results agree)."""
    from bench.models import format_table, run

    lines: list[str] = []
    bench = run(n=1_000, ops=30, rounds=1, out=lines.append)
    rows = {(r.operation.split(" (")[0], r.peer.split(" ")[0]): r for r in bench.rows}
    for key in [("save, 3 indexed fields + 2", "redis-py"), ("get by id", "redis-py"),
                ("query age == 2", "KEYS+MGET+parse+filter"), ("query age == 2", "walrus"),
                ("asyncio save, gather of 30", "redis.asyncio"),
                ("asyncio get, gather of 30", "redis.asyncio")]:
        r = rows[key]
        assert r.vm and r.vm > 0 and r.other and r.other > 0, key
        if r.target is None:
            assert r.verdict() == "-", key
        else:
            assert r.verdict() in (f">= {r.target:g}x ok", f">= {r.target:g}x MISS"), key
    assert any(r.peer.startswith("redis-om") for r in bench.rows)  # measured, or why not
    assert len(bench.loads) == 3 and any(line.startswith("  query") for line in lines)
    table = format_table(bench.rows)
    assert "vm/peer" in table and "walrus Model.query" in table


def test_cache_bench_quick() -> None:
    """bench/cache.py --quick without PostgreSQL: every row runs and is measured (fastrdb's say
    why when it is not installed; the run itself asserts that the sides answer the same), and
    the round trips per call are counted."""
    from bench.cache import format_table, format_trips, run

    lines: list[str] = []
    bench = run(quick=True, postgres=False, out=lines.append)
    for r in bench.rows:
        if "PostgreSQL" in r.section:
            assert r.vm_ops is None and r.note == "--no-postgres", r
            continue
        assert r.vm_ops and r.vm_ops > 0, r
        if r.peer_ops is None:  # fastrdb not installed: vermilion's side only, and why
            assert "FastRDB" in r.section and "fastrdb not importable" in r.note, r
        else:
            assert r.peer_ops > 0 and r.ratio, r
    assert sum(r.section.startswith("3. hit vs the query, SQLite") for r in bench.rows) == 4
    trips = {t.operation: t.redis for t in bench.trips}
    assert trips["redis-py GET + model_validate_json"] == "1"
    assert trips["CRUD.get hit"] == trips["@cached hit"] == trips["aio CRUD.get hit"] == "1"
    assert trips["CRUD.get miss: invalidate(email=) + get"] == "1 + 2"
    assert [label for label, _, _ in bench.parts_rows][:2] == ["redis-py GET + model_validate_json",
                                                               "redis-py GET alone"]
    assert "vm/peer" in format_table(bench.rows) and "Redis round trips" in format_trips(bench.trips)
    assert any(line.startswith("  round trips") for line in lines)
