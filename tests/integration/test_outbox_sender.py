"""The outbox end to end on the database under test: enqueueing, claiming, pacing, retries and crash recovery.

The transport is a hand-written fake that records every attempt at the fake clock's time and answers from a
script; time only moves when a test moves the clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from sqlalchemy import func, select, update

from bot.cases.groups import move_group_chat
from bot.cases.models import SchoolGroup
from bot.db import Database
from bot.outbox.delivery import (
    Delivery,
    Migrated,
    OutgoingMessage,
    Rejected,
    RetryAfter,
    Sent,
    Transient,
    Unreachable,
    Unsure,
)
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus, Priority
from bot.outbox.sender import BACKOFF_CAP_SECONDS, CRASH_ERROR, UNSURE_ERROR, Sender
from bot.people.models import Person
from bot.scheduler import build_scheduler
from tests import factories
from tests.clock import FixedClock

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


class Crash(Exception):
    """The process dying mid-send: the request may or may not have reached Telegram."""


@dataclass(frozen=True)
class Attempt:
    message: OutgoingMessage
    at: datetime
    outcome: Delivery | None


class FakeTransport:
    """Records every delivery attempt; answers Sent unless the script says otherwise."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.attempts: list[Attempt] = []
        self.script: list[Delivery | Exception] = []
        self.during_send: Callable[[OutgoingMessage], Awaitable[None]] | None = None
        self._message_ids = iter(range(5001, 10_000))

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        # Yield to the event loop as a real send would, so that concurrent senders interleave.
        await asyncio.sleep(0)
        if self.during_send is not None:
            await self.during_send(message)
        answer = self.script.pop(0) if self.script else Sent(next(self._message_ids))
        self.attempts.append(Attempt(message, self.clock(), None if isinstance(answer, Exception) else answer))
        if isinstance(answer, Exception):
            raise answer
        return answer

    def kinds(self) -> list[str]:
        return [attempt.message.kind for attempt in self.attempts]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def transport(clock: FixedClock) -> FakeTransport:
    return FakeTransport(clock)


def new_sender(db: Database, transport: FakeTransport, clock: FixedClock, **options) -> Sender:
    # A high overall rate keeps the suite fast; pacing itself is proven in tests/unit/test_backoff.py.
    return Sender(db, transport, worker_id=options.pop("worker_id", "w1"), overall_rate=1000, clock=clock, **options)


@pytest.fixture
def sender(db: Database, transport: FakeTransport, clock: FixedClock) -> Sender:
    return new_sender(db, transport, clock)


async def add_person(db: Database, telegram_user_id: int, language: str | None = "en") -> int:
    async with db.session() as session:
        person = Person(telegram_user_id=telegram_user_id, chat_id=telegram_user_id, language=language)
        session.add(person)
        await session.flush()
        return person.id


async def add_message(db: Database, person_id: int, kind: str, **options) -> int:
    options.setdefault("not_before", NOW)
    async with db.session() as session:
        message = await enqueue(session, person_id, kind, {"n": 1}, **options)
        return message.id


async def row(db: Database, outbox_id: int) -> OutboxMessage:
    async with db.session() as session:
        return await session.get(OutboxMessage, outbox_id)


async def count_rows(db: Database) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(OutboxMessage))


# -- enqueue -------------------------------------------------------------------------------------------------


async def test_enqueue_in_a_transaction_that_rolls_back_leaves_nothing(db: Database) -> None:
    person_id = await add_person(db, 1001)
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            await enqueue(session, person_id, "tip")
            raise RuntimeError("the change that caused the message failed")
    assert await count_rows(db) == 0


async def test_enqueue_with_an_existing_dedupe_key_adds_nothing(db: Database) -> None:
    person_id = await add_person(db, 1001)
    async with db.session() as session:
        first = await enqueue(session, person_id, "parent_joined", {"a": 1}, dedupe_key="joined:1")
    async with db.session() as session:
        again = await enqueue(session, person_id, "parent_joined", {"a": 2}, dedupe_key="joined:1")
        other = await enqueue(session, person_id, "parent_joined", {"a": 3}, dedupe_key="joined:2")
    assert first is not None and first.params == {"a": 1} and first.status is OutboxStatus.PENDING
    assert again is None
    assert other is not None
    assert await count_rows(db) == 2


# -- order and timing ----------------------------------------------------------------------------------------


async def test_urgent_rows_go_before_earlier_bulk_rows(db: Database, sender: Sender, transport: FakeTransport) -> None:
    for user in (1, 2):
        await add_message(db, await add_person(db, user), "weekly_tip", priority=Priority.BULK)
    await add_message(db, await add_person(db, 3), "reminder")
    await add_message(db, await add_person(db, 4), "risk_alert", priority=Priority.URGENT)

    report = await sender.run_once()

    assert transport.kinds() == ["risk_alert", "reminder", "weekly_tip", "weekly_tip"]
    assert report.sent == 4


async def test_urgent_row_enqueued_mid_run_goes_before_the_remaining_bulk_rows(
    db: Database, sender: Sender, transport: FakeTransport
) -> None:
    for user in (1, 2, 3):
        await add_message(db, await add_person(db, user), "weekly_tip", priority=Priority.BULK)
    counsellor_id = await add_person(db, 4)

    async def alert_once(message: OutgoingMessage) -> None:
        transport.during_send = None
        await add_message(db, counsellor_id, "risk_alert", priority=Priority.URGENT)

    transport.during_send = alert_once
    await sender.run_once()

    assert transport.kinds() == ["weekly_tip", "risk_alert", "weekly_tip", "weekly_tip"]


async def test_a_row_due_later_is_not_sent_before_its_time(
    db: Database, sender: Sender, transport: FakeTransport
) -> None:
    due = NOW + timedelta(hours=1)
    outbox_id = await add_message(db, await add_person(db, 1), "reminder", not_before=due)

    await sender.run_once(now=due - timedelta(seconds=1))
    assert transport.attempts == []

    await sender.run_once(now=due)
    assert transport.kinds() == ["reminder"]
    sent = await row(db, outbox_id)
    assert (sent.status, sent.sent_at) == (OutboxStatus.SENT, due)


async def test_two_messages_to_one_chat_are_spaced_without_holding_up_other_chats(
    db: Database, sender: Sender, transport: FakeTransport, clock: FixedClock
) -> None:
    grandma = await add_person(db, 1)
    await add_message(db, grandma, "first")
    await add_message(db, grandma, "second")
    await add_message(db, await add_person(db, 2), "other_chat")

    await sender.run_once()
    assert transport.kinds() == ["first", "other_chat"]

    clock.advance(0.5)
    await sender.run_once()
    assert transport.kinds() == ["first", "other_chat"]

    clock.advance(0.5)
    await sender.run_once()
    assert transport.kinds() == ["first", "other_chat", "second"]
    first, _, second = transport.attempts
    assert second.at - first.at >= timedelta(seconds=1)


# -- outcomes ------------------------------------------------------------------------------------------------


async def test_a_sent_row_records_the_telegram_message_id(
    db: Database, sender: Sender, transport: FakeTransport
) -> None:
    person_id = await add_person(db, 1, language=None)
    outbox_id = await add_message(db, person_id, "reminder")
    transport.script = [Sent(777)]

    report = await sender.run_once()

    sent = await row(db, outbox_id)
    assert (sent.status, sent.telegram_message_id, sent.sent_at, sent.attempts) == (OutboxStatus.SENT, 777, NOW, 1)
    assert report.sent == 1
    message = transport.attempts[0].message
    assert (message.outbox_id, message.person_id, message.chat_id, message.params) == (
        outbox_id,
        person_id,
        1,
        {"n": 1},
    )
    assert message.language == "zh_Hans"


async def test_a_rate_limited_chat_waits_while_other_chats_go_on(
    db: Database, sender: Sender, transport: FakeTransport, clock: FixedClock
) -> None:
    grandma = await add_person(db, 1)
    limited = await add_message(db, grandma, "first")
    await add_message(db, await add_person(db, 2), "second")
    transport.script = [RetryAfter(30)]

    report = await sender.run_once()
    assert transport.kinds() == ["first", "second"], "another chat's message is not held up"
    assert (report.retried, report.sent) == (1, 1)
    clock.advance(1)
    await add_message(db, grandma, "later", not_before=clock.now)
    delayed = await row(db, limited)
    assert (delayed.status, delayed.not_before, delayed.attempts) == (
        OutboxStatus.PENDING,
        NOW + timedelta(seconds=30),
        0,
    )

    clock.advance(28)
    await sender.run_once()
    assert transport.kinds() == ["first", "second"], "nothing goes to the paused chat, not even a newer message"

    clock.advance(1)
    await sender.run_once()
    assert transport.kinds() == ["first", "second", "later"]
    clock.advance(1)
    await sender.run_once()
    assert transport.kinds() == ["first", "second", "later", "first"]
    assert (await row(db, limited)).status is OutboxStatus.SENT


async def test_transient_errors_back_off_then_fail_after_max_attempts(
    db: Database, transport: FakeTransport, clock: FixedClock
) -> None:
    sender = new_sender(db, transport, clock, max_attempts=3)
    outbox_id = await add_message(db, await add_person(db, 1), "reminder")
    transport.script = [Transient("Bad Gateway")] * 3

    for attempt in (1, 2):
        report = await sender.run_once()
        assert report.retried == 1
        waiting = await row(db, outbox_id)
        assert waiting.status is OutboxStatus.PENDING and waiting.attempts == attempt
        assert waiting.last_error == "Bad Gateway"
        assert waiting.not_before > clock.now
        await sender.run_once()
        assert len(transport.attempts) == attempt
        clock.now = waiting.not_before

    report = await sender.run_once()
    failed = await row(db, outbox_id)
    assert report.failed == 1
    assert (failed.status, failed.attempts, failed.last_error) == (OutboxStatus.FAILED, 3, "Bad Gateway")
    clock.advance(3600)
    await sender.run_once()
    assert len(transport.attempts) == 3


async def test_a_rejected_message_fails_alone_with_a_short_error(
    db: Database, sender: Sender, transport: FakeTransport
) -> None:
    person_id = await add_person(db, 1)
    bad = await add_message(db, person_id, "broken", priority=Priority.URGENT)
    await add_message(db, await add_person(db, 2), "fine")
    transport.script = [Rejected("Bad Request: can't parse entities " + "x" * 300)]

    report = await sender.run_once()

    rejected = await row(db, bad)
    assert rejected.status is OutboxStatus.FAILED and len(rejected.last_error) == 200
    assert transport.kinds() == ["broken", "fine"]
    assert (report.failed, report.sent) == (1, 1)
    async with db.session() as session:
        assert (await session.get(Person, person_id)).unreachable_since is None


async def test_unreachable_person_is_marked_and_nothing_more_is_sent_to_them(
    db: Database, sender: Sender, transport: FakeTransport, clock: FixedClock
) -> None:
    blocked = await add_person(db, 1)
    first = await add_message(db, blocked, "first", priority=Priority.URGENT)
    waiting = await add_message(db, blocked, "waiting")
    later = await add_message(db, blocked, "due_later", not_before=NOW + timedelta(hours=1))
    await add_message(db, await add_person(db, 2), "other_person")
    transport.script = [Unreachable("Forbidden: bot was blocked by the user")]

    report = await sender.run_once()

    assert transport.kinds() == ["first", "other_person"]
    assert (report.unreachable, report.sent) == (1, 1)
    async with db.session() as session:
        assert (await session.get(Person, blocked)).unreachable_since == NOW
    for outbox_id in (first, waiting, later):
        failed = await row(db, outbox_id)
        assert failed.status is OutboxStatus.FAILED and "bot was blocked" in failed.last_error

    clock.advance(3600)
    enqueued_after = await add_message(db, blocked, "after", not_before=clock.now)
    await sender.run_once()
    assert transport.kinds() == ["first", "other_person"]
    assert (await row(db, enqueued_after)).status is OutboxStatus.PENDING


# -- crashes and concurrency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("resend_if_unsure", "expected"), [(True, OutboxStatus.SENT), (False, OutboxStatus.FAILED)])
async def test_a_row_left_sending_by_a_crash_is_resent_or_failed_as_it_asks(
    db: Database, transport: FakeTransport, clock: FixedClock, resend_if_unsure: bool, expected: OutboxStatus
) -> None:
    outbox_id = await add_message(db, await add_person(db, 1), "alert", resend_if_unsure=resend_if_unsure)
    transport.script = [Crash()]
    with pytest.raises(Crash):
        await new_sender(db, transport, clock, worker_id="dead", lease_seconds=60).run_once()
    assert (await row(db, outbox_id)).status is OutboxStatus.SENDING

    survivor = new_sender(db, transport, clock, worker_id="alive")
    clock.advance(59)
    await survivor.run_once()
    assert (await row(db, outbox_id)).status is OutboxStatus.SENDING

    clock.advance(2)
    await survivor.run_once()
    recovered = await row(db, outbox_id)
    assert recovered.status is expected
    assert len(transport.attempts) == (2 if resend_if_unsure else 1)
    if not resend_if_unsure:
        assert recovered.last_error == CRASH_ERROR


async def test_two_senders_on_one_database_send_each_row_exactly_once(
    database_url: str, db: Database, transport: FakeTransport, clock: FixedClock
) -> None:
    outbox_ids = {await add_message(db, await add_person(db, user), "tip") for user in range(1, 41)}
    other_db = Database(database_url, clock=clock)
    try:
        first = new_sender(db, transport, clock, worker_id="w1")
        second = new_sender(other_db, transport, clock, worker_id="w2")
        reports = await asyncio.gather(first.run_once(), second.run_once())
    finally:
        await other_db.dispose()

    delivered = [attempt.message.outbox_id for attempt in transport.attempts]
    assert sorted(delivered) == sorted(outbox_ids)
    assert sum(report.sent for report in reports) == 40
    async with db.session() as session:
        statuses = set((await session.scalars(select(OutboxMessage.status))).all())
    assert statuses == {OutboxStatus.SENT}


# -- waking --------------------------------------------------------------------------------------------------


async def test_wake_runs_the_sender_long_before_its_next_tick(
    db: Database, transport: FakeTransport, clock: FixedClock
) -> None:
    sender = Sender(db, transport, worker_id="w1", clock=clock)
    scheduler = build_scheduler(sender, interval_seconds=3600)
    runs: asyncio.Queue[object] = asyncio.Queue()
    scheduler.add_listener(runs.put_nowait, EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        await asyncio.wait_for(runs.get(), timeout=10)  # the start-up run, on an empty outbox
        await add_message(db, await add_person(db, 1), "risk_alert", priority=Priority.URGENT, not_before=None)
        sender.wake()
        await asyncio.wait_for(runs.get(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)
    assert transport.kinds() == ["risk_alert"]


async def test_a_group_row_goes_to_its_chat_and_a_lost_group_marks_nobody_unreachable(db, sender, transport) -> None:
    person_id = await add_person(db, 7001)
    async with db.session() as session:
        first = await enqueue(session, None, "group_case_notice", {"case_id": 1}, chat_id=-100777)
        second = await enqueue(session, None, "group_case_notice", {"case_id": 2}, chat_id=-100777)
        lost = await enqueue(session, None, "group_case_notice", {"case_id": 3}, chat_id=-100888)
    await add_message(db, person_id, "private")
    transport.script = [Sent(1), Unreachable("Forbidden: bot was kicked from the group chat")]
    await sender.run_once()
    chats = [(attempt.message.chat_id, attempt.message.person_id) for attempt in transport.attempts]
    assert chats == [(-100777, None), (-100888, None), (7001, person_id)]
    assert (await row(db, first.id)).status is OutboxStatus.SENT
    assert (await row(db, second.id)).status is OutboxStatus.PENDING, "a group is paced like any chat"
    assert (await row(db, lost.id)).status is OutboxStatus.FAILED
    async with db.session() as session:
        assert (await session.get(Person, person_id)).unreachable_since is None
    with pytest.raises(ValueError):
        async with db.session() as session:
            await enqueue(session, None, "group_case_notice", {})


# -- unsure outcomes, migrated groups, stopping and pruning --------------------------------------------------


@pytest.mark.parametrize("resend_if_unsure", [True, False])
async def test_a_timeout_sends_again_only_a_row_that_allows_it(
    db: Database, sender: Sender, transport: FakeTransport, clock: FixedClock, resend_if_unsure: bool
) -> None:
    outbox_id = await add_message(db, await add_person(db, 1), "chatty", resend_if_unsure=resend_if_unsure)
    transport.script = [Unsure("TimedOut: Timed out")]
    await sender.run_once()
    clock.advance(BACKOFF_CAP_SECONDS)
    await sender.run_once()
    timed_out = await row(db, outbox_id)
    if resend_if_unsure:
        assert (timed_out.status, len(transport.attempts)) == (OutboxStatus.SENT, 2)
    else:
        assert (timed_out.status, len(transport.attempts)) == (OutboxStatus.FAILED, 1)
        assert timed_out.last_error.startswith(UNSURE_ERROR)


async def test_a_group_that_became_a_supergroup_gets_its_messages_and_keeps_its_school_link(
    db: Database, transport: FakeTransport, clock: FixedClock
) -> None:
    school_id = await factories.school(db, "青山小学", now=NOW)
    async with db.session() as session:
        session.add(SchoolGroup(school_id=school_id, chat_id=-777, linked_at=NOW))
        first = await enqueue(session, None, "group_case_notice", {"case_id": 1}, chat_id=-777, not_before=NOW)
        second = await enqueue(session, None, "group_case_notice", {"case_id": 2}, chat_id=-777, not_before=NOW)
    sender = new_sender(db, transport, clock, on_chat_moved=move_group_chat)
    transport.script = [Migrated(-100777)]
    await sender.run_once()
    clock.advance(1)
    await sender.run_once()
    assert [a.message.chat_id for a in transport.attempts] == [-777, -100777, -100777]
    assert [(await row(db, m.id)).status for m in (first, second)] == [OutboxStatus.SENT, OutboxStatus.SENT]
    async with db.session() as session:
        assert (await session.get(SchoolGroup, school_id)).chat_id == -100777


async def test_stopping_waits_for_the_row_in_flight_and_claims_no_other(
    db: Database, sender: Sender, transport: FakeTransport
) -> None:
    person_id = await add_person(db, 1)
    in_flight = await add_message(db, person_id, "in_flight", priority=Priority.URGENT)
    waiting = await add_message(db, await add_person(db, 2), "waiting")
    sending, stop_now = asyncio.Event(), asyncio.Event()

    async def slow_send(_message: OutgoingMessage) -> None:
        sending.set()
        await stop_now.wait()

    transport.during_send = slow_send
    run = asyncio.create_task(sender.run_once())
    await sending.wait()
    stopping = asyncio.create_task(sender.stop())
    await asyncio.sleep(0)
    stop_now.set()
    await stopping
    await run
    assert (await row(db, in_flight)).status is OutboxStatus.SENT, "recorded, not left SENDING to be sent twice"
    assert (await row(db, waiting)).status is OutboxStatus.PENDING
    assert transport.kinds() == ["in_flight"]


async def test_prune_deletes_finished_rows_past_the_retention_and_keeps_the_rest(
    db: Database, sender: Sender, clock: FixedClock
) -> None:
    person_id = await add_person(db, 1)
    old_sent = await add_message(db, person_id, "old")
    await sender.run_once()
    pending = await add_message(db, person_id, "pending", not_before=NOW + timedelta(days=60))
    async with db.session() as session:
        await session.execute(update(OutboxMessage).values(created_at=NOW))
    assert await sender.prune(NOW + timedelta(days=29), keep_for=timedelta(days=30)) == 0
    assert await sender.prune(NOW + timedelta(days=31), keep_for=timedelta(days=30)) == 1
    assert await row(db, old_sent) is None
    assert (await row(db, pending)).status is OutboxStatus.PENDING


async def test_sends_to_different_chats_overlap_and_one_chats_never_do(
    db: Database, transport: FakeTransport, clock: FixedClock
) -> None:
    sender = new_sender(db, transport, clock, concurrency=4)
    people = [await add_person(db, n) for n in (1, 2, 3)]
    for person_id in people:
        await add_message(db, person_id, "first")
        await add_message(db, person_id, "second")
    in_flight: list[int] = []
    all_three_in_flight = asyncio.Event()

    async def slow_send(message: OutgoingMessage) -> None:
        assert message.chat_id not in in_flight, "two messages to one chat in flight at once"
        in_flight.append(message.chat_id)
        if len(in_flight) == 3:
            all_three_in_flight.set()
        # Each send waits for the other chats' sends to start: one at a time would never get past this.
        await asyncio.wait_for(all_three_in_flight.wait(), 10)
        in_flight.remove(message.chat_id)

    transport.during_send = slow_send
    await sender.run_once()
    assert transport.kinds() == ["first"] * 3
    clock.advance(1)
    await sender.run_once()
    assert transport.kinds() == ["first"] * 3 + ["second"] * 3
