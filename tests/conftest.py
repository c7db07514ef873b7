"""Shared fixtures: a migrated, empty database per test on the backend TEST_DATABASE_URL names.

TEST_DATABASE_URL is `sqlite` (the default: a fresh file per test, copied from one migrated template) or a
PostgreSQL URL (migrated once per run, tables emptied between tests).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import crypto
from bot.db import Database
from bot.db.migrations import upgrade
from bot.models import Base
from tests.clock import FixedClock

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite")
ON_SQLITE = TEST_DATABASE_URL == "sqlite"


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _reset_postgres_schema(url: str) -> None:
    db = Database(url, clock=FixedClock())
    async with db.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await db.dispose()


@pytest.fixture(scope="session", autouse=True)
def encryption_key() -> Iterator[str]:
    """One throwaway key for the run: in this process, and in the environment for the CLI and bot processes."""
    key = crypto.generate_key()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOUHU_ENCRYPTION_KEYS", key)
        crypto.use_keys([key])
        yield key


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run the real migrations once per test run; tests start from their result."""
    if ON_SQLITE:
        template = tmp_path_factory.mktemp("db") / "template.db"
        upgrade(_sqlite_url(template))
        return str(template)
    asyncio.run(_reset_postgres_schema(TEST_DATABASE_URL))
    upgrade(TEST_DATABASE_URL)
    return TEST_DATABASE_URL


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    if ON_SQLITE:
        path = tmp_path / "shouhu.db"
        shutil.copy(migrated_template, path)
        return _sqlite_url(path)
    return TEST_DATABASE_URL


@pytest.fixture
def clock() -> FixedClock:
    """The test's "now"; a module or folder overrides it with its own moment or a running clock."""
    return FixedClock()


@pytest.fixture
async def db(database_url: str, clock) -> AsyncIterator[Database]:
    database = Database(database_url, clock=clock)
    if not ON_SQLITE:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "alembic_version")
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    await database.dispose()
