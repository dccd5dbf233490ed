"""Every code example of the PyAssimilator seed (``../shared/seeds/002_*.txt``), run on vermilion.

Each example is reproduced below verbatim and run as the seed lays it out: ``models.py`` and
``dependencies.py`` as modules of those names, the usage code as a script importing them.  The
only change is the import lines: ``from assimilator... import X`` becomes ``from
vermilion.models.assimilator import X``.  ``test_examples_are_the_seeds_text`` checks, when the
seed file is present (it lives outside the repository), that the texts below are copied from it
(trailing spaces aside).

``dependencies.py`` connects with ``Redis()``: localhost:6379, a server the tests must never
touch.  It is imported verbatim (redis-py connects lazily: building the client and the
repositories sends nothing) and the test checks that is where it points; then, as
``test_seed_hot_redis`` calls ``configure`` again with a server that exists, the module's
``database`` is replaced by the private server's client before any call runs, so
``get_repository()`` and ``get_uow()`` build their patterns on it.

What the seed's texts do not say, and the tests check instead:

* the usage example saves ``username`` and ``balance`` only (it comes from PyAssimilator's basic
  tutorial, whose ``User`` has no ``email``): with the ``models.py`` above it fails validation, as
  it did on PyAssimilator (its error wrapper turned Pydantic's error into a ``DataLayerError``),
  and writes nothing; with the seed's other ``RedisModel`` (the ``AssimilatorConfig`` example) it
  runs and the user is found;
* ``class User(BaseModel, extra=True)`` with ``from pydantic import BaseModel`` is refused by
  Pydantic 2 itself (``extra`` takes ``"allow"``, not ``True``); with its import line changed to
  ``vermilion.models.assimilator`` it defines a model that the repository stores, extra values
  and all.
"""

from __future__ import annotations

import re
import sys
import types
import uuid
from pathlib import Path
from typing import Any

import pydantic
import pydantic_core
import pytest

import vermilion.models as vm_models
from vermilion.models import assimilator

SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "seeds"

# -- the examples, verbatim ---------------------------------------------------------------------
MODELS = """\
# models.py
from assimilator.redis_.database.models import RedisModel

# Just a normal Pydantic model with cool things in it
class User(RedisModel):
    username: str
    email: str
    balance: float
"""

PYDANTIC_MODELS = """\
# models.py
from pydantic import BaseModel

# Just a normal Pydantic model
class User(BaseModel, extra=True):  # extra values are allowed
    id: int     # id can be any type, but must be unique
    username: str
    email: str
    balance: float
"""

DEPENDENCIES = """\
# dependencies.py
from redis import Redis
from assimilator.redis_.database import RedisRepository, RedisUnitOfWork

from models import User

database = Redis()      # connect to redis


def get_repository():
    return RedisRepository(
        session=database,  # database session is a dict
        model=User,     # our main model
    )


def get_uow():
    return RedisUnitOfWork(repository=get_repository())
"""

USAGE = '''\
from assimilator.core.database import UnitOfWork, Repository
from dependencies import get_repository, get_uow

"""
We use base UnitOfWork and Repository annotations in our parameters
instead of their redis descendants.
We suggest you do the same in order to follow SOLID principles.
"""


def create_user(uow: UnitOfWork):
    with uow:   # We use that to start the transaction
        repository = uow.repository   # access the repository from the RedisUnitOfWork

        # Save the user using Repository.save() function and by passing all the arguments inside
        new_user = repository.save(username="Andrey", balance=1000)

        # WARNING!!! We have not applied any changes up to that point.
        # We must call RedisUnitOfWork.commit() to change that:
        uow.commit()
        # Changes are applied and used is in the database!

    return new_user

created_user = create_user(get_uow())   # create our RedisUnitOfWork


def get_user(repository: Repository):    # only pass the Repository because we want to read the data
    return repository.get(  # use get() to query one user from the database
        repository.specs.filter(    # use filter specification to give your filtering criteria
            username="Andrey",
        )
    )

user = get_user(get_repository())
'''

CONFIG = """\
from typing import ClassVar

from assimilator.redis_.database import RedisModel


class User(RedisModel):
    username: str

    class AssimilatorConfig:
        autogenerate_id: ClassVar[bool] = True  # should you autogenerate your ids
"""

CUSTOM_ID = """\
User(
    username="Andrey",
    id="custom-id",  # generate a new redis key
)
"""

EXAMPLES = [MODELS, PYDANTIC_MODELS, DEPENDENCIES, USAGE, CONFIG, CUSTOM_ID]

# The seed's list of special model values: name, what it is, its default.
SPECIAL_VALUES = [
    ("expire_in", "how many seconds should pass for that entity to be deleted", None),
    ("expire_in_px", "how many milliseconds should pass for that entity to be deleted", None),
    ("only_update", "only update this entity(no creation)", False),
    ("only_create", "only create this entity(no update)", False),
    ("keep_ttl", "whether to keep the TTL associated with this entity", False),
]


# -- running the examples -----------------------------------------------------------------------
def port(source: str, *, pydantic_import: bool = False) -> str:
    """The one change allowed: imports name vermilion's compatibility layer instead of
    PyAssimilator's modules (and, with ``pydantic_import``, instead of Pydantic's BaseModel)."""
    source = re.sub(r"^from assimilator(\.\w+)* import ", "from vermilion.models.assimilator import ",
                    source, flags=re.M)
    if pydantic_import:
        source = re.sub(r"^from pydantic import BaseModel$",
                        "from vermilion.models.assimilator import BaseModel", source, flags=re.M)
    return source


def load(name: str, source: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Run ``source`` as the module ``name`` (importable by the examples that follow)."""
    module = types.ModuleType(name)
    module.__file__ = f"<seed {name}.py>"
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def dependencies(r: Any, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """``dependencies.py`` verbatim, then pointed at the private server (see the docstring)."""
    module = load("dependencies", port(DEPENDENCIES), monkeypatch)
    kwargs = module.database.connection_pool.connection_kwargs
    assert (kwargs.get("host"), kwargs.get("port")) == ("localhost", 6379)  # what Redis() means
    repository = module.get_repository()
    assert repository.session is module.database  # built, nothing sent
    module.__dict__["database"] = r
    return module


def run_usage(namespace: dict[str, Any]) -> dict[str, Any]:
    exec(compile(port(USAGE), "<seed usage>", "exec"), namespace)
    return namespace


def object_keys(r: Any) -> list[bytes]:
    """The keys of stored objects (the model's own bookkeeping keys aside)."""
    return sorted(k for k in r.keys("*") if b"#" not in k)


# -- the tests ----------------------------------------------------------------------------------
def normalized(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines())


def test_examples_are_the_seeds_text() -> None:
    seeds = sorted(SEED_DIR.glob("002_*.txt"))
    if not seeds:
        pytest.skip(f"the seed is not next to this checkout ({SEED_DIR})")
    seed = normalized(seeds[0].read_text())
    for example in EXAMPLES:
        assert normalized(example) in seed, example
    for name, meaning, default in SPECIAL_VALUES:
        assert f"{name} - {meaning}. {default} by default." in seed, name


def test_models_py(monkeypatch: pytest.MonkeyPatch) -> None:
    models = load("models", port(MODELS), monkeypatch)
    User = models.User
    assert issubclass(User, assimilator.RedisModel) and issubclass(User, vm_models.Model)
    assert issubclass(User, assimilator.BaseModel)  # "RedisModel inherits BaseModel"
    user = User(username="Andrey", email="andrey@example.com", balance=1000)
    assert uuid.UUID(user.id)  # automatic ID generation
    assert user.model_dump() == {"id": user.id, "username": "Andrey",
                                 "email": "andrey@example.com", "balance": 1000.0}
    assert User.loads(user.json()) == user  # parsing from/to JSON


def test_dependencies_py(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    models = load("models", port(MODELS), monkeypatch)
    deps = dependencies(r, monkeypatch)
    repository = deps.get_repository()
    assert isinstance(repository, assimilator.RedisRepository)
    assert repository.session is r and repository.model is models.User
    uow = deps.get_uow()
    assert isinstance(uow, assimilator.RedisUnitOfWork)
    assert isinstance(uow.repository, assimilator.RedisRepository)
    assert uow.repository is not repository  # get_uow() builds its own
    assert r.keys("*") == []


def test_usage_with_the_models_py_user_fails_validation(r: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    load("models", port(MODELS), monkeypatch)
    dependencies(r, monkeypatch)
    with pytest.raises(assimilator.DataLayerError) as caught:
        run_usage({"__name__": "__seed__"})
    assert isinstance(caught.value.__cause__, pydantic.ValidationError)
    assert "email" in str(caught.value)
    assert r.keys("*") == []  # the unit of work rolled back: nothing written


def test_usage_creates_and_gets_the_user(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    models = load("models", port(CONFIG), monkeypatch)  # the seed's User without email
    deps = dependencies(r, monkeypatch)
    session = run_usage({"__name__": "__seed__"})
    created, user = session["created_user"], session["user"]
    assert isinstance(created, models.User) and isinstance(user, models.User)
    assert user == created and user.username == "Andrey" and user.id == created.id
    assert object_keys(r) == [f"{{User}}:{created.id}".encode()]
    assert r.hgetall(created.key) == {b"username": b"Andrey", b"_v": b"1"}
    assert r.pttl(created.key) == -1  # no expire_in: no TTL
    # the query is one round trip (PyAssimilator: KEYS, then MGET of every key)
    r.round_trips.reset()
    assert session["get_user"](deps.get_repository()) == user
    assert r.round_trips.count == 1
    # the second run saves a second Andrey: get() now finds more than one
    with pytest.raises(assimilator.MultipleResultsError):
        run_usage({"__name__": "__seed__"})
    assert deps.get_repository().count() == 2


def test_usage_commits_only_at_commit(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """"WARNING!!! We have not applied any changes up to that point": the save waits for
    commit()."""
    models = load("models", port(CONFIG), monkeypatch)
    deps = dependencies(r, monkeypatch)
    seen: list[list[bytes]] = []
    real_commit = assimilator.RedisUnitOfWork.commit

    def commit(self: Any) -> None:
        seen.append(object_keys(r))
        real_commit(self)
        seen.append(object_keys(r))

    monkeypatch.setattr(assimilator.RedisUnitOfWork, "commit", commit)
    session = run_usage({"__name__": "__seed__"})
    assert seen == [[], [session["created_user"].key.encode()]]
    assert deps.get_repository().count() == 1 and isinstance(session["user"], models.User)


def test_pydantic_models_py_is_refused_by_pydantic_2(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pydantic_core.SchemaError):
        load("models", PYDANTIC_MODELS, monkeypatch)


def test_pydantic_models_py_on_vermilion(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    models = load("models", port(PYDANTIC_MODELS, pydantic_import=True), monkeypatch)
    User = models.User
    assert User.model_config["extra"] == "allow"
    deps = dependencies(r, monkeypatch)
    repository = deps.get_repository()
    saved = repository.save(User(id=1, username="Andrey", email="a@example.com", balance=1000,
                                 expire_in=60, note="extra"))  # extra values are allowed
    found = repository.get(repository.specs.filter(username="Andrey"))
    assert found.id == 1 and found.username == "Andrey" and found.balance == 1000.0
    assert found.model_extra == {}  # extra values are not stored
    assert 0 < r.pttl("{User}:1") <= 60_000  # but expire_in, as an extra value, was obeyed
    assert saved.model_extra == {"expire_in": 60, "note": "extra"}
    with pytest.raises(assimilator.DataLayerError):  # the usage example: no id, no email
        run_usage({"__name__": "__seed__"})
    assert repository.count() == 1


def test_assimilator_config(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    models = load("models", port(CONFIG), monkeypatch)
    User = models.User
    assert User.AssimilatorConfig.autogenerate_id is True
    namespace = dict(models.__dict__)
    custom = eval(compile(CUSTOM_ID, "<seed>", "eval"), namespace)  # noqa: S307 - the seed's code
    assert custom.id == "custom-id"
    assert uuid.UUID(User(username="Andrey").id)  # generated when not given
    repository = assimilator.RedisRepository(session=r, model=User)
    repository.save(custom)
    assert object_keys(r) == [b"{User}:custom-id"]  # "generate a new redis key"
    assert repository.get("custom-id") == custom


def test_autogenerate_id_false_requires_an_id(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """"If your autogenerate_id is False, then you must provide an ID to the constructor"."""
    source = port(CONFIG).replace("autogenerate_id: ClassVar[bool] = True",
                                  "autogenerate_id: ClassVar[bool] = False")
    User = load("models", source, monkeypatch).User
    with pytest.raises(pydantic.ValidationError, match="autogenerate_id"):
        User(username="Andrey")
    repository = assimilator.RedisRepository(session=r, model=User)
    with pytest.raises(assimilator.DataLayerError):
        repository.save(username="Andrey")
    assert r.keys("*") == []
    assert repository.save(username="Andrey", id="andrey").key == "{User}:andrey"


def test_special_values_are_not_stored_nor_dumped(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    User = load("models", port(MODELS), monkeypatch).User
    user = User(username="Andrey", email="a@example.com", balance=1)
    for name, _, default in SPECIAL_VALUES:
        assert getattr(user, name) == default
    user.expire_in, user.keep_ttl = 60, False
    assimilator.RedisRepository(session=r, model=User).save(user)
    assert set(r.hgetall(user.key)) == {b"username", b"email", b"balance", b"_v"}
    assert set(user.model_dump()) == set(user.dict()) == {"id", "username", "email", "balance"}
    assert "expire_in" not in user.json() and "expire_in" not in repr(user)


def test_expire_in_and_expire_in_px(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    User = load("models", port(MODELS), monkeypatch).User
    repository = assimilator.RedisRepository(session=r, model=User)
    user = repository.save(username="a", email="a@example.com", balance=1, expire_in=30)
    assert 29_000 < r.pttl(user.key) <= 30_000
    user.expire_in, user.expire_in_px = None, 1500
    repository.save(user)
    assert 0 < r.pttl(user.key) <= 1500
    user.expire_in_px = None
    repository.save(user)  # neither expire_in nor keep_ttl: no TTL, as Redis's SET
    assert r.pttl(user.key) == -1
    user.expire_in = 0
    with pytest.raises(assimilator.DataLayerError, match="positive"):
        repository.save(user)
    user.expire_in, user.expire_in_px = 5, 5000
    with pytest.raises(assimilator.DataLayerError, match="at most one"):
        repository.save(user)
    assert r.pttl(user.key) == -1


def test_keep_ttl(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    User = load("models", port(MODELS), monkeypatch).User
    repository = assimilator.RedisRepository(session=r, model=User)
    user = repository.save(username="a", email="a@example.com", balance=1, expire_in=60)
    user.expire_in, user.keep_ttl, user.balance = None, True, 2
    repository.save(user)
    assert 0 < r.pttl(user.key) <= 60_000
    assert repository.get(user.id).balance == 2


def test_only_create_is_nx(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    User = load("models", port(MODELS), monkeypatch).User
    repository = assimilator.RedisRepository(session=r, model=User)
    user = repository.save(username="a", email="a@example.com", balance=1, only_create=True)
    assert repository.get(user.id) == user  # created
    twin = User(id=user.id, username="b", email="b@example.com", balance=2, only_create=True)
    with pytest.raises(vm_models.AlreadyExists) as caught:
        repository.save(twin)
    assert isinstance(caught.value, assimilator.DataLayerError)
    assert repository.get(user.id).username == "a"  # not overwritten


def test_only_update_is_xx(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    User = load("models", port(MODELS), monkeypatch).User
    repository = assimilator.RedisRepository(session=r, model=User)
    ghost = User(username="g", email="g@example.com", balance=0, only_update=True)
    with pytest.raises(assimilator.NotFoundError):
        repository.save(ghost)
    assert r.keys("*") == []  # not created
    user = repository.save(username="a", email="a@example.com", balance=1)
    user.balance, user.only_update = 5, True
    repository.save(user)
    assert repository.get(user.id).balance == 5


def test_only_create_in_a_unit_of_work_writes_nothing(r: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    User = load("models", port(MODELS), monkeypatch).User
    repository = assimilator.RedisRepository(session=r, model=User)
    taken = repository.save(username="a", email="a@example.com", balance=1)
    with pytest.raises(vm_models.AlreadyExists), assimilator.RedisUnitOfWork(repository) as uow:
        uow.repository.save(username="b", email="b@example.com", balance=2)
        uow.repository.save(User(id=taken.id, username="c", email="c@example.com", balance=3,
                                 only_create=True))
        uow.commit()
    assert repository.count() == 1 and repository.get(taken.id).username == "a"

