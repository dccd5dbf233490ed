"""Models face: a differential state machine against an in-memory reference model.

Random saves (new and existing ids, ``only_create`` / ``only_update``, long TTLs), ``save_all``
batches, updates (``update(obj, ...)`` and bulk ``update(spec, ...)``), deletes (by id, object and
specification), TTL expiry in the middle of a sequence (a few ms, then a sleep: the reference
forgets the object), and queries (``filter`` with random trees of lookups on indexed, unique and
plain fields, ``&`` / ``|`` / ``~``, ``order`` on any field asc/desc, ``paginate``, ``count``,
``get`` by id, by unique value and by filter), and Units of Work (pending saves, updates and
deletes, queries inside the unit that must see them, commit or rollback) run on a
:class:`Repository` and on a dict ``id -> fields`` filtered and sorted in Python.  Refusals
(``UniqueViolation``, ``AlreadyExists``, ``NotFoundError``, ``SpecificationError``) must happen
exactly when the reference says, with nothing written.  After every step the storage is checked:
the id set, every ``#i:`` index, every ``#u:`` unique hash, the ``#ix`` records and the ``#exp``
deadlines hold exactly what the live objects imply (nothing of an expired or deleted object).

Result order (from ``model_query.lua`` and ``specs.sort_key``): objects sort by the ordered
keys, each ascending or descending, values compared as Python compares them (ints exactly at any
size, ``-0.0 == 0.0``, str by code point), ``None`` before every value (indexed or not: the
index encodes ``None`` below every family); ties on every key are broken by id, in the direction
of the *last* key (ascending with no order).  ``offset`` / ``limit`` apply after sorting.  The
fast path (one indexed key, read straight off the index) and the general path (sorted in the
script) must agree: every query is also run unfiltered with the same order.
"""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from vermilion.models import (
    AlreadyExists,
    Index,
    Model,
    MultipleResultsError,
    NotFoundError,
    Repository,
    SpecificationError,
    Unique,
    UniqueViolation,
    UnitOfWork,
    specs,
)
from vermilion.models.schema import index_member, unique_value


class DiffItem(Model):
    name: Annotated[str, Index] = ""             # indexed, stored as raw text
    rank: Annotated[int | None, Index] = None    # indexed, optional, ints of any size
    rating: Annotated[float, Index] = 0.0        # indexed float (negatives, -0.0, inf)
    email: Annotated[str | None, Unique] = None  # unique, optional
    code: Annotated[int | None, Unique] = None   # unique int (beyond 2**53 and int64 too)
    tag: str = ""                                # plain raw text
    note: str | None = None                      # plain, JSON (optional str)
    big: int = 0                                 # plain int of any size
    score: float | None = None                   # plain optional float


FIELDS = list(DiffItem.__schema__().fields)
INDEXED = {"name", "rank", "rating"}
UNIQUE = ("email", "code")
STR_FIELDS = {"name", "tag", "note", "email"}
RANGES = ("gt", "gte", "lt", "lte")

ID_POOL = ["a", "b", "ab", "B", "é", "日", "z9", "a-1"]
STRS = ["", "a", "ab", "abc", "b", "B", "é", "éa", "日本", "a\x00", "\U0001f600", "z"]
INTS = [0, 1, -1, 7, -7, 2**53 - 1, 2**53, 2**53 + 1, -(2**53) - 1, 2**63 - 1, 2**63,
        -(2**63), -(2**63) - 1, 2**70, -(2**70)]
FLOATS = [0.0, -0.0, 1.5, -1.5, -2.25, 1e-300, -1e300, 2.0**53, 2.0**60, -0.1,
          math.inf, -math.inf]
EMAILS = ["x", "y", "é", "日本", "x\x00"]
CODES = [1, 2, 2**60, 2**70, -(2**70)]

str_values = st.sampled_from(STRS) | st.text(st.characters(blacklist_categories=("Cs",)),
                                             max_size=3)
int_values = st.sampled_from(INTS) | st.integers(-3, 3)
float_values = st.sampled_from(FLOATS) | st.floats(allow_nan=False, allow_infinity=False)
FIELD_VALUES: dict[str, Any] = {
    "name": str_values,
    "rank": st.none() | int_values,
    "rating": float_values,
    "email": st.one_of(st.none(), st.none(), st.sampled_from(EMAILS)),  # free 2/3 of the time
    "code": st.one_of(st.none(), st.none(), st.sampled_from(CODES)),
    "tag": str_values,
    "note": st.none() | str_values,
    "big": int_values,
    "score": st.none() | float_values,
}
DEFAULTS = {n: f.default for n, f in DiffItem.__schema__().fields.items()}
ids = st.sampled_from(ID_POOL)
records = st.fixed_dictionaries(FIELD_VALUES)
changes = st.fixed_dictionaries({}, optional=FIELD_VALUES).filter(bool)


@st.composite
def leaves(draw: Any, stored: dict[str, list[Any]]) -> tuple[Any, ...]:
    """One lookup; operands drawn from the field's values, half of the time among those stored."""
    field = draw(st.sampled_from(["id", *FIELDS]))
    if field == "id":
        op = draw(st.sampled_from(["eq", "ne", "in", "not_in"]))
        one: Any = ids
    else:
        ops = ["eq", "ne", *RANGES, "in", "not_in"]
        if field in STR_FIELDS:
            ops.append("startswith")
        op = draw(st.sampled_from(ops))
        one = str_values if op == "startswith" else FIELD_VALUES[field]
        present = [v for v in stored.get(field, ()) if op != "startswith" or isinstance(v, str)]
        if present:
            one = st.sampled_from(present) | one
    value = tuple(draw(st.lists(one, max_size=3))) if op in ("in", "not_in") else draw(one)
    return ("leaf", field, op, value)


def trees(stored: dict[str, list[Any]] | None = None) -> Any:
    """Filter trees: a leaf, ``&``, ``|``, ``~`` and ``filter(a=.., b=..)`` of leaves."""
    leaf = leaves(stored or {})
    return st.recursive(
        leaf,
        lambda kids: (st.tuples(st.just("and"), kids, kids) | st.tuples(st.just("or"), kids, kids)
                      | st.tuples(st.just("not"), kids)
                      | st.tuples(st.just("multi"), st.lists(leaf, min_size=2, max_size=3,
                                                             unique_by=lambda x: (x[1], x[2])))),
        max_leaves=4,
    )


orders = st.lists(st.tuples(st.sampled_from(["id", *FIELDS]), st.booleans()), max_size=3,
                  unique_by=lambda x: x[0])
pages = st.none() | st.tuples(st.none() | st.integers(0, 4), st.none() | st.integers(0, 4))


# -- the reference -----------------------------------------------------------------------------
def _lookup(field: str, op: str) -> str:
    return field if op == "eq" else f"{field}__{op}"


def build(tree: Any) -> Any:
    """The FilterSpec of a tree."""
    kind = tree[0]
    if kind == "leaf":
        return specs.filter(**{_lookup(tree[1], tree[2]): tree[3]})
    if kind == "and":
        return build(tree[1]) & build(tree[2])
    if kind == "or":
        return build(tree[1]) | build(tree[2])
    if kind == "not":
        return ~build(tree[1])
    return specs.filter(**{_lookup(f, op): v for _, f, op, v in tree[1]})


def _scalar(v: Any) -> bool:
    """What the script compares as JSON (``specs._json_scalar``): larger ints and non-finite
    floats are sent as exact text, good for equality only."""
    if v is None or isinstance(v, (bool, str)):
        return True
    if isinstance(v, int):
        return -(2**53) <= v <= 2**53
    return math.isfinite(v)


def invalid(tree: Any) -> bool:
    """Whether compiling the tree raises SpecificationError: a range on a field with no index
    compared with a value JSON cannot hold exactly."""
    kind = tree[0]
    if kind == "leaf":
        _, field, op, value = tree
        return field not in INDEXED and op in RANGES and not _scalar(value)
    if kind == "multi":
        return any(invalid(leaf) for leaf in tree[1])
    return any(invalid(kid) for kid in tree[1:])


def holds(tree: Any, id: str, rec: dict[str, Any]) -> bool:
    kind = tree[0]
    if kind == "and":
        return holds(tree[1], id, rec) and holds(tree[2], id, rec)
    if kind == "or":
        return holds(tree[1], id, rec) or holds(tree[2], id, rec)
    if kind == "not":
        return not holds(tree[1], id, rec)
    if kind == "multi":
        return all(holds(leaf, id, rec) for leaf in tree[1])
    _, field, op, x = tree
    v = id if field == "id" else rec[field]
    if op == "eq":
        return bool(v == x)
    if op == "ne":
        return bool(v != x)
    if op == "in":
        return v in x
    if op == "not_in":
        return v not in x
    if op == "startswith":
        return isinstance(v, str) and v.startswith(x)
    if v is None or x is None:
        return False  # None orders against nothing
    return bool({"gt": v > x, "gte": v >= x, "lt": v < x, "lte": v <= x}[op])


def _okey(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)


def ordered(rows: dict[str, dict[str, Any]], order: list[tuple[str, bool]]) -> list[str]:
    """The ids of ``rows`` in result order (see the module docstring)."""
    out = sorted(rows, reverse=bool(order and order[-1][1]))
    for name, desc in reversed(order):
        out.sort(key=lambda i, n=name: _okey(i if n == "id" else rows[i][n]), reverse=desc)
    return out


def violates(state: dict[str, dict[str, Any]]) -> bool:
    for f in UNIQUE:
        held = [rec[f] for rec in state.values() if rec[f] is not None]
        if len(held) != len(set(held)):
            return True
    return False


def norm(rec: dict[str, Any]) -> dict[str, Any]:
    """Field values compared exactly (``-0.0`` is not ``0.0`` here: storage round-trips it)."""
    return {k: repr(v) if isinstance(v, float) else v for k, v in rec.items()}


def dump(obj: Any) -> tuple[str, dict[str, Any]]:
    data = obj.model_dump()
    return data.pop("id"), norm(data)


# -- the machine ---------------------------------------------------------------------------------
class ModelsMachine(RuleBasedStateMachine):
    client: Any = None

    def __init__(self) -> None:
        super().__init__()
        self.repo = Repository(DiffItem)
        schema = self.repo.schema
        self.client.delete(*schema.model_keys(), *(schema.key(i) for i in ID_POOL))
        self.ref: dict[str, dict[str, Any]] = {}
        self.ttl: set[str] = set()  # ids saved with a (long) TTL

    # helpers
    def trees(self) -> Any:
        stored = {f: sorted({repr(r[f]): r[f] for r in self.ref.values()}.values(), key=repr)
                  for f in FIELDS}
        return trees(stored)

    def matches(self, tree: Any, order: Any = (), page: Any = None,
                state: dict[str, dict[str, Any]] | None = None) -> list[str]:
        state = self.ref if state is None else state
        rows = {i: rec for i, rec in state.items() if tree is None or holds(tree, i, rec)}
        out = ordered(rows, list(order))
        if page is not None:
            limit, offset = page
            offset = offset or 0
            out = out[offset:None if limit is None else offset + limit]
        return out

    def spec_args(self, tree: Any, order: Any = (), page: Any = None) -> list[Any]:
        args = [] if tree is None else [build(tree)]
        if order:
            args.append(specs.order(*(("-" if desc else "") + f for f, desc in order)))
        if page is not None:
            args.append(specs.paginate(limit=page[0], offset=page[1]))
        return args

    def rows(self, ids_: list[str]) -> list[tuple[str, dict[str, Any]]]:
        return [(i, norm(self.ref[i])) for i in ids_]

    def check_unique_error(self, exc: UniqueViolation, state: dict[str, dict[str, Any]]) -> None:
        assert exc.field in UNIQUE
        assert exc.owner in state and state[exc.owner][exc.field] is not None

    # rules: writes
    @initialize(batch=st.lists(st.tuples(ids, records), min_size=2, max_size=6,
                               unique_by=lambda x: x[0]))
    def seed(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        """Start with a few objects (their unique values made distinct)."""
        taken: set[Any] = set()
        for i, drawn in batch:
            rec = dict(drawn)
            for f in UNIQUE:
                if (f, rec[f]) in taken:
                    rec[f] = None
                taken.add((f, rec[f]))
            self.ref[i] = rec
        self.repo.save_all([DiffItem(id=i, **rec) for i, rec in self.ref.items()])

    @rule(id=ids, rec=records, mode=st.sampled_from(["", "", "", "create", "update"]),
          long_ttl=st.booleans())
    def save(self, id: str, rec: dict[str, Any], mode: str, long_ttl: bool) -> None:
        obj = DiffItem(id=id, **rec)
        kw: dict[str, Any] = {"only_create": mode == "create", "only_update": mode == "update"}
        if long_ttl:
            kw["expire_in"] = 60
        exists = id in self.ref
        final = {**self.ref, id: rec}
        if mode == "create" and exists:
            with pytest.raises(AlreadyExists):
                self.repo.save(obj, **kw)
        elif mode == "update" and not exists:
            with pytest.raises(NotFoundError):
                self.repo.save(obj, **kw)
        elif violates(final):
            with pytest.raises(UniqueViolation) as info:
                self.repo.save(obj, **kw)
            self.check_unique_error(info.value, self.ref)
        else:
            assert self.repo.save(obj, **kw) is obj
            self.ref[id] = dict(rec)
            (self.ttl.add if long_ttl else self.ttl.discard)(id)

    @rule(batch=st.lists(st.tuples(ids, records), min_size=1, max_size=3,
                         unique_by=lambda x: x[0]))
    def save_all(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        objs = [DiffItem(id=i, **rec) for i, rec in batch]
        final = {**self.ref, **{i: rec for i, rec in batch}}
        if violates(final):
            with pytest.raises(UniqueViolation) as info:
                self.repo.save_all(objs)
            self.check_unique_error(info.value, final)
        else:
            assert self.repo.save_all(objs) == objs
            for i, rec in batch:
                self.ref[i] = dict(rec)
                self.ttl.discard(i)

    @rule(id=ids, ch=changes)
    def update_one(self, id: str, ch: dict[str, Any]) -> None:
        if id not in self.ref:
            with pytest.raises(NotFoundError):
                self.repo.update(DiffItem(id=id), **ch)
            return
        obj = self.repo.get(id)
        assert dump(obj) == (id, norm(self.ref[id]))
        new = {**self.ref[id], **ch}
        if violates({**self.ref, id: new}):
            with pytest.raises(UniqueViolation) as info:
                self.repo.update(obj, **ch)
            self.check_unique_error(info.value, self.ref)
        else:
            assert self.repo.update(obj, **ch) is obj
            assert dump(obj) == (id, norm(new))
            self.ref[id] = new

    @rule(data=st.data(), order=orders, page=pages, ch=changes)
    def update_bulk(self, data: Any, order: Any, page: Any, ch: dict[str, Any]) -> None:
        tree = data.draw(self.trees())
        args = self.spec_args(tree, order, page)
        if invalid(tree):
            with pytest.raises(SpecificationError):
                self.repo.update(*args, **ch)
            return
        hit = self.matches(tree, order, page)
        final = {**self.ref, **{i: {**self.ref[i], **ch} for i in hit}}
        if hit and violates(final):
            with pytest.raises(UniqueViolation) as info:
                self.repo.update(*args, **ch)
            self.check_unique_error(info.value, final)
        else:
            assert self.repo.update(*args, **ch) == len(hit)
            self.ref = final

    @rule(id=ids, as_obj=st.booleans())
    def delete_one(self, id: str, as_obj: bool) -> None:
        n = self.repo.delete(DiffItem(id=id) if as_obj else id)
        assert n == (1 if id in self.ref else 0)
        self.ref.pop(id, None)
        self.ttl.discard(id)

    @rule(data=st.data())
    def delete_bulk(self, data: Any) -> None:
        tree = data.draw(self.trees())
        if invalid(tree):
            with pytest.raises(SpecificationError):
                self.repo.delete(build(tree))
            return
        hit = self.matches(tree)
        assert self.repo.delete(build(tree)) == len(hit)
        for i in hit:
            del self.ref[i]
            self.ttl.discard(i)

    @rule(id=ids, rec=records, px=st.integers(1, 5),
          how=st.sampled_from(["save", "expire"]),
          then=st.sampled_from(["count", "claim", "unique", "filter"]), other=ids)
    def expire_midway(self, id: str, rec: dict[str, Any], px: int, how: str, then: str,
                      other: str) -> None:
        """An object expires between two steps: nothing may return, count or hold it."""
        if how == "save":
            if violates({**self.ref, id: rec}):
                with pytest.raises(UniqueViolation):
                    self.repo.save(DiffItem(id=id, **rec), expire_in_px=px)
                return
            self.repo.save(DiffItem(id=id, **rec), expire_in_px=px)
            old = rec
        else:
            if id not in self.ref:
                assert self.repo.expire(id, 0.001) is False
                return
            assert self.repo.expire(id, 0.001) is True
            old, px = self.ref[id], 1
        time.sleep((px + 10) / 1000)
        self.ref.pop(id, None)
        self.ttl.discard(id)
        with pytest.raises(NotFoundError):
            self.repo.get(id)
        assert self.repo.exists(id) is False
        # the first script after the expiry (each reclaims)
        if then == "count":
            assert self.repo.count() == len(self.ref)
        elif then == "claim":  # its unique values are free at once
            rec2 = {**(self.ref.get(other) or DEFAULTS), "email": old["email"], "code": old["code"]}
            final = {**self.ref, other: rec2}
            if violates(final):  # held by someone else already (never by the expired object)
                with pytest.raises(UniqueViolation) as info:
                    self.repo.save(DiffItem(id=other, **rec2))
                assert info.value.owner != id
                self.repo.count()
            else:
                self.repo.save(DiffItem(id=other, **rec2))
                self.ref[other] = rec2
                self.ttl.discard(other)
        elif then == "unique":
            for f in UNIQUE:
                if old[f] is not None:
                    owner = [i for i, r in self.ref.items() if r[f] == old[f]]
                    assert self.repo.count(specs.filter(**{f: old[f]})) == len(owner)
                    got = self.repo.filter(specs.filter(**{f: old[f]}))
                    assert [o.id for o in got] == owner
            self.repo.count()
        else:
            hit = self.matches(("leaf", "name", "eq", old["name"]))
            assert [o.id for o in self.repo.filter(specs.filter(name=old["name"]))] == hit
        if id not in self.ref:
            self.no_trace(id)

    @rule(ops=st.lists(st.tuples(st.sampled_from(["save", "delete", "update"]), ids, records,
                                 changes), min_size=1, max_size=3),
          data=st.data(), order=orders, page=pages, commit=st.booleans())
    def unit_of_work(self, ops: Any, data: Any, order: Any, page: Any, commit: bool) -> None:
        """Writes wait in a unit; its reads see them (read-your-writes); commit applies them all
        or nothing."""
        seen = {i: dict(rec) for i, rec in self.ref.items()}  # what the unit sees
        ttl = set(self.ttl)
        pending: dict[str, str] = {}  # id -> the mode of its pending write ("", "xx", "D")
        with UnitOfWork(self.repo) as uow:
            repo = uow.repository
            for kind, id, rec, ch in ops:
                if kind == "save":
                    repo.save(DiffItem(id=id, **rec))
                    seen[id], pending[id] = dict(rec), ""
                    ttl.discard(id)
                elif kind == "delete":
                    repo.delete(id)
                    seen.pop(id, None)
                    pending[id] = "D"
                    ttl.discard(id)
                elif id in seen:
                    obj = repo.get(id)
                    assert dump(obj) == (id, norm(seen[id]))
                    repo.update(obj, **ch)
                    seen[id] = {**seen[id], **ch}
                    pending[id] = "" if id in pending else "xx"  # the unit knows it exists
                else:
                    with pytest.raises(NotFoundError):
                        repo.get(id)
                    if pending.get(id) == "D":  # deleted in this unit
                        with pytest.raises(NotFoundError):
                            repo.update(DiffItem(id=id), **ch)
            tree = data.draw(st.none() | self.trees())
            args = self.spec_args(tree, order, page)
            if tree is not None and invalid(tree):
                with pytest.raises(SpecificationError):
                    repo.filter(*args)
            else:
                got = [dump(o) for o in repo.filter(*args)]
                want = self.matches(tree, order, page, seen)
                assert got == [(i, norm(seen[i])) for i in want]
                assert repo.count(*self.spec_args(tree)) == len(self.matches(tree, state=seen))
            if not commit:
                return  # rolled back: nothing written (the invariant checks)
            missing = [i for i, mode in pending.items() if mode == "xx" and i not in self.ref]
            if missing:
                with pytest.raises(NotFoundError):
                    uow.commit()
            elif violates(seen):
                with pytest.raises(UniqueViolation):
                    uow.commit()
            else:
                uow.commit()
                self.ref, self.ttl = seen, ttl

    # rules: reads
    @rule(data=st.data(), order=orders, page=pages)
    def query(self, data: Any, order: Any, page: Any) -> None:
        tree = data.draw(st.none() | self.trees())
        args = self.spec_args(tree, order, page)
        if tree is not None and invalid(tree):
            with pytest.raises(SpecificationError):
                self.repo.filter(*args)
            return
        got = [dump(o) for o in self.repo.filter(*args)]
        assert got == self.rows(self.matches(tree, order, page))
        # the same order over every object (one indexed key: straight off the index)
        got = [dump(o) for o in self.repo.filter(*self.spec_args(None, order, page))]
        assert got == self.rows(self.matches(None, order, page))

    @rule(data=st.data())
    def count(self, data: Any) -> None:
        tree = data.draw(st.none() | self.trees())
        args = self.spec_args(tree)
        if tree is not None and invalid(tree):
            with pytest.raises(SpecificationError):
                self.repo.count(*args)
            return
        assert self.repo.count(*args) == len(self.matches(tree))

    @rule(id=ids)
    def get_by_id(self, id: str) -> None:
        if id in self.ref:
            assert dump(self.repo.get(id)) == (id, norm(self.ref[id]))
        else:
            with pytest.raises(NotFoundError):
                self.repo.get(id)
        assert self.repo.exists(id) is (id in self.ref)

    @rule(field=st.sampled_from(UNIQUE), data=st.data())
    def get_by_unique(self, field: str, data: Any) -> None:
        value = data.draw(st.sampled_from(EMAILS if field == "email" else CODES))
        owner = [i for i, rec in self.ref.items() if rec[field] == value]
        if owner:
            assert dump(self.repo.get(specs.filter(**{field: value}))) == self.rows(owner)[0]
        else:
            with pytest.raises(NotFoundError):
                self.repo.get(specs.filter(**{field: value}))

    @rule(data=st.data())
    def get_by_filter(self, data: Any) -> None:
        tree = data.draw(self.trees())
        if invalid(tree):
            with pytest.raises(SpecificationError):
                self.repo.get(build(tree))
            return
        hit = self.matches(tree)
        if len(hit) == 1:
            assert dump(self.repo.get(build(tree))) == self.rows(hit)[0]
        else:
            with pytest.raises(NotFoundError if not hit else MultipleResultsError):
                self.repo.get(build(tree))

    # what Redis holds
    def no_trace(self, id: str) -> None:
        """After a script ran, nothing of the (gone) object ``id`` is left in any model key."""
        c, base, raw = self.client, self.repo.schema.base, id.encode()
        assert c.zscore(f"{base}#ids", id) is None
        assert c.zscore(f"{base}#exp", id) is None
        assert not c.hexists(f"{base}#ix", id)
        for f in INDEXED:
            for m in c.zrange(f"{base}#i:{f}", 0, -1):
                n = int.from_bytes(m[-2:], "big")
                assert m[-2 - n:-2] != raw, (f, m)
        for f in UNIQUE:
            assert raw not in c.hgetall(f"{base}#u:{f}").values()

    @invariant()
    def storage_matches(self) -> None:
        repo, c, codec = self.repo, self.client, self.repo._codec
        base = repo.schema.base
        assert repo.count() == len(self.ref)  # a script: reclaims what expired
        assert sorted(dump(o) for o in repo.all()) == sorted(self.rows(list(self.ref)))
        assert set(c.zrange(f"{base}#ids", 0, -1)) == {i.encode() for i in self.ref}
        for f in INDEXED:
            want = {index_member(rec[f], i, codec) for i, rec in self.ref.items()}
            assert set(c.zrange(f"{base}#i:{f}", 0, -1)) == want, f
        for f in UNIQUE:
            want_u = {unique_value(rec[f], codec): i.encode()
                      for i, rec in self.ref.items() if rec[f] is not None}
            assert c.hgetall(f"{base}#u:{f}") == want_u, f
        assert set(c.hkeys(f"{base}#ix")) == {i.encode() for i in self.ref}
        assert set(c.zrange(f"{base}#exp", 0, -1)) == {i.encode() for i in self.ttl}
        for i in ID_POOL:
            assert c.exists(repo.schema.key(i)) == (i in self.ref), i
            assert (repo.ttl_of(i) is not None) == (i in self.ttl), i


def run(client: Any, examples: int, steps: int) -> None:
    ModelsMachine.client = client
    run_state_machine_as_test(
        ModelsMachine,
        settings=settings(max_examples=examples, stateful_step_count=steps, deadline=None))


def test_models_differential(r: Any) -> None:
    run(r, examples=60, steps=30)


@pytest.mark.cluster
def test_models_differential_cluster(rc: Any) -> None:
    run(rc, examples=25, steps=25)


# -- the bugs the machine found, as plain examples ---------------------------------------------
class Plain(Model):
    rank: Annotated[int | None, Index] = None
    email: Annotated[str | None, Unique] = None
    big: int = 0
    score: float | None = None
    word: str = ""


def test_queries_on_a_model_never_written(r: Any) -> None:
    """No object yet: every index is complete (was IndexNotReady)."""
    repo = Repository(Plain)
    assert repo.filter(specs.filter(rank=1)) == []
    assert repo.filter(specs.order("-rank")) == []
    assert repo.count(specs.filter(email="x")) == 0
    repo.save(Plain(id="a", rank=1))
    r.delete("{Plain}#built")  # an index added after objects were stored: still refused
    with pytest.raises(Exception, match="not complete yet"):
        repo.filter(specs.filter(rank=1))


def test_plain_fields_compare_big_ints_and_infinities_exactly(r: Any) -> None:
    """JSON numbers are doubles in Lua: ints beyond 2**53 (and tagged beyond int64) and
    infinities were compared inexactly (or as strings) on fields with no index."""
    repo = Repository(Plain)
    values = {"a": 2**53 + 1, "b": 2**70, "c": -(2**70), "d": 2**53, "e": 2**63, "f": -3}
    repo.save_all([Plain(id=i, big=v, score=float(v) if i != "d" else math.inf)
                   for i, v in values.items()])

    def ids(*args: Any) -> list[str]:
        return [o.id for o in repo.filter(*args)]

    assert ids(specs.filter(big=2**53)) == ["d"]
    assert ids(specs.filter(big__gt=2**53)) == ["a", "b", "e"]
    assert ids(specs.filter(big__lt=-5)) == ["c"]
    assert ids(specs.filter(big__gte=-(2**53), big__lte=2**53)) == ["d", "f"]
    assert ids(specs.order("big")) == sorted(values, key=values.__getitem__)
    assert ids(specs.order("-big")) == sorted(values, key=values.__getitem__, reverse=True)
    assert ids(specs.filter(score__gt=1e20)) == ["b", "d"]  # 2.0**70 and inf
    assert ids(specs.filter(~specs.filter(score__lt=0.0)), specs.order("-score")) == [
        "d", "b", "e", "a"]


def test_unique_field_equal_to_none(r: Any) -> None:
    """None is never claimed in the unique hash: equality with None tests the field (was: no
    match, and ``ne=None`` matched everything)."""
    repo = Repository(Plain)
    repo.save_all([Plain(id="a", email="x"), Plain(id="b"), Plain(id="c", email="y")])
    assert [o.id for o in repo.filter(specs.filter(email=None))] == ["b"]
    assert [o.id for o in repo.filter(specs.filter(email__ne=None))] == ["a", "c"]
    assert [o.id for o in repo.filter(specs.filter(email__in=[None, "x"]))] == ["a", "b"]
    assert repo.count(specs.filter(email__not_in=[None])) == 2


def test_ranges_with_none_on_an_index_match_nothing(r: Any) -> None:
    """``rank__gte=None`` matched the objects whose rank is None on an index, nothing on a plain
    field and in Python (None orders against nothing)."""
    repo = Repository(Plain)
    repo.save_all([Plain(id="a"), Plain(id="b", rank=3)])
    for op in RANGES:
        assert repo.filter(specs.filter(**{f"rank__{op}": None})) == [], op
        assert repo.count(specs.filter(**{f"rank__{op}": None})) == 0, op
        assert repo.filter(specs.filter(**{f"score__{op}": None})) == [], op
    assert [o.id for o in repo.filter(specs.filter(rank=None))] == ["a"]
    for field in ("rank", "score", "word"):  # startswith takes a str, indexed or not
        with pytest.raises(SpecificationError):
            repo.filter(specs.filter(**{f"{field}__startswith": None}))


def test_negative_zero_in_exact_text_lookups(r: Any) -> None:
    """An ``in`` that holds a value JSON cannot (inf) compares stored text: 0.0 matches -0.0."""
    repo = Repository(Plain)
    repo.save_all([Plain(id="a", score=-0.0), Plain(id="b", score=math.inf), Plain(id="c")])
    assert [o.id for o in repo.filter(specs.filter(score__in=[0.0, math.inf]))] == ["a", "b"]
    assert [o.id for o in repo.filter(specs.filter(score__not_in=[0.0, math.inf]))] == ["c"]


def test_order_by_an_index_then_another_field(r: Any) -> None:
    """Ties on an indexed first key are broken by the next key, not by id."""
    repo = Repository(Plain)
    repo.save_all([Plain(id="a", rank=1, word="z"), Plain(id="b", rank=1, word="y"),
                   Plain(id="c", rank=None, word="x"), Plain(id="d", rank=2, word="w")])
    assert [o.id for o in repo.filter(specs.order("rank", "word"))] == ["c", "b", "a", "d"]
    assert [o.id for o in repo.filter(specs.order("-rank", "-word"))] == ["d", "a", "b", "c"]
    assert [o.id for o in repo.filter(specs.filter(word__ne="q"), specs.order("rank"))] == [
        "c", "a", "b", "d"]


def test_unit_of_work_updates_what_it_saved_and_not_what_it_deleted(r: Any) -> None:
    """In a unit, ``update`` after a pending save of a new object was queued as only_update and
    refused at commit (the object does not exist in Redis yet); ``update`` after a pending delete
    brought the object back."""
    repo = Repository(Plain)
    repo.save(Plain(id="old", word="o"))
    with UnitOfWork(repo) as uow:
        new = uow.repository.save(Plain(id="new", word="a"))
        uow.repository.update(new, word="b")
        assert uow.repository.update(specs.filter(word="b"), rank=5) == 1
        uow.commit()
    assert (repo.get("new").word, repo.get("new").rank) == ("b", 5)
    with UnitOfWork(repo) as uow:
        old = uow.repository.get("old")
        uow.repository.delete("old")
        with pytest.raises(NotFoundError):
            uow.repository.update(old, word="zz")
        uow.repository.save(Plain(id="x"))
        with pytest.raises(AlreadyExists):
            uow.repository.save(Plain(id="x"), only_create=True)
        uow.commit()
    assert not repo.exists("old") and repo.exists("x")
