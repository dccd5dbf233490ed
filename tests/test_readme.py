"""README.md's Python code blocks run as written, each in a fresh namespace, on a private server.

Every fenced ``python`` block of the README is extracted and executed unchanged.  The one thing
intercepted is *where* it connects: ``vm.configure(url=...)`` (or ``host=``/``port=``/
``client=``) in a block is redirected to the test's private redis-server, so the first snippet's
``redis://localhost:6379/0`` never reaches a server the machine already runs; other settings
(``durability=``, ``codec=``...) pass through.  A block that writes with
``Durability(replicas=...)`` runs on a private master with one replica.  A block preceded by
``<!-- test_readme: skip REASON -->`` is skipped with that reason (for blocks that need a cluster
or an outside service); a block that cannot run as written (top-level ``await``, names it does
not define) fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

import vermilion
from vermilion.server import EmbeddedServer

README = Path(__file__).resolve().parent.parent / "README.md"
SKIP = re.compile(r"<!--\s*test_readme:\s*skip\s+(.*?)\s*-->\s*$")


class Block:
    def __init__(self, code: str, heading: str, line: int, skip: str | None) -> None:
        self.code, self.heading, self.line, self.skip = code, heading, line, skip

    @property
    def id(self) -> str:
        return f"L{self.line}-{re.sub(r'[^a-z0-9]+', '-', self.heading.lower()).strip('-')}"


def python_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    heading = "top"
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):  # sections; blocks before the first one are "top"
            heading = line.lstrip("#").strip()
        fence = re.match(r"^(```+)\s*(\w*)\s*$", line)
        if fence:
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1)))
            if fence.group(2) in ("python", "py"):
                previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
                marker = SKIP.match(previous.strip())
                blocks.append(Block("\n".join(lines[i + 1:end]) + "\n", heading, i + 2,
                                    marker.group(1) if marker else None))
            i = end
        i += 1
    return blocks


BLOCKS = python_blocks(README.read_text())

# What each block must have left behind (by heading), beyond running without an error.


def check_top(r: Any, ns: dict[str, Any]) -> None:
    import json

    assert [json.loads(x) for x in r.lrange("tasks", 0, -1)] == ["c", "b", "a", 1, "d"]
    assert ns["other_machine"] == ["c", "b", "a", 1, "d"]
    assert ns["scores"].most_common(1) == [("x", 2)] and ns["scores"]["z"] == 1
    assert not vermilion.Lock(key="job:42").locked()


def check_sql(r: Any, ns: dict[str, Any]) -> None:
    ns["conn"].close()
    ns["db"].close()
    with vermilion.sql.open("HN") as db:
        assert db.query("SELECT author, json_extract(item, '$.title') FROM hn") == [
            ("dhouston", "My YC app: Dropbox")]
    assert r.xlen("hn:stream") == 1


def check_durability(r: Any, ns: dict[str, Any]) -> None:
    assert vermilion.List(key="ledger").copy() == [{"paid": 10}]


def check_asyncio(r: Any, ns: dict[str, Any]) -> None:
    import json

    assert sorted(json.loads(x) for x in r.lrange("numbers", 0, -1)) == [2, 3, 4, 5, 6, 7, 8]


CHECKS = {"top": check_top, "asyncio": check_asyncio, "SQL stored in Redis": check_sql,
          "Failures, replication and access control": check_durability}


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 3
    assert {b.heading for b in BLOCKS} >= set(CHECKS)


@pytest.fixture
def redirect_configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """``vermilion.configure`` as the blocks see it: connections go to ``target[0]``."""
    real = vermilion.configure
    calls: list[dict[str, Any]] = []
    target: list[tuple[Any, str]] = []

    def configure(url: str | None = None, **kwargs: Any) -> None:
        calls.append(dict(kwargs, url=url))
        connection = {"client", "host", "port", "db", "username", "password",
                      "unix_socket_path", "ssl"}
        if url is not None or connection & kwargs.keys():
            settings = {k: v for k, v in kwargs.items() if k not in connection}
            client, target_url = target[0]
            real(client=client, url=target_url, **settings)
        else:
            real(**kwargs)

    monkeypatch.setattr(vermilion, "configure", configure)
    configure.target = target  # type: ignore[attr-defined]
    yield calls
    real(durability=None)


@pytest.fixture
def replicated() -> Iterator[EmbeddedServer]:
    """A private master with one connected replica."""
    with EmbeddedServer(tcp=True, extra_args=["--repl-diskless-sync-delay", "0"]) as master, \
            EmbeddedServer(tcp=True) as replica:
        client = redis.Redis(port=replica.port)
        client.replicaof("127.0.0.1", master.port)
        deadline = time.monotonic() + 30
        while client.info("replication").get("master_link_status") != "up":
            assert time.monotonic() < deadline, "the replica did not connect"
            time.sleep(0.05)
        admin = redis.Redis(port=master.port)
        admin.set("replicated", 1)  # the replica acknowledges writes (WAIT) before the block
        while admin.wait(1, 1000) < 1:
            assert time.monotonic() < deadline, "the replica does not acknowledge writes"
        admin.delete("replicated")
        yield master


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_readme_block_runs_as_written(block: Block, r: Any, vermilion_server: Any,
                                      redirect_configure: list[dict[str, Any]],
                                      request: pytest.FixtureRequest) -> None:
    if block.skip:
        pytest.skip(f"README line {block.line}: {block.skip}")
    if "vm.sql" in block.code or "vermilion.sql" in block.code:
        pytest.importorskip("apsw")
    target = vermilion.configure.target  # type: ignore[attr-defined]
    if "replicas=" in block.code:
        master = request.getfixturevalue("replicated")
        master_client = redis.Redis(port=master.port)
        target.append((master_client, master.url))
        vermilion.core.config.configure(client=master_client, url=master.url)
        r = master_client
    else:
        target.append((r, vermilion_server.url))
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    # dont_inherit: the block runs as a user's file would, without this module's __future__ imports
    exec(compile(block.code, f"README.md:{block.line}", "exec", dont_inherit=True), namespace)
    check = CHECKS.get(block.heading)
    if check is not None:
        check(r, namespace)


def test_blocks_are_found_and_skip_markers_read() -> None:
    sample = ("# title\n```python\na = 1\n```\n## Cluster\ntext\n"
              "<!-- test_readme: skip needs a Redis Cluster -->\n```python\nb = 2\n```\n"
              "```sh\nc\n```\n")
    blocks = python_blocks(sample)
    assert [(b.code, b.heading, b.skip) for b in blocks] == [
        ("a = 1\n", "top", None), ("b = 2\n", "Cluster", "needs a Redis Cluster")]
