"""The counselling room's alerts: one live message per case and person, kept current as evidence comes in, and
passed on at once when its recipient turns out to be unreachable.

- A new case, or a rise in its severity, is news: a new message, so the phone rings. The exception is a previous
  alert still waiting in the outbox (say, a routine one held for the morning): it is rewritten instead, since the
  person has seen nothing yet.
- More evidence at the same severity updates the person's last alert rather than adding a message: a queued row is
  rewritten, a sent message is edited (an edit row carries its Telegram message id). Either way the alert counts
  the reports that came after the first.
- Words the family adds to a flag (`add_words`) rewrite or edit the alert that shows that flag, without counting as
  a new report; a case returned to Unassigned (`note_returned`) has its alerts say "taken by" no more.
- When the sender finds a person unreachable (blocked the bot, chat gone), `reroute_alerts_of` hands the alerts
  they never got, or never will (still queued for them), to whoever else can be reached (routing.py), and returns
  the cases they had taken to Unassigned (staff.py), in the sender's transaction, so the same run sends them.
  When nobody is left, the family who raised the flag (told that the school's staff know) hear otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import deadlines, routing, staff
from bot.cases.models import Case, CaseAlert, CaseStatus, CaseTimer, Flag
from bot.cases.severity import Level
from bot.outbox.enqueue import enqueue
from bot.outbox.models import EDITS, EDITS_ROW, OutboxMessage, OutboxStatus, Priority
from bot.people.models import Person
from bot.schools.models import School

KIND = "case_alert"
NOBODY_REACHED = "nobody_reached"  # to the family, when an alert they were told about reached nobody
# Params of a case_alert row: how many reports came after the first (EDITS: the message it replaces).
UPDATES = "updates"
LIVE = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT)
NOTE_LENGTH = 300


@dataclass(frozen=True)
class Alert:
    """One flag's alert, as `case_alert` renders it; `note` is what the family wrote, kept encrypted."""

    case_id: int
    flag_id: int
    params: dict[str, Any]
    note: str | None
    priority: Priority
    not_before: datetime


async def send(session: AsyncSession, alert: Alert, person_id: int, *, news: bool) -> bool:
    """Tell `person_id` about `alert` in the caller's transaction; False when they already have it, or newer."""
    last = await _last(session, alert.case_id, person_id)
    params = alert.params
    if last is not None:
        record, message = last
        if message.status in LIVE and message.params["flag_id"] >= alert.flag_id:
            return False
        merged = {**alert.params, UPDATES: message.params.get(UPDATES, 0) + 1, "opened": message.params["opened"]}
        if message.status is OutboxStatus.PENDING and await _rewrite(session, message, alert, merged):
            return True
        if not news and (edits := _edit_of(message)) is not None:
            edit = await _enqueue(session, person_id, alert, {**merged, **edits})
            if edit is not None:
                record.outbox_id = edit.id  # the message now shows this row's text: a later update starts from it
            return edit is not None
        if message.status in LIVE:
            params = merged  # news: a new message, which still counts the reports since the first
    message = await _enqueue(session, person_id, alert, params)
    if message is None:
        return False
    session.add(CaseAlert(case_id=alert.case_id, person_id=person_id, outbox_id=message.id))
    return True


async def reroute_alerts_of(session: AsyncSession, person_id: int, now: datetime) -> None:
    """`person_id` was just found unreachable: their alerts on open cases that never arrived go to someone else.

    Called by the outbox sender in the transaction that marks the person unreachable, and again whenever it finds
    rows queued for them since (an alert enqueued while they were being marked): safe to call more than once.
    """
    rows = await session.execute(
        select(CaseAlert, OutboxMessage, Case)
        .join(OutboxMessage, OutboxMessage.id == CaseAlert.outbox_id)
        .join(Case, Case.id == CaseAlert.case_id)
        .where(CaseAlert.person_id == person_id, Case.status != CaseStatus.CLOSED)
        .order_by(CaseAlert.id)
    )
    last_by_case = {case.id: (message, case) for _record, message, case in rows}
    for message, case in last_by_case.values():
        if message.status is not OutboxStatus.FAILED and not await _fail_queued(session, message):
            continue  # it arrived, or is on its way: they were told
        school = await session.get(School, case.school_id)
        recipients, _audience = await routing.recipients_for(session, case, school, only_assignee=False)
        params = {key: value for key, value in message.params.items() if key not in (EDITS, EDITS_ROW, UPDATES)}
        if case.assigned_to_id == person_id:
            params.pop("taken_by", None)  # theirs no more: see below
        alert = Alert(
            case_id=case.id,
            flag_id=params["flag_id"],
            params=params,
            note=_note_of(message),
            priority=Priority(message.priority),
            not_before=max(message.not_before, now),
        )
        for recipient in recipients:
            # News for them, whatever it was for the person who could not get it: it must be noticed.
            await send(session, alert, recipient, news=True)
        if not recipients:
            await keep_trying(session, case, now)
            await _take_back_told(session, case, school, params, now)
    # After the alerts, so that the room gets those first.
    for case in await staff.return_cases_of_unreachable(session, person_id, now):
        await note_returned(session, case.id)


async def anyone_told(session: AsyncSession, case_id: int) -> bool:
    """Whether someone still reachable has, or is about to get, an alert about the case: only then may a family
    be told that a counsellor knows."""
    told = (
        select(CaseAlert.id)
        .join(OutboxMessage, OutboxMessage.id == CaseAlert.outbox_id)
        .join(Person, Person.id == CaseAlert.person_id)
        .where(CaseAlert.case_id == case_id, OutboxMessage.status.in_(LIVE), Person.unreachable_since.is_(None))
    )
    return await session.scalar(select(told.exists()))


async def add_words(session: AsyncSession, flag: Flag) -> None:
    """The family added words (or a voice note) to `flag`: the alerts showing that flag show them too.

    Not a new report, so nobody is notified anew; an alert already showing a later flag is left as it is.
    """
    has_voice = flag.voice_file_id is not None
    await _restate(
        session,
        flag.case_id,
        lambda params: {**params, "has_voice": has_voice},
        note=note_of(flag),
        flag_id=flag.id,
        dedupe=f"alert_words:{flag.id}",
    )


async def note_returned(session: AsyncSession, case_id: int) -> None:
    """The case is back in Unassigned: alerts that said who took it say so no more, and offer to take it again."""
    await _restate(session, case_id, lambda params: {k: v for k, v in params.items() if k != "taken_by"})


async def _restate(
    session: AsyncSession,
    case_id: int,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    note: str | None = None,
    flag_id: int | None = None,
    dedupe: str | None = None,
) -> None:
    """Make each reachable person's last alert about the case say `change(params)` (and `note`), silently: a queued
    one is rewritten, a sent one edited. With `flag_id`, only the alerts still showing that flag."""
    holders = await session.scalars(
        select(CaseAlert.person_id)
        .join(Person, Person.id == CaseAlert.person_id)
        .where(CaseAlert.case_id == case_id, Person.unreachable_since.is_(None))
        .distinct()
    )
    for person_id in holders.all():
        record, message = await _last(session, case_id, person_id)
        params = change(message.params)
        if (flag_id is not None and message.params["flag_id"] != flag_id) or (params, note) == (message.params, None):
            continue
        text = note or _note_of(message)
        restated = Alert(case_id, params["flag_id"], params, text, Priority(message.priority), message.not_before)
        if message.status is OutboxStatus.PENDING and await _rewrite(session, message, restated, params):
            continue
        if (edits := _edit_of(message)) is not None:
            edit = await enqueue(
                session,
                person_id,
                KIND,
                {**params, **edits},
                private={"note": text} if text else None,
                priority=Priority(message.priority),
                dedupe_key=None if dedupe is None else f"{dedupe}:{person_id}",
            )
            if edit is not None:
                record.outbox_id = edit.id


async def note_taken(session: AsyncSession, case_id: int, taken_by: str) -> None:
    """Alerts still queued go out saying who took the case, as the sent ones are edited to say."""
    queued = await session.scalars(
        select(OutboxMessage)
        .join(CaseAlert, CaseAlert.outbox_id == OutboxMessage.id)
        .where(CaseAlert.case_id == case_id, OutboxMessage.status == OutboxStatus.PENDING)
    )
    for message in queued:
        message.params = {**message.params, "taken_by": taken_by}


async def keep_trying(session: AsyncSession, case: Case, now: datetime) -> None:
    """Nobody could be told: make sure a take clock runs, so its reminders try again and escalate."""
    running = await session.scalar(
        select(CaseTimer.id).where(
            CaseTimer.case_id == case.id, CaseTimer.fired_at.is_(None), CaseTimer.cancelled_at.is_(None)
        )
    )
    if running is None:
        await deadlines.start_take_clock(session, case, now)


async def _take_back_told(
    session: AsyncSession, case: Case, school: School, params: dict[str, Any], now: datetime
) -> None:
    """The family was told the school's staff knew, and nobody does: say so, and where help is, once a case."""
    flag = await session.get(Flag, params["flag_id"])
    if flag is None or flag.raised_by_id is None:
        return
    await enqueue(
        session,
        flag.raised_by_id,
        NOBODY_REACHED,
        {"nickname": params["nickname"], "hotline_region": school.hotline_region},
        priority=Priority.URGENT,
        not_before=now,
        dedupe_key=f"nobody_reached:{case.id}",
    )


def _edit_of(message: OutboxMessage) -> dict[str, int] | None:
    """How a new row replaces `message` in place: the Telegram message, or the row still sending it."""
    if message.status is OutboxStatus.SENT and message.telegram_message_id is not None:
        return {EDITS: message.telegram_message_id}
    if message.status is OutboxStatus.SENDING:
        return {EDITS_ROW: message.id}
    return None


async def _last(session: AsyncSession, case_id: int, person_id: int) -> tuple[CaseAlert, OutboxMessage] | None:
    row = (
        await session.execute(
            select(CaseAlert, OutboxMessage)
            .join(OutboxMessage, OutboxMessage.id == CaseAlert.outbox_id)
            .where(CaseAlert.case_id == case_id, CaseAlert.person_id == person_id)
            .order_by(CaseAlert.id.desc())
            .limit(1)
        )
    ).first()
    return None if row is None else (row.CaseAlert, row.OutboxMessage)


async def _rewrite(session: AsyncSession, message: OutboxMessage, alert: Alert, params: dict[str, Any]) -> bool:
    """Make a queued alert say the latest; False when the sender claimed it meanwhile."""
    # A queued edit stays an edit of the same message.
    params = {**params, **{key: message.params[key] for key in (EDITS, EDITS_ROW) if key in message.params}}
    rewritten = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(
            params=params,
            private_params=_private(alert.note or _note_of(message)),
            priority=min(message.priority, alert.priority),
            not_before=min(message.not_before, alert.not_before),
        )
        .execution_options(synchronize_session=False)
    )
    # Either way the caller goes on from the row as it is now: rewritten, or claimed (SENDING or SENT) meanwhile.
    await session.refresh(message)
    return rewritten.rowcount == 1


async def _enqueue(session: AsyncSession, person_id: int, alert: Alert, params: dict[str, Any]) -> OutboxMessage | None:
    return await enqueue(
        session,
        person_id,
        KIND,
        params,
        private={"note": alert.note} if alert.note else None,
        priority=alert.priority,
        not_before=alert.not_before,
        dedupe_key=f"alert:{alert.flag_id}:{person_id}",
    )


async def _fail_queued(session: AsyncSession, message: OutboxMessage) -> bool:
    """A row still queued for someone already marked unreachable never goes out: fail it so it can be passed on."""
    if message.status is not OutboxStatus.PENDING:
        return False
    person = await session.get(Person, message.person_id)
    if person.unreachable_since is None:
        return False
    failed = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.FAILED, last_error="recipient unreachable")
        .execution_options(synchronize_session=False)
    )
    return failed.rowcount == 1


def note_of(flag: Flag) -> str | None:
    """What the family wrote, as much of it as an alert shows; the case card shows it whole."""
    return flag.note[:NOTE_LENGTH] if flag.note else None


def _note_of(message: OutboxMessage) -> str | None:
    return json.loads(message.private_params or "{}").get("note")


def _private(note: str | None) -> str | None:
    return None if note is None else json.dumps({"note": note}, ensure_ascii=False)


def priority_of(level: Level) -> Priority:
    """Urgent alerts jump the outbox queue."""
    return Priority.URGENT if level is Level.URGENT else Priority.NORMAL
