# db.py
import os
from typing import AsyncGenerator
from sqlalchemy.ext.asyncio import create_async_engine, async_sessionmaker
from sqlalchemy.ext.asyncio.session import AsyncSession
from sqlalchemy.orm import DeclarativeBase, MappedAsDataclass

# Dummy database config
DB_DRIVER = "sqlite+aiosqlite"
DB_NAME = "example.db"
# Deviation (b) from the seed, which hard-codes the URL: DATABASE_URL may come from the
# environment (the tests point it at a temporary SQLite file); the default is the seed's value.
DATABASE_URL = os.environ.get("DATABASE_URL", f"{DB_DRIVER}:///{DB_NAME}")  # sqlite+aiosqlite:///example.db

# Base class for models
class Base(MappedAsDataclass, DeclarativeBase):
    pass

# Async engine and session factory
async_engine = create_async_engine(DATABASE_URL, echo=True)
local_session = async_sessionmaker(
    async_engine,
    expire_on_commit=False,
    class_=AsyncSession,
    autoflush=False,
    autocommit=False
)

async def async_get_db() -> AsyncGenerator[AsyncSession, None]:
    async with local_session() as session:
        try:
            await session.commit()
            yield session
        finally:
            await session.close()
