"""``vermilion models``: look after the models of :mod:`vermilion.models` from the command line.

::

    vermilion models stats app.models:User       # objects, TTLs, indexes and whether each is built
    vermilion models reindex app.models:User     # build indexes added to a model with objects

The model is named as ``module:Class`` (as uvicorn names an app; ``Outer.Inner`` for a nested
class), imported with the current directory on ``sys.path``.  Redis comes from ``--url``, else
what the module configured (``vermilion.configure``), else ``VERMILION_URL``; a private
redis-server would hold no objects, so with none of them the command refuses to run.

``reindex`` runs :meth:`vermilion.models.Repository.reindex` (other clients keep working) and
shows its progress on stderr: a bar redrawn in place on a terminal, a line every few seconds
otherwise; then it prints a one-line summary.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from . import CommandError

LINE_EVERY = 5.0  # seconds between progress lines when stderr is not a terminal
REDRAW_EVERY = 0.1  # seconds between redraws of the bar on a terminal
BAR = 24  # characters of the bar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vermilion models`` subcommands (used by :func:`vermilion.cli.build_parser`)."""
    sub = parser.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("model", metavar="module:Model",
                        help="the model class, e.g. app.models:User (imported with the current "
                             "directory on sys.path)")
    common.add_argument("--url", default=None,
                        help="Redis URL (default: what the module configures, else "
                             "VERMILION_URL)")
    reindex = sub.add_parser(
        "reindex", parents=[common], help="build the indexes of a model that has objects",
        description="Rebuild every object's index entries and unique claims: needed after an "
                    "Index or Unique was added to a model that already had objects (until then "
                    "queries on it raise IndexNotReady).  Other clients keep working; every "
                    "writer must run the new model first.  Progress goes to stderr.")
    reindex.add_argument("--chunk", type=_positive, default=500, metavar="N",
                         help="objects read and rewritten per step (default 500)")
    reindex.set_defaults(run_models=run_reindex)
    stats = sub.add_parser(
        "stats", parents=[common], help="count a model's objects and index entries",
        description="Print a model's key prefix, how many objects it has and how many of them "
                    "have a TTL, and each index with its entry count and whether it is built.")
    stats.set_defaults(run_models=run_stats)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def run(args: argparse.Namespace) -> int:
    command: Callable[[argparse.Namespace], int] = args.run_models
    return command(args)


# -- the model -----------------------------------------------------------------------------------
def _models_face() -> Any:
    try:
        from .. import models
    except ModuleNotFoundError as exc:
        if exc.name == "pydantic":
            raise CommandError("vermilion.models needs pydantic: pip install pydantic") from None
        raise
    return models


def load_model(spec: str) -> Any:
    """The model class named by ``module:Class``; :class:`CommandError` when it cannot be."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr or any(not part.isidentifier()
                                          for part in (*module_name.split("."), *attr.split("."))):
        raise CommandError(f"{spec!r}: name the model as module:Class (e.g. app.models:User)")
    models = _models_face()
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # the module (or a package on its path) is missing; an import failing inside it is a
        # bug of the module and keeps its traceback
        if exc.name is None or not (module_name == exc.name
                                    or module_name.startswith(exc.name + ".")):
            raise
        raise CommandError(f"cannot import module {module_name!r}: {exc}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CommandError(f"module {module_name!r} has no attribute {attr!r}") from None
    if obj is models.Model:
        raise CommandError(f"{spec} is vermilion.models.Model itself: name a model class")
    if not (isinstance(obj, type) and issubclass(obj, models.Model)):
        what = f"the class {obj.__qualname__}" if isinstance(obj, type) else (
            f"a {type(obj).__name__}")
        raise CommandError(f"{spec} is {what}, not a vermilion.models.Model subclass")
    model: Any = obj
    try:
        model.__schema__()
    except (TypeError, ValueError, NameError) as exc:  # a model vermilion cannot store
        raise CommandError(f"{spec}: {exc}") from None
    return model


def _connect(url: str | None) -> None:
    """Use ``url``, else what is configured already; never an empty private server."""
    from .. import configure
    from ..core import config

    if url:
        configure(url)
    elif config.current_url().startswith("embedded://") and config._state.client is None:
        raise CommandError("no Redis to read the objects from: give --url or set VERMILION_URL")
    try:
        config.sync_client()  # parses the URL (connects on first use)
    except ValueError as exc:
        raise CommandError(f"bad Redis URL: {exc}") from None  # the URL may hold a password


def _open(args: argparse.Namespace) -> tuple[Any, Any]:
    """(the model class, its sync Repository) for the command's arguments."""
    model = load_model(args.model)
    _connect(args.url)
    return model, _models_face().Repository(model)


# -- reindex -------------------------------------------------------------------------------------
class Progress:
    """``progress(done, total)`` for :meth:`Repository.reindex`: a bar redrawn in place with
    ``\\r`` when ``out`` is a terminal, else a line at most every :data:`LINE_EVERY` seconds
    (and the last one)."""

    def __init__(self, label: str, out: IO[str], *, tty: bool | None = None):
        self.label = label
        self.out = out
        self.tty: bool = out.isatty() if tty is None else tty
        self.started: float = time.monotonic()
        self.shown_at: float = float("-inf")
        self.width: int = 0  # of the bar's line on the terminal, to clear it
        self.drawn: bool = False

    def rate(self, done: int) -> str:
        elapsed = time.monotonic() - self.started
        return f"{done / elapsed:.0f}/s" if elapsed > 0 else "-"

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        last = done >= total
        if not last and now - self.shown_at < (REDRAW_EVERY if self.tty else LINE_EVERY):
            return
        self.shown_at = now
        share = done / total if total else 1.0
        counts = f"{done}/{total} ({share:.0%}) {self.rate(done)}"
        if self.tty:
            filled = int(BAR * share)
            line = f"{self.label} [{'#' * filled}{'.' * (BAR - filled)}] {counts}"
            self.out.write("\r" + line.ljust(self.width))
            self.width = len(line)
            self.drawn = True
        else:
            self.out.write(f"{self.label}: {counts}\n")
        self.out.flush()

    def close(self) -> None:
        """End the bar's line (a terminal's next output starts on a line of its own)."""
        if self.drawn:
            self.out.write("\n")
            self.out.flush()
            self.drawn = False


def run_reindex(args: argparse.Namespace) -> int:
    model, repo = _open(args)
    schema = model.__schema__()
    before = _names(_read(repo, ("SMEMBERS", f"{schema.base}#built"))[0])
    progress = Progress(f"reindex {args.model}", sys.stderr)
    try:
        done = repo.reindex(chunk=args.chunk, progress=progress)
    finally:
        progress.close()
    elapsed = time.monotonic() - progress.started
    built = ", ".join(schema.index_names) or "none"
    summary = (f"{args.model}: reindexed {done} object{'' if done == 1 else 's'} in "
               f"{elapsed:.2f} s ({progress.rate(done)}); indexes built: {built}")
    dropped = sorted(before - set(schema.index_names))
    if dropped:
        summary += f"; dropped: {', '.join(dropped)}"
    print(summary)
    return 0


def _read(repo: Any, *commands: tuple[str, str]) -> list[Any]:
    """Run read-only ``(COMMAND, key)`` pairs on the repository's client in one round trip
    (vermilion's executor: its retries, its errors, Cluster routing by the model's slot)."""
    from ..core.calls import Call

    calls = [Call((name, key), (key,), readonly=True) for name, key in commands]

    def operation() -> Any:
        return (yield calls)

    return list(repo._run(operation(), True, "read"))


def _names(members: Any) -> set[str]:
    return {m.decode() if isinstance(m, bytes) else str(m) for m in members or ()}


# -- stats ---------------------------------------------------------------------------------------
def model_stats(repo: Any) -> dict[str, Any]:
    """What ``stats`` prints: objects (expired ones reclaimed first, as every query does),
    objects with a TTL, and per index (``i:<field>`` / ``u:<field>``) its entries and whether
    it is built; indexes no longer in the model that ``reindex`` would drop."""
    schema = repo.schema
    objects = repo.count()  # the query script reclaims expired objects first
    base = schema.base
    with_ttl, built_raw, *counts = _read(
        repo, ("ZCARD", f"{base}#exp"), ("SMEMBERS", f"{base}#built"),
        *(("ZCARD", f"{base}#i:{f.name}") for f in schema.indexed),
        *(("HLEN", f"{base}#u:{f.name}") for f in schema.unique))
    built = _names(built_raw)
    names = schema.index_names
    return {
        "prefix": base,
        "objects": int(objects),
        "with_ttl": int(with_ttl),
        "indexes": [(name, int(n), name in built) for name, n in zip(names, counts)],
        "stale": sorted(built - set(names)),
    }


def format_stats(spec: str, model: Any, stats: dict[str, Any]) -> str:
    from .sqlshell import format_table

    prefix = stats["prefix"]
    lines = [
        f"model        {model.__module__}.{model.__qualname__}",
        f"key prefix   {prefix} (objects at {prefix}:<id>)",
        f"objects      {stats['objects']}",
        f"with a TTL   {stats['with_ttl']}",
    ]
    indexes = stats["indexes"]
    if not indexes:
        lines.append("indexes      none")
    else:
        rows = [(name, "Index" if name.startswith("i:") else "Unique", name[2:], entries,
                 "yes" if built else "no") for name, entries, built in indexes]
        table = format_table(["index", "kind", "field", "entries", "built"], rows)
        lines += ["", table.rsplit("\n", 1)[0]]  # without its "(N rows)"
    if not all(built for _, _, built in indexes):
        lines += ["", f"Queries on an index not built raise IndexNotReady: run "
                      f"'vermilion models reindex {spec}'."]
    if stats["stale"]:
        lines.append(f"No longer in the model (reindex drops them): {', '.join(stats['stale'])}")
    return "\n".join(lines)


def run_stats(args: argparse.Namespace) -> int:
    model, repo = _open(args)
    print(format_stats(args.model, model, model_stats(repo)))
    return 0


__all__ = ["Progress", "add_arguments", "format_stats", "load_model", "model_stats", "run"]
