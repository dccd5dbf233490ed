"""``vermilion sql``: one-shot statements, the shell fed through stdin, errors and exit codes.

The command runs as a subprocess against the session's private redis-server (VERMILION_URL in
its environment), except for the test of the embedded-server fallback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("apsw")

import vermilion.sql as vsql  # noqa: E402
from vermilion.cli.sqlshell import cell, format_table, split_statements  # noqa: E402


def run_cli(args: list[str], url: str | None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VERMILION_URL"}
    if url is not None:
        env["VERMILION_URL"] = url
    return subprocess.run([sys.executable, "-m", "vermilion", "sql", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture
def url(r: Any, vermilion_server: Any) -> str:
    """The flushed private server's URL, with database HN holding a small table."""
    with vsql.create_db("HN") as db:
        db.exec("CREATE TABLE hn(id INTEGER PRIMARY KEY, author TEXT, time INT, item TEXT)")
        db.exec("INSERT INTO hn VALUES (1, 'pg', 1160418111, json('{\"title\": \"Y\"}')),"
                "(2, NULL, 1160418112, NULL), (3, '日本語', 7, '{}')")
        db.create_statement("by_author", "SELECT id FROM hn WHERE author = ?1")
    return str(vermilion_server.url)


def test_one_statement_prints_an_aligned_table(url: str) -> None:
    p = run_cli(["HN", "SELECT id, author, json_extract(item, '$.title') AS title FROM hn "
                       "ORDER BY id"], url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        " id | author | title",
        "----+--------+-------",
        "  1 | pg     | Y",
        "  2 | NULL   | NULL",
        "  3 | 日本語 | NULL",
        "(3 rows)",
    ]
    assert p.stderr == ""


def test_writes_report_changes_and_persist(url: str) -> None:
    p = run_cli(["HN", "INSERT INTO hn(id, author) VALUES (10, 'a'), (11, 'b'); "
                       "UPDATE hn SET time = 5 WHERE id >= 10; SELECT count(*) AS n FROM hn"], url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["OK, 2 rows changed", "OK, 2 rows changed",
                                     " n", "---", " 5", "(1 row)"]
    with vsql.open("HN") as db:
        assert db.query("SELECT id, author, time FROM hn WHERE id >= 10 ORDER BY id") == [
            (10, "a", 5), (11, "b", 5)]


def test_sql_error_exits_1_and_stops(url: str) -> None:
    p = run_cli(["HN", "INSERT INTO hn(id) VALUES (20); SELEC 1; INSERT INTO hn(id) VALUES (21)"],
                url)
    assert p.returncode == 1
    assert p.stderr.startswith("Error: SQLError: ")
    assert "syntax error" in p.stderr
    with vsql.open("HN") as db:
        assert db.query("SELECT id FROM hn WHERE id >= 20") == [(20,)]


def test_constraint_error(url: str) -> None:
    p = run_cli(["HN", "INSERT INTO hn(id) VALUES (1)"], url)
    assert p.returncode == 1
    assert "ConstraintError" in p.stderr and "UNIQUE" in p.stderr


def test_missing_database_exits_1_unless_create(url: str) -> None:
    p = run_cli(["NOPE", "SELECT 1"], url)
    assert p.returncode == 1
    assert "'NOPE' does not exist" in p.stderr and "--create" in p.stderr
    assert not vsql.exists("NOPE")
    p = run_cli(["--create", "NOPE", "CREATE TABLE t(x); INSERT INTO t VALUES (1)"], url)
    assert p.returncode == 0, p.stderr
    with vsql.open("NOPE") as db:
        assert db.query("SELECT x FROM t") == [(1,)]


def test_readonly_refuses_writes(url: str) -> None:
    p = run_cli(["--readonly", "HN", "DELETE FROM hn"], url)
    assert p.returncode == 1
    assert "read-only" in p.stderr
    with vsql.open("HN") as db:
        assert db.query("SELECT count(*) FROM hn") == [(3,)]


def test_dot_command_as_argument(url: str) -> None:
    p = run_cli(["HN", ".tables"], url)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hn\n"


def test_shell_on_stdin(url: str) -> None:
    script = "\n".join([
        ".tables",
        "CREATE TABLE notes(id INTEGER PRIMARY KEY,",
        "                   body TEXT);",
        "INSERT INTO notes(body) VALUES ('semi; colon'), ('it''s');  SELECT body",
        "  FROM notes ORDER BY id;",
        ".schema notes",
        ".statements",
        "SELEC oops;",
        "SELECT count(*) AS c FROM notes;",
        ".bogus",
        ".dbs",
        ".help",
        ".quit",
        "DELETE FROM notes;",
    ]) + "\n"
    p = run_cli(["HN"], url, stdin=script)
    assert p.returncode == 1  # a statement failed
    out = p.stdout
    assert out.startswith("hn\nOK\nOK, 2 rows changed\n")
    assert " body\n-------------\n semi; colon\n it's\n(2 rows)\n" in out
    assert "CREATE TABLE notes(id INTEGER PRIMARY KEY,\n                   body TEXT);\n" in out
    assert " by_author | " in out
    assert " c\n---\n 2\n(1 row)\n" in out
    assert "\nHN\n" in out  # .dbs
    assert ".statements" in out  # .help
    errors = p.stderr.splitlines()
    assert len(errors) == 2
    assert "syntax error" in errors[0] and "'.bogus'" in errors[1]
    with vsql.open("HN") as db:  # .quit stopped before the DELETE
        assert db.query("SELECT count(*) FROM notes") == [(2,)]


def test_shell_runs_the_unterminated_last_statement(url: str) -> None:
    p = run_cli(["HN"], url, stdin="SELECT 1 AS one;\nSELECT 2 AS two -- no semicolon\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [" one", "-----", "   1", "(1 row)",
                                     " two", "-----", "   2", "(1 row)"]


def test_shell_transaction_and_rollback(url: str) -> None:
    p = run_cli(["HN"], url, stdin="BEGIN;\nDELETE FROM hn;\nROLLBACK;\n"
                                   "SELECT count(*) AS n FROM hn;\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["OK", "OK, 3 rows changed", "OK",
                                     " n", "---", " 3", "(1 row)"]


def test_without_url_uses_a_private_server_and_says_so() -> None:
    p = run_cli(["HN", "CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT x FROM t"], None)
    assert p.returncode == 0, p.stderr
    assert "private redis-server" in p.stderr and "vanishes" in p.stderr
    assert p.stdout.splitlines()[-3:] == ["---", " 1", "(1 row)"]


def test_bad_url_exits_1() -> None:
    p = run_cli(["HN", "SELECT 1"], "redis://127.0.0.1:1/0")
    assert p.returncode == 1
    assert p.stderr.startswith("Error:") and "Traceback" not in p.stderr


def test_demo_and_server_still_parse() -> None:
    from vermilion.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["server", "--help"])
    assert exc.value.code == 0
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0


# -- the pieces, in process -----------------------------------------------------------------------
def test_split_statements_respects_strings_comments_and_triggers() -> None:
    text = ("SELECT ';'; -- a ; comment\nCREATE TRIGGER t AFTER INSERT ON a BEGIN "
            "UPDATE a SET x = 1; END; SELECT 2")
    done, rest = split_statements(text)
    assert done == ["SELECT ';';",
                    "-- a ; comment\nCREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE a SET x = 1;"
                    " END;"]
    assert rest == " SELECT 2"


def test_cells_and_table() -> None:
    assert [cell(v) for v in (None, 1, 2.5, "a\nb", b"\x00\xff")] == [
        "NULL", "1", "2.5", "a\\nb", "X'00FF'"]
    assert format_table(("a",), []) == " a\n---\n(0 rows)"
    assert format_table(("long",), [("abcdefgh",)], max_width=4).splitlines()[2] == " abc…"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty")
def test_interactive_shell_on_a_terminal(url: str, tmp_path: Any) -> None:
    """On a tty: a banner, prompts (``HN> `` / ``...> `` while a statement is open), readline
    history saved in the home directory."""
    import pty
    import select

    master, slave = pty.openpty()
    env = dict(os.environ, VERMILION_URL=url, HOME=str(tmp_path), TERM="dumb")
    proc = subprocess.Popen([sys.executable, "-m", "vermilion", "sql", "HN"], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""

    def expect(text: str) -> None:
        nonlocal seen
        while text.encode() not in seen:
            ready, _, _ = select.select([master], [], [], 30)
            assert ready, f"waited for {text!r}, got {seen!r}"
            seen += os.read(master, 4096)

    try:
        expect("HN> ")
        assert b"Statements end with ';'" in seen
        os.write(master, b"SELECT count(*) AS n\n")
        expect("...> ")
        os.write(master, b"FROM hn;\n")
        expect("(1 row)")
        assert b" n\r\n---\r\n 3\r\n" in seen
        os.write(master, b".quit\n")
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert (tmp_path / ".vermilion_sql_history").read_text().splitlines() == [
        "SELECT count(*) AS n", "FROM hn;", ".quit"]


# -- import / export and .import / .backup --------------------------------------------------------
def _sqlite_file(path: Any, rows: int = 2000) -> Any:
    import sqlite3

    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", ((i, "x" * 500) for i in range(rows)))
    conn.close()
    return path


def test_import_and_export_subcommands(url: str, tmp_path: Any) -> None:
    import sqlite3

    source = _sqlite_file(tmp_path / "in.sqlite")
    p = run_cli(["import", str(source), "IMP"], url)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # no bar off a terminal
    assert p.stdout.startswith(f"imported {source} into IMP: ") and " pages, " in p.stdout
    assert len(p.stdout.splitlines()) == 1
    with vsql.open("IMP") as db:
        assert db.query("SELECT count(*) FROM t") == [(2000,)]
    out = tmp_path / "out.sqlite"
    p = run_cli(["export", "IMP", str(out)], url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"exported IMP to {out}: ")
    assert sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchall() == [(2000,)]
    # --replace imports over an existing database
    p = run_cli(["--replace", "import", str(_sqlite_file(tmp_path / "b.sqlite", 3)), "IMP"], url)
    assert p.returncode == 0, p.stderr
    with vsql.open("IMP") as db:
        assert db.query("SELECT count(*) FROM t") == [(3,)]


@pytest.mark.parametrize("args, message", [
    (["import", "{tmp}/in.sqlite", "HN"], "'HN' already exists (--replace"),
    (["import", "{tmp}/missing.sqlite", "NEW"], "no such file: {tmp}/missing.sqlite"),
    (["import", "{tmp}/text.sqlite", "NEW"], "{tmp}/text.sqlite is not a SQLite database"),
    (["export", "NOPE", "{tmp}/o.sqlite"], "'NOPE' does not exist"),
    (["export", "HN", "{tmp}/no/dir/o.sqlite"], "cannot open {tmp}/no/dir/o.sqlite"),
])
def test_import_export_failures_are_one_line(url: str, tmp_path: Any, args: list[str],
                                             message: str) -> None:
    _sqlite_file(tmp_path / "in.sqlite", 3)
    (tmp_path / "text.sqlite").write_text("not a database " * 100)
    p = run_cli([a.format(tmp=tmp_path) for a in args], url)
    assert p.returncode == 1
    assert p.stderr.startswith("Error: ") and len(p.stderr.splitlines()) == 1
    assert message.format(tmp=tmp_path) in p.stderr
    assert p.stdout == ""
    assert not vsql.exists("NEW")
    assert not (tmp_path / "o.sqlite").exists()


def test_import_export_need_a_url_and_old_usages_still_work(url: str, tmp_path: Any) -> None:
    p = run_cli(["import", str(_sqlite_file(tmp_path / "in.sqlite", 3)), "X"], None)
    assert p.returncode == 1 and "needs --url or VERMILION_URL" in p.stderr
    # two arguments: 'import' is a database name, as before
    p = run_cli(["--create", "import", "CREATE TABLE t(x); SELECT count(*) AS n FROM t"], url)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[-1] == "(1 row)"
    p = run_cli(["HN", "SELECT 1", "extra"], url)
    assert p.returncode == 2 and "unexpected argument 'extra'" in p.stderr


def test_dot_import_csv_and_backup(url: str, tmp_path: Any) -> None:
    import sqlite3

    csv_file = tmp_path / "people.csv"
    csv_file.write_text('id,name,"note, quoted"\n1,ann,x\n2,bob,"two\nlines"\n\n3,cy\n')
    backup = tmp_path / "backup.sqlite"
    script = "\n".join([
        f".import {csv_file} people",
        f".import --skip 1 {csv_file} people",
        f".import {tmp_path}/missing.csv people",
        ".import only-one-argument",
        "SELECT name, \"note, quoted\" FROM people ORDER BY rowid LIMIT 3;",
        f".backup {backup}",
    ]) + "\n"
    p = run_cli(["HN"], url, stdin=script)
    assert p.returncode == 1  # the missing file and the bad usage
    out = p.stdout.splitlines()
    assert out[:2] == ["OK, 3 rows imported into people (created people)",
                       "OK, 3 rows imported into people"]
    assert " bob  | two\\nlines" in out
    assert " cy   | NULL" in out  # a short row is padded with NULL
    assert out[-1] == f"OK, HN written to {backup}"
    errors = p.stderr.splitlines()
    assert len(errors) == 2 and "missing.csv" in errors[0] and "usage: .import" in errors[1]
    with vsql.open("HN") as db:
        assert db.query("SELECT count(*) FROM people") == [(6,)]
        assert db.query("SELECT type FROM pragma_table_info('people')") == [("TEXT",)] * 3
    assert sqlite3.connect(backup).execute("SELECT count(*) FROM people").fetchall() == [(6,)]


def test_dot_import_is_one_transaction_and_refused_readonly(url: str, tmp_path: Any) -> None:
    csv_file = tmp_path / "ids.csv"
    csv_file.write_text("1,a\n2,b\n1,again\n")
    p = run_cli(["HN"], url, stdin=f".import {csv_file} hn\n")
    assert p.returncode == 1 and "UNIQUE" in p.stderr
    with vsql.open("HN") as db:
        assert db.query("SELECT count(*) FROM hn") == [(3,)]  # nothing of the file
    p = run_cli(["--readonly", "HN"], url, stdin=f".import {csv_file} other\n")
    assert p.returncode == 1 and "--readonly" in p.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pty")
def test_import_shows_a_progress_bar_on_a_terminal(url: str, tmp_path: Any) -> None:
    import pty

    source = _sqlite_file(tmp_path / "in.sqlite", 20000)  # ~ 11 MB: several steps
    master, slave = pty.openpty()
    env = dict(os.environ, VERMILION_URL=url, TERM="dumb")
    proc = subprocess.Popen([sys.executable, "-m", "vermilion", "sql", "import", str(source),
                             "BAR"], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    seen = b""
    try:
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(60) == 0, seen
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = seen.decode()
    assert f"\rimport {source} [" in text and "(100%)" in text
    assert text.rstrip().splitlines()[-1].startswith(f"imported {source} into BAR: ")
