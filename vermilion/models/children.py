"""``Children[...]`` fields: live vermilion containers stored beside their parent object.

``luke.friends`` is a :class:`vermilion.List` at ``{User}:luke:friends`` (the parent's key plus
``:friends``: the same Cluster slot).  Items that are models are stored as their keys (readable in
``redis-cli``, as the seed's ``User:<id>`` entries) and read back as :class:`Reference` objects
that load on first attribute access; other items go through the codec.  Every write to a child
also gives it its parent's TTL in the same round trip, so a child created after its parent was
saved with an expiry expires with it; deleting or expiring the parent deletes its children.
"""

from __future__ import annotations

import typing
from collections.abc import Generator
from typing import Any

from ..core.calls import Call, Operation, run_script
from ..core.codec import Codec
from ..core.scripts import load_script
from .model import Model, Reference, binding, resolve_model
from .schema import ChildSpec, ref_key

_CHILD_TTL = load_script("model_child_ttl", "vermilion.models")


class RefCodec:
    """The container codec of a model's children: model objects and references are stored as
    their keys (``{User}:han``); everything else through ``inner`` (whose encodings never
    start with ``{``+letter)."""

    name = "ref"

    def __init__(self, target: Any, inner: Codec, loader: Any):
        self.target = target
        self.inner = inner
        self.loader = loader
        self.head: bytes = resolve_model(target).__schema__().base.encode() + b":"

    def encode(self, value: Any) -> bytes:
        if isinstance(value, (Model, Reference)):
            key = ref_key(value)
            assert key is not None
            data = key.encode()
            if not data.startswith(self.head):
                raise TypeError(f"this container holds references to "
                                f"{resolve_model(self.target).__name__} objects, not {value!r}")
            return data
        return self.inner.encode(value)

    def decode(self, data: bytes, opener: Any = None) -> Any:
        if data.startswith(self.head):
            return Reference(data.decode(), self.target, self.loader)
        return self.inner.decode(data, opener)


def _model_target(item: Any) -> Any:
    """The model class (or its forward name) of a container item annotation, or ``None``."""
    if isinstance(item, type) and issubclass(item, Model):
        return item
    if isinstance(item, str) or hasattr(item, "__forward_arg__"):
        return item
    origin = typing.get_origin(item)
    if origin is typing.Union:
        for arg in typing.get_args(item):
            found = _model_target(arg)
            if found is not None:
                return found
    return None


def _with_parent_ttl(operation: Operation, parent: str, child: str) -> Generator[Any, Any, Any]:
    """Run ``operation``, sending after each of its writes (in the same round trip) the script
    that copies the parent's TTL to the child."""
    follow = run_script(_CHILD_TTL, [parent, child], [])
    try:
        req = next(operation)
    except StopIteration as stop:
        return stop.value
    while True:
        try:
            if isinstance(req, Call) and not req.readonly:
                replies = yield [req, follow]
                value = replies[0]
            elif type(req) is list and any(not c.readonly for c in req):
                replies = yield [*req, follow]
                value = replies[:-1]
            else:
                value = yield req
        except Exception as exc:  # noqa: BLE001 - handed to the operation, as the runner would
            try:
                req = operation.throw(exc)
            except StopIteration as stop:
                return stop.value
            continue
        try:
            req = operation.send(value)
        except StopIteration as stop:
            return stop.value


class _ChildMixin:
    _parent_key: str

    def _run(self, operation: Operation, allowed_in_tx: bool, name: str) -> Any:
        wrapped = _with_parent_ttl(operation, self._parent_key, self.key)  # type: ignore[attr-defined]
        return super()._run(wrapped, allowed_in_tx, name)  # type: ignore[misc]


_classes: dict[tuple[str, type], type] = {}


def _child_class(face: str, container: type) -> type:
    found = _classes.get((face, container))
    if found is None:
        import vermilion
        import vermilion.aio

        ns = vermilion if face == "sync" else vermilion.aio
        bases: dict[type, type] = {list: ns.List, set: ns.Set, dict: ns.Dict}
        base = bases[container]
        found = type(f"Child{base.__name__}", (_ChildMixin, base), {"__module__": __name__})
        _classes[(face, container)] = found
    return found


def open_child(obj: Model, spec: ChildSpec) -> Any:
    """The live container of ``obj``'s children field ``spec`` (on ``obj``'s repository's
    client and face, or the default sync client for an object never saved or loaded)."""
    bound = binding(obj)
    repo = bound.repo
    face = bound.face if repo is not None else "sync"
    client = repo._client if repo is not None else None
    from ..core import config

    codec: Codec = repo._codec if repo is not None else config.default_codec()
    name = _model_target(spec.item)
    if name is not None:
        target = resolve_model(name, type(obj))
        loader = repo._other(target) if repo is not None else None
        codec = RefCodec(target, codec, loader)
    cls = _child_class(face, spec.container)
    child = cls(key=f"{obj.key}:{spec.name}", client=client, codec=codec)
    child._parent_key = obj.key
    return child
