"""``vermilion sql``: a shell on a SQL database stored in Redis (:mod:`vermilion.sql`).

::

    vermilion sql HN                              # interactive shell (statements end with ';')
    vermilion sql HN "SELECT author, count(*) FROM hn GROUP BY author"
    vermilion sql --create HN < schema.sql        # run a script, creating HN if missing
    vermilion sql HN .tables                      # one dot command
    vermilion sql import hn.sqlite HN             # a local SQLite file into database HN
    vermilion sql export HN hn.sqlite             # database HN into a local SQLite file

Redis comes from ``--url``, else ``VERMILION_URL``, else an embedded private redis-server that
stops (and loses every database) when the command exits.  Statements run with
:meth:`vermilion.sql.Database.exec` (reads and writes, autocommit unless you ``BEGIN``), or with
``query`` under ``--readonly``.  Results print as an aligned table: column headers, ``NULL`` for
missing values, then the row count.  Any SQL error prints ``Error: ...`` on stderr and makes the
exit status 1 (the interactive shell goes on to the next statement).

``import`` and ``export`` (three positional arguments; with two, ``import`` / ``export`` is a
database name as before) copy a whole database with SQLite's backup API
(:func:`vermilion.sql.import_from`, :meth:`vermilion.sql.Database.export_to`): a progress bar on
stderr when it is a terminal, then one line saying what was copied.  They need ``--url`` or
``VERMILION_URL`` (a private server would lose the database at exit).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

HISTORY_FILE = "~/.vermilion_sql_history"
STATEMENTS_TABLE = "_vermilion_statements"

HELP = """\
Enter SQL statements terminated by ';' (they may span several lines).
  .tables [PATTERN]   list tables and views (LIKE pattern)
  .schema [PATTERN]   show CREATE statements (LIKE pattern)
  .statements         list the stored statements (create_statement / exec_statement)
  .dbs                list the SQL databases on this Redis
  .import [--skip N] FILE TABLE
                      import CSV rows from FILE into TABLE, in one transaction; a missing
                      TABLE is created from the header row (TEXT columns); into an existing
                      table every row is data (--skip 1 skips a header)
  .backup FILE        write this database to the local SQLite file FILE
  .help               show this help
  .quit / .exit       leave the shell (Ctrl-D too)"""


USAGE = """\
vermilion sql [options] DATABASE [SQL]
       vermilion sql [--url URL] [--replace] import FILE DATABASE
       vermilion sql [--url URL] export DATABASE FILE"""
TRANSFERS = ("import", "export")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``vermilion sql`` options (used by :func:`vermilion.cli.build_parser`)."""
    parser.usage = USAGE
    parser.add_argument("database", help="name of the SQL database (e.g. HN); or 'import' / "
                                         "'export' followed by two arguments (see usage)")
    parser.add_argument("sql", nargs="?", default=None,
                        help="SQL to run (one or more statements); without it: a shell on stdin")
    parser.add_argument("target", nargs="?", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--replace", action="store_true",
                        help="import: replace the content of an existing database")
    parser.add_argument("--url", default=os.environ.get("VERMILION_URL"),
                        help="Redis URL (default: VERMILION_URL, else an embedded "
                             "redis-server whose data vanishes at exit)")
    parser.add_argument("--create", action="store_true",
                        help="create the database if it does not exist "
                             "(implied on the embedded server)")
    parser.add_argument("--readonly", action="store_true",
                        help="refuse statements that write (Database.query)")
    parser.add_argument("--max-width", type=int, default=0, metavar="N",
                        help="truncate cells wider than N characters (default: no limit)")


# -- formatting ---------------------------------------------------------------------------------
_ESCAPES = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def cell(value: Any) -> str:
    """One value as shown in a table: NULL, X'hex' for blobs, repr for floats."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes | bytearray | memoryview):
        return "X'" + bytes(value).hex().upper() + "'"
    if isinstance(value, float):
        return repr(value)
    return str(value).translate(_ESCAPES)


def width(text: str) -> int:
    """Terminal columns taken by ``text`` (wide East Asian characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else
               0 if unicodedata.combining(ch) else 1 for ch in text)


def _truncate(text: str, limit: int) -> str:
    if limit <= 0 or width(text) <= limit:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > limit - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _pad(text: str, size: int, right: bool) -> str:
    gap = " " * (size - width(text))
    return gap + text if right else text + gap


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]],
                 max_width: int = 0) -> str:
    """``rows`` under ``columns`` as an aligned table (numbers right-aligned), then ``(N rows)``."""
    header = [_truncate(str(c), max_width) for c in columns]
    body = [[_truncate(cell(v), max_width) for v in row] for row in rows]
    numeric = [bool(rows) and all(isinstance(row[i], int | float) or row[i] is None
                                  for row in rows) and any(row[i] is not None for row in rows)
               for i in range(len(columns))]
    sizes = [max([width(h)] + [width(r[i]) for r in body]) for i, h in enumerate(header)]
    lines = [" " + " | ".join(_pad(h, s, False) for h, s in zip(header, sizes)).rstrip(),
             "-" + "-+-".join("-" * s for s in sizes) + "-"]
    for r in body:
        lines.append(" " + " | ".join(_pad(v, s, n)
                                      for v, s, n in zip(r, sizes, numeric)).rstrip())
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(lines)


# -- splitting SQL ------------------------------------------------------------------------------
def split_statements(text: str) -> tuple[list[str], str]:
    """Split ``text`` into complete statements (each ending with ``;``, per SQLite's own
    ``sqlite3_complete``: semicolons in strings, comments and trigger bodies don't count) and the
    incomplete rest."""
    done: list[str] = []
    start = 0
    pos = text.find(";")
    while pos != -1:
        candidate = text[start:pos + 1]
        if sqlite3.complete_statement(candidate):
            if candidate.strip(" \t\r\n;"):
                done.append(candidate.strip())
            start = pos + 1
        pos = text.find(";", pos + 1)
    return done, text[start:]


def _only_comments(sql: str) -> bool:
    return sqlite3.complete_statement(sql + "\n;") and not split_statements(sql + "\n;")[0]


# -- the shell ----------------------------------------------------------------------------------
class Shell:
    """Runs statements and dot commands on one database, printing to ``out`` / ``err``."""

    def __init__(self, db: Any, *, readonly: bool = False, max_width: int = 0,
                 out: IO[str] | None = None, err: IO[str] | None = None):
        self.db = db
        self.readonly = readonly
        self.max_width = max_width
        self.out: IO[str] = out or sys.stdout
        self.err: IO[str] = err or sys.stderr
        self.failed: bool = False
        self.quit: bool = False
        self._buffer = ""

    def _print(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def error(self, exc: BaseException | str) -> None:
        self.failed = True
        print(f"Error: {exc}", file=self.err, flush=True)

    def show(self, rows: Any) -> None:
        if rows.columns:
            self._print(format_table(rows.columns, rows, self.max_width))
        elif rows.changes:
            self._print(f"OK, {rows.changes} row{'' if rows.changes == 1 else 's'} changed")
        else:
            self._print("OK")

    def run_sql(self, sql: str) -> bool:
        """Run one statement and print its result; False (after printing why) if it failed."""
        import apsw

        from ..core.errors import VermilionError

        run: Callable[..., Any] = self.db.query if self.readonly else self.db.exec
        try:
            rows = run(sql)
        except apsw.Error as exc:
            self.error(f"{type(exc).__name__}: {exc}")
            return False
        except VermilionError as exc:
            self.error(exc)
            return False
        except Exception as exc:  # noqa: BLE001 - the shell reports and goes on
            self.error(f"{type(exc).__name__}: {exc}")
            return False
        self.show(rows)
        return True

    def run_script(self, text: str, *, stop_on_error: bool = True) -> bool:
        """Run every statement of ``text`` (the last may lack its ``;``)."""
        statements, rest = split_statements(text)
        if rest.strip() and not _only_comments(rest):
            statements.append(rest.strip())
        ok = True
        for sql in statements:
            if not self.run_sql(sql):
                ok = False
                if stop_on_error:
                    break
        return ok

    # dot commands
    def dot(self, line: str) -> None:
        parts = line.split()
        command, args = parts[0].lower(), parts[1:]
        handler = {
            ".quit": self._quit, ".exit": self._quit, ".q": self._quit,
            ".help": self._help, ".tables": self._tables, ".schema": self._schema,
            ".statements": self._statements, ".dbs": self._dbs, ".databases": self._dbs,
            ".import": self._import, ".backup": self._backup,
        }.get(command)
        if handler is None:
            self.error(f"unknown command {parts[0]!r}; .help lists the commands")
            return
        import apsw

        from ..core.errors import VermilionError

        try:
            handler(args)
        except apsw.Error as exc:
            self.error(f"{type(exc).__name__}: {exc}")
        except (VermilionError, OSError, ValueError, csv.Error) as exc:
            self.error(exc)

    def _quit(self, args: list[str]) -> None:
        self.quit = True

    def _help(self, args: list[str]) -> None:
        self._print(HELP)

    def _tables(self, args: list[str]) -> None:
        rows = self.db.query(
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != ?1 AND name LIKE ?2 "
            "ORDER BY name", STATEMENTS_TABLE, args[0] if args else "%")
        if rows:
            self._print("  ".join(r[0] for r in rows))

    def _schema(self, args: list[str]) -> None:
        rows = self.db.query(
            "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name != ?1 "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND (name LIKE ?2 OR tbl_name LIKE ?2) "
            "ORDER BY tbl_name, type DESC, name", STATEMENTS_TABLE, args[0] if args else "%")
        for (sql,) in rows:
            self._print(f"{sql};")

    def _statements(self, args: list[str]) -> None:
        infos = self.db.list_statements()
        self._print(format_table(("name", "parameters", "readonly", "sql"),
                                 [(i.name, i.parameters, "yes" if i.readonly else "no", i.sql)
                                  for i in infos], self.max_width))

    def _dbs(self, args: list[str]) -> None:
        from .. import sql

        for name in sql.list_dbs():
            self._print(name)

    def _import(self, args: list[str]) -> None:
        skip = 0
        if args[:1] == ["--skip"] and len(args) >= 2:
            if not args[1].isdigit():
                raise ValueError(f".import --skip needs a number of lines, not {args[1]!r}")
            skip, args = int(args[1]), args[2:]
        if len(args) != 2:
            raise ValueError("usage: .import [--skip N] FILE TABLE")
        if self.readonly:
            raise ValueError(".import writes: not allowed with --readonly")
        path, table = args
        progress = bar(f"import {path}", self.err)
        try:
            rows, table_created = import_csv(self.db, path, table, skip=skip, progress=progress)
        finally:
            progress.close()
        made = f" (created {table})" if table_created else ""
        self._print(f"OK, {rows} row{'' if rows == 1 else 's'} imported into {table}{made}")

    def _backup(self, args: list[str]) -> None:
        if len(args) != 1:
            raise ValueError("usage: .backup FILE")
        progress = bar(f"backup to {args[0]}", self.err)
        try:
            self.db.export_to(args[0], progress=progress)
        finally:
            progress.close()
        self._print(f"OK, {self.db.name} written to {args[0]}")

    # the read loop
    def prompt(self) -> str:
        name = self.db.name
        return f"{name}> " if not self._buffer.strip() else " " * max(0, len(name) - 3) + "...> "

    def repl(self, stdin: IO[str], interactive: bool) -> None:
        """Read statements (ending with ``;``) and dot commands until EOF or ``.quit``."""
        self._buffer = ""
        for line in _lines(stdin, interactive, self.prompt):
            if line is None:  # Ctrl-C: drop the statement being typed
                self._buffer = ""
                continue
            if not self._buffer.strip() and line.lstrip().startswith("."):
                self.dot(line.strip())
                if self.quit:
                    return
                continue
            statements, rest = split_statements(self._buffer + line + "\n")
            self._buffer = rest if rest.strip() else ""
            for sql in statements:
                self.run_sql(sql)
        if self._buffer.strip() and not _only_comments(self._buffer):
            self.run_sql(self._buffer.strip())


# -- progress and CSV --------------------------------------------------------------------------
class _NoBar:
    """The progress of a command whose stderr is not a terminal: nothing shown."""

    def __call__(self, done: int, total: int) -> None:
        pass

    def close(self) -> None:
        pass


def bar(label: str, out: IO[str]) -> Any:
    """A ``progress(done, total)`` callable with ``close()``: the bar of ``vermilion models``
    redrawn in place when ``out`` is a terminal, else nothing."""
    if not out.isatty():
        return _NoBar()
    from .models import Progress

    return Progress(label, out, tty=True)


def quote(name: str) -> str:
    """``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


CSV_BATCH = 1000  # rows per executemany (and per progress call) of .import


def _counted_lines(raw: IO[bytes], seen: list[int]) -> Iterator[str]:
    """The decoded lines of ``raw``, adding their size in bytes to ``seen[0]``."""
    for line in raw:
        seen[0] += len(line)
        yield line.decode("utf-8-sig" if seen[0] == len(line) else "utf-8")


def import_csv(db: Any, path: str, table: str, *, skip: int = 0,
               progress: Callable[[int, int], object] | None = None) -> tuple[int, bool]:
    """Insert the CSV rows of file ``path`` into ``table`` of ``db`` in one transaction, as
    sqlite3's ``.import --csv``: a missing table is created with the first row as column names
    (TEXT columns); into an existing table every row (after ``skip`` lines) is data.  Rows with
    fewer values than columns are padded with NULL, extra values are dropped.  ``progress(done,
    total)`` in bytes of the file, once per :data:`CSV_BATCH` rows.  Returns (rows inserted,
    whether the table was created)."""
    total = os.path.getsize(path)
    seen = [0]
    with open(path, "rb") as raw, db.transaction():
        reader = csv.reader(_counted_lines(raw, seen))
        for _ in range(skip):
            next(reader, None)
        conn = db.connection
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({quote(table)})")]
        created = not columns
        if created:
            header = next(reader, None)
            if not header:
                raise ValueError(f"{path}: empty file, no header to create {table} from")
            columns = header
            conn.execute(f"CREATE TABLE {quote(table)}("
                         + ", ".join(f"{quote(c)} TEXT" for c in columns) + ")")
        width = len(columns)
        insert = f"INSERT INTO {quote(table)} VALUES ({', '.join('?' * width)})"
        count = 0
        if progress is not None:
            progress(0, total)
        while True:
            batch = [(row + [None] * width)[:width] for row in _take(reader, CSV_BATCH)]
            if not batch:
                break
            conn.executemany(insert, batch)
            count += len(batch)
            if progress is not None:
                progress(seen[0], total)
    if progress is not None:
        progress(total, total)
    return count, created


def _take(reader: Iterator[list[str]], n: int) -> Iterator[list[str]]:
    for _, row in zip(range(n), reader):
        if row:  # a blank line is no row
            yield row


def _lines(stdin: IO[str], interactive: bool,
           prompt: Callable[[], str]) -> Iterator[str | None]:
    """Input lines without their newline; ``None`` after Ctrl-C in interactive mode."""
    while True:
        if interactive:
            try:
                yield input(prompt())
            except EOFError:
                print()
                return
            except KeyboardInterrupt:
                print("^C")
                yield None
        else:
            line = stdin.readline()
            if not line:
                return
            yield line.rstrip("\n").rstrip("\r")


@contextlib.contextmanager
def _history(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        yield
        return
    path = os.path.expanduser(HISTORY_FILE)
    with contextlib.suppress(OSError):
        readline.read_history_file(path)
    readline.set_history_length(1000)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(path)


# -- entry point --------------------------------------------------------------------------------
def run(args: argparse.Namespace, stdin: IO[str] | None = None) -> int:
    """``vermilion sql``: 0 on success, 1 if the database is missing or any statement failed."""
    import redis

    import vermilion

    stdin = stdin or sys.stdin
    err = sys.stderr
    try:
        from .. import sql
    except ImportError as exc:
        print(f"Error: vermilion sql needs apsw (pip install 'vermilion[sql]'): {exc}", file=err)
        return 1
    from ..core.errors import ServerNotFound

    if args.target is not None:
        if args.database not in TRANSFERS:
            print(f"Error: unexpected argument {args.target!r} (usage: {USAGE.splitlines()[0]})",
                  file=err)
            return 2
        return transfer(args)
    server = None
    create = args.create
    url = args.url
    try:
        if not url:
            from .server import start_private_server

            try:
                server = start_private_server()
            except ServerNotFound as exc:
                print(f"Error: no --url or VERMILION_URL, and {exc}", file=err)
                return 1
            url = server.url
            create = True
            print(f"No --url or VERMILION_URL: using a private redis-server at {url}; "
                  "everything stored vanishes when this command exits.", file=err, flush=True)
        vermilion.configure(url)
        try:
            db = sql.create_db(args.database, exist_ok=True) if create else \
                sql.open(args.database)
        except sql.NoSuchDatabase:
            print(f"Error: SQL database {args.database!r} does not exist on {url} "
                  "(--create creates it)", file=err)
            return 1
        except redis.RedisError as exc:
            print(f"Error: cannot reach Redis at {url}: {exc}", file=err)
            return 1
        with db:
            shell = Shell(db, readonly=args.readonly, max_width=args.max_width)
            if args.sql is not None and args.sql.lstrip().startswith("."):
                shell.dot(args.sql.strip())
            elif args.sql is not None:
                shell.run_script(args.sql)
            else:
                interactive = stdin.isatty() and sys.stdout.isatty()
                if interactive:
                    print(f"vermilion sql: database {args.database!r} on {url}. "
                          "Statements end with ';'. .help for help.")
                with _history(interactive):
                    shell.repl(stdin, interactive)
            return 1 if shell.failed else 0
    except redis.RedisError as exc:
        print(f"Error: Redis at {url}: {exc}", file=err)
        return 1
    finally:
        if server is not None:
            server.stop()


def _size(pages: int, page_size: int) -> str:
    return f"{pages} pages, {pages * page_size / 1e6:.1f} MB"


def _transfer_failure(exc: Exception, source: str, dest: str, url: str) -> str | None:
    """The one line saying why import / export failed as expected (None: a bug)."""
    import apsw
    import redis

    from .. import sql

    if isinstance(exc, sql.DatabaseExists):
        return f"{exc} (--replace replaces its content)"
    if isinstance(exc, sql.NoSuchDatabase):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {source}"
    if isinstance(exc, apsw.NotADBError):
        return f"{source} is not a SQLite database"
    if isinstance(exc, apsw.CantOpenError):
        return f"cannot open {dest} for writing"
    if isinstance(exc, apsw.Error):
        return f"{type(exc).__name__}: {exc}"
    if isinstance(exc, redis.RedisError):
        return f"Redis at {url}: {exc}"
    return None


def transfer(args: argparse.Namespace) -> int:
    """``vermilion sql import FILE DATABASE`` / ``export DATABASE FILE``: 0 on success, 1 with
    a one-line ``Error:`` on stderr for an expected failure (missing file or database, a
    database that exists, a file that is not SQLite, Redis unreachable)."""
    import vermilion

    from .. import sql

    err = sys.stderr
    command = args.database
    source, dest = args.sql, args.target
    if not args.url:
        print(f"Error: vermilion sql {command} needs --url or VERMILION_URL (a private "
              "redis-server would lose the database when this command exits)", file=err)
        return 1
    vermilion.configure(args.url)
    progress = bar(f"{command} {source}", err)
    started = time.monotonic()
    try:
        if command == "import":
            with sql.import_from(source, dest, exist_ok=args.replace, progress=progress) as db:
                info = db.statistics()
        else:
            with sql.open(source) as db:
                db.export_to(dest, progress=progress)
                info = db.statistics()
    except Exception as exc:
        message = _transfer_failure(exc, source, dest, args.url)
        if message is None:
            raise
        print(f"Error: {message}", file=err)
        return 1
    finally:
        progress.close()
    elapsed = time.monotonic() - started
    what = _size(info["pages"], info["page_size"])
    verb, into = ("imported", "into") if command == "import" else ("exported", "to")
    print(f"{verb} {source} {into} {dest}: {what} in {elapsed:.2f} s")
    return 0
