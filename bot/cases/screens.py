"""What the counsellor's desk asks the adapter to show. Channel-neutral: the adapter renders each per language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.cases.models import (
    CaseOutcome,
    CaseStatus,
    EventKind,
    FlagSource,
    FollowUpStatus,
    ReferralKind,
    ReferralStatus,
)
from bot.cases.severity import Level


class Folder(StrEnum):
    MINE = "mine"
    UNASSIGNED = "new"
    OPEN = "open"
    APPROVAL = "approval"  # closures waiting for a supervisor


class Purpose(StrEnum):
    """What a counsellor's next typed text is for."""

    NOTE = "note"
    MESSAGE = "msg"
    CLOSE = "close"
    SEVERITY = "sev"
    REOPEN = "reopen"
    REJECT = "reject"


@dataclass(frozen=True)
class QueueLine:
    case_id: int
    severity: Level
    nickname: str
    age: int
    status: CaseStatus
    waiting: timedelta
    school: str
    assignee: str | None


@dataclass(frozen=True)
class Queue:
    folder: Folder
    folders: tuple[Folder, ...]
    page: int
    pages: int
    lines: tuple[QueueLine, ...]
    # For a supervisor: whether closing urgent and high cases needs approval in their region; None for others.
    approval_required: bool | None = None


@dataclass(frozen=True)
class FlagView:
    at: datetime
    level: Level
    source: FlagSource
    reasons: tuple[str, ...]
    symptom_score: int | None
    average: float | None
    missed_in_a_row: int
    note: str | None
    has_voice: bool
    answers: tuple[tuple[str, str], ...] = ()  # (question id, option id) of the check-in behind it


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: EventKind
    actor: str | None
    details: dict
    text: str | None


@dataclass(frozen=True)
class ReferralView:
    id: int
    kind: ReferralKind
    status: ReferralStatus
    note: str | None


@dataclass(frozen=True)
class FollowUpView:
    id: int
    due_at: datetime
    status: FollowUpStatus
    counsellor: str


@dataclass(frozen=True)
class ParentView:
    relation: str
    last_in_touch: date | None
    lapsed: bool  # no contact for three weeks or more


@dataclass(frozen=True)
class Card:
    case_id: int
    severity: Level
    status: CaseStatus
    school: str
    timezone: str
    nickname: str
    age: int
    grade: str | None
    caregivers: tuple[tuple[str, str, str | None], ...]  # (name, relation, phone number given for the counsellor)
    parents: tuple[ParentView, ...]
    assignee: str | None
    opened_at: datetime
    flags: tuple[FlagView, ...]
    referrals: tuple[ReferralView, ...]
    follow_ups: tuple[FollowUpView, ...]
    events: tuple[EventView, ...]
    actions: frozenset[str]
    outcome: CaseOutcome | None = None
    trend: tuple[tuple[date, int | None], ...] = field(default=())


@dataclass(frozen=True)
class AlertToEdit:
    """Another counsellor's alert about a case someone has just taken: re-rendered with who took it."""

    chat_id: int
    message_id: int
    kind: str
    params: dict
    language: str


@dataclass(frozen=True)
class Taken:
    case_id: int
    nickname: str
    alerts: tuple[AlertToEdit, ...]


@dataclass(frozen=True)
class AlreadyTaken:
    case_id: int
    by: str


@dataclass(frozen=True)
class AskText:
    case_id: int
    purpose: Purpose


@dataclass(frozen=True)
class Choose:
    """A choice among fixed options for an action: referral kinds, follow-up times, severities, outcomes, people."""

    case_id: int
    action: str
    options: tuple[tuple[str, str], ...]  # (value, label key or name)


@dataclass(frozen=True)
class Done:
    case_id: int
    what: str  # a key the adapter turns into a confirmation


@dataclass(frozen=True)
class Refused:
    case_id: int
    why: str  # a key: e.g. "child_has_open_case", "needs_text"


@dataclass(frozen=True)
class Voices:
    case_id: int
    file_ids: tuple[str, ...]


@dataclass(frozen=True)
class Trend:
    case_id: int
    nickname: str
    points: tuple[tuple[date, int | None], ...]  # week start, symptom score (None: no check-in that week)


@dataclass(frozen=True)
class ReplyPrompt:
    """To a caregiver: write your answer to the counselling room."""

    school: str


@dataclass(frozen=True)
class ReplySent:
    school: str


Screen = Queue | Card | Taken | AlreadyTaken | AskText | Choose | Done | Refused | Voices | ReplyPrompt | ReplySent
