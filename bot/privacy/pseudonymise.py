"""Pseudonymising a forgotten person in the audit log and on case timelines: the rows stay, so the record of
who did what to a case still adds up, but the person's id is replaced by a pseudonym that names nobody.

The id alone would point at the next person who gets it (SQLite may reuse the highest id), and at the person
in any backup; the pseudonym is random and stored nowhere else, yet the same on every row of one forgetting.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import String, and_, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.models import AuditEvent
from bot.cases.models import CaseEvent

# Detail keys that hold a person's id (see `add_event` and `audit.record` callers).
PERSON_KEYS = ("person_id", "counsellor", "to", "from")


def new_pseudonym() -> str:
    return f"forgotten-{secrets.token_hex(4)}"


async def pseudonymise(session: AsyncSession, person_id: int, pseudonym: str) -> int:
    """Replace `person_id` wherever audit rows and case events name it; how many rows changed."""
    # A coarse filter in SQL (details are JSON text on both databases), the exact match below.
    mentions = cast(AuditEvent.details, String).contains(str(person_id))
    audit_rows = await session.scalars(
        select(AuditEvent).where(
            or_(
                AuditEvent.actor_person_id == person_id,
                and_(AuditEvent.subject_type == "person", AuditEvent.subject_id == person_id),
                mentions,
            )
        )
    )
    changed = 0
    for row in audit_rows.all():
        details = _replaced(row.details, person_id, pseudonym)
        if row.actor_person_id == person_id:
            row.actor_person_id, details["actor"] = None, pseudonym
        if row.subject_type == "person" and row.subject_id == person_id:
            row.subject_id, details["subject"] = None, pseudonym
        if details != row.details:
            row.details, changed = details, changed + 1
    events = await session.scalars(select(CaseEvent).where(cast(CaseEvent.details, String).contains(str(person_id))))
    for event in events.all():
        details = _replaced(event.details, person_id, pseudonym)
        if details != event.details:
            event.details, changed = details, changed + 1
    return changed


def _replaced(details: dict[str, Any], person_id: int, pseudonym: str) -> dict[str, Any]:
    return {key: pseudonym if key in PERSON_KEYS and value == person_id else value for key, value in details.items()}
