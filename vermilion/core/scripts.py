"""The Lua script registry: scripts live in ``.lua`` files and are called by SHA1 (EVALSHA).

The runner sends EVALSHA and, on ``NOSCRIPT``, resends the same call as EVAL (the script did not
run, so this is safe).  Inside pipelines and transactions the runner uses EVAL directly, so a
flushed script cache can never skip one command of a batch.
"""

from __future__ import annotations

import hashlib
from importlib import resources

_cache: dict[tuple[str, str], Script] = {}


class Script:
    """A named Lua script with its source and SHA1."""

    __slots__ = ("name", "source", "sha")

    def __init__(self, name: str, source: str):
        self.name: str = name
        self.source: str = source
        self.sha: str = hashlib.sha1(source.encode()).hexdigest()

    def __repr__(self) -> str:
        return f"Script({self.name!r})"


def _read(package: str, name: str) -> str:
    return resources.files(package).joinpath(f"lua/{name}.lua").read_text()


def load_script(name: str, package: str = "vermilion.types") -> Script:
    """Load ``<package>/lua/<name>.lua`` once per process.

    A line ``--!include other`` is replaced by ``<package>/lua/other.lua`` (shared Lua helpers;
    Redis scripts cannot call each other).  Included files may include others; each file is
    included once per script, where it is first named.
    """
    cached = _cache.get((package, name))
    if cached is None:
        lines: list[str] = []
        _expand(package, name, lines, {name})
        cached = _cache[(package, name)] = Script(name, "\n".join(lines) + "\n")
    return cached


def _expand(package: str, name: str, out: list[str], seen: set[str]) -> None:
    for line in _read(package, name).splitlines():
        if line.startswith("--!include "):
            other = line.split()[1]
            if other not in seen:
                seen.add(other)
                _expand(package, other, out, seen)
        else:
            out.append(line)
