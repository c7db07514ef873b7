"""The case export for administrators (`python -m bot export cases`): the least personal data that serves.

A row is a case: its number, school, the child's nickname, severity, state, times, outcome, how many flags it
has, and the sequence of its states. Nothing anyone wrote (notes, closure notes, messages, flag notes) is ever
read: the queries select named columns only, so free text cannot slip in through a model attribute.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from enum import StrEnum
from io import BytesIO
from typing import TextIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.models import Case, CaseEvent, EventKind, Flag
from bot.families.models import Child
from bot.reports.scope import Scope
from bot.schools.models import School

# The events that move a case from one state to another; the others (notes, views, reminders) are not states.
STATE_EVENTS = (
    EventKind.OPENED,
    EventKind.TAKEN,
    EventKind.RETURNED,
    EventKind.IN_CONTACT,
    EventKind.REFERRED,
    EventKind.CLOSED,
    EventKind.REOPENED,
)
XLSX_TIME_FORMAT = "yyyy-mm-dd hh:mm"
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class CaseRow:
    case: int
    school: str
    nickname: str
    severity: str
    status: str
    opened_at: datetime  # in the school's time zone, like every time of the row
    taken_at: datetime | None
    closed_at: datetime | None
    time_zone: str
    outcome: str | None
    flags: int
    states: str  # e.g. "opened 2026-11-29T19:00:00+08:00; taken 2026-11-29T19:12:40+08:00"


COLUMNS = tuple(field.name for field in fields(CaseRow))


async def case_rows(session: AsyncSession, scope: Scope, since: datetime) -> list[CaseRow]:
    """The scope's cases that were open at any time from `since` on, oldest first."""
    flag_count = select(func.count(Flag.id)).where(Flag.case_id == Case.id).scalar_subquery()
    in_scope = (Case.school_id.in_(scope.school_ids), or_(Case.closed_at.is_(None), Case.closed_at >= since))
    cases = await session.execute(
        select(
            Case.id,
            School.name,
            School.timezone,
            Child.nickname,
            Case.severity,
            Case.status,
            Case.opened_at,
            Case.taken_at,
            Case.closed_at,
            Case.outcome,
            flag_count,
        )
        .join(School, School.id == Case.school_id)
        .join(Child, Child.id == Case.child_id)
        .where(*in_scope)
        .order_by(Case.id)
    )
    events = await session.execute(
        select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.at)
        .where(CaseEvent.case_id.in_(select(Case.id).where(*in_scope)), CaseEvent.kind.in_(STATE_EVENTS))
        .order_by(CaseEvent.at, CaseEvent.id)
    )
    states: dict[int, list[tuple[EventKind, datetime]]] = defaultdict(list)
    for case_id, kind, at in events:
        states[case_id].append((kind, at))

    rows = []
    for case_id, school, zone, nickname, severity, status, opened, taken, closed, outcome, flags in cases:
        tz = ZoneInfo(zone)
        sequence = "; ".join(f"{kind.value} {_iso(at.astimezone(tz))}" for kind, at in states[case_id])
        rows.append(
            CaseRow(
                case=case_id,
                school=school,
                nickname=nickname,
                severity=severity.value,
                status=status.value,
                opened_at=opened.astimezone(tz),
                taken_at=taken.astimezone(tz) if taken else None,
                closed_at=closed.astimezone(tz) if closed else None,
                time_zone=zone,
                outcome=outcome.value if outcome else None,
                flags=flags,
                states=sequence,
            )
        )
    return rows


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def write_csv(rows: list[CaseRow], stream: TextIO) -> None:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in astuple(row)])


def _csv_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _iso(value)
    return escape_formula(value) if isinstance(value, str) else value


def escape_formula(text: str) -> str:
    """Text that a spreadsheet shows as it is: a leading apostrophe keeps it from being read as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_bytes(rows: list[CaseRow]) -> bytes:
    """One sheet; times are real spreadsheet dates in each school's local time (its zone is in `time_zone`)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("cases")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in astuple(row)])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet, value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        # openpyxl would store "=…" as a formula; a cell typed as text is shown as it is and never run.
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    if not isinstance(value, datetime):
        return value
    # Spreadsheets have no time zones: the local wall-clock time, formatted as a date.
    cell = WriteOnlyCell(sheet, value.replace(tzinfo=None))
    cell.number_format = XLSX_TIME_FORMAT
    return cell
