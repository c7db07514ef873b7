"""`EncryptedText` and `keys rotate` on the real databases, with throwaway tables outside the real schema.

Tests are synchronous because each CLI command runs its own `asyncio.run`; the `db` fixture only empties PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from typer.testing import CliRunner, Result

from bot import crypto
from bot.cli import app
from bot.config import get_settings
from bot.crypto import EncryptedText
from bot.db import Database
from tests.clock import FixedClock

T = TypeVar("T")
TEXT = "小明这周一直哭，说想妈妈。"
VOICE = "AwACAgUAAxkBAAIBZ2Zx-voice-file-id"


class ThrowawayBase(DeclarativeBase):
    metadata = MetaData()  # not the real schema: created and dropped by each test


class Note(ThrowawayBase):
    __tablename__ = "crypto_test_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str | None] = mapped_column(EncryptedText)
    voice_file_id: Mapped[str | None] = mapped_column(EncryptedText)


# A composite primary key, so that rotation's paging is tried on it too.
visits = Table(
    "crypto_test_visits",
    ThrowawayBase.metadata,
    Column("household", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("summary", EncryptedText, nullable=False),
)


def in_session(database_url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def main() -> T:
        database = Database(database_url, clock=FixedClock())
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(main())


async def _create(session: AsyncSession) -> None:
    await (await session.connection()).run_sync(ThrowawayBase.metadata.create_all)


async def _drop(session: AsyncSession) -> None:
    await (await session.connection()).run_sync(ThrowawayBase.metadata.drop_all)


@pytest.fixture
def tables(db: Database, database_url: str, encryption_key: str) -> Iterator[None]:
    in_session(database_url, _create)
    yield
    crypto.use_keys([encryption_key])  # tests configure other keys; later tests expect the run's key
    in_session(database_url, _drop)


@pytest.fixture
def rotate(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`keys rotate` with the given keys, over the throwaway tables instead of the real schema."""
    monkeypatch.chdir(tmp_path)  # a developer's own .env must not leak in
    monkeypatch.setattr("bot.cli.Base", ThrowawayBase)

    def invoke(keys: list[str], *args: str) -> Result:
        get_settings.cache_clear()
        env = {"DATABASE_URL": database_url, "SHOUHU_ENCRYPTION_KEYS": ",".join(keys)}
        try:
            return CliRunner().invoke(app, ["keys", "rotate", *args], env=env)
        finally:
            get_settings.cache_clear()

    return invoke


def raw_notes(database_url: str) -> list[tuple]:
    async def work(session: AsyncSession) -> list[tuple]:
        rows = await session.execute(text("SELECT id, note, voice_file_id FROM crypto_test_notes ORDER BY id"))
        return [tuple(row) for row in rows]

    return in_session(database_url, work)


def raw_summaries(database_url: str) -> list[str]:
    async def work(session: AsyncSession) -> list[str]:
        return list(await session.scalars(text("SELECT summary FROM crypto_test_visits ORDER BY household, seq")))

    return in_session(database_url, work)


def add_notes(database_url: str, *notes: Note) -> None:
    async def work(session: AsyncSession) -> None:
        session.add_all(notes)

    in_session(database_url, work)


def test_text_is_stored_as_a_token_and_read_back_as_text(tables, database_url):
    add_notes(database_url, Note(id=1, note=TEXT, voice_file_id=VOICE), Note(id=2))

    (first_id, note, voice), (_, empty_note, empty_voice) = raw_notes(database_url)
    assert first_id == 1
    assert "小明" not in note and "想妈妈" not in note and VOICE not in voice
    assert crypto.cipher().decrypt(note) == TEXT
    assert (empty_note, empty_voice) == (None, None)  # NULL stays NULL, not an encrypted empty value

    async def read(session: AsyncSession) -> tuple[Note | None, str | None]:
        orm = await session.get(Note, 1)
        core = await session.scalar(select(Note.__table__.c.note).where(Note.__table__.c.id == 1))
        return orm, core

    orm, core = in_session(database_url, read)
    assert (orm.note, orm.voice_file_id, core) == (TEXT, VOICE, TEXT)


def test_migrations_see_the_column_as_the_text_column_it_is(tables, database_url):
    def diff(connection):
        # Only the throwaway tables: the rest of the database belongs to the real schema.
        context = MigrationContext.configure(
            connection, opts={"include_name": lambda name, kind, _: kind != "table" or name.startswith("crypto_test")}
        )
        return compare_metadata(context, ThrowawayBase.metadata)

    async def compare(session: AsyncSession) -> list:
        return await (await session.connection()).run_sync(diff)

    assert in_session(database_url, compare) == []


def test_keys_rotate_re_encrypts_every_value_with_the_newest_key(tables, database_url, rotate):
    old, new = crypto.generate_key(), crypto.generate_key()
    crypto.use_keys([old])
    add_notes(database_url, *(Note(id=i, note=f"{TEXT} {i}", voice_file_id=VOICE if i % 2 else None) for i in range(5)))

    async def add_visits(session: AsyncSession) -> None:
        rows = [{"household": h, "seq": s, "summary": f"visit {h}/{s}"} for h in (1, 2) for s in (1, 2)]
        await session.execute(insert(visits), rows)

    in_session(database_url, add_visits)
    crypto.use_keys([new])
    add_notes(database_url, Note(id=5, note="already under the new key"))

    result = rotate([new, old], "--batch-size", "2", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["columns"] == [
        {"table": "crypto_test_notes", "column": "note", "rotated": 5, "current": 1},
        {"table": "crypto_test_notes", "column": "voice_file_id", "rotated": 2, "current": 0},
        {"table": "crypto_test_visits", "column": "summary", "rotated": 4, "current": 0},
    ]
    assert (report["rotated"], report["current"]) == (11, 1)

    only_new = crypto.Cipher([new])
    notes = raw_notes(database_url)
    assert [only_new.decrypt(note) for _, note, _ in notes] == [
        *(f"{TEXT} {i}" for i in range(5)),
        "already under the new key",
    ]
    assert [only_new.decrypt(voice) for _, _, voice in notes if voice] == [VOICE] * 2
    assert [only_new.decrypt(s) for s in raw_summaries(database_url)] == [
        "visit 1/1",
        "visit 1/2",
        "visit 2/1",
        "visit 2/2",
    ]

    again = rotate([new], "--batch-size", "2")
    assert again.exit_code == 0, again.output
    assert "crypto_test_notes.note: 0 re-encrypted, 6 already had the newest key" in again.stdout
    assert "Done: 0 values re-encrypted, 12 already had the newest key." in again.stdout


def test_keys_rotate_stops_at_a_value_that_no_key_decrypts(tables, database_url, rotate):
    lost, new = crypto.generate_key(), crypto.generate_key()
    crypto.use_keys([lost])
    add_notes(database_url, Note(id=7, note=TEXT))

    result = rotate([new], "--json")

    assert result.exit_code == 2
    assert "crypto_test_notes.note (id=7)" in result.stderr
    assert "SHOUHU_ENCRYPTION_KEYS" in result.stderr
    assert "小明" not in result.output
    assert crypto.Cipher([lost]).decrypt(raw_notes(database_url)[0][1]) == TEXT  # left as it was


def test_keys_rotate_covers_the_real_schema(db, database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["keys", "rotate", "--json"], env={"DATABASE_URL": database_url})
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rotated"] == 0  # an empty database has nothing to re-encrypt
