"""Key policy: user keys verbatim, auxiliary keys in the same Cluster slot, readable generated keys."""

from __future__ import annotations

import secrets


def hash_tag(key: str) -> str | None:
    """Return the hash tag Redis Cluster would use for ``key``, or ``None`` when it has none."""
    start = key.find("{")
    if start < 0:
        return None
    end = key.find("}", start + 1)
    if end < 0 or end == start + 1:
        return None
    return key[start + 1 : end]


def aux_key(key: str, suffix: str) -> str:
    """The key of an auxiliary structure of the object stored at ``key``.

    ``aux_key("foo", "set") == "{foo}:set"``, which Redis Cluster hashes to the slot of ``foo``.
    A key that already carries a hash tag keeps it: ``aux_key("{u}:1", "set") == "{u}:1:set"``.
    """
    if hash_tag(key) is not None or "}" in key:
        # Keeps the existing tag; a key with a stray "}" cannot be co-located and is reported
        # by the cluster slot check of multi-key operations.
        return f"{key}:{suffix}"
    return f"{{{key}}}:{suffix}"


def generate_key(type_name: str) -> str:
    """A readable random key such as ``List:k3J9x2Qm1f0a``."""
    return f"{type_name}:{secrets.token_urlsafe(9)}"


def to_str(key: str | bytes) -> str:
    if isinstance(key, bytes):
        return key.decode()
    if not isinstance(key, str):
        raise TypeError(f"a Redis key must be str or bytes, not {type(key).__name__}")
    return key
