"""Recording and checking consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit import log as audit
from bot.consent.models import ConsentRecord


async def record(
    session: AsyncSession, person_id: int, scope: str, text_version: str, language: str, now: datetime
) -> ConsentRecord:
    consent = ConsentRecord(
        person_id=person_id, scope=scope, text_version=text_version, language=language, agreed_at=now
    )
    session.add(consent)
    await session.flush()
    audit.record(session, "consent.agreed", "consent", consent.id, actor_person_id=person_id, scope=scope)
    return consent


async def has_consented(session: AsyncSession, person_id: int, scope: str) -> bool:
    found = await session.scalar(
        select(ConsentRecord.id)
        .where(
            ConsentRecord.person_id == person_id,
            ConsentRecord.scope == scope,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    return found is not None
