"""Writing a case's timeline: every change is an event with actor, time and reason, and an audit record.

The event keeps what the case card shows (including encrypted text); the audit log keeps who did what, by id only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.cases.models import Case, CaseEvent, EventKind


def add_event(
    session: AsyncSession,
    case: Case,
    kind: EventKind,
    *,
    actor_id: int | None,
    now: datetime,
    text: str | None = None,
    **details: Any,
) -> CaseEvent:
    event = CaseEvent(case_id=case.id, kind=kind, actor_id=actor_id, details=details, text=text, at=now)
    session.add(event)
    audit.record(session, f"case.{kind.value}", "case", case.id, actor_person_id=actor_id, **details)
    return event


async def events_of(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    statement = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id)
    return list((await session.scalars(statement)).all())
