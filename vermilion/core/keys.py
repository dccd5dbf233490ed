"""Key policy: user keys verbatim, auxiliary keys in the same Cluster slot, readable generated keys."""

from __future__ import annotations

import functools
import secrets

from redis.crc import key_slot


def hash_tag(key: str) -> str | None:
    """Return the hash tag Redis Cluster would use for ``key``, or ``None`` when it has none."""
    start = key.find("{")
    if start < 0:
        return None
    end = key.find("}", start + 1)
    if end < 0 or end == start + 1:
        return None
    return key[start + 1 : end]


@functools.lru_cache(maxsize=1024)
def slot_tag(slot: int) -> str:
    """A short brace-free string that Redis Cluster hashes to ``slot`` (found by search: about
    16,000 CRC16s, a few milliseconds, once per slot)."""
    i = 0
    while True:
        tag = f"s{i}"
        if key_slot(tag.encode()) == slot:
            return tag
        i += 1


def aux_key(key: str, suffix: str) -> str:
    """The key of an auxiliary structure of the object stored at ``key``, in ``key``'s slot.

    ``aux_key("foo", "set") == "{foo}:set"``, which Redis Cluster hashes to the slot of ``foo``.
    A key that already carries a hash tag keeps it: ``aux_key("{u}:1", "set") == "{u}:1:set"``.
    A key with a stray ``}`` (``"a}b"``, ``"{}"``) cannot be wrapped in braces; its auxiliary keys
    carry a tag that hashes to the same slot: ``aux_key("a}b", "set") == "{s1234}:a}b:set"``.
    """
    if hash_tag(key) is not None:
        return f"{key}:{suffix}"
    if "}" in key:
        return f"{{{slot_tag(key_slot(key.encode()))}}}:{key}:{suffix}"
    return f"{{{key}}}:{suffix}"


def generate_key(type_name: str) -> str:
    """A readable random key such as ``List:k3J9x2Qm1f0a``."""
    return f"{type_name}:{secrets.token_urlsafe(9)}"


def to_str(key: str | bytes) -> str:
    """A key as the ``str`` vermilion keeps: bytes are decoded as UTF-8; a key Redis cannot be
    sent (not valid UTF-8, e.g. a lone surrogate) raises ``ValueError`` naming it."""
    if isinstance(key, bytes):
        try:
            return key.decode()
        except UnicodeDecodeError:
            raise ValueError(f"a Redis key given as bytes must be UTF-8: {key!r} is not") from None
    if not isinstance(key, str):
        raise TypeError(f"a Redis key must be str or bytes, not {type(key).__name__}")
    if not key.isascii():
        try:
            key.encode()
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"the Redis key {key!r} cannot be encoded as UTF-8 ({exc.reason} at position "
                f"{exc.start}); use a key without lone surrogates"
            ) from None
    return key
