"""The supervisors' digest: how a region's counselling rooms are keeping up, in aggregates only.

Figures for the region and for each school: open cases by severity and by how long they have been open, the
median time to take and to close a case over the last 30 days, overdue follow-ups, and how many of the
scheduled check-ins of the last 4 weeks were completed. No child, caregiver or counsellor appears in it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.models import Case, CaseStatus, FollowUp, FollowUpStatus
from bot.cases.severity import Level
from bot.checkins.models import Checkin, CheckinOrigin, CheckinStatus
from bot.families.models import Child
from bot.reports.scope import Scope

SEVERITIES = (Level.URGENT.value, Level.HIGH.value, Level.ROUTINE.value)
AGE_BUCKETS = ("under_1_day", "1_to_7_days", "over_7_days")
MEDIAN_WINDOW = timedelta(days=30)
COMPLETION_WINDOW = timedelta(weeks=4)
OVERDUE_STATUSES = (FollowUpStatus.PENDING, FollowUpStatus.DUE)


def age_bucket(age: timedelta) -> str:
    if age < timedelta(days=1):
        return AGE_BUCKETS[0]
    return AGE_BUCKETS[1] if age <= timedelta(days=7) else AGE_BUCKETS[2]


@dataclass
class Figures:
    open_by_severity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    open_by_age: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AGE_BUCKETS, 0))
    # severity -> age bucket -> count: "urgent and open for over a week" is what a supervisor must see first
    open_by_severity_and_age: dict[str, dict[str, int]] = field(
        default_factory=lambda: {severity: dict.fromkeys(AGE_BUCKETS, 0) for severity in SEVERITIES}
    )
    median_seconds_to_take: int | None = None
    median_seconds_to_close: int | None = None
    taken: int = 0  # cases taken in the last 30 days: the sample behind the median
    closed: int = 0
    overdue_follow_ups: int = 0
    checkins_completed: int = 0
    checkins_missed: int = 0
    completion: float | None = None  # completed / (completed + missed); None when no check-in was due

    @property
    def open_cases(self) -> int:
        return sum(self.open_by_severity.values())


@dataclass
class SchoolFigures:
    id: int
    name: str
    figures: Figures


@dataclass
class Digest:
    region: str
    at: str  # the moment the figures are of, ISO 8601 in the region's time zone
    total: Figures
    schools: list[SchoolFigures]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Digest:
        return cls(
            region=data["region"],
            at=data["at"],
            total=Figures(**data["total"]),
            schools=[SchoolFigures(s["id"], s["name"], Figures(**s["figures"])) for s in data["schools"]],
        )


@dataclass
class _Tally:
    """The raw values of one school or of the region, before the medians are taken."""

    open_cases: list[tuple[str, str]] = field(default_factory=list)  # (severity, age bucket)
    to_take: list[float] = field(default_factory=list)
    to_close: list[float] = field(default_factory=list)
    overdue: int = 0
    checkins: Counter[CheckinStatus] = field(default_factory=Counter)

    def figures(self) -> Figures:
        result = Figures(
            median_seconds_to_take=_median(self.to_take),
            median_seconds_to_close=_median(self.to_close),
            taken=len(self.to_take),
            closed=len(self.to_close),
            overdue_follow_ups=self.overdue,
            checkins_completed=self.checkins[CheckinStatus.COMPLETED],
            checkins_missed=self.checkins[CheckinStatus.MISSED],
        )
        for severity, bucket in self.open_cases:
            result.open_by_severity[severity] += 1
            result.open_by_age[bucket] += 1
            result.open_by_severity_and_age[severity][bucket] += 1
        resolved = result.checkins_completed + result.checkins_missed
        result.completion = result.checkins_completed / resolved if resolved else None
        return result


def _median(seconds: list[float]) -> int | None:
    return round(median(seconds)) if seconds else None


async def build_digest(session: AsyncSession, scope: Scope, now: datetime) -> Digest:
    ids = scope.school_ids
    tallies: dict[int, _Tally] = defaultdict(_Tally)

    open_cases = await session.execute(
        select(Case.school_id, Case.severity, Case.opened_at).where(
            Case.school_id.in_(ids), Case.status != CaseStatus.CLOSED
        )
    )
    for school_id, severity, opened_at in open_cases:
        tallies[school_id].open_cases.append((severity.value, age_bucket(now - opened_at)))

    since = now - MEDIAN_WINDOW
    taken = await session.execute(
        select(Case.school_id, Case.opened_at, Case.taken_at).where(
            Case.school_id.in_(ids), Case.taken_at >= since, Case.taken_at <= now
        )
    )
    for school_id, opened_at, taken_at in taken:
        tallies[school_id].to_take.append((taken_at - opened_at).total_seconds())
    closed = await session.execute(
        select(Case.school_id, Case.opened_at, Case.closed_at).where(
            Case.school_id.in_(ids), Case.closed_at >= since, Case.closed_at <= now
        )
    )
    for school_id, opened_at, closed_at in closed:
        tallies[school_id].to_close.append((closed_at - opened_at).total_seconds())

    overdue = await session.execute(
        select(Case.school_id, func.count(FollowUp.id))
        .join(Case, Case.id == FollowUp.case_id)
        .where(Case.school_id.in_(ids), FollowUp.status.in_(OVERDUE_STATUSES), FollowUp.due_at < now)
        .group_by(Case.school_id)
    )
    for school_id, count in overdue:
        tallies[school_id].overdue = count

    # Scheduled check-ins only: an on-demand one is never "missed" in the sense of a routine not kept.
    checkins = await session.execute(
        select(Child.school_id, Checkin.status, func.count(Checkin.id))
        .join(Child, Child.id == Checkin.child_id)
        .where(
            Child.school_id.in_(ids),
            Checkin.origin == CheckinOrigin.SCHEDULED,
            Checkin.status.in_((CheckinStatus.COMPLETED, CheckinStatus.MISSED)),
            Checkin.due_at >= now - COMPLETION_WINDOW,
            Checkin.due_at < now,
        )
        .group_by(Child.school_id, Checkin.status)
    )
    for school_id, status, count in checkins:
        tallies[school_id].checkins[status] += count

    region = _Tally()
    for tally in tallies.values():
        region.open_cases += tally.open_cases
        region.to_take += tally.to_take
        region.to_close += tally.to_close
        region.overdue += tally.overdue
        region.checkins += tally.checkins
    return Digest(
        region=scope.label,
        at=now.astimezone(scope.timezone).isoformat(timespec="seconds"),
        total=region.figures(),
        schools=[SchoolFigures(s.id, s.name, tallies[s.id].figures()) for s in scope.schools],
    )
