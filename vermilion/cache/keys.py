"""Cache keys from templates (``"user:email:{email}"``) and from a call's arguments.

A template is checked when it is made (its placeholders must be names) and every placeholder
must have a value when it is filled: a missing one is :class:`MissingKeyArgument`, raised
before any round trip.  Values a template does not name can be appended canonically
(:func:`with_extras`), so two different queries never share one entry.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

_FORMATTER = string.Formatter()
MAX_KEY = 400  # longer keys end in a SHA-256 of their tail


class MissingKeyArgument(KeyError):
    """A key template names a placeholder the call did not give a value for."""

    def __init__(self, template: str, missing: Iterable[str], given: Iterable[str]):
        self.template: str = template
        self.missing: tuple[str, ...] = tuple(missing)
        self.given: tuple[str, ...] = tuple(given)
        super().__init__(template)

    def __str__(self) -> str:
        names = ", ".join(self.missing)
        given = ", ".join(self.given) or "none"
        return (f"cache key template {self.template!r} needs {names}: pass "
                f"{', '.join(f'{n}=...' for n in self.missing)} (given: {given})")


def render(value: Any) -> str:
    """A value as it appears in a key: str, int, float and bool as ``str.format`` writes them,
    anything else as compact JSON (dates, UUIDs, enums, Pydantic models...)."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (int, float)):
        return str(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_SUBCLASS,
                            default=_default).decode()
    except TypeError as exc:
        raise TypeError(f"cannot put {value!r} into a cache key: {exc}") from None


def _default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    raise TypeError(f"{type(value).__name__} is not supported")


class KeyTemplate:
    """A ``str.format`` template whose placeholders are names of the call's values."""

    __slots__ = ("template", "names", "_parsed")

    def __init__(self, template: str, what: str = "key"):
        if not isinstance(template, str):
            raise TypeError(f"a cache {what} template must be a str, not {template!r}")
        names: list[str] = []
        try:
            parsed = list(_FORMATTER.parse(template))
        except ValueError as exc:
            raise ValueError(f"cache {what} template {template!r}: {exc}") from None
        for _, field, _, _ in parsed:
            if field is None:
                continue
            root = field.split(".", 1)[0].split("[", 1)[0]
            if not root.isidentifier():
                raise ValueError(f"cache {what} template {template!r}: placeholders must be "
                                 f"names (e.g. {{email}}), not {{{field}}}")
            if root not in names:
                names.append(root)
        self.template: str = template
        self.names: tuple[str, ...] = tuple(names)
        self._parsed = parsed

    def __repr__(self) -> str:
        return f"KeyTemplate({self.template!r})"

    def check(self, values: Mapping[str, Any]) -> None:
        missing = [n for n in self.names if n not in values]
        if missing:
            raise MissingKeyArgument(self.template, missing, values)

    def format(self, values: Mapping[str, Any]) -> str:
        """The template filled with ``values`` (each rendered by :func:`render`)."""
        self.check(values)
        out: list[str] = []
        for literal, field, spec, conversion in self._parsed:
            out.append(literal)
            if field is None:
                continue
            obj, _ = _FORMATTER.get_field(field, (), values)
            if conversion:
                obj = _FORMATTER.convert_field(obj, conversion)
            out.append(format(obj, spec) if spec else render(obj))
        return "".join(out)


_SIMPLE = frozenset({str, int, float, bool, type(None), bytes})


def memo_key(args: tuple[Any, ...], kwargs: Any) -> Any:
    """A dict key standing for a call's arguments, or ``None`` when they are not all plain
    str / int / float / bool / None / bytes (the types are part of it: ``1``, ``1.0`` and
    ``True`` are equal in Python but make different cache keys)."""
    for v in args:
        if type(v) not in _SIMPLE:
            return None
    items = tuple(kwargs.items()) if not isinstance(kwargs, tuple) else kwargs
    for _, v in items:
        if type(v) not in _SIMPLE:
            return None
    return (args, items, tuple(map(type, args)), tuple(type(v) for _, v in items))


def with_extras(base: str, values: Mapping[str, Any], named: Iterable[str]) -> str:
    """``base`` followed by every value a template did not name, sorted by name
    (``base?name=json&...``), so the key covers the whole query."""
    skip = set(named)
    rest = sorted((k, v) for k, v in values.items() if k not in skip)
    if not rest:
        return base
    tail = "&".join(f"{k}={orjson.dumps(v, default=_default).decode()}" for k, v in rest)
    return f"{base}?{tail}"


def bounded(key: str) -> str:
    """Keys longer than :data:`MAX_KEY` characters keep their head and end in a SHA-256."""
    if len(key) <= MAX_KEY:
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{key[:MAX_KEY - 70]}~{digest}"
