"""Everything stored about one person (`data export --telegram-id N`), decrypted, for a subject access request.

The tables are found from the schema, not listed by hand: every row with a column that points at the person
(what they wrote, were sent, agreed to, were assigned, did), and the children they are linked to. A table
added later is included without a change here.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.models import Base
from bot.people.models import Person


async def export_person(session: AsyncSession, telegram_user_id: int) -> dict[str, Any] | None:
    """None when nobody with that Telegram id uses Shouhu."""
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    if person is None:
        return None
    people = Person.__table__
    data: dict[str, Any] = {"person": _row(people, await _rows(session, people, [people.c.id == person.id]))[0]}
    for table in Base.metadata.sorted_tables:
        columns = [col for col in table.columns if any(fk.column is people.c.id for fk in col.foreign_keys)]
        if columns:
            rows = await _rows(session, table, [col == person.id for col in columns])
            if rows:
                data[table.name] = _row(table, rows)
    linked = (
        select(CaregiverLink.child_id)
        .where(CaregiverLink.person_id == person.id)
        .union(select(ParentLink.child_id).where(ParentLink.person_id == person.id))
    )
    children = Child.__table__
    data["children"] = _row(children, await _rows(session, children, [children.c.id.in_(linked)]))
    audit.record(session, "person.exported", "person", person.id, actor="cli")
    return data


async def _rows(session: AsyncSession, table: Table, conditions: list) -> list:
    primary = list(table.primary_key.columns)
    return list((await session.execute(select(table).where(or_(*conditions)).order_by(*primary))).all())


def _row(table: Table, rows: list) -> list[dict[str, Any]]:
    return [{col.name: _plain(value) for col, value in zip(table.columns, row, strict=True)} for row in rows]


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value
