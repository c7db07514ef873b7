"""A case is the counselling room's file on a child; flags are the evidence that opened or joined it.

A child has at most one open case: a new flag joins it and may raise its severity. The case's events are its
timeline (who did what, when, why). Free text (notes, messages, voice-note references) is encrypted at rest.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, SmallInteger, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.cases.severity import Level
from bot.crypto import EncryptedJSON, EncryptedText
from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.types import str_enum


class CaseStatus(StrEnum):
    NEW = "new"  # nobody has taken it yet
    TAKEN = "taken"
    IN_CONTACT = "in_contact"  # the counsellor has reached the family
    REFERRED = "referred"
    CLOSED = "closed"
    REOPENED = "reopened"  # closed once, open again and waiting to be taken


OPEN_STATUSES = tuple(status for status in CaseStatus if status is not CaseStatus.CLOSED)
UNASSIGNED_STATUSES = (CaseStatus.NEW, CaseStatus.REOPENED)


class CaseOutcome(StrEnum):
    RESOLVED = "resolved"
    REFERRED_ON = "referred_on"
    NO_CONCERN = "no_concern"
    UNREACHABLE = "unreachable"
    MOVED_AWAY = "moved_away"


class FlagSource(StrEnum):
    CHECKIN = "checkin"  # answers of a check-in
    MISSED = "missed"  # check-ins missed in a row
    WORRIED = "worried"  # the "I'm worried" button
    MESSAGE = "message"  # free text sent outside any flow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_open_child",
            "child_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.NEW)
    severity: Mapped[Level] = mapped_column(str_enum(Level))
    # When the current severity was set: the clock the time limits for taking the case run from.
    severity_since: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, onupdate=clock_default)
    # A closure waiting for a supervisor's approval (urgent and high cases, where the region asks for it).
    closure_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), default=None
    )
    outcome: Mapped[CaseOutcome | None] = mapped_column(str_enum(CaseOutcome), default=None)
    closure_note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Flag(Base):
    __tablename__ = "flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    level: Mapped[Level] = mapped_column(str_enum(Level))
    source: Mapped[FlagSource] = mapped_column(str_enum(FlagSource))
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"), default=None)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    # Reason keys of the content pack (content/checkins/), e.g. "said_want_to_die"; the evidence in short.
    reasons: Mapped[list[str]] = mapped_column(EncryptedJSON, default=list)
    symptom_score: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # The child's scores of the weeks before, newest first: the trend a counsellor reads the score against.
    previous_scores: Mapped[list[int]] = mapped_column(JSON, default=list)
    average: Mapped[float | None] = mapped_column(Float, default=None)
    missed_in_a_row: Mapped[int] = mapped_column(SmallInteger, default=0)
    note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    voice_file_id: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class EventKind(StrEnum):
    OPENED = "opened"
    FLAG_ADDED = "flag_added"
    SEVERITY_CHANGED = "severity_changed"
    TAKEN = "taken"
    HANDED_OVER = "handed_over"
    RETURNED = "returned"  # back to unassigned, e.g. its counsellor was removed
    VIEWED = "viewed"
    NOTE = "note"
    MESSAGE_TO_CAREGIVER = "message_to_caregiver"
    CAREGIVER_REPLY = "caregiver_reply"
    PARENT_ASKED_TO_CALL = "parent_asked_to_call"
    IN_CONTACT = "in_contact"
    REFERRED = "referred"
    REFERRAL_UPDATED = "referral_updated"
    FOLLOW_UP_SET = "follow_up_set"
    FOLLOW_UP_DUE = "follow_up_due"
    FOLLOW_UP_DONE = "follow_up_done"
    REMINDED = "reminded"  # a time limit passed: the counsellors were reminded
    ESCALATED = "escalated"  # twice the time limit: the region's supervisors were alerted
    CLOSURE_REQUESTED = "closure_requested"
    CLOSURE_REJECTED = "closure_rejected"
    CLOSED = "closed"
    REOPENED = "reopened"


class CaseEvent(Base):
    """One line of a case's timeline. `text` holds what someone wrote (a note, a message, a reason), encrypted."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind, length=32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class ReferralKind(StrEnum):
    VILLAGE_DOCTOR = "village_doctor"
    TOWNSHIP_HOSPITAL = "township_hospital"
    MENTAL_HEALTH = "mental_health"
    CHILD_PROTECTION = "child_protection"  # child-protection or police contact
    OTHER = "other"


class ReferralStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DONE = "done"


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReferralKind] = mapped_column(str_enum(ReferralKind))
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus), default=ReferralStatus.SENT)
    note: Mapped[str | None] = mapped_column(EncryptedText, default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, onupdate=clock_default)


class FollowUpStatus(StrEnum):
    PENDING = "pending"
    DUE = "due"  # its time came and the counsellor was reminded
    DONE = "done"
    CANCELLED = "cancelled"


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[FollowUpStatus] = mapped_column(str_enum(FollowUpStatus), default=FollowUpStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class TimerKind(StrEnum):
    REMIND = "remind"  # the time limit to take the case passed
    ESCALATE = "escalate"  # twice the time limit passed


class CaseTimer(Base):
    """Something that must happen to a case later unless the case moves first: a durable row, fired once."""

    __tablename__ = "case_timers"
    __table_args__ = (
        UniqueConstraint("case_id", "kind", "due_at"),
        Index("ix_case_timers_fired_at_due_at", "fired_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TimerKind] = mapped_column(str_enum(TimerKind))
    severity: Mapped[Level] = mapped_column(str_enum(Level))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class CaseAlert(Base):
    """Which outbox message told whom about a case, so that alerts can be edited when someone takes it."""

    __tablename__ = "case_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"))


class SchoolGroup(Base):
    """A school's counsellors' Telegram group: it gets a minimal line about new cases, never a child's details."""

    __tablename__ = "school_groups"

    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default)


class RegionPolicy(Base):
    """A region's rules, set by its supervisors."""

    __tablename__ = "region_policies"

    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Urgent and high cases close only when a supervisor approves.
    closure_needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock_default, onupdate=clock_default)
