"""Run the benchmark suite: ``python bench/run.py [--quick] [--only list,dict] [--no-lean]``.

One process, one private redis-server on TCP loopback (started here), one connection per
library.  Prints ops/s per library (median of the repeats), vermilion/redis-py and
vermilion/pottery ratios, and whether the targets are met: >= 0.9x raw redis-py on every
operation, faster than pottery on every shared one (>= 3x on iteration and bulk operations).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orjson  # noqa: E402
import redis  # noqa: E402

from bench.cases import SKIPPED, all_cases  # noqa: E402
from bench.harness import LIBS, Env, Result, run_case  # noqa: E402
from bench.lean import format_lean, run_lean  # noqa: E402
from vermilion.core.codec import JsonCodec  # noqa: E402

RP_TARGET = 0.9
POTTERY_TARGET = 1.0
POTTERY_BULK_TARGET = 3.0


def verdict(res: Result) -> str:
    """'ok' or what misses its target."""
    misses = []
    rp = res.ratio("redis-py")
    if rp is not None and rp < RP_TARGET:
        misses.append(f"rp<{RP_TARGET}")
    pot = res.ratio("pottery")
    need = POTTERY_BULK_TARGET if res.case.bulk else POTTERY_TARGET
    if pot is not None and pot < need:
        misses.append(f"pottery<{need:g}")
    return "MISS " + ",".join(misses) if misses else "ok"


def mismatches(res: Result) -> list[str]:
    """Libraries whose results or final state differ from vermilion's (walrus returns bytes and
    is not compared)."""
    out = []
    vm = res.checks.get("vermilion")
    for lib in ("redis-py", "pottery"):
        other = res.checks.get(lib)
        if vm is not None and other is not None and vm != other:
            out.append(lib)
    return out


def _fmt_ops(v: float | None) -> str:
    return "-" if v is None else f"{v:,.0f}"


def _fmt_ratio(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}x"


def format_table(results: list[Result]) -> str:
    head = (f"{'operation':36} {'vermilion':>10} {'redis-py':>10} {'pottery':>10} "
            f"{'walrus':>10} {'vm/rp':>7} {'vm/pot':>8}  target")
    lines = [head, "-" * len(head)]
    for res in results:
        lines.append(
            f"{res.case.name:36} {_fmt_ops(res.ops.get('vermilion')):>10} "
            f"{_fmt_ops(res.ops.get('redis-py')):>10} {_fmt_ops(res.ops.get('pottery')):>10} "
            f"{_fmt_ops(res.ops.get('walrus')):>10} {_fmt_ratio(res.ratio('redis-py')):>7} "
            f"{_fmt_ratio(res.ratio('pottery')):>8}  {verdict(res)}"
        )
    return "\n".join(lines)


def codec_cost(n: int = 100_000) -> str:
    """What exact types cost per value: JsonCodec encode + decode, next to a round trip."""
    codec = JsonCodec()
    enc, dec = codec.encode, codec.decode
    dumps, loads = orjson.dumps, orjson.loads
    parts = []
    for label, value in (("str 'item-123'", "item-123"), ("int 123", 123),
                         ("tuple (1, 'a')", (1, "a"))):
        t0 = time.perf_counter()
        for _ in range(n):
            dec(enc(value))
        t1 = time.perf_counter()
        for _ in range(n):
            loads(dumps(value))
        t2 = time.perf_counter()
        parts.append(f"{label}: {(t1 - t0) / n * 1e6:.2f} us (bare orjson "
                     f"{(t2 - t1) / n * 1e6:.2f} us)")
    return "JsonCodec encode+decode per value: " + "; ".join(parts)


def machine() -> str:
    srv = "?"
    try:
        from vermilion.server import find_redis_server, server_version

        srv = ".".join(map(str, server_version(find_redis_server())))
    except Exception:  # noqa: BLE001 - informational only
        pass
    cpu = platform.processor() or platform.machine()
    return (f"Python {platform.python_version()}, redis-py {redis.__version__}, "
            f"redis-server {srv}, {os.cpu_count()} cores ({cpu}), {platform.system()}")


def run_benchmarks(
    *,
    quick: bool = False,
    groups: tuple[str, ...] | None = None,
    repeats: int | None = None,
    libs: tuple[str, ...] = LIBS,
    out: Callable[[str], Any] = print,
    lean: bool = True,
) -> tuple[list[Result], dict[str, float] | None]:
    """Run the cases (and the GET lean-path comparison) on a private server; return results."""
    repeats = repeats or (1 if quick else 5)
    cases = all_cases(groups)
    results: list[Result] = []
    lean_ops = None
    with Env(quick=quick) as env:
        for case in cases:
            env.flush()
            t0 = time.perf_counter()
            res = run_case(env, case, repeats=repeats, libs=libs)
            results.append(res)
            bad = mismatches(res)
            out(f"  {case.name}: {time.perf_counter() - t0:.1f}s"
                + (f"  RESULTS DIFFER from vermilion: {bad}" if bad else ""))
        if lean:
            env.flush()
            lean_ops = run_lean(env, n=500 if quick else 20_000, repeats=repeats)
    return results, lean_ops


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: few ops, one repeat")
    p.add_argument("--only", default="", help="comma-separated groups: list,dict,set,...")
    p.add_argument("--repeats", type=int, default=None)
    p.add_argument("--no-lean", action="store_true", help="skip the GET lean-path comparison")
    args = p.parse_args(argv)
    groups = tuple(g for g in args.only.split(",") if g) or None
    print(machine())
    print(f"mode: {'quick' if args.quick else 'full'}; one TCP loopback connection per library")
    results, lean_ops = run_benchmarks(quick=args.quick, groups=groups, repeats=args.repeats,
                                       lean=not args.no_lean)
    print()
    print(format_table(results))
    notes = [f"{r.case.name}: {r.case.note}" for r in results if r.case.note]
    notes += [f"skipped {k}: {v}" for k, v in SKIPPED.items()]
    if notes:
        print("\nnotes:\n  " + "\n  ".join(notes))
    print("\n" + codec_cost(10_000 if args.quick else 200_000))
    if lean_ops is not None:
        print("\n" + format_lean(lean_ops))
    return 0


if __name__ == "__main__":
    sys.exit(main())
