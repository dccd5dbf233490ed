"""Differential test: random reads through the cached CRUD, interleaved with random writes
through the CRUD, plain ORM sessions, bulk statements, textual SQL and rolled-back
transactions, each read compared with the same query run straight on the database."""

from __future__ import annotations

import tempfile
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from pydantic import BaseModel
from sqlalchemy import String, create_engine, func, select, text, update
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from vermilion.cache import decorator as cache_decorator
from vermilion.cache.crud import CRUD


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(20), unique=True)
    grp: Mapped[str] = mapped_column(String(5))
    score: Mapped[int]


class RowOut(BaseModel):
    model_config = {"from_attributes": True}
    id: int
    email: str
    grp: str
    score: int


EMAILS = [f"e{i}" for i in range(3)]
GROUPS = ["a", "b"]


def outcome(fn: Any) -> Any:
    try:
        return ("ok", fn())
    except (NoResultFound, MultipleResultsFound) as exc:
        return ("error", type(exc).__name__)


class CacheMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.engine = create_engine(f"sqlite:///{self.tmp.name}/d.sqlite")
        Base.metadata.create_all(self.engine)
        cache_decorator._stores.clear()
        self.crud = CRUD(Row, RowOut, key="row:{email}", list_key="rows:{page}:{limit}", ttl=60)
        self.reader = Session(self.engine)
        self.next_id = 1

    @initialize(groups=st.lists(st.sampled_from(GROUPS), min_size=len(EMAILS),
                                max_size=len(EMAILS)))
    def start(self, groups: list[str]) -> None:
        """A clean cache and a table holding every email (a later delete frees some)."""
        self.crud.store().clear()  # type: ignore[attr-defined]
        with Session(self.engine) as s, s.begin():
            for email, grp in zip(EMAILS, groups):
                s.add(Row(email=email, grp=grp, score=0))

    def reference(self, stmt: Any) -> Any:
        with Session(self.engine) as s:
            return s.execute(stmt)

    # -- reads, each compared with the database ---------------------------------------------
    @rule(email=st.sampled_from(EMAILS))
    def get_by_email(self, email: str) -> None:
        self.check_email(email)

    @rule()
    def read_everything(self) -> None:
        """Every entry a write could have left stale is read (and cached for the next rules)."""
        for email in EMAILS:
            self.check_email(email)
        for grp in (None, *GROUPS):
            self.list_and_count(grp, 1, len(EMAILS), True)

    def check_email(self, email: str) -> None:
        def truth() -> Any:
            with Session(self.engine) as s:
                return RowOut.model_validate(s.execute(select(Row).filter_by(email=email))
                                             .scalar_one(), from_attributes=True)

        assert outcome(lambda: self.crud.get(self.reader, email=email)) == outcome(truth)

    @rule(grp=st.sampled_from(GROUPS))
    def get_by_group(self, grp: str) -> None:
        def truth() -> Any:
            with Session(self.engine) as s:
                return RowOut.model_validate(s.execute(select(Row).filter_by(grp=grp))
                                             .scalar_one(), from_attributes=True)

        crud = CRUD(Row, RowOut, ttl=60)
        assert outcome(lambda: crud.get(self.reader, grp=grp)) == outcome(truth)

    @rule(grp=st.sampled_from([None, *GROUPS]), page=st.integers(1, 3), limit=st.integers(1, 3),
          ascending=st.booleans())
    def list_and_count_rule(self, grp: str | None, page: int, limit: int, ascending: bool) -> None:
        self.list_and_count(grp, page, limit, ascending)

    def list_and_count(self, grp: str | None, page: int, limit: int, ascending: bool) -> None:
        filters = {} if grp is None else {"grp": grp}
        got = self.crud.get_multi(self.reader, limit=limit, page=page, order_by="score",
                                  ascending=ascending, **filters)
        order = Row.score.asc() if ascending else Row.score.desc()
        with Session(self.engine) as s:
            want = [RowOut.model_validate(o, from_attributes=True) for o in s.execute(
                select(Row).filter_by(**filters).order_by(order, Row.id)
                .limit(limit).offset((page - 1) * limit)).scalars()]
            count = s.execute(select(func.count()).select_from(Row).filter_by(**filters)).scalar_one()
        assert got == want
        assert self.crud.count(self.reader, **filters) == count
        self.reader.commit()

    # -- writes ------------------------------------------------------------------------------
    @rule(email=st.sampled_from(EMAILS), grp=st.sampled_from(GROUPS), score=st.integers(0, 5))
    def create(self, email: str, grp: str, score: int) -> None:
        with Session(self.engine) as s:
            exists = s.execute(select(Row).filter_by(email=email)).first() is not None
        if not exists:
            with Session(self.engine) as s, s.begin():
                self.crud.create(s, {"email": email, "grp": grp, "score": score})

    @rule(email=st.sampled_from(EMAILS), score=st.integers(0, 5))
    def crud_update(self, email: str, score: int) -> None:
        with Session(self.engine) as s, s.begin():
            self.crud.update_many(s, {"score": score}, email=email)

    @rule(email=st.sampled_from(EMAILS), grp=st.sampled_from(GROUPS))
    def orm_update(self, email: str, grp: str) -> None:
        with Session(self.engine) as s:
            row = s.execute(select(Row).filter_by(email=email)).scalar_one_or_none()
            if row is not None:
                row.grp = grp
                s.commit()

    @rule(email=st.sampled_from(EMAILS), new=st.sampled_from(EMAILS))
    def orm_change_email(self, email: str, new: str) -> None:
        with Session(self.engine) as s:
            if s.execute(select(Row).filter_by(email=new)).first() is not None:
                return
            row = s.execute(select(Row).filter_by(email=email)).scalar_one_or_none()
            if row is not None:
                row.email = new
                s.commit()

    @rule(grp=st.sampled_from(GROUPS), delta=st.integers(1, 3))
    def bulk_update(self, grp: str, delta: int) -> None:
        with Session(self.engine) as s:
            s.execute(update(Row).where(Row.grp == grp).values(score=Row.score + delta))
            s.commit()

    @rule(grp=st.sampled_from(GROUPS))
    def textual_update(self, grp: str) -> None:
        with Session(self.engine) as s:
            s.execute(text("UPDATE rows SET score = score + 1 WHERE grp = :g"), {"g": grp})
            s.commit()

    @rule(email=st.sampled_from(EMAILS))
    def delete(self, email: str) -> None:
        with Session(self.engine) as s, s.begin():
            self.crud.delete(s, email=email)

    @rule(email=st.sampled_from(EMAILS))
    def orm_delete(self, email: str) -> None:
        with Session(self.engine) as s:
            row = s.execute(select(Row).filter_by(email=email)).scalar_one_or_none()
            if row is not None:
                s.delete(row)
                s.commit()

    @rule(email=st.sampled_from(EMAILS))
    def rolled_back(self, email: str) -> None:
        with Session(self.engine) as s:
            try:
                with s.begin():
                    self.crud.update_many(s, {"score": 99}, email=email)
                    raise RuntimeError("abort")
            except RuntimeError:
                pass

    @rule(email=st.sampled_from(EMAILS), score=st.integers(0, 5))
    def savepoint_rolled_back(self, email: str, score: int) -> None:
        """The outer transaction's write commits, the savepoint's does not."""
        with Session(self.engine) as s, s.begin():
            self.crud.update_many(s, {"score": score}, email=email)
            try:
                with s.begin_nested():
                    self.crud.update_many(s, {"score": score + 50}, email=email)
                    raise RuntimeError("abort the savepoint")
            except RuntimeError:
                pass

    @rule(email=st.sampled_from(EMAILS), grp=st.sampled_from(GROUPS))
    def upsert(self, email: str, grp: str) -> None:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        with Session(self.engine) as s:
            stmt = sqlite_insert(Row).values(email=email, grp=grp, score=7)
            s.execute(stmt.on_conflict_do_update(index_elements=["email"],
                                                 set_={"grp": grp, "score": 7}))
            s.commit()

    @invariant()
    def reader_session_ends_its_reads(self) -> None:
        self.reader.commit()  # a new read snapshot for the next rule, as a request would

    def teardown(self) -> None:
        self.reader.close()
        self.engine.dispose()
        self.tmp.cleanup()


def test_cache_differential(r: Any) -> None:
    run_state_machine_as_test(
        CacheMachine, settings=settings(max_examples=60, stateful_step_count=30, deadline=None,
                                        suppress_health_check=list(HealthCheck)))
