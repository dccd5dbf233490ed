"""A private PostgreSQL server for the tests, started and torn down here.

``PrivatePostgres()`` initialises a cluster in a temp dir under /tmp (owned by the ``postgres``
user when we run as root: the server refuses to run as root), starts it with ``pg_ctl`` on a free
TCP port of 127.0.0.1 (fsync off), and creates the database ``vermilion_test``.  It never uses a
PostgreSQL the machine already runs (5432 or any other).  ``stop()`` (also run at exit) stops it
with ``pg_ctl stop -m immediate`` and removes the dir; a server left behind by a killed process is
stopped by the next ``PrivatePostgres()``.

Binaries: the newest ``/usr/lib/postgresql/<version>/bin`` (Debian), else ``initdb`` and
``pg_ctl`` on PATH.  ``PrivatePostgres.available()`` says whether they exist.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from vermilion.server import orphaned_dirs

DBNAME = "vermilion_test"
_PREFIX = "vermilion-pg-"
_OWNER_FILE = "owner.pid"
_DRIVERS = ("asyncpg", "psycopg")


class PostgresStartError(RuntimeError):
    """The private server could not be set up; the message (one line) ends with the log's tail."""


def _version_key(bin_dir: str) -> tuple[int, ...]:
    name = os.path.basename(os.path.dirname(bin_dir))  # /usr/lib/postgresql/<version>/bin
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def find_bin_dir() -> str | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is not installed."""
    candidates = [os.path.dirname(path) for path in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    for bin_dir in sorted(candidates, key=_version_key, reverse=True):
        if all(os.access(os.path.join(bin_dir, tool), os.X_OK) for tool in ("initdb", "pg_ctl")):
            return bin_dir
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return os.path.dirname(os.path.realpath(initdb))  # wrappers are often symlinks into bin
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(text: str, lines: int = 5) -> str:
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept) or "(no output)"


def _read(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def _environment(home: str) -> dict[str, str]:
    """Our environment without PG* variables (PGHOST, PGPORT, PGSERVICE... could point a client
    tool at another server), with a deterministic locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(HOME=home, LC_ALL="C")
    return env


class PrivatePostgres:
    """One private PostgreSQL server on 127.0.0.1; started by the constructor.

    Use as a context manager or call :meth:`stop`.  Attributes: ``host``, ``port``, ``dbname``,
    ``user``, ``dir`` (the temp dir: ``data``, ``log``, the unix socket), ``bin_dir``,
    ``startup_seconds`` (initdb + start + createdb).
    """

    host: str = "127.0.0.1"
    user: str = "postgres"

    def __init__(self, dbname: str = DBNAME, *, bin_dir: str | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresStartError(
                "PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin, no initdb and pg_ctl "
                "on PATH): install them (Debian: apt-get install -y postgresql)")
        self.bin_dir: str = found
        self.dbname: str = dbname
        self.port: int = 0
        self.owner_pid: int = os.getpid()
        self._stopped = False
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresStartError(
                    "running as root but there is no 'postgres' user to run the server as "
                    "(apt-get install -y postgresql creates it)") from None
            self._uid, self._gid = entry.pw_uid, entry.pw_gid
        started = time.monotonic()
        _sweep_stale(self.bin_dir)
        self.dir: str = tempfile.mkdtemp(prefix=_PREFIX, dir="/tmp" if os.path.isdir("/tmp") else None)
        with open(os.path.join(self.dir, _OWNER_FILE), "w") as f:
            f.write(str(self.owner_pid))
        atexit.register(self.stop)
        try:
            if self._as_postgres:
                os.chown(self.dir, self._uid, self._gid)
            os.chmod(self.dir, 0o700)
            self._initdb()
            self._start()
            self._createdb()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds: float = time.monotonic() - started

    # -- paths and URLs -------------------------------------------------------------------------

    @property
    def data_dir(self) -> str:
        return os.path.join(self.dir, "data")

    @property
    def log_path(self) -> str:
        return os.path.join(self.dir, "log")

    def url(self, driver: str = "psycopg") -> str:
        """A SQLAlchemy URL for ``driver`` ("asyncpg" or "psycopg"), e.g.
        ``postgresql+asyncpg://postgres@127.0.0.1:PORT/vermilion_test``."""
        if driver not in _DRIVERS:
            raise ValueError(f"driver must be one of {', '.join(_DRIVERS)}, not {driver!r}")
        return f"postgresql+{driver}://{self.user}@{self.host}:{self.port}/{self.dbname}"

    @classmethod
    def available(cls) -> bool:
        """Whether PostgreSQL's binaries (initdb, pg_ctl) are installed."""
        return find_bin_dir() is not None

    # -- lifecycle ------------------------------------------------------------------------------

    def _tool(self, name: str) -> str:
        path = os.path.join(self.bin_dir, name)
        if os.access(path, os.X_OK):
            return path
        return shutil.which(name) or path

    def _run(self, args: Sequence[str], *, as_server_user: bool, timeout: float = 120) -> Any:
        """Run a PostgreSQL tool (as ``postgres`` when we are root and the tool refuses root)."""
        kwargs: dict[str, Any] = {}
        if as_server_user and self._as_postgres:
            kwargs.update(user=self._uid, group=self._gid, extra_groups=[])
        return subprocess.run(
            list(args), cwd=self.dir, env=_environment(self.dir), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout, check=False, **kwargs)

    def _initdb(self) -> None:
        done = self._run([self._tool("initdb"), "-D", self.data_dir, "-U", self.user,
                          "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                         as_server_user=True)
        if done.returncode != 0:
            raise PostgresStartError(
                f"initdb failed (exit {done.returncode}) in {self.data_dir}: "
                f"{_tail(done.stderr + done.stdout)}")

    def _start(self) -> None:
        attempts = 5
        for _ in range(attempts):
            self.port = _free_port()
            options = " ".join([
                "-p", str(self.port), "-k", shlex.quote(self.dir),
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "max_connections=200", "-c", "shared_buffers=32MB",
            ])
            done = self._run([self._tool("pg_ctl"), "-D", self.data_dir, "-l", self.log_path,
                              "-w", "-t", "60", "-o", options, "start"], as_server_user=True)
            if done.returncode == 0:
                return
            log = _read(self.log_path)
            if "could not bind" in log or "already in use" in log:  # the free port was taken
                with contextlib.suppress(OSError):
                    os.truncate(self.log_path, 0)
                continue
            raise PostgresStartError(
                f"pg_ctl start failed (exit {done.returncode}) on port {self.port}: "
                f"{_tail(log or done.stderr + done.stdout)}")
        raise PostgresStartError(f"pg_ctl start: no free port after {attempts} attempts")

    def _createdb(self) -> None:
        done = self._run([self._tool("createdb"), "-h", self.host, "-p", str(self.port),
                          "-U", self.user, self.dbname], as_server_user=False, timeout=60)
        if done.returncode != 0:
            raise PostgresStartError(
                f"createdb {self.dbname} failed (exit {done.returncode}) on port {self.port}: "
                f"{_tail(done.stderr + done.stdout)} | log: {_tail(_read(self.log_path), 3)}")

    def stop(self) -> None:
        """Stop the server at once (``pg_ctl stop -m immediate``) and remove its dir.  Idempotent;
        does nothing in a forked child (the server is its parent's)."""
        if self._stopped or os.getpid() != self.owner_pid:
            return
        self._stopped = True
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)
        if os.path.exists(os.path.join(self.data_dir, "postmaster.pid")):
            _stop_cluster(self.bin_dir, self.data_dir)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<PrivatePostgres {self.host}:{self.port}/{self.dbname} {state} in {self.dir}>"


def _stop_cluster(bin_dir: str, data_dir: str) -> None:
    """``pg_ctl stop -m immediate`` on ``data_dir``; if that fails, SIGQUIT (PostgreSQL's immediate
    shutdown) to the postmaster named in postmaster.pid, if that process is still a postgres
    serving ``data_dir`` (the pid may be reused by then)."""
    pg_ctl = os.path.join(bin_dir, "pg_ctl")
    kwargs: dict[str, Any] = {}
    if os.geteuid() == 0:
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam("postgres")
            kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
    parent = os.path.dirname(data_dir)
    with contextlib.suppress(Exception):
        done = subprocess.run([pg_ctl, "-D", data_dir, "-m", "immediate", "-w", "-t", "30", "stop"],
                              cwd=parent, env=_environment(parent), stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=60, check=False, **kwargs)
        if done.returncode == 0:
            return
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int(_read(os.path.join(data_dir, "postmaster.pid")).splitlines()[0])
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
        if os.fsencode(data_dir) in cmdline:
            os.kill(pid, signal.SIGQUIT)


def _sweep_stale(bin_dir: str, parent: str = "/tmp") -> None:
    """Stop the servers and remove the dirs of PrivatePostgres whose owning process is gone
    (SIGKILLed: no atexit ran)."""
    for path in orphaned_dirs((_PREFIX,), parent):
        data_dir = os.path.join(path, "data")
        if os.path.exists(os.path.join(data_dir, "postmaster.pid")):
            _stop_cluster(bin_dir, data_dir)
        shutil.rmtree(path, ignore_errors=True)
