"""Write audit events inside the caller's transaction, so an action and its record stand or fall together."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.audit.models import AuditEvent


def record(
    session: AsyncSession,
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    actor_person_id: int | None = None,
    actor: str | None = None,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(
        actor_person_id=actor_person_id,
        actor=actor or ("person" if actor_person_id is not None else "system"),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details,
    )
    session.add(event)
    return event
