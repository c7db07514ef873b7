"""Alerts about a child always reach a person, and stay one message per case and person.

Routing skips people the channel cannot reach and falls back to the region's supervisors at once; the sender,
finding a recipient unreachable, has their alerts re-routed within the same run; repeated flags update the alert
a person already has.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.audit.models import AuditEvent
from bot.cases.alerts import reroute_alerts_of
from bot.cases.deadlines import run_due_timers
from bot.cases.desk import Desk
from bot.cases.models import Case, CaseAlert, CaseEvent, CaseStatus, CaseTimer, EventKind
from bot.cases.severity import Level
from bot.checkins.flow import Checkins
from bot.db import Database
from bot.outbox.delivery import Delivery, OutgoingMessage, Sent, Unreachable
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus, Priority
from bot.outbox.sender import Sender
from bot.people.models import Person
from bot.safety.worries import Worries
from bot.telegram import render_checkins, render_deadlines
from bot.telegram.render import Style
from bot.telegram.render_checkins import render
from tests import factories
from tests.factories import CONTENT

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Shanghai


class BlockedBy:
    """A transport on which some chats have blocked the bot; every other message is sent."""

    def __init__(self, *blocked_chat_ids: int) -> None:
        self.blocked = set(blocked_chat_ids)
        self.delivered: list[OutgoingMessage] = []
        self._message_ids = iter(range(7001, 9000))

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        if message.chat_id in self.blocked:
            return Unreachable("Forbidden: bot was blocked by the user")
        self.delivered.append(message)
        return Sent(next(self._message_ids))


def sender(db: Database, transport: BlockedBy) -> Sender:
    return Sender(
        db, transport, worker_id="test", overall_rate=1000, clock=lambda: NOW, on_unreachable=reroute_alerts_of
    )


async def person_id(db: Database, telegram_user_id: int) -> int:
    async with db.session() as session:
        return await session.scalar(select(Person.id).where(Person.telegram_user_id == telegram_user_id))


async def block(db: Database, *telegram_user_ids: int) -> None:
    async with db.session() as session:
        await session.execute(
            update(Person).where(Person.telegram_user_id.in_(telegram_user_ids)).values(unreachable_since=NOW)
        )


async def alerts(db: Database) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "case_alert").order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def recipients(db: Database) -> list[int]:
    """Telegram user ids the case alerts are queued for, in order."""
    async with db.session() as session:
        rows = await session.scalars(
            select(Person.telegram_user_id)
            .join(OutboxMessage, OutboxMessage.person_id == Person.id)
            .where(OutboxMessage.kind == "case_alert")
            .order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def test_an_unreachable_counsellor_is_skipped(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    await block(db, 10)

    await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)

    assert await recipients(db) == [11]


async def test_with_no_reachable_counsellor_the_supervisors_are_alerted_at_once(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    await factories.supervisor(db, 31, "别的县", now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    await block(db, 10, 11)

    await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)

    [alert] = await alerts(db)
    assert await recipients(db) == [30]
    assert alert.not_before == NOW and alert.priority == Priority.URGENT


async def test_when_nobody_can_be_reached_operators_are_told_and_the_clock_keeps_running(db, caplog) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    await block(db, 10, 30)

    with caplog.at_level(logging.ERROR):
        case_id = await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)

    assert await alerts(db) == []
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors and all("小红" not in error for error in errors)
    async with db.session() as session:
        timers = (await session.scalars(select(CaseTimer).where(CaseTimer.case_id == case_id))).all()
    assert timers and all(timer.fired_at is None and timer.cancelled_at is None for timer in timers)


async def test_a_counsellor_who_blocked_the_bot_has_the_alert_rerouted_in_the_same_run(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    case_id = await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)
    transport = BlockedBy(10)

    report = await sender(db, transport).run_once()

    supervisor = await person_id(db, 30)
    assert report.unreachable == 1
    assert [(m.person_id, m.kind, m.params["case_id"]) for m in transport.delivered] == [
        (supervisor, "case_alert", case_id)
    ]


async def test_an_assigned_case_whose_counsellor_blocked_the_bot_reaches_the_other_counsellor(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    case_id = await factories.flag(db, family.child_ids[0], Level.HIGH, NOW)
    await sender(db, BlockedBy()).run_once()
    async with db.session() as session:
        case = await session.get(Case, case_id)
        case.assigned_to_id, case.status = await person_id(db, 10), CaseStatus.TAKEN
    await factories.flag(db, family.child_ids[0], Level.HIGH, NOW + timedelta(minutes=5))
    transport = BlockedBy(10)

    await sender(db, transport).run_once(NOW + timedelta(minutes=5))

    other = await person_id(db, 11)
    [rerouted] = [message for message in transport.delivered if message.kind == "case_alert"]
    assert rerouted.person_id == other and rerouted.params["case_id"] == case_id
    assert "edit_message_id" not in rerouted.params, "news for them: a new message, not a silent edit"


async def test_repeated_flags_rewrite_a_queued_alert(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    for minutes in (0, 1, 2):
        await factories.flag(db, family.child_ids[0], Level.HIGH, NOW + timedelta(minutes=minutes))

    [alert] = await alerts(db)
    assert alert.status is OutboxStatus.PENDING and alert.params["updates"] == 2


async def test_a_repeated_flag_edits_the_sent_alert_and_a_rise_notifies_anew(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    case_id = await factories.flag(db, family.child_ids[0], Level.HIGH, NOW)
    transport = BlockedBy()
    await sender(db, transport).run_once()
    [first] = await alerts(db)

    await factories.flag(db, family.child_ids[0], Level.HIGH, NOW + timedelta(minutes=1))
    await sender(db, transport).run_once(NOW + timedelta(minutes=1))
    edit = transport.delivered[-1]
    assert edit.params["edit_message_id"] == first.telegram_message_id and edit.params["updates"] == 1

    await factories.flag(db, family.child_ids[0], Level.URGENT, NOW + timedelta(minutes=2))
    await sender(db, transport).run_once(NOW + timedelta(minutes=2))
    rise = transport.delivered[-1]
    assert "edit_message_id" not in rise.params and rise.params["case_severity"] == "urgent"

    async with db.session() as session:
        held = (await session.scalars(select(CaseAlert.outbox_id).where(CaseAlert.case_id == case_id))).all()
    assert len(held) == 2, "the first message (now edited) and the one that announced the rise"


async def test_the_caregiver_is_not_told_a_counsellor_knows_when_nobody_could_be_reached(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    await block(db, 10)  # and the region has no supervisor
    worries = Worries(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)

    async with db.session() as session:
        grandma = await session.get(Person, family.caregiver_id)
        [ask] = await worries.from_menu(session, grandma)
        advice, *_listen = await worries.worry(session, grandma, ask.child_id, "dying")
    text = render(advice, Style(language="zh_Hans", bot_username="b")).text

    assert "联系不上" in text and "已经知道" not in text and "12356" in text


async def test_an_alert_still_queued_when_the_case_is_taken_goes_out_saying_who_took_it(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    night = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai: routine alerts wait for the morning
    case_id = await factories.flag(db, family.child_ids[0], Level.ROUTINE, night)
    desk = Desk(clock=lambda: night)

    async with db.session() as session:
        await desk.take(session, await session.get(Person, await person_id(db, 10)), case_id)

    queued = await alerts(db)
    assert [alert.status for alert in queued] == [OutboxStatus.PENDING] * 2
    assert all(alert.params["taken_by"] for alert in queued)


async def test_a_reminder_skips_a_counsellor_found_unreachable_since_the_alert(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)
    await block(db, 10)

    await run_due_timers(db, NOW + timedelta(minutes=15))

    async with db.session() as session:
        [reminder] = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_reminder"))).all()
    assert reminder.person_id == await person_id(db, 30) and reminder.params["audience"] == "supervisors"


async def test_a_family_told_the_school_knows_hears_otherwise_when_the_alert_reached_nobody(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)  # and no supervisor
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    worries = Worries(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)
    async with db.session() as session:
        grandma = await session.get(Person, family.caregiver_id)
        [ask] = await worries.from_menu(session, grandma)
        advice, *_listen = await worries.worry(session, grandma, ask.child_id, "dying")
    assert advice.told, "the counsellor was not yet known to have blocked the bot"
    transport = BlockedBy(10)

    await sender(db, transport).run_once()
    await sender(db, transport).run_once()  # nothing more: the family is told once

    [message] = transport.delivered
    assert message.person_id == family.caregiver_id and message.kind == "nobody_reached"
    style = Style(language="zh_Hans", bot_username="b", checkins=CONTENT.checkins)
    text = render_checkins.nobody_reached(message.params, style, pack=CONTENT.pack).text
    assert "小红" in text and "联系不上" in text and "12356" in text


async def test_risky_words_in_a_reply_about_a_case_flag_that_case_child_alone(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("小明", "小红"), now=NOW)
    case_id = await factories.flag(db, family.child_ids[1], Level.HIGH, NOW)
    worries = Worries(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)

    async with db.session() as session:
        grandma = await session.get(Person, family.caregiver_id)
        [advice] = await worries.message(session, grandma, "她哭着说活着没意思，想死了算了", about_case_id=case_id)
        flagged = (await session.scalars(select(Case.child_id))).all()

    assert advice.nickname == "小红" and flagged == [family.child_ids[1]]


# -- a check-in's reply, words added to a worry, a taken case's counsellor lost, a row queued in a race --------


async def check_in_saying_wish_to_die(db, caregiver_id: int, child_id: int):
    """A check-in where the child said they want to die but is in no danger now; the reply to the last answer."""
    flow = Checkins(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)
    answers = [("mood", "sometimes"), ("withdrawn", "no"), ("sleep_eating", "no"), ("temper", "no")]
    answers += [("school", "no"), ("phone_use", "no"), ("parents", "some")]  # phones: asked at eleven
    answers += [("wish_to_die", "yes"), ("die_danger_now", "no")]
    async with db.session() as session:
        [question] = await flow.begin(session, await session.get(Person, caregiver_id), child_id)
    for question_id, option_id in answers:
        async with db.session() as session:
            screens = await flow.answer(
                session, await session.get(Person, caregiver_id), question.checkin_id, question_id, option_id
            )
    return screens[0]


async def test_a_check_in_reply_says_a_counsellor_was_told_only_when_one_could_be(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)  # and no supervisor
    reached = await factories.family(db, school, 100, ("小红",), now=NOW)
    unreached = await factories.family(
        db, await factories.school(db, "白水小学", counsellors=(11,), now=NOW), 101, ("小明",), now=NOW
    )
    await block(db, 11)
    style = Style(language="zh_Hans", bot_username="b")

    told = render(await check_in_saying_wish_to_die(db, reached.caregiver_id, reached.child_ids[0]), style).text
    untold = render(await check_in_saying_wish_to_die(db, unreached.caregiver_id, unreached.child_ids[0]), style).text

    assert "已经知道" in told and "联系不上" not in told
    assert "联系不上" in untold and "已经知道" not in untold and "12356" in untold


async def add_words(db, worries: Worries, caregiver_id: int, text: str) -> list:
    async with db.session() as session:
        return await worries.note(session, await session.get(Person, caregiver_id), text=text)


async def worry(db, worries: Worries, caregiver_id: int, choice: str) -> None:
    async with db.session() as session:
        grandma = await session.get(Person, caregiver_id)
        [ask] = await worries.from_menu(session, grandma)
        await worries.worry(session, grandma, ask.child_id, choice)


async def test_words_added_to_a_worry_edit_the_sent_alert(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    worries = Worries(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)
    await worry(db, worries, family.caregiver_id, "other")
    transport = BlockedBy()
    await sender(db, transport).run_once()
    [first] = transport.delivered

    await add_words(db, worries, family.caregiver_id, "她最近总是一个人发呆，不爱说话")
    await sender(db, transport).run_once(NOW + timedelta(minutes=1))

    [_, edit] = transport.delivered
    assert edit.params["edit_message_id"] == 7001 and edit.params["note"] == "她最近总是一个人发呆，不爱说话"
    assert edit.params["flag_id"] == first.params["flag_id"] and "updates" not in edit.params, "words, not a report"


async def test_words_added_to_a_queued_alert_go_out_with_it(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    worries = Worries(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)
    await worry(db, worries, family.caregiver_id, "other")

    await add_words(db, worries, family.caregiver_id, "她最近总是一个人发呆，不爱说话")
    transport = BlockedBy()
    await sender(db, transport).run_once()

    [alert] = transport.delivered
    assert alert.params["note"] == "她最近总是一个人发呆，不爱说话" and "edit_message_id" not in alert.params


async def test_words_added_to_a_worry_that_read_as_more_severe_notify_anew(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    worries = Worries(CONTENT.pack, CONTENT.checkins, CONTENT.scanner, clock=lambda: NOW)
    await worry(db, worries, family.caregiver_id, "other")
    transport = BlockedBy()
    await sender(db, transport).run_once()

    [advice, _thanks] = await add_words(db, worries, family.caregiver_id, "他说今晚就去跳河")
    await sender(db, transport).run_once(NOW + timedelta(minutes=1))

    rise = transport.delivered[-1]
    assert advice.level is Level.URGENT and advice.told
    assert "edit_message_id" not in rise.params and rise.params["case_severity"] == "urgent"
    assert rise.params["note"] == "他说今晚就去跳河"


async def test_a_taken_case_whose_counsellor_blocked_the_bot_returns_to_unassigned_and_the_room_is_told(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10, 11), now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    case_id = await factories.flag(db, family.child_ids[0], Level.HIGH, NOW)
    await sender(db, BlockedBy()).run_once()
    async with db.session() as session:
        await Desk(clock=lambda: NOW).take(session, await session.get(Person, await person_id(db, 10)), case_id)
    await factories.flag(db, family.child_ids[0], Level.HIGH, NOW + timedelta(minutes=5))
    transport = BlockedBy(10)

    await sender(db, transport).run_once(NOW + timedelta(minutes=5))
    await sender(db, transport).run_once(NOW + timedelta(minutes=6))  # one message a second to a chat

    other = await person_id(db, 11)
    async with db.session() as session:
        case = await session.get(Case, case_id)
        status, assignee = case.status, case.assigned_to_id
        [returned] = (await session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.RETURNED))).all()
        audited = (await session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == case_id))).all()
        taken = await Desk(clock=lambda: NOW).take(session, await session.get(Person, other), case_id)
    assert (status, assignee) == (CaseStatus.NEW, None)
    assert returned.details["reason"] == "counsellor_unreachable" and "case.returned" in audited
    assert type(taken[0]).__name__ == "Taken", "the rest of the room can take it"
    news = {message.kind: message for message in transport.delivered if message.person_id == other}
    assert "taken_by" not in news["case_alert"].params
    style = Style(language="zh_Hans", bot_username="b")
    text = render_deadlines.cases_returned(news["cases_returned"].params, style).text
    assert "联系不上" in text and f"#{case_id}" in text


async def test_an_alert_queued_for_someone_already_marked_unreachable_is_passed_on(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    family = await factories.family(db, school, 100, ("小红",), now=NOW)
    # The race: the flag's transaction chose the counsellor just before the sender marked them unreachable.
    case_id = await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)
    await block(db, 10)
    transport = BlockedBy()

    await sender(db, transport).run_once()

    supervisor = await person_id(db, 30)
    assert [(m.person_id, m.params["case_id"]) for m in transport.delivered] == [(supervisor, case_id)]
    [queued, passed_on] = await alerts(db)
    assert queued.status is OutboxStatus.FAILED and passed_on.status is OutboxStatus.SENT


async def test_other_rows_held_for_an_unreachable_person_stay_held_and_are_not_looked_at_on_every_run(db) -> None:
    school = await factories.school(db, "青山小学", counsellors=(10,), now=NOW)
    await factories.supervisor(db, 30, "云阳县", now=NOW)
    family = await factories.family(db, school, 100, now=NOW)
    await factories.flag(db, family.child_ids[0], Level.URGENT, NOW)
    await block(db, 10)
    counsellor = await person_id(db, 10)
    async with db.session() as session:
        held = await enqueue(session, counsellor, "checkin_invite", {"checkin_id": 1, "nickname": "x"})
    handed: list[int] = []

    async def hook(session, person: int, now: datetime) -> None:
        handed.append(person)
        await reroute_alerts_of(session, person, now)

    transport = BlockedBy()
    for minutes in (0, 0, 2, 3):
        await Sender(
            db, transport, worker_id="test", overall_rate=1000, clock=lambda: NOW, on_unreachable=hook
        ).run_once(NOW + timedelta(minutes=minutes))

    assert len(transport.delivered) == 1, "the supervisor's alert, once"
    assert handed == [counsellor, counsellor], "only while a flag raised as they were marked may still commit"
    async with db.session() as session:
        assert (await session.get(OutboxMessage, held.id)).status is OutboxStatus.PENDING
