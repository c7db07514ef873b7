"""The migrations build exactly the schema the models describe, on the database under test, and carry stored
rows across (the privacy migration encrypts them)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from bot.cases.models import Flag
from bot.cases.severity import Level
from bot.checkins.models import Checkin
from bot.db import Database
from bot.db.migrations import alembic_config, upgrade_async
from bot.models import Base
from bot.outbox.models import OutboxMessage
from tests import factories

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_the_privacy_migration_encrypts_stored_answers_reasons_and_params(
    db: Database, database_url: str
) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    await factories.flag(db, family.child_ids[0], Level.HIGH, NOW, reason="said_want_to_die")
    async with db.session() as session:
        checkin = await session.scalar(select(Checkin))
        checkin.answers = {"mood": "often"}
    stored = {"checkins": {"mood": "often"}, "flags": ["said_want_to_die"]}
    await db.engine.dispose()

    # Back to before the migration: the values are plain JSON again, as they were stored then.
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "0005")
    raw = await _raw(db, checkin.id)
    assert {table: json.loads(raw[table]) for table in stored} == stored
    assert json.loads(raw["outbox"])["reasons"] == ["said_want_to_die"]

    await upgrade_async(database_url)
    raw = await _raw(db, checkin.id)
    assert all(value.startswith("gAAAAA") and "said_want_to_die" not in value for value in raw.values())
    async with db.session() as session:
        assert (await session.scalar(select(Checkin.answers).where(Checkin.id == checkin.id))) == {"mood": "often"}
        assert (await session.scalar(select(Flag.reasons))) == ["said_want_to_die"]
        alert = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "case_alert"))
        assert alert.params["reasons"] == ["said_want_to_die"]


async def _raw(db: Database, checkin_id: int) -> dict[str, str]:
    """One stored value of each column, as it is in the database (no decryption)."""
    async with db.engine.connect() as connection:
        answers = await connection.scalar(
            text("SELECT CAST(answers AS TEXT) FROM checkins WHERE id = :id"), {"id": checkin_id}
        )
        reasons = await connection.scalar(text("SELECT CAST(reasons AS TEXT) FROM flags"))
        params = await connection.scalar(text("SELECT CAST(params AS TEXT) FROM outbox WHERE kind = 'case_alert'"))
    return {"checkins": str(answers), "flags": str(reasons), "outbox": str(params)}
