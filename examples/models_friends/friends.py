"""Users with friends, stored in Redis with ``vermilion.models``.

The walkthrough of *Automagically storing Python objects in Redis* (a ``User`` with a name, an
email, a hashed password and a list of friends, hand-written there as ``RedisDict`` /
``RedisList``), written as a vermilion model::

    python friends.py                       # the walkthrough, then a second process reloads luke
    python friends.py --load luke@rebels.org    # just reload a user (another process, later)

Redis: ``--url``, else ``VERMILION_URL``, else a private redis-server started for this run
(``embedded://``; its data goes when the script exits, but the second process of the
walkthrough still reaches it: vermilion exports its URL in ``VERMILION_URL`` for children).

Passwords are hashed with ``hashlib.scrypt`` (the standard library) and a random salt: the blog
post's bcrypt is not a dependency of vermilion.  See README.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os
import re
import subprocess
import sys
from typing import Any

import redis
from pydantic import ValidationInfo, field_validator, model_validator

import vermilion
from vermilion.models import Children, Model, NotFoundError, Repository

# -- passwords -------------------------------------------------------------------------------
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # 16 MiB, ~50 ms a hash
_HASH = re.compile(r"\$scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``$scrypt$n=16384,r=8,p=1$<salt>$<hash>``: the parameters, a random 16-byte salt and the
    32-byte hash (URL-safe base64)."""
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                            dklen=32)
    return f"$scrypt$n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def is_password_hash(value: str) -> bool:
    return _HASH.fullmatch(value) is not None


def check_password(password: str, hashed: str) -> bool:
    """Whether ``password`` hashes to ``hashed`` (with the salt and parameters it holds)."""
    m = _HASH.fullmatch(hashed)
    if m is None:
        return False
    n, r, p = (int(x) for x in m.group(1, 2, 3))
    digest = hashlib.scrypt(password.encode(), salt=_unb64(m.group(4)), n=n, r=r, p=p,
                            dklen=32, maxmem=256 * r * n + 2**20)
    return hmac.compare_digest(digest, _unb64(m.group(5)))


# -- the model -------------------------------------------------------------------------------
class User(Model):
    """A user. Duh.  Stored as the hash ``{User}:<email>``; friends at ``{User}:<email>:friends``."""

    class Meta:
        autogenerate_id = False  # the id is the email, as in the blog post

    email: str
    name: str
    password: str
    friends: Children[list[User]] = []  # a Redis list of users, beside this one

    @model_validator(mode="before")
    @classmethod
    def _id_is_the_email(cls, data: Any) -> Any:
        """``User(email=..., ...)`` takes its id from the email."""
        if isinstance(data, dict) and data.get("id") is None and data.get("email"):
            data = {**data, "id": data["email"]}
        return data

    @field_validator("email")
    @classmethod
    def _email_is_the_id(cls, value: str, info: ValidationInfo) -> str:
        """The email names the object: changing it would be another user."""
        if info.data.get("id") not in (None, value):
            raise ValueError(f"a User's email is its id ({info.data['id']!r})")
        return value

    @field_validator("password")
    @classmethod
    def _hash_password(cls, value: str) -> str:
        """Plain text is hashed when set (``User(password=...)``, ``user["password"] = ...``).
        Validators also run when a user is loaded from Redis, on the stored hash: a hash is kept
        as it is, never hashed again."""
        return value if is_password_hash(value) else hash_password(value)

    def verify_password(self, attempt: str) -> bool:
        """Verify if a given password is correct (the blog post's ``verifyPassword``)."""
        return check_password(attempt, self.password)


# -- the walkthrough ---------------------------------------------------------------------------
LUKE, HAN = "luke@rebels.org", "han@rebels.org"


def say(text: str = "") -> None:
    print(text, flush=True)


def show(code: str, value: Any) -> Any:
    """Print ``>>> code`` and the value's repr, as the interpreter does."""
    say(f">>> {code}")
    if value is not None:
        say(repr(value))
    return value


def quoted(data: bytes) -> str:
    """A reply string as redis-cli prints it."""
    out = []
    for byte in data:
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= byte < 127:
            out.append(ch)
        else:
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\x{byte:02x}"))
    return '"' + "".join(out) + '"'


def redis_cli(client: Any, *command: str) -> list[bytes]:
    """Run ``command`` and print it and its reply the way redis-cli does."""
    say("redis> " + " ".join(command))
    if command[0] == "keys":  # SCAN rather than KEYS, so a shared server is not blocked
        reply: list[bytes] = sorted(client.scan_iter(match=command[1], count=1000))
    else:
        reply = client.execute_command(*command)
        if isinstance(reply, dict):  # RESP3 answers HGETALL with a map
            reply = [x for pair in reply.items() for x in pair]
    for i, item in enumerate(reply, 1):
        say(f"{i}) {quoted(item)}")
    if not reply:
        say("(empty array)")
    return reply


def plain_client(url: str) -> Any:
    """A redis-py client (no vermilion) for the redis-cli view."""
    if url.startswith(("redis+cluster://", "rediss+cluster://")):
        return redis.RedisCluster.from_url(url.replace("+cluster", "", 1))
    return redis.Redis.from_url(url)


def walkthrough() -> None:
    users = Repository(User)
    users.delete(users.specs.filter(id__in=[LUKE, HAN]))  # a fresh start on a server kept
    say("--- users with friends, stored in Redis ---")
    luke = show("luke = users.save(User(name='Luke Skywalker', email='luke@rebels.org', "
                "password='TheForce'))",
                users.save(User(name="Luke Skywalker", email=LUKE, password="TheForce")))
    show("luke['name']", luke["name"])
    show("luke['password']      # hashed by the field validator", luke["password"])
    show("luke.verify_password('password')", luke.verify_password("password"))
    show("luke.verify_password('TheForce')", luke.verify_password("TheForce"))
    han = show("han = users.save(User(name='Han Solo', email='han@rebels.org', "
               "password='LetTheWookieWin'))",
               users.save(User(name="Han Solo", email=HAN, password="LetTheWookieWin")))
    show("luke['friends'].append(han)     # a Redis list, written at once",
         luke["friends"].append(han))
    show("han['friends'].append(luke)", han["friends"].append(luke))
    show("luke['friends'][0]['name']", luke["friends"][0]["name"])
    say()
    say("--- a new password, set through __setitem__ (validated: hashed again) ---")
    show("luke['password'] = 'UseTheForce'", luke.__setitem__("password", "UseTheForce"))
    say(">>> users.save(luke)")
    users.save(luke)
    show("luke.verify_password('TheForce')", luke.verify_password("TheForce"))
    show("luke.verify_password('UseTheForce')", luke.verify_password("UseTheForce"))
    say()
    say("--- what Redis holds (as redis-cli shows it) ---")
    client = plain_client(os.environ["VERMILION_URL"])  # the URL in use (configure exports it)
    redis_cli(client, "keys", "{User}*")
    redis_cli(client, "hgetall", luke.key)
    redis_cli(client, "lrange", luke["friends"].key, "0", "-1")
    client.close()
    say()
    say("--- stop Python, start it again: a new process loads the same objects ---")
    sys.stdout.flush()
    status = subprocess.call([sys.executable, os.path.abspath(__file__), "--load", LUKE])
    if status != 0:
        raise SystemExit(f"the reloading process failed (exit status {status})")
    reloaded = users.get(LUKE)
    assert reloaded.password == luke.password, "a stored hash must not be hashed again on load"


def load(email: str) -> None:
    """A fresh process: nothing in memory, the user comes back from Redis."""
    users = Repository(User)
    say(f"[a new Python process, pid {os.getpid()}]")
    try:
        found = users.get(email)
    except NotFoundError as exc:
        raise SystemExit(f"friends.py: {exc}") from None
    luke = show(f"luke = users.get({email!r})", found)
    show("luke['friends'][0]['name']", luke["friends"][0]["name"])
    show("luke.verify_password('UseTheForce')", luke.verify_password("UseTheForce"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("VERMILION_URL"),
                        help="Redis URL (default: VERMILION_URL, else a private redis-server "
                             "for this run)")
    parser.add_argument("--load", metavar="EMAIL", help="only load this user and its friends")
    args = parser.parse_args(argv)
    if args.load:
        if not args.url:
            parser.error("--load needs --url or VERMILION_URL (the Redis the users are in)")
        vermilion.configure(args.url)
        load(args.load)
        return 0
    if args.url:
        vermilion.configure(args.url)
    else:
        vermilion.configure("embedded://")  # a private redis-server, started on first use
        say("No VERMILION_URL: a private redis-server holds the users for this run.")
    walkthrough()
    return 0


if __name__ == "__main__":
    sys.exit(main())
