"""A database error quoted into a log must not carry the values it failed on: they may be a child's nickname."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from tests.clock import FixedClock


async def test_a_failed_insert_does_not_quote_its_values(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", clock=FixedClock())
    table = Table("kids", MetaData(), Column("id", Integer, primary_key=True), Column("nickname", String))
    async with db.engine.begin() as connection:
        await connection.run_sync(table.metadata.create_all)
        await connection.execute(table.insert().values(id=1, nickname="小明"))
    with pytest.raises(IntegrityError) as raised:
        async with db.engine.begin() as connection:
            await connection.execute(table.insert().values(id=1, nickname="小明的秘密"))
    await db.dispose()
    assert "小明的秘密" not in str(raised.value)
