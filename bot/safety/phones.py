"""A phone number the counsellor can call the family on: asked for after 🆘, optional, encrypted at rest.

Only the counsellors of the child's school see it, on the case card; supervisors and other schools never do.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from bot.crypto import EncryptedText
from bot.db.base import Base, UTCDateTime

# A mainland mobile (11 digits from 1) or a landline with its area code, typed with spaces or dashes, or
# "+86" in front: loose on purpose, a grandparent types it as they say it.
_PHONE = re.compile(r"^(?:\+?86)?(?:1\d{10}|0\d{2,3}\d{7,8})$")


class CaregiverPhone(Base):
    __tablename__ = "caregiver_phones"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(EncryptedText)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


def as_phone_number(text: str) -> str | None:
    """The number in a message that is only a phone number, digits only; None for anything else."""
    digits = re.sub(r"[\s\-()（）]", "", text.strip())
    return digits.lstrip("+") if _PHONE.match(digits) else None


async def phone_of(session: AsyncSession, person_id: int) -> str | None:
    row = await session.get(CaregiverPhone, person_id)
    return None if row is None else row.number


async def save_phone(session: AsyncSession, person_id: int, number: str, now: datetime) -> None:
    row = await session.get(CaregiverPhone, person_id)
    if row is None:
        session.add(CaregiverPhone(person_id=person_id, number=number, updated_at=now))
    else:
        row.number, row.updated_at = number, now
