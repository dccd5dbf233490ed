"""The models face: Pydantic models in Redis, Repository, specifications, Unit of Work, TTLs."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import time
import uuid
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError, field_validator

import vermilion as vm
from vermilion.models import (
    AlreadyExists,
    Children,
    Index,
    IndexNotReady,
    LazyCommand,
    Model,
    MultipleResultsError,
    NotFoundError,
    Ref,
    Reference,
    Repository,
    SpecificationError,
    StoredDataError,
    Unique,
    UniqueViolation,
    UnitOfWork,
)


class User(Model):
    email: Annotated[str, Unique]
    name: Annotated[str, Index]
    age: Annotated[int, Index] = 0
    balance: float = 0.0
    password: str = ""
    best_friend: Ref[User] | None = None
    friends: Children[list[User]]

    @field_validator("password")
    @classmethod
    def hash_password(cls, v: str) -> str:
        return v if v.startswith("h:") or not v else "h:" + v[::-1]


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    city: str
    zip: int


class Everything(Model):
    when: dt.datetime
    day: dt.date
    at: dt.time
    span: dt.timedelta
    price: decimal.Decimal
    color: Color
    tags: set[str]
    pair: tuple[int, str]
    mapping: dict[int, str]
    uid: uuid.UUID
    blob: bytes
    address: Address
    maybe: str | None = None
    anything: Any = None


@pytest.fixture
def users(r: Any) -> Repository[User]:
    return Repository(User)


def luke_and_han(users: Repository[User]) -> tuple[User, User]:
    luke = users.save(User(id="luke@rebels.org", email="luke@rebels.org", name="Luke", age=19))
    han = users.save(User(email="han@rebels.org", name="Han", age=32))
    return luke, han


def test_the_issue_example(users: Repository[User]) -> None:
    luke, han = luke_and_han(users)
    assert han.key.startswith("{User}:") and len(han.id) >= 12
    luke.friends.append(han)
    luke = users.get("luke@rebels.org")
    assert luke.friends[0].name == "Han" and luke["name"] == "Luke"
    assert users.get(users.specs.filter(email="han@rebels.org")).id == han.id
    s = users.specs
    adults = users.filter(s.filter(age__gte=18, name__startswith="L"), s.order("-age"),
                          s.paginate(limit=10, offset=0))
    assert [u.id for u in adults] == ["luke@rebels.org"]
    assert users.count(s.filter(age__lt=30)) == 1
    names = users.filter(s.only("name"))
    assert sorted(u.name for u in names) == ["Han", "Luke"]
    either = users.filter(s.filter(age__gte=18) | s.filter(name="Han"))
    assert len(either) == 2
    lazy = users.filter(s.filter(age__gte=18), lazy=True)
    assert isinstance(lazy, LazyCommand) and len(lazy) == 2
    assert users.update(s.filter(age__lt=21), balance=5.0) == 1
    assert users.get("luke@rebels.org").balance == 5.0
    assert users.delete(han) == 1
    assert users.count() == 1


def test_redis_cli_view(users: Repository[User], r: Any) -> None:
    luke, han = luke_and_han(users)
    luke.friends.append(han)
    stored = r.hgetall("{User}:luke@rebels.org")
    assert stored[b"name"] == b"Luke" and stored[b"email"] == b"luke@rebels.org"
    assert stored[b"age"] == b"19" and b"_v" in stored
    assert r.lrange("{User}:luke@rebels.org:friends", 0, -1) == [han.key.encode()]


def test_round_trips(users: Repository[User], r: Any) -> None:
    luke, han = luke_and_han(users)
    users.update(luke, best_friend=han)
    s = users.specs
    for _ in range(2):  # the second pass runs with the scripts loaded
        r.round_trips.reset()
        users.save(User(email="leia@rebels.org", name="Leia", age=19), expire_in=60)
        assert r.round_trips.count == 1
        r.round_trips.reset()
        users.get("luke@rebels.org")
        assert r.round_trips.count == 1
        r.round_trips.reset()
        page = users.filter(s.filter(age__gte=18, balance__gte=0.0), s.order("-age", "name"),
                            s.paginate(limit=3, offset=0), s.join("best_friend"))
        assert r.round_trips.count == 1
        assert [u.name for u in page] == ["Han", "Leia", "Luke"]
        assert page[-1].best_friend.name == "Han"  # joined: no load on access
        assert r.round_trips.count == 1
        r.round_trips.reset()
        users.count(s.filter(name__startswith="L"))
        assert r.round_trips.count == 1
        r.round_trips.reset()
        with UnitOfWork(users) as uow:
            u = uow.repository.get("luke@rebels.org")
            u.balance += 1
            uow.repository.save(u)
            uow.repository.delete(uow.repository.get(s.filter(email="leia@rebels.org")))
            uow.commit()
        assert r.round_trips.count == 3  # one per read, one for the commit
        assert users.count() == 2


def test_query_round_trips_do_not_grow_with_the_model(users: Repository[User], r: Any) -> None:
    users.save_all([User(email=f"u{i}@x", name=f"N{i:04d}", age=i % 90) for i in range(2000)])
    s = users.specs
    users.filter(s.filter(age=42), s.order("name"))
    r.round_trips.reset()
    found = users.filter(s.filter(age=42), s.order("name"), s.paginate(limit=5))
    assert r.round_trips.count == 1
    assert [u.name for u in found] == [f"N{i:04d}" for i in range(42, 2000, 90)][:5]


def test_values_round_trip_exactly(r: Any) -> None:
    repo = Repository(Everything)
    obj = Everything(
        when=dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        day=dt.date(2024, 2, 29), at=dt.time(23, 59, 59, 999999), span=dt.timedelta(days=-1, seconds=5),
        price=decimal.Decimal("10.10"), color=Color.BLUE, tags={"a", "b"}, pair=(1, "x"),
        mapping={1: "one", 2: "two"}, uid=uuid.uuid4(), blob=b"\x00\xff",
        address=Address(city="Paris", zip=75001),
        anything=(1, [2, {3: "4"}]))
    repo.save(obj)
    back = repo.get(obj.id)
    assert back == obj
    assert back.anything == (1, [2, {3: "4"}]) and isinstance(back.anything, tuple)
    assert str(back.price) == "10.10" and back.when.utcoffset() == dt.timedelta(hours=2)


class Measure(Model):
    n: Annotated[int, Index] = 0
    x: Annotated[float, Index] = 0.0
    s: Annotated[str, Index] = ""
    t: Annotated[dt.datetime | None, Index] = None
    k: Annotated[Color, Index] = Color.RED


def test_index_order_is_pythons(r: Any) -> None:
    repo = Repository(Measure)
    ns = [-(2**70), -5, -1, 0, 1, 2**53, 2**53 + 1, 2**70]
    xs = [float("-inf"), -1.5, -0.0, 1e-300, 2.5, 1e300, float("inf"), 3.0]
    ss = ["", "a", "a\x00", "a\x00b", "ab", "é", "z", "\U0001f600"]
    ts = [None, dt.datetime(1969, 12, 31, 23, 59), dt.datetime(2000, 1, 1), None,
          dt.datetime(2038, 1, 19, 3, 14, 8), dt.datetime(1, 1, 1), dt.datetime(9999, 1, 1), None]
    repo.save_all([Measure(id=f"m{i}", n=n, x=x, s=s, t=t)
                   for i, (n, x, s, t) in enumerate(zip(ns, xs, ss, ts))])
    spec = repo.specs
    for field, values in (("n", ns), ("x", xs), ("s", ss)):
        got = [getattr(m, field) for m in repo.filter(spec.order(field))]
        assert got == sorted(values), field
        desc = [getattr(m, field) for m in repo.filter(spec.order("-" + field))]
        assert desc == sorted(values, reverse=True), field
        for probe in values:
            for op, test in (("gt", lambda a, b: a > b), ("gte", lambda a, b: a >= b),
                             ("lt", lambda a, b: a < b), ("lte", lambda a, b: a <= b)):
                got = sorted(getattr(m, field) for m in
                             repo.filter(spec.filter(**{f"{field}__{op}": probe})))
                assert got == sorted(v for v in values if test(v, probe)), (field, op, probe)
            eq = [getattr(m, field) for m in repo.filter(spec.filter(**{field: probe}))]
            assert eq == [v for v in values if v == probe]
    assert [m.s for m in repo.filter(spec.filter(s__startswith="a"))] == ["a", "a\x00", "a\x00b", "ab"]
    assert [m.s for m in repo.filter(spec.filter(s__startswith="a\x00"))] == ["a\x00", "a\x00b"]
    dated = [m.t for m in repo.filter(spec.filter(t__gte=dt.datetime(1970, 1, 1)), spec.order("t"))]
    assert dated == [dt.datetime(2000, 1, 1), dt.datetime(2038, 1, 19, 3, 14, 8), dt.datetime(9999, 1, 1)]
    assert repo.count(spec.filter(t=None)) == 3
    assert [m.t for m in repo.filter(spec.order("t"))][:4] == [None, None, None, dt.datetime(1, 1, 1)]
    assert repo.count(spec.filter(t__lt=dt.datetime(1970, 1, 1))) == 2  # None is not a datetime
    assert repo.count(spec.filter(k=Color.RED)) == 8 and repo.count(spec.filter(k="blue")) == 0


def test_filters_on_fields_without_index(users: Repository[User]) -> None:
    luke, han = luke_and_han(users)
    users.update(han, balance=12.5)
    s = users.specs
    assert [u.name for u in users.filter(s.filter(balance__gt=10))] == ["Han"]
    assert [u.name for u in users.filter(s.filter(balance=0))] == ["Luke"]
    assert [u.name for u in users.filter(s.filter(password__ne=""))] == []
    assert [u.name for u in users.filter(s.filter(email__like="han@%"))] == ["Han"]
    assert [u.name for u in users.filter(s.filter(email__like="%REBELS%"))] == []
    assert [u.name for u in users.filter(~s.filter(name="Han"))] == ["Luke"]
    assert [u.name for u in users.filter(s.filter(id="luke@rebels.org"))] == ["Luke"]
    assert [u.name for u in users.filter(s.filter(id__in=["luke@rebels.org", "nobody"]))] == ["Luke"]
    assert [u.name for u in users.filter(s.filter(age__in=[32, 40]), s.order("balance"))] == ["Han"]
    assert [u.name for u in users.filter(s.filter(age__not_in=[32]))] == ["Luke"]
    assert [u.name for u in users.filter(s.order("-balance"))] == ["Han", "Luke"]


def test_nested_fields(r: Any) -> None:
    class Shop(Model):
        address: Address
        rating: int = 0

    repo = Repository(Shop)
    repo.save(Shop(id="a", address=Address(city="Paris", zip=75001), rating=3))
    repo.save(Shop(id="b", address=Address(city="Lyon", zip=69001), rating=5))
    s = repo.specs
    assert [x.id for x in repo.filter(s.filter(address__city="Paris"))] == ["a"]
    assert [x.id for x in repo.filter(s.filter(address__zip__gt=70000))] == ["a"]
    assert [x.id for x in repo.filter(s.filter(address__city__startswith="L"))] == ["b"]
    with pytest.raises(SpecificationError, match="no field 'country'"):
        repo.filter(s.filter(address__country="FR"))


def test_unique_violation_writes_nothing(users: Repository[User], r: Any) -> None:
    luke, han = luke_and_han(users)
    before = {k: r.dump(k) for k in r.keys("*")}
    with pytest.raises(UniqueViolation) as info:
        users.save(User(email="han@rebels.org", name="Fake Han", age=1))
    assert info.value.field == "email" and info.value.value == "han@rebels.org"
    assert info.value.owner == han.id and "han@rebels.org" in str(info.value)
    luke.email = "han@rebels.org"
    with pytest.raises(UniqueViolation):
        users.save(luke)
    assert {k: r.dump(k) for k in r.keys("*")} == before
    # swapping two unique values in one batch is fine
    a, b = users.get("luke@rebels.org"), users.get(han.id)
    a.email, b.email = b.email, a.email
    users.save_all([a, b])
    assert users.get(users.specs.filter(email="luke@rebels.org")).id == han.id


def test_validation_error_writes_nothing(users: Repository[User], r: Any) -> None:
    luke, _ = luke_and_han(users)
    before = {k: r.dump(k) for k in r.keys("*")}
    with pytest.raises(ValidationError):
        users.save(email="x@y", name="X", age="not a number")
    with pytest.raises(ValidationError):
        luke.age = "old"  # type: ignore[assignment]
    luke.__dict__["age"] = "old"  # a change that bypassed validation is caught at save
    with pytest.raises(ValidationError):
        users.save(luke)
    assert {k: r.dump(k) for k in r.keys("*")} == before


def test_validators_run_on_save_and_load(users: Repository[User]) -> None:
    u = users.save(User(email="a@b", name="A", password="secret"))
    assert u.password == "h:terces"
    assert users.get(u.id).password == "h:terces"  # idempotent: not hashed again on load


def test_bad_specifications_fail_before_any_round_trip(users: Repository[User], r: Any) -> None:
    luke_and_han(users)
    s = users.specs
    r.round_trips.reset()
    with pytest.raises(SpecificationError, match="nickname"):
        users.filter(s.filter(nickname="x"))
    with pytest.raises(SpecificationError, match="children"):
        users.filter(s.filter(friends="x"))
    with pytest.raises(SpecificationError):
        users.filter(s.filter(id__gt="a"))
    with pytest.raises(SpecificationError):
        users.filter(s.filter(age="old"))
    with pytest.raises(SpecificationError):
        users.filter(s.order("nickname"))
    with pytest.raises(SpecificationError, match="unknown lookup 'age__above'"):
        users.filter(s.filter(age__above=3))
    with pytest.raises(TypeError):
        users.filter(s.filter(age__in=5))
    with pytest.raises(ValueError):
        s.paginate(limit=-1)
    with pytest.raises(TypeError):
        users.filter("age > 3")  # type: ignore[arg-type]
    assert r.round_trips.count == 0


def test_get_errors(users: Repository[User]) -> None:
    luke_and_han(users)
    with pytest.raises(NotFoundError):
        users.get("nobody")
    with pytest.raises(NotFoundError):
        users.get(users.specs.filter(name="Nobody"))
    with pytest.raises(MultipleResultsError):
        users.get(users.specs.filter(age__gt=0))


def test_data_written_by_something_else(users: Repository[User], r: Any) -> None:
    r.set("{User}:intruder", "a string")
    with pytest.raises(vm.WrongTypeError, match="intruder"):
        users.save(User(id="intruder", email="i@x", name="I"))
    r.hset("{User}:plain", mapping={"name": "P"})
    with pytest.raises(StoredDataError, match=r"\{User\}:plain"):
        users.get("plain")
    r.hset("{User}:garbled", mapping={"name": "G", "email": "g@x", "age": "{not json"})
    with pytest.raises(StoredDataError, match="garbled"):
        users.get("garbled")


def test_only_create_only_update_keep_ttl(users: Repository[User], r: Any) -> None:
    luke, _ = luke_and_han(users)
    with pytest.raises(AlreadyExists):
        users.save(luke, only_create=True)
    with pytest.raises(NotFoundError):
        users.save(User(email="n@x", name="N"), only_update=True)
    assert users.count() == 2
    users.save(luke, expire_in=100)
    users.save(luke, keep_ttl=True)
    ttl = users.ttl_of(luke)
    assert ttl is not None and 90 < ttl <= 100
    users.save(luke)  # neither: no TTL
    assert users.ttl_of(luke) is None
    with pytest.raises(ValueError):
        users.save(luke, expire_in=1, keep_ttl=True)
    for bad in (0, -1, dt.timedelta(0)):
        with pytest.raises(ValueError):
            users.save(luke, expire_in=bad)
    with pytest.raises(ValueError):
        users.save(luke, expire_in_px=0)
    with pytest.raises(TypeError):
        users.save(luke, expire_in="soon")


def test_expired_objects_are_never_seen(users: Repository[User], r: Any) -> None:
    luke, han = luke_and_han(users)
    han.friends.append(luke)
    users.save(han, expire_in_px=30)
    assert users.count() == 2
    time.sleep(0.06)
    s = users.specs
    assert users.count() == 1
    assert [u.id for u in users.filter()] == [luke.id]
    assert users.filter(s.filter(name="Han")) == []
    assert users.count(s.filter(age__gt=30)) == 0
    with pytest.raises(NotFoundError):
        users.get(han.id)
    # the unique value is free again, and no index entry is left behind
    users.save(User(email="han@rebels.org", name="Han II"))
    leftovers = [k for k in r.keys("{User}*") if han.id.encode() in k]
    assert leftovers == []
    for key in r.keys("{User}#i:*"):
        assert not any(han.id.encode() in m for m in r.zrange(key, 0, -1))
    assert r.hget("{User}#ix", han.id) is None and r.zscore("{User}#exp", han.id) is None


def test_children_expire_and_die_with_the_parent(users: Repository[User], r: Any) -> None:
    luke, han = luke_and_han(users)
    users.save(luke, expire_in=50)
    luke.friends.append(han)  # created after the parent got its TTL: gets it too
    assert 0 < r.pttl("{User}:luke@rebels.org:friends") <= 50_000
    users.expire(luke, None)
    assert r.pttl("{User}:luke@rebels.org:friends") == -1 and users.ttl_of(luke) is None
    users.delete(luke)
    assert not r.exists("{User}:luke@rebels.org:friends")


def test_children_of_values_and_dicts(r: Any) -> None:
    class Post(Model):
        title: str
        tags: Children[set[str]]
        scores: Children[dict[str, int]]
        authors: Children[list[User]]

    posts, users = Repository(Post), Repository(User)
    han = users.save(User(email="han@x", name="Han"))
    p = posts.save(Post(title="t"))
    p.tags.add("a")
    p.scores["x"] = 3
    p.authors.append(han)
    back = posts.get(p.id)
    assert set(back.tags) == {"a"} and dict(back.scores) == {"x": 3}
    assert back.authors[0] == han and back.authors[0].name == "Han"
    with pytest.raises(AttributeError, match="live container"):
        back.tags = {"b"}
    with pytest.raises(TypeError):
        back.authors.append(p)  # not a User


def test_references(users: Repository[User]) -> None:
    luke, han = luke_and_han(users)
    users.update(luke, best_friend=han)
    back = users.get(luke.id)
    assert isinstance(back.__dict__["best_friend"], Reference)
    assert back.best_friend is not None and back.best_friend.name == "Han"  # loaded on access
    assert isinstance(back.best_friend, User)
    assert users.filter(users.specs.filter(best_friend=han))[0].id == luke.id
    users.delete(han)
    again = users.get(luke.id)
    with pytest.raises(NotFoundError):
        _ = again.best_friend


def test_unit_of_work(users: Repository[User], r: Any) -> None:
    luke, han = luke_and_han(users)
    with UnitOfWork(users) as uow:
        repo = uow.repository
        u = repo.get(luke.id)
        u.balance += 10
        repo.save(u)
        repo.save(User(email="leia@x", name="Leia", age=19))
        assert repo.count() == 3 and users.count() == 2  # read-your-writes inside only
        teens = repo.filter(repo.specs.filter(age=19), repo.specs.order("name"))
        assert [x.name for x in teens] == ["Leia", "Luke"]
        assert repo.get(luke.id).balance == 10
        repo.delete(han)
        with pytest.raises(NotFoundError):
            repo.get(han.id)
        uow.commit()
    assert users.get(luke.id).balance == 10 and users.count() == 2

    with UnitOfWork(users) as uow:  # no commit: rolled back
        u = uow.repository.get(luke.id)
        u.balance = 99
        uow.repository.save(u)
    assert users.get(luke.id).balance == 10

    with pytest.raises(RuntimeError), UnitOfWork(users) as uow:
        uow.repository.save(User(email="z@x", name="Z"))
        raise RuntimeError
    assert users.count() == 2


def test_unit_of_work_conflict(users: Repository[User], r: Any) -> None:
    luke, _ = luke_and_han(users)
    before: dict[Any, Any] = {}
    with UnitOfWork(users) as uow:
        u = uow.repository.get(luke.id)
        other = users.get(luke.id)
        other.balance = 1
        users.save(other)  # a concurrent change
        before = {k: r.dump(k) for k in r.keys("*")}
        u.balance = 50
        uow.repository.save(u)
        uow.repository.save(User(email="new@x", name="New"))
        with pytest.raises(vm.TransactionConflict):
            uow.commit()
    assert {k: r.dump(k) for k in r.keys("*")} == before
    # an id read as missing that appears meanwhile is a conflict too
    with UnitOfWork(users) as uow:
        with pytest.raises(NotFoundError):
            uow.repository.get("ghost")
        users.save(User(id="ghost", email="g@x", name="G"))
        uow.repository.save(User(email="h@x", name="H"))
        with pytest.raises(vm.TransactionConflict):
            uow.commit()


def test_is_modified_and_refresh(users: Repository[User]) -> None:
    luke, _ = luke_and_han(users)
    assert not users.is_modified(luke)
    luke.age = 20
    assert users.is_modified(luke)
    users.refresh(luke)
    assert luke.age == 19 and not users.is_modified(luke)


def test_schema_changes(r: Any) -> None:
    class V1(Model):
        class Meta:
            prefix = "Versioned"

        name: str
        age: int = 0

    repo1 = Repository(V1)
    repo1.save_all([V1(id=f"v{i}", name=f"n{i}", age=i) for i in range(30)])

    class V2(Model):
        class Meta:
            prefix = "Versioned"

        name: str
        age: Annotated[int, Index] = 0
        email: Annotated[str | None, Unique] = None
        nickname: str = "none yet"  # a new field with a default

    repo2 = Repository(V2)
    old = repo2.get("v3")
    assert old.nickname == "none yet" and old.age == 3
    with pytest.raises(IndexNotReady, match="reindex"):
        repo2.filter(repo2.specs.filter(age__gte=10))
    repo2.save(V2(id="v100", name="new", age=100))  # new writers index at once
    seen: list[tuple[int, int]] = []
    assert repo2.reindex(chunk=7, progress=lambda done, total: seen.append((done, total))) == 31
    assert seen[-1] == (31, 31) and len(seen) == 5
    assert repo2.count(repo2.specs.filter(age__gte=10)) == 21
    top = repo2.filter(repo2.specs.order("-age"), repo2.specs.paginate(limit=2))
    assert [v.age for v in top] == [100, 29]


def test_reindex_reports_duplicate_unique_values(r: Any) -> None:
    class A(Model):
        class Meta:
            prefix = "Dup"

        code: str

    Repository(A).save_all([A(id="x", code="same"), A(id="y", code="same")])

    class B(Model):
        class Meta:
            prefix = "Dup"

        code: Annotated[str, Unique]

    repo = Repository(B)
    with pytest.raises(UniqueViolation, match="reindex"):
        repo.reindex()
    with pytest.raises(IndexNotReady):
        repo.get(repo.specs.filter(code="same"))


def test_meta_prefix_and_default_ttl(r: Any) -> None:
    class Session(Model):
        class Meta:
            prefix = "sess"
            ttl = 60

        user: str

    repo = Repository(Session)
    s = repo.save(Session(user="u"))
    assert s.key == f"{{sess}}:{s.id}"
    ttl = repo.ttl_of(s)
    assert ttl is not None and 55 < ttl <= 60
    repo.save(s, expire_in=5)
    assert repo.ttl_of(s) <= 5  # type: ignore[operator]


def test_pickling(users: Repository[User]) -> None:
    import pickle

    luke, han = luke_and_han(users)
    luke.friends.append(han)
    users.update(luke, best_friend=han)
    back = pickle.loads(pickle.dumps(users.get(luke.id)))
    assert back == luke and back.best_friend.name == "Han" and back.friends[0].name == "Han"
    repo = pickle.loads(pickle.dumps(users))
    assert isinstance(repo, Repository) and repo.model is User and repo.count() == 2


def test_ids(r: Any) -> None:
    class Fixed(Model):
        class Meta:
            autogenerate_id = False

        name: str
        children: Children[list[str]]

    with pytest.raises(ValidationError):
        Fixed(name="x")
    with pytest.raises(ValidationError, match="children"):
        Fixed(id="a:children", name="x")
    repo = Repository(Fixed)
    repo.save(Fixed(id="odd {id} with: colons", name="x"))
    assert repo.get("odd {id} with: colons").name == "x"
    assert r.exists("{Fixed}:odd {id} with: colons")


async def test_asyncio_face(ar: Any) -> None:
    from vermilion.aio import models as amodels

    users = amodels.Repository(User)
    luke = await users.save(User(id="luke", email="luke@x", name="Luke", age=19))
    han = await users.save(User(email="han@x", name="Han", age=32), expire_in=60)
    await luke.friends.append(han)
    back = await users.get("luke")
    first = await back.friends.getitem(0) if hasattr(back.friends, "getitem") else await back.friends[0]
    assert (await first.load()).name == "Han"
    s = users.specs
    assert [u.name for u in await users.filter(s.filter(age__gte=18), s.order("-age"))] == ["Han", "Luke"]
    assert await users.count(s.filter(name__startswith="L")) == 1
    lazy = users.filter(s.filter(age__gte=18), lazy=True)
    assert len(await lazy) == 2
    await users.update(luke, best_friend=han)
    joined = await users.get(s.filter(id="luke"), s.join("best_friend"))
    assert joined.best_friend.name == "Han"
    async with amodels.UnitOfWork(users) as uow:
        u = await uow.repository.get("luke")
        u.balance += 3
        await uow.repository.save(u)
        await uow.commit()
    assert (await users.get("luke")).balance == 3
    assert await users.delete(s.filter(age__gt=20)) == 1
    assert await users.count() == 1


@pytest.mark.cluster
def test_cluster(rc: Any) -> None:
    users = Repository(User)
    luke, han = luke_and_han(users)
    luke.friends.append(han)
    users.update(luke, best_friend=han)
    s = users.specs
    found = users.filter(s.filter(age__gte=18), s.order("age"), s.join("best_friend"))
    assert [u.name for u in found] == ["Luke", "Han"]
    with pytest.raises(UniqueViolation):
        users.save(User(email="han@rebels.org", name="X"))
    with UnitOfWork(users) as uow:
        u = uow.repository.get(luke.id)
        u.balance = 7
        uow.repository.save(u)
        uow.commit()
    assert users.get(luke.id).balance == 7
    users.save(han, expire_in_px=20)
    time.sleep(0.05)
    assert users.count() == 1


@pytest.mark.cluster
def test_cluster_join_across_models(rc: Any) -> None:
    class Team(Model):
        name: str
        captain: Ref[User] | None = None

    users, teams = Repository(User), Repository(Team)
    luke, _ = luke_and_han(users)
    teams.save(Team(id="t", name="Rogue", captain=luke))
    got = teams.filter(teams.specs.join("captain"))
    assert got[0].__dict__["captain"].name == "Luke"
