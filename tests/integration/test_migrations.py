"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.db import Database
from bot.models import Base


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []
