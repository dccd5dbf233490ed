"""``vermilion models reindex`` / ``stats``, run as a user runs them: ``python -m vermilion`` in a
subprocess, in a directory holding the application's module, against the session's private
redis-server (``VERMILION_URL``).

The models are defined in those modules only (and used by ``python -c`` subprocesses, as the
application would), never in this process: the schema-change flow redefines a model class the
way a deployment does, by running new code.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pydantic")

V1 = """
    from vermilion.models import Model, Repository


    class Item(Model):
        name: str
        rank: int


    def seed(n):
        Repository(Item).save_all([Item(id=f"i{k}", name=f"n{k % 3}", rank=k) for k in range(n)])
"""

V2 = """
    from typing import Annotated

    from vermilion.models import Index, Model, Repository, specs


    class Item(Model):
        name: str
        rank: Annotated[int, Index]


    def query():
        found = Repository(Item).filter(specs.filter(rank__gte=4), specs.order("-rank"))
        print(" ".join(str(item.id) for item in found))


    def save(id, rank):
        Repository(Item).save(Item(id=id, name="new", rank=rank))
"""

V3_UNIQUE_NAME = """
    from typing import Annotated

    from vermilion.models import Model, Unique


    class Item(Model):
        name: Annotated[str, Unique]
        rank: int
"""

SHOP = """
    import datetime as dt
    from typing import Annotated

    from pydantic import BaseModel

    from vermilion.models import Index, Model, Unique


    class Product(Model):
        class Meta:
            prefix = "shop-products"

        sku: Annotated[str, Unique]
        price: Annotated[float, Index]
        added: Annotated[dt.date, Index]
        note: str = ""


    class Plain(BaseModel):
        x: int


    def helper():
        pass


    class Outer:
        class Inner(Model):
            n: int
"""


@pytest.fixture
def app(tmp_path: Path, r: Any, vermilion_server: Any) -> Path:
    """A directory for the application's modules; the private server flushed."""
    return tmp_path


def write(directory: Path, source: str, name: str = "shop") -> None:
    (directory / f"{name}.py").write_text(textwrap.dedent(source))


def environment(url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VERMILION_URL"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a rewritten module is never read from a stale .pyc
    if url is not None:
        env["VERMILION_URL"] = url
    return env


def models(directory: Path, url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vermilion", "models", *args], cwd=directory,
                          env=environment(url), capture_output=True, text=True, timeout=120)


def python(directory: Path, url: str, code: str) -> subprocess.CompletedProcess[str]:
    """The application itself: ``python -c code`` next to its module."""
    return subprocess.run([sys.executable, "-c", code], cwd=directory, env=environment(url),
                          capture_output=True, text=True, timeout=120)


def one_line_error(p: subprocess.CompletedProcess[str]) -> str:
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("vermilion models: error: "), lines[0]
    return lines[0].removeprefix("vermilion models: error: ")


SUMMARY = re.compile(r"shop:Item: reindexed (\d+) objects? in \d+\.\d\d s \((\d+/s|-)\); "
                     r"indexes built: (.*)")


def stats_lines(p: subprocess.CompletedProcess[str]) -> list[str]:
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    return p.stdout.splitlines()


# -- the schema change -----------------------------------------------------------------------------
def test_index_added_to_a_model_with_objects(app: Path, vermilion_server: Any, r: Any) -> None:
    url = vermilion_server.url
    write(app, V1)
    assert python(app, url, "import shop; shop.seed(7)").returncode == 0
    assert stats_lines(models(app, url, "stats", "shop:Item")) == [
        "model        shop.Item",
        "key prefix   {Item} (objects at {Item}:<id>)",
        "objects      7",
        "with a TTL   0",
        "indexes      none",
    ]

    # the new code: rank is indexed; the objects stored before are not in the index yet
    write(app, V2)
    p = python(app, url, "import shop; shop.query()")
    assert p.returncode == 1
    assert p.stderr.splitlines()[-1] == (
        "vermilion.models.errors.IndexNotReady: Item.rank: the index was added after objects "
        "were stored and is not complete yet; run repository.reindex() (or `vermilion models "
        "reindex shop:Item`)")
    # a writer running the new code meanwhile: its object is indexed as it is saved
    assert python(app, url, "import shop; shop.save('new', 5)").returncode == 0
    assert stats_lines(models(app, url, "stats", "shop:Item"))[2:] == [
        "objects      8",
        "with a TTL   0",
        "",
        " index  | kind  | field | entries | built",
        "--------+-------+-------+---------+-------",
        " i:rank | Index | rank  |       1 | no",
        "",
        "Queries on an index not built raise IndexNotReady: run "
        "'vermilion models reindex shop:Item'.",
    ]

    p = models(app, url, "reindex", "shop:Item", "--chunk", "3")
    assert p.returncode == 0, p.stderr
    m = SUMMARY.fullmatch(p.stdout.strip())
    assert m is not None, p.stdout
    assert (m.group(1), m.group(3)) == ("8", "i:rank")
    progress = p.stderr.splitlines()  # not a terminal: plain lines, the last one always
    assert progress[0].startswith("reindex shop:Item: 3/8 (38%) ")
    assert re.fullmatch(r"reindex shop:Item: 8/8 \(100%\) (\d+/s|-)", progress[-1]), progress
    assert "\r" not in p.stderr

    p = python(app, url, "import shop; shop.query()")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["i6", "new", "i5", "i4"]
    assert stats_lines(models(app, url, "stats", "shop:Item"))[5:] == [
        " index  | kind  | field | entries | built",
        "--------+-------+-------+---------+-------",
        " i:rank | Index | rank  |       8 | yes",
    ]
    assert r.smembers("{Item}#built") == {b"i:rank"}
    assert r.zcard("{Item}#i:rank") == 8

    # the index removed again: stats names it, reindex drops its key
    write(app, V1)
    assert stats_lines(models(app, url, "stats", "shop:Item"))[4:] == [
        "indexes      none", "No longer in the model (reindex drops them): i:rank"]
    p = models(app, url, "reindex", "shop:Item")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().endswith("; indexes built: none; dropped: i:rank")
    assert r.exists("{Item}#i:rank", "{Item}#built") == 0


def test_reindex_of_a_model_without_objects(app: Path, vermilion_server: Any) -> None:
    write(app, V2)
    p = models(app, vermilion_server.url, "reindex", "shop:Item")
    assert p.returncode == 0, p.stderr
    m = SUMMARY.fullmatch(p.stdout.strip())
    assert m is not None and m.group(1) == "0", p.stdout
    assert p.stderr == ""  # no chunk, no progress


def test_progress_bar_on_a_terminal(app: Path, vermilion_server: Any) -> None:
    write(app, V1)
    assert python(app, vermilion_server.url, "import shop; shop.seed(10)").returncode == 0
    write(app, V2)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vermilion", "models", "reindex", "shop:Item", "--chunk", "4"],
        cwd=app, env=environment(vermilion_server.url), stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the command closed the terminal
            break
        if not data:
            break
        shown += data
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.stdout.close()
    assert proc.wait(60) == 0, shown
    text = shown.decode()
    assert text.startswith("\rreindex shop:Item [") and text.endswith("\r\n")  # line ended
    frames = text.rstrip("\r\n").split("\r")[1:]
    assert re.fullmatch(r"reindex shop:Item \[#{24}\] 10/10 \(100%\) (\d+/s|-)",
                        frames[-1].rstrip()), frames
    assert frames[0].startswith("reindex shop:Item [" + "#" * 9 + "." * 15 + "] 4/10 (40%)")
    assert SUMMARY.fullmatch(out.strip()) is not None


# -- stats ---------------------------------------------------------------------------------------
def test_stats_table(app: Path, vermilion_server: Any, r: Any) -> None:
    url = vermilion_server.url
    write(app, SHOP)
    code = """if True:
        import datetime as dt, time
        from vermilion.models import Repository
        from shop import Product
        products = Repository(Product)
        for k in range(5):
            products.save(Product(sku=f"s{k}", price=k / 2, added=dt.date(2026, 1, k + 1)),
                          expire_in=600 if k < 2 else None)
        products.save(Product(sku="gone", price=9.5, added=dt.date(2026, 2, 1)), expire_in_px=1)
        time.sleep(0.05)
    """
    p = python(app, url, code)
    assert p.returncode == 0, p.stderr
    assert stats_lines(models(app, url, "stats", "shop:Product")) == [
        "model        shop.Product",
        "key prefix   {shop-products} (objects at {shop-products}:<id>)",
        "objects      5",  # the expired one is reclaimed first, as every query does
        "with a TTL   2",
        "",
        " index   | kind   | field | entries | built",
        "---------+--------+-------+---------+-------",
        " i:price | Index  | price |       5 | yes",
        " i:added | Index  | added |       5 | yes",
        " u:sku   | Unique | sku   |       5 | yes",
    ]
    assert r.hlen("{shop-products}#u:sku") == 5
    # a nested class, by its qualified name
    assert stats_lines(models(app, url, "stats", "shop:Outer.Inner"))[:2] == [
        "model        shop.Outer.Inner", "key prefix   {Inner} (objects at {Inner}:<id>)"]


# -- expected failures: one line, exit status 1 -----------------------------------------------
@pytest.mark.parametrize(("spec", "message"), [
    ("shop", "'shop': name the model as module:Class (e.g. app.models:User)"),
    ("shop:", "'shop:': name the model as module:Class (e.g. app.models:User)"),
    ("shop:Pro-duct", "'shop:Pro-duct': name the model as module:Class (e.g. app.models:User)"),
    ("nosuch:Item", "cannot import module 'nosuch': No module named 'nosuch'"),
    ("nosuch.sub:Item", "cannot import module 'nosuch.sub': No module named 'nosuch'"),
    ("shop:Nope", "module 'shop' has no attribute 'Nope'"),
    ("shop:helper", "shop:helper is a function, not a vermilion.models.Model subclass"),
    ("shop:Plain", "shop:Plain is the class Plain, not a vermilion.models.Model subclass"),
    ("shop:Outer", "shop:Outer is the class Outer, not a vermilion.models.Model subclass"),
    ("vermilion.models:Model", "vermilion.models:Model is vermilion.models.Model itself: name a "
                               "model class"),
])
def test_bad_model_spec(app: Path, vermilion_server: Any, spec: str, message: str) -> None:
    write(app, SHOP)
    command = "reindex" if spec == "shop:helper" else "stats"  # both load the model alike
    assert one_line_error(models(app, vermilion_server.url, command, spec)) == message


def test_a_module_failing_inside_keeps_its_traceback(app: Path, vermilion_server: Any) -> None:
    """An import error inside the module is a bug of the module, shown in full."""
    write(app, "import missing_dependency_of_shop\n")
    p = models(app, vermilion_server.url, "stats", "shop:Item")
    assert p.returncode == 1
    assert "Traceback" in p.stderr
    assert "ModuleNotFoundError: No module named 'missing_dependency_of_shop'" in p.stderr


def test_a_model_vermilion_cannot_store(app: Path, vermilion_server: Any) -> None:
    write(app, """
        from vermilion.models import Model

        class Item(Model):
            class Meta:
                prefix = "{braces}"
            n: int
    """)
    assert one_line_error(models(app, vermilion_server.url, "stats", "shop:Item")) == (
        "shop:Item: Item: a key prefix cannot contain braces: '{braces}'")


@pytest.mark.parametrize("command", ["stats", "reindex"])
def test_redis_unreachable(app: Path, command: str) -> None:
    write(app, V2)
    message = one_line_error(models(app, "redis://127.0.0.1:1/0", command, "shop:Item"))
    assert "Connection refused" in message


def test_no_redis_configured(app: Path) -> None:
    write(app, V2)
    assert one_line_error(models(app, None, "reindex", "shop:Item")) == (
        "no Redis to read the objects from: give --url or set VERMILION_URL")


def test_bad_url(app: Path) -> None:
    write(app, V2)
    message = one_line_error(models(app, None, "stats", "shop:Item", "--url", "nonsense"))
    assert message.startswith("bad Redis URL: ")


def test_url_option_and_module_configuration(app: Path, vermilion_server: Any) -> None:
    """--url wins over VERMILION_URL; without either, what the module configured is used."""
    write(app, V1)
    assert python(app, vermilion_server.url, "import shop; shop.seed(4)").returncode == 0
    p = models(app, "redis://127.0.0.1:1/0", "stats", "shop:Item", "--url", vermilion_server.url)
    assert stats_lines(p)[2] == "objects      4"
    write(app, f"import vermilion\nvermilion.configure({vermilion_server.url!r})\n"
               + textwrap.dedent(V1))
    assert stats_lines(models(app, None, "stats", "shop:Item"))[2] == "objects      4"


def test_duplicates_under_a_new_unique_constraint(app: Path, vermilion_server: Any,
                                                  r: Any) -> None:
    url = vermilion_server.url
    write(app, V1)
    assert python(app, url, "import shop; shop.seed(5)").returncode == 0  # names n0 n1 n2 n0 n1
    write(app, V3_UNIQUE_NAME)
    p = models(app, url, "reindex", "shop:Item", "--chunk", "2")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    error = p.stderr.splitlines()[-1]  # after the progress lines
    assert error == ("vermilion models: error: Item.name: 2 object(s) hold a value another "
                     "object holds (first: 'i3' and 'i0'); fix them and run reindex again")
    assert r.smembers("{Item}#built") == set()  # the constraint stays not ready
    assert stats_lines(models(app, url, "stats", "shop:Item"))[-3] == (
        " u:name | Unique | name  |       3 | no")


def test_stored_data_the_model_cannot_read(app: Path, vermilion_server: Any, r: Any) -> None:
    write(app, V2)
    assert python(app, vermilion_server.url, "import shop; shop.save('ok', 1)").returncode == 0
    r.hset("{Item}:bad", "name", "written by something else")  # no rank
    r.zadd("{Item}#ids", {"bad": 0})
    p = models(app, vermilion_server.url, "reindex", "shop:Item")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.splitlines()[-1] == (
        "vermilion models: error: Item at key '{Item}:bad': the required field 'rank' is "
        "missing (written by something else?)")


def test_wrong_type_at_a_model_key(app: Path, vermilion_server: Any, r: Any) -> None:
    write(app, V2)
    r.set("{Item}#built", "not a set")
    assert one_line_error(models(app, vermilion_server.url, "stats", "shop:Item")) == (
        "key '{Item}#built' holds a Redis type that SMEMBERS cannot work on")


# -- arguments and help ----------------------------------------------------------------------------
@pytest.mark.parametrize("chunk", ["0", "-3", "x"])
def test_bad_chunk_is_a_usage_error(app: Path, chunk: str) -> None:
    p = models(app, None, "reindex", "shop:Item", "--chunk", chunk)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "argument --chunk:" in p.stderr


@pytest.mark.parametrize("args", [(), ("reindex",), ("stats",)], ids=["models", "reindex", "stats"])
def test_help_is_plain_text(app: Path, args: tuple[str, ...]) -> None:
    p = models(app, None, *args, "--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: vermilion models {' '.join(args)}".rstrip())
    for markup in ("``", ":class:", ":func:", ":mod:", ":meth:"):
        assert markup not in p.stdout, p.stdout
    if not args:
        assert "\n    reindex " in p.stdout and "\n    stats " in p.stdout


def test_models_is_listed_in_the_top_level_help() -> None:
    p = subprocess.run([sys.executable, "-m", "vermilion", "--help"], capture_output=True,
                       text=True, timeout=60)
    assert "\n    models " in p.stdout
    assert "vermilion models reindex app:User" in p.stdout
