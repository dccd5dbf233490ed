"""The ``vermilion`` command (also ``python -m vermilion``): ``demo``, ``server``, ``sql``,
``models`` and ``cache``.

Expected failures (no redis-server to start, Redis unreachable or refusing, a missing
database...) print one line on stderr, ``vermilion <command>: error: ...``, and exit with
status 1; Ctrl-C exits with 130; a closed stdout (``vermilion demo | head``) ends the command
quietly with status 1, as Python does on EPIPE.  Anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

DESCRIPTION = """\
Redis as the storage layer of Python programs: Python's own types, models and SQL databases
stored in Redis.  Each command uses the Redis given by --url, else the VERMILION_URL environment
variable, else a private redis-server started for the command (its data is gone when the command
exits; 'models' needs one of the first two: a private server would hold no objects)."""

EPILOG = """\
examples:
  vermilion demo                      two processes sharing vermilion types
  vermilion server --port 6390        a private redis-server until Ctrl-C
  vermilion sql HN                    an SQL shell on the database HN
  vermilion sql HN "SELECT 1"         one statement, printed as a table
  vermilion sql import hn.db HN       a local SQLite file into database HN
  vermilion sql export HN hn.db       database HN into a local SQLite file
  vermilion models stats app:User     objects, TTLs and indexes of a model
  vermilion models reindex app:User   build indexes added to a model with objects
  vermilion cache stats sql:users     hits, misses, fills... of a cache namespace
  vermilion cache invalidate --tag T  make every entry tagged T a miss
  python -m vermilion ...             the same command

'vermilion COMMAND --help' describes each command."""


class CommandError(Exception):
    """An expected failure of a command: printed as one line, exit status 1."""


def _version() -> str:
    from .. import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vermilion", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"vermilion {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo", help="show vermilion types shared between two processes",
        description="Two processes share a List, a MultiSet, a Queue, an Int under a Lock and a "
                    "Dict, by key.  Keys are prefixed 'vermilion-demo:' and deleted at the end.")
    demo.add_argument("--url", default=os.environ.get("VERMILION_URL"),
                      help="Redis URL (default: VERMILION_URL, else a private redis-server)")
    demo.set_defaults(run=_run_demo)

    server = sub.add_parser(
        "server", help="run a private redis-server in the foreground",
        description="Start a private redis-server (no persistence: its data is gone when it "
                    "stops), print its URL, and run until Ctrl-C.")
    server.add_argument("--port", type=int, default=None,
                        help="TCP port on 127.0.0.1 (default: a unix socket)")
    server.set_defaults(run=_run_server)

    sql = sub.add_parser(
        "sql", help="run SQL on a database stored in Redis (shell or one-shot)",
        description="Run SQL on a vermilion.sql database: an interactive shell (statements end "
                    "with ';', .help lists the dot commands), or the SQL given as argument; "
                    "'import FILE DATABASE' / 'export DATABASE FILE' copy a whole database from "
                    "or to a local SQLite file, with a progress bar on a terminal.")
    from .sqlshell import add_arguments

    add_arguments(sql)
    sql.set_defaults(run=_run_sql)

    models = sub.add_parser(
        "models", help="inspect and reindex vermilion.models models (module:Model)",
        description="Look after the models of vermilion.models, named as module:Model (imported "
                    "with the current directory on sys.path): 'stats' counts objects and index "
                    "entries, 'reindex' builds indexes added to a model that has objects.")
    from .models import add_arguments as add_models_arguments

    add_models_arguments(models)
    models.set_defaults(run=_run_models)

    cache = sub.add_parser(
        "cache", help="counters and invalidation of vermilion.cache namespaces",
        description="Look after vermilion.cache: 'stats' prints the counters of namespaces "
                    "('default' for @cached functions, sql:TABLE for a CRUD), 'invalidate' makes "
                    "tags, a table or a whole namespace misses.")
    from .cache import add_arguments as add_cache_arguments

    add_cache_arguments(cache)
    cache.set_defaults(run=_run_cache)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.url)


def _run_server(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(args.port)


def _run_sql(args: argparse.Namespace) -> int:
    from .sqlshell import run

    return run(args)


def _run_models(args: argparse.Namespace) -> int:
    from .models import run

    return run(args)


def _run_cache(args: argparse.Namespace) -> int:
    from .cache import run

    return run(args)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _expected_errors() -> tuple[type[BaseException], ...]:
    """Failures that are about the environment, not bugs: no redis-server to start, Redis
    unreachable or refusing (ACL, maxmemory), keys holding other data, stored objects a model
    cannot take (vermilion.models).  A script error or any other exception is a bug and keeps
    its traceback."""
    import redis

    from ..core import errors

    expected: tuple[type[BaseException], ...] = (
        CommandError, errors.ServerNotFound, errors.ConfigurationError, errors.AccessDenied,
        errors.OutOfMemory, errors.WrongTypeError, errors.DecodeError, errors.NotReplicated,
        redis.ConnectionError, redis.TimeoutError)  # ServerUnavailable, ConnectionLost too
    try:  # the models face needs pydantic, which the other commands do without
        from ..models import DataLayerError, SpecificationError
    except ImportError:
        return expected
    # DataLayerError: NotFoundError, UniqueViolation (reindex meeting duplicates),
    # IndexNotReady, StoredDataError (a hash the model cannot read), AlreadyExists...
    return (*expected, DataLayerError, SpecificationError)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        status = run(args)
        sys.stdout.flush()  # a closed pipe fails here, inside the handler, not at exit
        return status
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except _expected_errors() as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"vermilion {args.command}: error: {message}", file=sys.stderr, flush=True)
        return 1


__all__ = ["CommandError", "build_parser", "main"]
