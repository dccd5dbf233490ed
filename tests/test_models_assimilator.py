"""``vermilion.models.assimilator``: PyAssimilator's documented behaviours on vermilion.

The seed's own examples are in ``test_seed_assimilator.py``; here, what PyAssimilator's
documentation (docs/tutorial/database.md, docs/redis/database.md) promises of ``filter``
lookups, ``&`` ``|`` ``~``, ``order``, ``paginate``, ``lazy=True``, ``update``, ``delete``,
``is_modified``, ``refresh``, ``count``, units of work, errors, models and plain Pydantic models.
"""

from __future__ import annotations

import pickle
import uuid
from typing import Any, ClassVar

import pydantic
import pytest

import vermilion
from vermilion.models import AlreadyExists, Ref, SpecificationError
from vermilion.models import MultipleResultsError as VmMultipleResultsError
from vermilion.models import Repository as VmRepository
from vermilion.models import assimilator as pa
from vermilion.models.assimilator import (
    AdaptiveFilter,
    BaseModel,
    DataLayerError,
    InvalidQueryError,
    LazyCommand,
    MultipleResultsError,
    NotFoundError,
    RedisModel,
    RedisRepository,
    RedisUnitOfWork,
    Repository,
    UnitOfWork,
    filter_,
    order,
    paginate,
)


class Address(pydantic.BaseModel):
    city: str
    zip: str = ""


class Person(RedisModel):
    username: str
    age: int = 0
    balance: float = 0
    validated: bool = False
    address: Address | None = None
    tags: list[str] = []


class Pet(RedisModel):
    name: str
    owner: Ref[Person] | None = None


PEOPLE = [
    ("Andrey", 17, 100.0, False, "Paris"),
    ("Andrew", 18, 50.0, True, "Berlin"),
    ("Sandra", 22, 75.0, True, "Paris"),
    ("Bob", 25, 75.0, False, "Rome"),
    ("Alice", 30, 10.0, True, None),
]


@pytest.fixture
def people(r: Any) -> RedisRepository:
    repository = RedisRepository(session=r, model=Person)
    for name, age, balance, validated, city in PEOPLE:
        repository.save(username=name, age=age, balance=balance, validated=validated,
                        address=Address(city=city) if city else None)
    return repository


def names(objs: Any) -> list[str]:
    return [o.username for o in objs]


def filtered(repository: RedisRepository, **lookups: Any) -> list[str]:
    return sorted(names(repository.filter(repository.specs.filter(**lookups))))


# -- the names -----------------------------------------------------------------------------------
def test_every_exported_name_exists() -> None:
    for name in pa.__all__:
        assert getattr(pa, name) is not None, name
    assert pa.DataLayerError is vermilion.models.DataLayerError
    assert pa.NotFoundError is vermilion.models.NotFoundError
    assert pa.MultipleResultsError is vermilion.models.MultipleResultsError
    assert issubclass(pa.InvalidQueryError, pa.DataLayerError)


def test_base_classes_are_abstract_and_annotate_the_redis_ones(r: Any) -> None:
    assert issubclass(RedisRepository, Repository) and issubclass(RedisUnitOfWork, UnitOfWork)
    with pytest.raises(TypeError):
        Repository(session=r, model=Person)  # type: ignore[abstract]
    with pytest.raises(TypeError):
        UnitOfWork(repository=RedisRepository(session=r, model=Person))  # type: ignore[abstract]
    repository = RedisRepository(session=r, model=Person)
    assert repository.specs is repository.specifications
    assert str(repository) == f"RedisRepository({Person})"
    assert str(RedisUnitOfWork(repository)) == f"RedisUnitOfWork({Person})"


# -- filter lookups ------------------------------------------------------------------------------
def test_equality_and_eq(people: RedisRepository) -> None:
    assert filtered(people, username="Bob") == ["Bob"]
    assert filtered(people, username__eq="Bob") == ["Bob"]
    assert filtered(people, balance=75) == ["Bob", "Sandra"]


def test_comparisons(people: RedisRepository) -> None:
    assert filtered(people, age__gt=22) == ["Alice", "Bob"]
    assert filtered(people, age__gte=22) == ["Alice", "Bob", "Sandra"]
    assert filtered(people, age__lt=18) == ["Andrey"]
    assert filtered(people, age__lte=18) == ["Andrew", "Andrey"]
    assert filtered(people, age__gte=18, age__lt=25) == ["Andrew", "Sandra"]


def test_not_is_not_equal(people: RedisRepository) -> None:
    """``age__not=18 == (age != 18)`` (PyAssimilator's own raised TypeError)."""
    assert filtered(people, age__not=18) == ["Alice", "Andrey", "Bob", "Sandra"]


def test_is(people: RedisRepository) -> None:
    assert filtered(people, validated__is=True) == ["Alice", "Andrew", "Sandra"]
    assert filtered(people, validated__is=False) == ["Andrey", "Bob"]
    assert filtered(people, address__is=None) == ["Alice"]


def test_like(people: RedisRepository) -> None:
    assert filtered(people, username__like="Andr%") == ["Andrew", "Andrey"]
    assert filtered(people, username__like="%And%") == ["Andrew", "Andrey"]
    assert filtered(people, username__like="%dr%") == ["Andrew", "Andrey", "Sandra"]
    assert filtered(people, username__like="B_b") == ["Bob"]
    assert filtered(people, username__like="Bob.") == []  # no regular expression


def test_documented_filter_example(people: RedisRepository) -> None:
    """docs/tutorial/database.md: "users between ages 18 to 25 with username that has "And"
    inside and those who are validated"."""
    repository = people
    found = repository.filter(
        repository.specs.filter(
            age__gt=17,
            age__lt=25,
            username__like="%And%",
            validated__is=True,
        )
    )
    assert names(found) == ["Andrew"]


def test_nested_fields(people: RedisRepository) -> None:
    assert filtered(people, address__city="Paris") == ["Andrey", "Sandra"]
    assert filtered(people, address__city__not="Paris") == ["Alice", "Andrew", "Bob"]
    assert filtered(people, address__city__like="R%") == ["Bob"]


def test_and_or_invert(people: RedisRepository) -> None:
    s = people.specs
    assert sorted(names(people.filter(s.filter(age__gte=18) & s.filter(balance=75)))) == \
        ["Bob", "Sandra"]
    assert sorted(names(people.filter(s.filter(username="Bob") | s.filter(age__lt=18)))) == \
        ["Andrey", "Bob"]
    assert sorted(names(people.filter(~s.filter(address__city="Paris")))) == \
        ["Alice", "Andrew", "Bob"]
    assert sorted(names(people.filter(~(s.filter(age__lt=20) | s.filter(age__gt=24))))) == \
        ["Sandra"]


def test_filter_by_id_and_positional_id(people: RedisRepository) -> None:
    bob = people.get(people.specs.filter(username="Bob"))
    assert people.get(people.specs.filter(id=bob.id)) == bob
    assert people.get(people.specs.filter(bob.id)) == bob  # PyAssimilator's text filter
    assert people.get(bob.id) == bob


def test_what_redis_cannot_run_is_refused(people: RedisRepository) -> None:
    with pytest.raises(InvalidQueryError, match="regular expressions"):
        people.specs.filter(username__regex="^A")
    with pytest.raises(InvalidQueryError, match="callables"):
        people.specs.filter(lambda person: person.age > 3)
    with pytest.raises(InvalidQueryError, match="not a specification"):
        people.filter(lambda query, **context: query)
    with pytest.raises(InvalidQueryError, match="initial_query"):
        people.filter(initial_query="user:*")
    with pytest.raises(InvalidQueryError) as caught:
        people.filter(people.specs.filter(nothing=1))
    assert isinstance(caught.value, SpecificationError)


# -- order, paginate, only, join -------------------------------------------------------------------
def test_order(people: RedisRepository) -> None:
    s = people.specs
    assert names(people.filter(s.order("age"))) == ["Andrey", "Andrew", "Sandra", "Bob", "Alice"]
    assert names(people.filter(s.order("-balance", "username"))) == \
        ["Andrey", "Bob", "Sandra", "Andrew", "Alice"]
    assert names(people.filter(order("-age"))) == ["Alice", "Bob", "Sandra", "Andrew", "Andrey"]


def test_paginate(people: RedisRepository) -> None:
    """``paginate(limit=10, offset=20)``: 10 results after skipping 20 (PyAssimilator sliced
    ``[offset:limit]``)."""
    s = people.specs
    by_age = s.order("age")
    assert names(people.filter(by_age, s.paginate(limit=2, offset=1))) == ["Andrew", "Sandra"]
    assert names(people.filter(by_age, s.paginate(limit=2))) == ["Andrey", "Andrew"]
    assert names(people.filter(by_age, s.paginate(offset=3))) == ["Bob", "Alice"]
    assert names(people.filter(by_age, paginate(limit=10, offset=20))) == []
    assert names(people.filter(s.filter(age__gte=18), by_age, s.paginate(limit=1, offset=1))) \
        == ["Sandra"]


def test_only(people: RedisRepository) -> None:
    found = people.filter(people.specs.only("id", "username"), people.specs.order("username"))
    assert names(found) == ["Alice", "Andrew", "Andrey", "Bob", "Sandra"]
    assert all(p.age == 0 and p.address is None for p in found)  # not fetched: defaults


def test_join(r: Any, people: RedisRepository) -> None:
    pets = RedisRepository(session=r, model=Pet)
    bob = people.get(people.specs.filter(username="Bob"))
    pets.save(name="Rex", owner=bob)
    rex = pets.get(pets.specs.join("owner", "name"))  # "name" is no reference: ignored
    assert rex.owner == bob
    assert pets.filter(pets.specs.join("name")) == [rex]  # PyAssimilator's Redis join: nothing


def test_adaptive_filters(people: RedisRepository) -> None:
    assert isinstance(filter_(username="Bob"), AdaptiveFilter)
    assert names(people.filter(filter_(username="Bob"))) == ["Bob"]
    assert sorted(names(people.filter(filter_(username="Bob") | filter_(age=17)))) == \
        ["Andrey", "Bob"]
    assert sorted(names(people.filter(~filter_(age__gte=18)))) == ["Andrey"]


# -- lazy ----------------------------------------------------------------------------------------
def test_lazy_filter_runs_on_first_use_once(r: Any, people: RedisRepository) -> None:
    r.round_trips.reset()
    lazy = people.filter(people.specs.filter(age__gte=25), people.specs.order("age"), lazy=True)
    assert isinstance(lazy, LazyCommand) and r.round_trips.count == 0
    assert names(lazy) == ["Bob", "Alice"]
    assert r.round_trips.count == 1
    assert len(lazy) == 2 and bool(lazy) and lazy[0].username == "Bob"
    assert r.round_trips.count == 1  # the result is kept


def test_lazy_get_and_count(people: RedisRepository) -> None:
    lazy = people.get(people.specs.filter(username="Bob"), lazy=True)
    assert isinstance(lazy, LazyCommand) and lazy.command == people.get
    assert lazy.username == "Bob" and lazy.age == 25  # attribute access runs it
    count = people.count(lazy=True)
    assert isinstance(count, LazyCommand)
    assert count == 5 and count > 4
    assert str(count).startswith("Lazy<")
    missing = people.get(people.specs.filter(username="nobody"), lazy=True)
    with pytest.raises(NotFoundError):
        missing()


def test_lazy_command_as_pyassimilator_builds_it() -> None:
    calls: list[int] = []

    def add(a: int, b: int) -> int:
        calls.append(1)
        return a + b

    lazy: LazyCommand[int] = LazyCommand(add, 1, b=2)
    assert lazy.args == (1,) and lazy.kwargs == {"b": 2} and not calls
    assert lazy() == 3 and lazy == 3 and calls == [1]
    decorated = LazyCommand.decorate(add)
    assert decorated(1, 2) == 3
    later = decorated(2, 2, lazy=True)
    assert isinstance(later, LazyCommand) and later() == 4


# -- get, count, update, delete, is_modified, refresh ---------------------------------------------
def test_get_errors(people: RedisRepository) -> None:
    with pytest.raises(NotFoundError):
        people.get(people.specs.filter(username="nobody"))
    with pytest.raises(MultipleResultsError) as caught:
        people.get(people.specs.filter(balance=75))
    assert isinstance(caught.value, InvalidQueryError)  # as in PyAssimilator's hierarchy
    assert isinstance(caught.value, VmMultipleResultsError)
    with pytest.raises(MultipleResultsError):
        people.get()  # every object: more than one


def test_count(people: RedisRepository, r: Any) -> None:
    r.set("unrelated", "1")  # PyAssimilator's count() was DBSIZE
    assert people.count() == 5
    assert people.count(people.specs.filter(validated=True)) == 3
    assert people.count(people.specs.filter(age__gt=100)) == 0


def test_update_by_specification(people: RedisRepository) -> None:
    assert people.update(people.specs.filter(address__city="Paris"), balance=0) == 2
    assert filtered(people, balance=0) == ["Andrey", "Sandra"]
    with pytest.raises(InvalidQueryError, match="no values"):
        people.update(people.specs.filter(age=17))


def test_update_object(r: Any, people: RedisRepository) -> None:
    bob = people.get(people.specs.filter(username="Bob"))
    VmRepository(Person, client=r).expire(bob.id, 60)
    people.update(bob, balance=1.5, age=26)
    assert not bob.only_update  # PyAssimilator set it on the caller's object
    assert people.get(bob.id).balance == 1.5 and bob.age == 26
    assert 0 < r.pttl(bob.key) <= 60_000  # the TTL is kept
    bob.expire_in = 5
    people.update(bob)
    assert 0 < r.pttl(bob.key) <= 5_000  # unless the object asks for another
    with pytest.raises(InvalidQueryError, match="no stored field"):
        people.update(bob, nothing=1)
    people.delete(bob)
    with pytest.raises(NotFoundError):
        people.update(bob, age=1)  # only_update: not created again
    assert people.count() == 4
    assert people.update() is None and people.count() == 4  # nothing to update


def test_delete(people: RedisRepository) -> None:
    bob = people.get(people.specs.filter(username="Bob"))
    assert people.delete(bob) == 1
    assert people.delete(people.specs.filter(age__lt=20)) == 2
    assert sorted(names(people.filter())) == ["Alice", "Sandra"]
    assert people.delete() == 0 and people.count() == 2  # no object, no specification: nothing
    sandra = people.get(people.specs.filter(username="Sandra"))
    assert people.delete(sandra.id) == 1
    assert names(people.filter()) == ["Alice"]


def test_is_modified_and_refresh(people: RedisRepository) -> None:
    bob = people.get(people.specs.filter(username="Bob"))
    assert not people.is_modified(bob)  # PyAssimilator answered the opposite
    bob.age = 99
    assert people.is_modified(bob)
    people.refresh(bob)
    assert bob.age == 25 and not people.is_modified(bob)
    other = people.get(bob.id)
    other.balance = 1
    people.save(other)
    people.refresh(bob)
    assert bob.balance == 1
    people.delete(bob)
    assert people.is_modified(bob)
    with pytest.raises(NotFoundError):
        people.refresh(bob)


# -- units of work ---------------------------------------------------------------------------------
def test_unit_of_work_commit_rollback_close(r: Any) -> None:
    repository = RedisRepository(session=r, model=Person)
    uow = RedisUnitOfWork(repository=repository)
    assert uow.repository is repository
    uow.begin()
    repository.save(username="a")  # the repository itself is in the unit, as in PyAssimilator
    assert r.keys("{Person}:*") == []
    assert names(repository.filter()) == ["a"]  # reads see the unit's writes
    uow.rollback()
    assert repository.filter() == []
    uow.repository.save(username="b")
    uow.commit()
    assert names(RedisRepository(session=r, model=Person).filter()) == ["b"]
    uow.repository.save(username="c")
    uow.close()  # not committed: dropped
    assert names(repository.filter()) == ["b"]
    repository.save(username="d")  # after close: written at once
    assert RedisRepository(session=r, model=Person).count() == 2


def test_unit_of_work_exception_rolls_back(r: Any) -> None:
    repository = RedisRepository(session=r, model=Person)
    with pytest.raises(ZeroDivisionError), RedisUnitOfWork(repository) as uow:
        uow.repository.save(username="a")
        1 / 0  # noqa: B018
    assert repository.count() == 0


def test_unit_of_work_autocommit(r: Any) -> None:
    repository = RedisRepository(session=r, model=Person)
    with RedisUnitOfWork(repository, autocommit=True) as uow:
        uow.repository.save(username="a")
    assert repository.count() == 1
    with RedisUnitOfWork(repository) as uow:
        uow.repository.save(username="b")  # no commit, no autocommit
    assert repository.count() == 1


def test_unit_of_work_update_and_delete_by_specification(r: Any, people: RedisRepository) -> None:
    with RedisUnitOfWork(people) as uow:
        uow.repository.update(uow.repository.specs.filter(age__lt=20), balance=0)
        uow.repository.delete(uow.repository.specs.filter(username="Bob"))
        assert RedisRepository(session=r, model=Person).count() == 5
        uow.commit()
    assert filtered(people, balance=0) == ["Andrew", "Andrey"] and people.count() == 4


def test_unit_of_work_conflict_is_a_data_layer_error(r: Any, people: RedisRepository) -> None:
    with pytest.raises(vermilion.TransactionConflict) as caught, RedisUnitOfWork(people) as uow:
        bob = uow.repository.get(uow.repository.specs.filter(username="Bob"))
        other = RedisRepository(session=r, model=Person)
        other.update(other.get(bob.id), balance=0)  # a concurrent change
        bob.balance += 10
        uow.repository.save(bob)
        uow.commit()
    assert isinstance(caught.value, DataLayerError)
    assert people.get(bob.id).balance == 0


# -- errors ----------------------------------------------------------------------------------------
def test_errors_are_data_layer_errors_keeping_their_class(r: Any) -> None:
    repository = RedisRepository(session=r, model=Person)
    with pytest.raises(DataLayerError) as caught:
        repository.save(username=["not", "a", "str"])
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)
    with pytest.raises(TypeError) as type_error:
        repository.save(Person(username="a"), age=3)
    assert isinstance(type_error.value, DataLayerError)
    copy = pickle.loads(pickle.dumps(type_error.value))
    assert isinstance(copy, TypeError) and isinstance(copy, DataLayerError)
    assert str(copy) == str(type_error.value)
    first = repository.save(username="a", only_create=True)
    with pytest.raises(AlreadyExists):
        repository.save(Person(id=first.id, username="b", only_create=True))


# -- models ----------------------------------------------------------------------------------------
def test_config_is_inherited() -> None:
    class Fixed(RedisModel):
        name: str

        class AssimilatorConfig:
            autogenerate_id: ClassVar[bool] = False

    class Child(Fixed):
        class AssimilatorConfig:
            exclude: ClassVar[Any] = {"secret"}

        secret: str = ""

    assert Child.AssimilatorConfig.autogenerate_id is False  # type: ignore[attr-defined]  # Fixed's
    assert not Child.__schema__().autogenerate_id
    assert "secret" in Child.__vermilion_control_fields__
    with pytest.raises(pydantic.ValidationError):
        Child(name="x")
    assert Child(name="x", id="c").dict() == {"id": "c", "name": "x"}


def test_excluded_fields_are_neither_stored_nor_dumped(r: Any) -> None:
    class Account(BaseModel):
        name: str
        password: str = ""

        class AssimilatorConfig:
            exclude: ClassVar[Any] = {"password": True}

    repository = RedisRepository(session=r, model=Account)
    account = repository.save(name="a", password="hunter2")
    assert set(r.hgetall(account.key)) == {b"name", b"_v"}
    assert account.dict() == {"id": account.id, "name": "a"}
    assert "hunter2" not in account.json()
    assert repository.get(account.id).password == ""


def test_generate_id_can_be_overridden(r: Any) -> None:
    class Numbered(BaseModel):
        name: str

        def generate_id(self, **kwargs: Any) -> str:
            return f"n-{kwargs['name']}"

    assert Numbered(name="x").id == "n-x"
    assert RedisRepository(session=r, model=Numbered).save(name="y").key == "{Numbered}:n-y"


def test_loads_dict_json_hash() -> None:
    person = Person(username="a", age=3, expire_in=5)
    assert uuid.UUID(person.id)
    assert Person.loads(person.json()) == person
    assert Person.loads(person.json().encode()).age == 3
    with pytest.raises(pa.ParsingError):
        Person.loads('{"age": "x"}')
    with pytest.raises(pa.ParsingError):
        Person.loads("not json")
    assert person.dict(exclude={"tags"}) == {"id": person.id, "username": "a", "age": 3,
                                             "balance": 0.0, "validated": False, "address": None}
    assert person.json(exclude_defaults=True) == f'{{"id":"{person.id}","username":"a","age":3}}'
    assert {person, Person(**person.dict())} == {person}  # hashable by id, equal by value


def test_extra_true_is_allow_and_false_is_forbid() -> None:
    class Loose(BaseModel, extra=True):  # type: ignore[call-arg]
        name: str

    class Strict(BaseModel, extra=False):  # type: ignore[call-arg]
        name: str

    assert Loose(name="a", more=1).model_extra == {"more": 1}
    with pytest.raises(pydantic.ValidationError):
        Strict(name="a", more=1)


# -- plain Pydantic models -------------------------------------------------------------------------
class Customer(pydantic.BaseModel, extra="allow"):
    id: int
    name: str = pydantic.Field(alias="fullName")
    address: Address | None = None
    visits: int = 0


def test_plain_pydantic_model(r: Any) -> None:
    repository = RedisRepository(session=r, model=Customer)
    ann = repository.save(Customer(id=1, fullName="Ann", address=Address(city="Oslo")))
    repository.save(id=2, fullName="Bo", visits=3, expire_in=30)  # extra: a control value
    assert sorted(r.keys("{Customer}:*")) == [b"{Customer}:1", b"{Customer}:2"]
    assert 0 < r.pttl("{Customer}:2") <= 30_000 and r.pttl("{Customer}:1") == -1
    found = repository.get(repository.specs.filter(address__city="Oslo"))
    assert type(found) is Customer and found == ann
    assert repository.get(2).visits == 3
    assert [c.id for c in repository.filter(repository.specs.order("-visits"))] == [2, 1]
    assert repository.filter(repository.specs.filter(visits__gt=0), lazy=True)[0].name == "Bo"
    only = repository.filter(repository.specs.only("name"), repository.specs.order("id"))
    assert [(c.id, c.name, c.visits) for c in only] == [(1, "Ann", 0), (2, "Bo", 0)]
    ann.visits = 7
    assert repository.is_modified(ann)
    repository.refresh(ann)
    assert ann.visits == 0 and not repository.is_modified(ann)
    repository.update(ann, visits=4)
    assert repository.get(1).visits == 4
    assert repository.update(repository.specs.filter(visits__gte=3), visits=0) == 2
    with RedisUnitOfWork(repository) as uow:
        uow.repository.save(Customer(id=3, fullName="Cy"))
        uow.repository.delete(ann)
        uow.commit()
    assert sorted(c.id for c in repository.filter()) == [2, 3]
    with pytest.raises(DataLayerError):
        repository.save(Address(city="x"))
    with pytest.raises(TypeError, match="no 'id' field"):
        RedisRepository(session=r, model=Address)


# -- Redis Cluster ---------------------------------------------------------------------------------
@pytest.mark.cluster
def test_on_a_cluster(rc: Any) -> None:
    repository = RedisRepository(session=rc, model=Person)
    with RedisUnitOfWork(repository) as uow:
        for name, age in (("a", 1), ("b", 2), ("c", 3)):
            uow.repository.save(username=name, age=age)
        uow.commit()
    assert names(repository.filter(repository.specs.filter(age__gte=2),
                                   repository.specs.order("-age"))) == ["c", "b"]
    assert repository.count() == 3
