"""The async engine and the unit of work (`Database.session()`) that every service runs in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.clock import Clock
from bot.db.base import CLOCK_OPTION


def ensure_sqlite_directory(url: str) -> None:
    """A SQLite file's folder must exist before the first connection (a fresh clone has no `data/`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """The engine, the unit of work, and the clock that stamps every row written through them."""

    def __init__(self, url: str, *, clock: Clock) -> None:
        self.url = make_url(url)
        self.clock = clock
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        ensure_sqlite_directory(url)
        # hide_parameters: a database error's message would otherwise quote the row it failed on (a nickname, a
        # note) into the logs.
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_pre_ping=not self.is_sqlite,
            hide_parameters=True,
            execution_options={CLOCK_OPTION: clock},
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        async with self.sessionmaker() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the sender read while a handler writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
