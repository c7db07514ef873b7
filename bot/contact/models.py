"""Family contact rows: call plans and proposals to move them, the calls they plan, the contact log, relayed
messages, summary consent and birthdays.

A call is a row that becomes due twice (the reminders an hour before, the question after the slot); each step
moves with a compare-and-set on its status. Relays keep only Telegram ids and who sent what to whom, which is
what routing a reply and telling the sender about a failed delivery need; never the words.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum


class CallStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for its reminder time
    REMINDED = "reminded"  # both sides were reminded; waits for the end of the slot
    ASKED = "asked"  # the parent (and the caregivers) were asked how it went
    DONE = "done"  # someone answered
    CANCELLED = "cancelled"  # the plan was removed or the parent is no longer linked


class CallOutcome(StrEnum):
    TALKED = "talked"
    UNREACHED = "unreached"
    RESCHEDULE = "reschedule"


class ProposalStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    SUPERSEDED = "superseded"  # a newer proposal for the same plan replaced it


class ContactKind(StrEnum):
    CALL = "call"  # a call the parent or a caregiver said took place
    MESSAGE = "message"  # a parent sent something through the relay


class CallPlan(Base):
    """A parent's regular call with a child: a weekday and time in the parent's own time zone."""

    __tablename__ = "call_plans"
    __table_args__ = (UniqueConstraint("parent_id", "child_id", "weekday", "minute_of_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # Monday is 0
    minute_of_day: Mapped[int] = mapped_column(SmallInteger)
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class CallProposal(Base):
    """A new weekday and time for a plan, proposed by the parent or a caregiver; the other side confirms it."""

    __tablename__ = "call_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("call_plans.id", ondelete="CASCADE"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # In the plan's (the parent's) zone, whoever proposed it.
    weekday: Mapped[int] = mapped_column(SmallInteger)
    minute_of_day: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus), default=ProposalStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (UniqueConstraint("plan_id", "at"), Index("ix_calls_status_at", "status", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kept when the plan is removed, so the contact log still says which call it was.
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("call_plans.id", ondelete="SET NULL"), index=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), default=CallStatus.SCHEDULED)
    outcome: Mapped[CallOutcome | None] = mapped_column(str_enum(CallOutcome), default=None)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class ContactEvent(Base):
    """The contact log: what lapses and the weekly line count."""

    __tablename__ = "contact_events"
    __table_args__ = (Index("ix_contact_events_pair", "parent_id", "child_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"), default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Relay(Base):
    """One message passed from one family member to another about a child."""

    __tablename__ = "contact_relays"
    __table_args__ = (Index("ix_contact_relays_unsettled", "failure_told_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    # Set once the sender has been told that it could not be delivered, so they are told once.
    failure_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class SummaryConsent(Base):
    """Whether a caregiver lets the linked parents get a weekly summary of the check-in. Off until they say so."""

    __tablename__ = "summary_consents"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    share: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class CheckinSummary(Base):
    """A completed check-in whose summary was decided (sent or withheld), so that it is decided once."""

    __tablename__ = "checkin_summaries"

    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"), primary_key=True)
    shared: Mapped[bool] = mapped_column(Boolean)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChildBirthday(Base):
    """The day of the month a child was born, when the family chose to tell; the month is the child's own."""

    __tablename__ = "child_birthdays"

    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
