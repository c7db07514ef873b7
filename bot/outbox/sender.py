"""The sender: claims due outbox rows one at a time, delivers them through a transport (a few at once), and
records each outcome.

The database is the queue. A row is claimed (PENDING → SENDING, with a lease) just before it is sent, so a crash
leaves at most the row in flight unsure; the next run finds its lease expired and resends or fails it as the row
asks. Claiming one row at a time also means the most urgent due row is always the next to go.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Row, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import Clock
from bot.db import Database
from bot.i18n import DEFAULT_LANGUAGE
from bot.outbox.delivery import (
    Delivery,
    Migrated,
    OutgoingMessage,
    Rejected,
    RetryAfter,
    Sent,
    Transient,
    Transport,
    Unreachable,
    Unsure,
)
from bot.outbox.models import EDITS, EDITS_ROW, ChatPause, OutboxMessage, OutboxStatus
from bot.people.models import Person

log = logging.getLogger(__name__)

CRASH_ERROR = "outcome unknown after a crash"
UNSURE_ERROR = "outcome unknown"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 15 * 60.0
ERROR_LENGTH = 200

# Told in the same transaction when a person is found unreachable, so that whoever depended on reaching them
# (an alert about a child) is served by someone else; rows it adds are due in this very run.
OnUnreachable = Callable[[AsyncSession, int, datetime], Awaitable[None]]
# Moves whatever the domain links to a group chat (a school's counsellors' group) to the chat's new id.
ChatMoved = Callable[[AsyncSession, int, int], Awaitable[None]]
Outcome = Literal["sent", "retried", "failed", "unreachable"]


def backoff(attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling, capped, and jittered so that rows
    failed together by one outage do not all come back in the same second."""
    ceiling = min(BACKOFF_BASE_SECONDS * 2**attempts, BACKOFF_CAP_SECONDS)
    return timedelta(seconds=ceiling * (0.5 + rand() / 2))


class Pacer:
    """Spaces sends evenly, so that no more than `rate` go out in any second."""

    def __init__(
        self,
        rate: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_slot = float("-inf")

    async def wait(self) -> None:
        now = self._monotonic()
        if self._next_slot > now:
            await self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self.interval


@dataclass(frozen=True)
class _Claim:
    message: OutgoingMessage
    attempt: int  # counting this one
    resend_if_unsure: bool


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class Sender:
    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        worker_id: str,
        overall_rate: float = 25.0,
        per_chat_interval: float = 1.0,
        lease_seconds: float = 60.0,
        concurrency: int = 1,
        max_attempts: int = 12,
        clock: Clock,
        on_unreachable: OnUnreachable | None = None,
        on_chat_moved: ChatMoved | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.worker_id = worker_id
        self.per_chat_interval = timedelta(seconds=per_chat_interval)
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.clock = clock
        self.on_unreachable = on_unreachable
        self.pacer = Pacer(overall_rate)
        self.on_chat_moved = on_chat_moved
        # Set by whatever drives the runs (the scheduler); called when a run should start now.
        self.on_wake: Callable[[], None] | None = None
        self._running = False
        self._woken = False
        self._stopping = False
        self._idle = asyncio.Event()
        self._idle.set()

    def wake(self) -> None:
        """Ask for a run now, e.g. after enqueuing something urgent; a run in progress picks it up instead."""
        if self._running:
            self._woken = True
        elif self.on_wake is not None:
            self.on_wake()

    async def stop(self) -> None:
        """Claim nothing more, and wait for the row in flight to be sent and recorded, so that a graceful stop
        never leaves a row SENDING (to be sent again, or failed as unsure, by the next run)."""
        self._stopping = True
        await self._idle.wait()

    async def run_once(self, now: datetime | None = None) -> SendReport:
        """Send everything due, most urgent first, until nothing is due (or the sender is stopping).

        `now` runs the sender as if the clock read `now`; the clock still measures time passing during the run.
        """
        clock = self._clock_from(now)
        report = SendReport()
        if self._stopping:
            return report
        self._running = True
        self._idle.clear()
        # Rows are claimed one at a time, in order, and sent up to `concurrency` at once: a Telegram round trip
        # would otherwise cap the rate at one message per round trip. A chat with a row in flight is busy, so
        # one chat's messages still go one after another.
        slots = asyncio.Semaphore(self.concurrency)
        in_flight: set[asyncio.Task[None]] = set()
        errors: list[BaseException] = []

        def done(task: asyncio.Task[None]) -> None:
            in_flight.discard(task)
            if not task.cancelled() and task.exception() is not None:
                errors.append(task.exception())

        try:
            await self._recover_stale_claims(clock())
            await self._hand_over_stranded(clock())
            while True:
                await slots.acquire()
                if self._stopping or errors:
                    break
                await self.pacer.wait()
                claim = await self._claim(clock())
                if claim is None:
                    slots.release()
                    if not self._woken:
                        break
                    self._woken = False
                    continue
                task = asyncio.create_task(self._deliver(claim, clock, report, slots))
                in_flight.add(task)
                task.add_done_callback(done)
        finally:
            # Every claimed row is sent and recorded before the run ends, even when it ends by an error.
            await asyncio.gather(*in_flight, return_exceptions=True)
            self._running = False
            self._woken = False
            self._idle.set()
        if errors:
            raise errors[0]
        return report

    async def _deliver(self, claim: _Claim, clock: Clock, report: SendReport, slots: asyncio.Semaphore) -> None:
        try:
            delivery = await self.transport.deliver(claim.message)
            await self._record(claim, delivery, clock(), report)
        finally:
            slots.release()

    def _clock_from(self, now: datetime | None) -> Clock:
        if now is None:
            return self.clock
        offset = now - self.clock()
        return lambda: self.clock() + offset

    # -- claiming -----------------------------------------------------------------------------------------------

    async def _recover_stale_claims(self, now: datetime) -> None:
        """Rows left SENDING by a worker that died mid-send: we cannot know whether Telegram got them."""
        stale = and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_until < now)
        may_resend = and_(OutboxMessage.resend_if_unsure, OutboxMessage.attempts < self.max_attempts)
        async with self.db.session() as session:
            resent = await session.execute(
                update(OutboxMessage)
                .where(stale, may_resend)
                .values(status=OutboxStatus.PENDING, claimed_by=None, claimed_until=None)
            )
            failed = await session.execute(
                update(OutboxMessage)
                .where(stale, ~may_resend)
                .values(status=OutboxStatus.FAILED, claimed_until=None, last_error=CRASH_ERROR)
            )
        if resent.rowcount or failed.rowcount:
            log.warning("recovered stale claims: %d to resend, %d failed", resent.rowcount, failed.rowcount)

    async def _hand_over_stranded(self, now: datetime) -> None:
        """Rows queued for a person while they were being marked unreachable (e.g. an alert raised at that very
        moment) are never claimed: give the hook the chance it had when the person was found unreachable. Only for
        people marked within a lease, by when such a transaction has long committed; rows queued for them later
        are held for their return, and need not be looked at on every run."""
        if self.on_unreachable is None:
            return
        async with self.db.session() as session:
            stranded = await session.scalars(
                select(OutboxMessage.person_id)
                .join(Person, Person.id == OutboxMessage.person_id)
                .where(OutboxMessage.status == OutboxStatus.PENDING, Person.unreachable_since > now - self.lease)
                .distinct()
            )
            for person_id in stranded.all():
                await self.on_unreachable(session, person_id, now)

    async def _claim(self, now: datetime) -> _Claim | None:
        """The most urgent due row, now SENDING and ours; None when nothing is due."""
        while True:
            async with self.db.session() as session:
                candidate = (await session.execute(self._next_due(now))).first()
                if candidate is None:
                    return None
                if await self._mark_sending(session, candidate, now):
                    # Read the row again now that it is ours: on SQLite it may have been rewritten (an alert kept
                    # current) between the read above and the claim.
                    content = (
                        await session.execute(
                            select(OutboxMessage.params, OutboxMessage.private_params).where(
                                OutboxMessage.id == candidate.id
                            )
                        )
                    ).one()
                    outgoing = _outgoing(candidate, content.params, content.private_params)
                    if EDITS_ROW in outgoing.params:
                        outgoing.params[EDITS] = await session.scalar(
                            select(OutboxMessage.telegram_message_id).where(
                                OutboxMessage.id == outgoing.params[EDITS_ROW]
                            )
                        )
                    return _Claim(outgoing, candidate.attempts + 1, candidate.resend_if_unsure)
            # Another worker claimed this row between our read and our write: normal on SQLite, try the next.

    def _next_due(self, now: datetime) -> Select:
        # Spacing per chat (a person's private chat, or a group's) lives in the database, so it holds across workers.
        # Two EXISTS rather than one with OR, so that each can use its (person_id | chat_id, sent_at) index.
        chat_busy = or_(self._busy("person_id", now), self._busy("chat_id", now))
        chat = func.coalesce(OutboxMessage.chat_id, Person.chat_id)
        chat_paused = exists().where(ChatPause.chat_id == chat, ChatPause.not_before > now)
        query = (
            select(
                OutboxMessage.id,
                OutboxMessage.person_id,
                OutboxMessage.kind,
                OutboxMessage.params,
                OutboxMessage.private_params,
                OutboxMessage.attempts,
                OutboxMessage.resend_if_unsure,
                chat.label("chat_id"),
                Person.language,
            )
            .outerjoin(Person, Person.id == OutboxMessage.person_id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.not_before <= now,
                or_(OutboxMessage.person_id.is_(None), Person.unreachable_since.is_(None)),
                ~chat_busy,
                ~chat_paused,
            )
            .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
            .limit(1)
        )
        if self.db.is_sqlite:
            return query
        return query.with_for_update(skip_locked=True, of=OutboxMessage)

    def _busy(self, recipient: str, now: datetime) -> ColumnElement[bool]:
        """A row to the same recipient (`person_id` or `chat_id`) is in flight, or was sent too recently."""
        other = aliased(OutboxMessage)
        mine = getattr(OutboxMessage, recipient)
        return and_(
            mine.is_not(None),
            exists().where(
                getattr(other, recipient) == mine,
                or_(other.status == OutboxStatus.SENDING, other.sent_at > now - self.per_chat_interval),
            ),
        )

    async def _mark_sending(self, session: AsyncSession, candidate: Row, now: datetime) -> bool:
        # Compare-and-set: on PostgreSQL the row is already locked, on SQLite this is where a lost race shows.
        claimed = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == candidate.id,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.attempts == candidate.attempts,
            )
            .values(
                status=OutboxStatus.SENDING,
                claimed_by=self.worker_id,
                claimed_until=now + self.lease,
                attempts=OutboxMessage.attempts + 1,
            )
        )
        return claimed.rowcount == 1

    # -- recording outcomes -------------------------------------------------------------------------------------

    async def _record(self, claim: _Claim, delivery: Delivery, now: datetime, report: SendReport) -> None:
        message = claim.message
        log.info("outbox %d (%s): %s", message.outbox_id, message.kind, type(delivery).__name__)
        outcome, values = self._row_update(claim, delivery, now)
        async with self.db.session() as session:
            await self._settle(session, message, **values)
            if isinstance(delivery, RetryAfter):
                # One chat was rate-limited: it waits, the other chats go on.
                await self._pause_chat(session, message.chat_id, now + timedelta(seconds=delivery.seconds))
            if isinstance(delivery, Migrated) and message.person_id is None:
                await self._move_chat(session, message.chat_id, delivery.new_chat_id)
            # A group the bot was removed from fails its row only: no person to mark.
            if isinstance(delivery, Unreachable) and message.person_id is not None:
                await self._mark_unreachable(session, message.person_id, delivery.reason, now)
                if self.on_unreachable is not None:
                    await self.on_unreachable(session, message.person_id, now)
        report.count(outcome)

    def _row_update(self, claim: _Claim, delivery: Delivery, now: datetime) -> tuple[Outcome, dict[str, Any]]:
        """How a delivery outcome counts in the report, and what it changes on the row."""
        match delivery:
            case Sent(message_id=message_id):
                return "sent", {"status": OutboxStatus.SENT, "sent_at": now, "telegram_message_id": message_id}
            case RetryAfter(seconds=seconds):
                # The bot was rate-limited, not the message: this try does not count against it.
                retry = {"not_before": now + timedelta(seconds=seconds), "attempts": OutboxMessage.attempts - 1}
                return "retried", {"status": OutboxStatus.PENDING, **retry}
            case Transient(error=error) if claim.attempt < self.max_attempts:
                retry = {"not_before": now + backoff(claim.attempt), "last_error": _short(error)}
                return "retried", {"status": OutboxStatus.PENDING, **retry}
            case Transient(error=error):
                return "failed", {"status": OutboxStatus.FAILED, "last_error": _short(error)}
            case Unsure(error=error) if claim.resend_if_unsure and claim.attempt < self.max_attempts:
                retry = {"not_before": now + backoff(claim.attempt), "last_error": _short(error)}
                return "retried", {"status": OutboxStatus.PENDING, **retry}
            case Unsure(error=error):
                return "failed", {"status": OutboxStatus.FAILED, "last_error": _short(f"{UNSURE_ERROR}: {error}")}
            case Migrated(new_chat_id=new_chat_id) if claim.message.person_id is None:
                # Not the message's fault: it goes to the group's new id at once, and the try does not count.
                moved = {"chat_id": new_chat_id, "not_before": now, "attempts": OutboxMessage.attempts - 1}
                return "retried", {"status": OutboxStatus.PENDING, **moved}
            case Migrated():
                return "failed", {"status": OutboxStatus.FAILED, "last_error": "a private chat cannot migrate"}
            case Unreachable(reason=reason):
                return "unreachable", {"status": OutboxStatus.FAILED, "last_error": _short(reason)}
            case Rejected(reason=reason):
                return "failed", {"status": OutboxStatus.FAILED, "last_error": _short(reason)}

    async def _settle(self, session: AsyncSession, message: OutgoingMessage, **values: object) -> None:
        """Update our claimed row; a row whose lease we lost belongs to whoever recovered it."""
        settled = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.outbox_id,
                OutboxMessage.status == OutboxStatus.SENDING,
                OutboxMessage.claimed_by == self.worker_id,
            )
            .values(claimed_until=None, **values)
        )
        if settled.rowcount != 1:
            log.warning("outbox %d (%s): lease lost before the outcome was recorded", message.outbox_id, message.kind)

    async def _pause_chat(self, session: AsyncSession, chat_id: int, until: datetime) -> None:
        insert = sqlite.insert if self.db.is_sqlite else postgresql.insert
        statement = insert(ChatPause).values(chat_id=chat_id, not_before=until)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[ChatPause.chat_id], set_={"not_before": statement.excluded.not_before}
            )
        )

    async def _move_chat(self, session: AsyncSession, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: what waits for it, and the domain's link to it, move to the new id."""
        log.info("a group chat migrated; moving its messages and links to the new chat id")
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == old_chat_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(chat_id=new_chat_id)
        )
        if self.on_chat_moved is not None:
            await self.on_chat_moved(session, old_chat_id, new_chat_id)

    async def prune(self, now: datetime, keep_for: timedelta) -> int:
        """Delete rows finished (sent, failed or cancelled) more than `keep_for` ago, and lifted chat pauses.

        A row's dedupe_key stops the same message being enqueued twice only while the row is kept, so `keep_for`
        must outlast every window a key guards (a week at most: birthdays, weekly digests).
        """
        finished = OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED])
        async with self.db.session() as session:
            pruned = await session.execute(
                delete(OutboxMessage).where(finished, OutboxMessage.created_at < now - keep_for)
            )
            await session.execute(delete(ChatPause).where(ChatPause.not_before < now))
        return pruned.rowcount

    async def _mark_unreachable(self, session: AsyncSession, person_id: int, reason: str, now: datetime) -> None:
        """Stop sending to a person the channel can never reach, and fail what was waiting for them."""
        await session.execute(
            update(Person)
            .where(Person.id == person_id, Person.unreachable_since.is_(None))
            .values(unreachable_since=now)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.person_id == person_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.FAILED, last_error=_short(f"recipient unreachable: {reason}"))
        )


def _outgoing(candidate: Row, params: dict[str, Any], private_params: str | None) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=candidate.id,
        person_id=candidate.person_id,
        chat_id=candidate.chat_id,
        language=candidate.language or DEFAULT_LANGUAGE,
        kind=candidate.kind,
        params={**params, **json.loads(private_params or "{}")},
    )


def _short(error: str) -> str:
    return error[:ERROR_LENGTH]
