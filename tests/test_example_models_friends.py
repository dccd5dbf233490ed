"""examples/models_friends end to end: ``friends.py`` runs as a subprocess against the session's
private redis-server (``VERMILION_URL``), and what it prints and stores is checked here.

The example's ``User`` model is never imported into this process: model classes register by
class name for forward references (``Ref["User"]``), and this one would shadow other tests'.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pydantic")

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "models_friends" / "friends.py"
LUKE, HAN = "{User}:luke@rebels.org", "{User}:han@rebels.org"
KEYS = {"{User}#ids", "{User}#ix", "{User}#seq", LUKE, LUKE + ":friends", HAN, HAN + ":friends"}
HASH = re.compile(r"\$scrypt\$n=16384,r=8,p=1\$([A-Za-z0-9_-]{22})\$([A-Za-z0-9_-]{43})")


def run_example(url: str | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VERMILION_URL"}
    if url is not None:
        env["VERMILION_URL"] = url
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          env=env, timeout=120)


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def scrypt_matches(password: str, stored: str) -> bool:
    """The stored hash checked without the example's code."""
    m = HASH.fullmatch(stored)
    assert m is not None, stored
    digest = hashlib.scrypt(password.encode(), salt=_unb64(m.group(1)), n=2**14, r=8, p=1,
                            dklen=32)
    return hmac.compare_digest(digest, _unb64(m.group(2)))


def user_hash(r: Any, key: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in r.hgetall(key).items()}


def check_stored(r: Any) -> dict[str, str]:
    """What Redis holds after a walkthrough; returns Luke's hash."""
    assert {k.decode() for k in r.keys("*")} == KEYS
    luke, han = user_hash(r, LUKE), user_hash(r, HAN)
    assert set(luke) == set(han) == {"email", "name", "password", "_v"}
    assert (luke["email"], luke["name"]) == ("luke@rebels.org", "Luke Skywalker")
    assert (han["email"], han["name"]) == ("han@rebels.org", "Han Solo")
    assert scrypt_matches("UseTheForce", luke["password"])
    assert not scrypt_matches("TheForce", luke["password"])
    assert scrypt_matches("LetTheWookieWin", han["password"])
    assert r.lrange(LUKE + ":friends", 0, -1) == [HAN.encode()]
    assert r.lrange(HAN + ":friends", 0, -1) == [LUKE.encode()]
    assert r.zrange("{User}#ids", 0, -1) == [b"han@rebels.org", b"luke@rebels.org"]
    return luke


def redis_cli_reply(out: str, command: str) -> list[str]:
    """The numbered lines printed after ``redis> command``."""
    lines = out.splitlines()
    start = lines.index(f"redis> {command}") + 1
    reply: list[str] = []
    for line in lines[start:]:
        m = re.fullmatch(r'(\d+)\) "(.*)"', line)
        if m is None:
            break
        assert int(m.group(1)) == len(reply) + 1
        reply.append(m.group(2))
    return reply


def test_walkthrough_output_and_stored_keys(r: Any, vermilion_server: Any) -> None:
    p = run_example(vermilion_server.url)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""
    out = p.stdout
    lines = out.splitlines()

    def answer(code: str, nth: int = 0) -> str:
        """The line printed after the nth ``>>> code``."""
        at = [i for i, line in enumerate(lines) if line.startswith(f">>> {code}")][nth]
        return lines[at + 1]

    assert answer("luke['name']") == "'Luke Skywalker'"
    assert HASH.fullmatch(answer("luke['password']").strip("'"))
    assert answer("luke.verify_password('password')") == "False"
    assert answer("luke.verify_password('TheForce')") == "True"
    assert answer("luke['friends'][0]['name']") == "'Han Solo'"
    assert answer("luke.verify_password('TheForce')", 1) == "False"  # after the new password
    assert answer("luke.verify_password('UseTheForce')") == "True"
    luke = check_stored(r)

    # the redis-cli view is what Redis holds
    assert redis_cli_reply(out, "keys {User}*") == sorted(KEYS)
    pairs = redis_cli_reply(out, f"hgetall {LUKE}")
    assert dict(zip(pairs[::2], pairs[1::2])) == luke
    assert redis_cli_reply(out, f"lrange {LUKE}:friends 0 -1") == [HAN]

    # the second process loaded the stored hash as it is (not hashed again on load)
    second = out.split("[a new Python process, pid ", 1)[1].splitlines()
    assert second[0].rstrip("]").isdigit()
    assert second[1] == ">>> luke = users.get('luke@rebels.org')"
    assert f"password='{luke['password']}'" in second[2]
    assert second[3:] == [">>> luke['friends'][0]['name']", "'Han Solo'",
                          ">>> luke.verify_password('UseTheForce')", "True"]


def test_a_second_run_replaces_the_users_and_load_runs_alone(r: Any,
                                                              vermilion_server: Any) -> None:
    assert run_example(vermilion_server.url).returncode == 0
    first = check_stored(r)
    p = run_example(vermilion_server.url)
    assert p.returncode == 0, p.stdout + p.stderr
    again = check_stored(r)  # the same keys: the earlier users were deleted first
    assert again["password"] != first["password"]  # a new salt
    assert int(again["_v"]) > int(first["_v"])

    p = run_example(None, "--load", "luke@rebels.org", "--url", vermilion_server.url)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines()[-4:] == [">>> luke['friends'][0]['name']", "'Han Solo'",
                                          ">>> luke.verify_password('UseTheForce')", "True"]
    assert user_hash(r, LUKE) == again  # loading wrote nothing


def test_load_of_a_missing_user_fails(r: Any, vermilion_server: Any) -> None:
    p = run_example(vermilion_server.url, "--load", "leia@rebels.org")
    assert p.returncode == 1
    assert p.stderr == "friends.py: no User with id 'leia@rebels.org'\n"
    assert r.keys("*") == []


def test_load_without_a_redis_is_a_usage_error() -> None:
    p = run_example(None, "--load", "luke@rebels.org")
    assert p.returncode == 2
    assert "--load needs --url or VERMILION_URL" in p.stderr


def test_without_vermilion_url_it_runs_on_a_private_server(r: Any) -> None:
    """No VERMILION_URL: ``embedded://``; the reloading child reaches the same private server
    through the VERMILION_URL vermilion exports, and nothing lands on the test server."""
    p = run_example(None)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stderr == ""  # configure("embedded://") is explicit: no EmbeddedServerWarning
    assert p.stdout.startswith("No VERMILION_URL: a private redis-server holds the users")
    assert p.stdout.splitlines()[-3:] == ["'Han Solo'", ">>> luke.verify_password('UseTheForce')",
                                          "True"]
    assert r.keys("*") == []
