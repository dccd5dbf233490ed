"""``vermilion cache``: the cache face's counters and invalidation from the command line.

::

    vermilion cache stats                       # the 'default' namespace (@cached functions)
    vermilion cache stats sql:users default     # several namespaces, one row each
    vermilion cache stats --table users         # a CRUD's namespace (sql:<table>)
    vermilion cache invalidate --tag user:42    # every entry tagged user:42 in 'default'
    vermilion cache invalidate --table users    # every entry of a CRUD's table
    vermilion cache invalidate --all -n sql:users

Redis comes from ``--url``, else ``VERMILION_URL``; a private redis-server would hold no cache,
so with neither the command refuses to run.  Counters are kept in Redis by every process using
the namespace (``bypassed`` and the other local counters are per process: not shown here).
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from . import CommandError

COLUMNS = ("hits", "negative_hits", "misses", "waits", "fills", "refused", "foreign",
           "invalidations")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vermilion cache`` subcommands (used by :func:`vermilion.cli.build_parser`)."""
    sub = parser.add_subparsers(dest="cache_command", required=True, metavar="SUBCOMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=os.environ.get("VERMILION_URL"),
                        help="Redis URL (default: VERMILION_URL)")
    common.add_argument("--table", action="append", default=[], metavar="TABLE",
                        help="the namespace of a SQL table's CRUD (sql:TABLE); repeatable")
    stats = sub.add_parser(
        "stats", parents=[common], help="print the counters of cache namespaces",
        description="One row per namespace: hits (fresh entries served), negative hits (a "
                    "cached 'not found'), misses (the caller computed), waits (callers that "
                    "waited for another's computation), fills (entries stored), refused (fills "
                    "dropped: an invalidation came after their lease), foreign (keys holding "
                    "data vermilion did not write), invalidations (tags invalidated).")
    stats.add_argument("namespace", nargs="*", help="namespaces (default: 'default')")
    stats.set_defaults(run_cache=run_stats)
    inv = sub.add_parser(
        "invalidate", parents=[common], help="invalidate tags, a table or a whole namespace",
        description="Make entries misses at once (one round trip per namespace); a computation "
                    "that started before is not stored.")
    inv.add_argument("--tag", action="append", default=[], metavar="TAG",
                     help="a tag, e.g. user:42 (repeatable)")
    inv.add_argument("-n", "--namespace", action="append", default=[], metavar="NAMESPACE",
                     help="the namespace of the tags (default: 'default'); repeatable")
    inv.add_argument("--all", action="store_true", help="every entry of the namespaces")
    inv.set_defaults(run_cache=run_invalidate)


def _store(namespace: str, url: str | None) -> Any:
    from ..cache.store import Store
    from ..core.config import client_from_url

    if not url:
        raise CommandError("no Redis to read the cache from: give --url or set VERMILION_URL")
    try:
        client = client_from_url(url)
    except ValueError as exc:
        raise CommandError(f"bad Redis URL: {exc}") from None
    try:
        return Store(namespace, client=client, strict=True, retry_unavailable=2.0)
    except (TypeError, ValueError) as exc:
        raise CommandError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    return args.run_cache(args)  # type: ignore[no-any-return]


def run_stats(args: argparse.Namespace) -> int:
    from .sqlshell import format_table

    names = [*args.namespace, *(f"sql:{t}" for t in args.table)] or ["default"]
    rows = []
    for name in names:
        counts = _store(name, args.url).stats()
        served = counts["hits"] + counts["negative_hits"]
        asked = served + counts["misses"]
        ratio = f"{100 * served / asked:.1f}%" if asked else "-"
        rows.append((name, *(counts[c] for c in COLUMNS), ratio))
    print(format_table(["namespace", *COLUMNS, "hit ratio"], rows))
    return 0


def run_invalidate(args: argparse.Namespace) -> int:
    if not args.tag and not args.table and not args.all:
        raise CommandError("nothing to invalidate: give --tag TAG, --table TABLE or --all")
    done = []
    for table in args.table:
        _store(f"sql:{table}", args.url).invalidate(["*"] if args.all else ["any", "bulk"])
        done.append(f"table {table} (sql:{table})")
    if args.tag or (args.all and args.namespace) or (args.all and not args.table):
        for name in args.namespace or ["default"]:
            store = _store(name, args.url)
            if args.all:
                store.clear()
                done.append(f"every entry of {name!r}")
            else:
                store.invalidate(args.tag)
                done.append(f"{', '.join(args.tag)} in {name!r}")
    print("invalidated: " + "; ".join(done))
    return 0
