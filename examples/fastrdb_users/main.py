# main.py
from contextlib import asynccontextmanager
from typing import AsyncIterator, Literal, Optional

from fastapi import FastAPI, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import NoResultFound
from redis.asyncio import Redis

from redis_client import get_redis
from crud import user_crud
from models import User
from schemas import UserCreate, UserUpdate, UserResponse
from db import async_get_db, async_engine
from vermilion.cache import PaginatedResponse  # FastRDB's paginate() result: data, total, limit, page


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Not in the seed: nothing there creates the "users" table, so its first request would fail
    # with "no such table: users".  Create the tables of the models (User's metadata is Base's)
    # at startup, and release the engine's connections at shutdown.
    async with async_engine.begin() as conn:
        await conn.run_sync(User.metadata.create_all)
    yield
    await async_engine.dispose()


app = FastAPI(lifespan=lifespan)


# FastRDB's get/update/delete raise SQLAlchemy's NoResultFound for a missing row: a 404.
@app.exception_handler(NoResultFound)
async def user_not_found(request: Request, exc: NoResultFound) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": "User not found"})


# A constraint of the table refused the write (an email already in use: the column is unique;
# or a required field PATCHed to null): a 409, not a 500.
@app.exception_handler(IntegrityError)
async def user_conflict(request: Request, exc: IntegrityError) -> JSONResponse:
    return JSONResponse(status_code=409, content={"detail": "Conflicts with the users table's constraints "
                                                            "(email already in use, or a required field set to null)"})


@app.post("/users/", response_model=UserResponse)
async def create_user(user: UserCreate, redis: Redis = Depends(get_redis), db: AsyncSession = Depends(async_get_db)) -> UserResponse:
    return await user_crud.create(db=db, redis=redis, obj_in=user , email=user.email)


# Declared before /users/{email}, which would otherwise take "count" for an email.
@app.get("/users/count")
async def count_users(is_active: Optional[bool] = None, db: AsyncSession = Depends(async_get_db)) -> dict:
    filters = {} if is_active is None else {"is_active": is_active}
    # As in the seed's example, count() takes the session and the filters only.
    return {"count": await user_crud.count(db=db, **filters)}


@app.get("/users/", response_model=PaginatedResponse[UserResponse])
async def list_users(
    limit: int = Query(10, ge=1, le=100),
    page: int = Query(1, ge=1),
    order_by: Optional[Literal["id", "email", "name", "created_at", "updated_at"]] = None,
    ascending: bool = True,
    is_active: Optional[bool] = None,
    redis: Redis = Depends(get_redis),
    db: AsyncSession = Depends(async_get_db),
):
    filters = {} if is_active is None else {"is_active": is_active}
    users = await user_crud.get_multi(db=db, redis=redis, limit=limit, page=page, order_by=order_by,
                                      ascending=ascending, **filters)
    return user_crud.paginate(data=users, limit=limit, page=page)


@app.get("/users/{email}", response_model=UserResponse)
async def get_user(email: str, redis: Redis = Depends(get_redis), db: AsyncSession = Depends(async_get_db)) -> UserResponse:
    return await user_crud.get(db=db, redis=redis, email=email)


@app.patch("/users/{email}", response_model=UserResponse)
async def update_user(email: str, user: UserUpdate, redis: Redis = Depends(get_redis), db: AsyncSession = Depends(async_get_db)) -> UserResponse:
    return await user_crud.update(db=db, redis=redis, obj_in=user, email=email)


@app.delete("/users/{email}", status_code=204)
async def delete_user(email: str, redis: Redis = Depends(get_redis), db: AsyncSession = Depends(async_get_db)) -> None:
    await user_crud.delete(db=db, redis=redis, email=email)
