"""The real TelegramTransport and python-telegram-bot against the local Bot API emulator.

Proves that each Telegram answer maps to the right delivery outcome, and that the sender delivers an outbox row
to a person through it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from html import escape
from typing import Any

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.db import Database
from bot.outbox.delivery import Delivery, OutgoingMessage, Rejected, RetryAfter, Sent, Transient, Unreachable
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.sender import Sender
from bot.people.models import Person
from bot.telegram.transport import Rendered, TelegramTransport
from tests.e2e.conftest import TOKEN
from tests.emulator import BotApiEmulator, SimUser

GRANDMA_ID = 1001


def render(kind: str, params: dict[str, Any], language: str) -> Rendered:
    texts = {"hello": "<b>Hello</b> {name}", "broken_html": "<b>unclosed {name}"}
    return Rendered(texts[kind].format(name=escape(params["name"])), [[("👍 OK", "ack:1")]])


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    # A short read timeout lets a delayed answer show up as a timeout without a slow test.
    request = HTTPXRequest(read_timeout=0.5)
    async with Bot(TOKEN, base_url=emulator.base_url, request=request) as telegram_bot:
        yield telegram_bot


@pytest.fixture
def transport(bot: Bot) -> TelegramTransport:
    return TelegramTransport(bot, render)


@pytest.fixture
def grandma(emulator: BotApiEmulator) -> SimUser:
    return emulator.user(user_id=GRANDMA_ID, first_name="A", language_code="en")


def outgoing(kind: str = "hello", chat_id: int = GRANDMA_ID) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=1, person_id=1, chat_id=chat_id, language="en", kind=kind, params={"name": "Li & Wang"}
    )


async def test_a_message_goes_out_as_html_with_its_buttons(transport: TelegramTransport, grandma: SimUser) -> None:
    delivery = await transport.deliver(outgoing())

    [message] = grandma.messages
    assert delivery == Sent(message.message_id)
    assert message.text == "Hello Li & Wang"
    assert message.button_data() == ["ack:1"]


@pytest.mark.parametrize(
    ("status", "description", "expected"),
    [
        (429, None, RetryAfter(3.0)),
        (500, None, Transient("NetworkError: Internal Server Error")),
        (502, None, Transient("NetworkError: Bad Gateway")),
        (403, None, Unreachable("Forbidden: bot was blocked by the user")),
        (403, "Forbidden: user is deactivated", Unreachable("Forbidden: user is deactivated")),
        (400, None, Unreachable("Chat not found")),
        (400, "Bad Request: message is too long", Rejected("Message is too long")),
    ],
)
async def test_each_telegram_error_maps_to_its_delivery_outcome(
    emulator: BotApiEmulator,
    transport: TelegramTransport,
    grandma: SimUser,
    status: int,
    description: str | None,
    expected: Delivery,
) -> None:
    emulator.fail_next("sendMessage", chat_id=GRANDMA_ID, status=status, retry_after=3, description=description)

    assert await transport.deliver(outgoing()) == expected
    assert grandma.messages == []


async def test_a_person_who_blocked_the_bot_is_unreachable(
    emulator: BotApiEmulator, transport: TelegramTransport, grandma: SimUser
) -> None:
    emulator.block(grandma)
    assert await transport.deliver(outgoing()) == Unreachable("Forbidden: bot was blocked by the user")


async def test_an_unknown_chat_is_unreachable(transport: TelegramTransport) -> None:
    assert await transport.deliver(outgoing(chat_id=424242)) == Unreachable("Chat not found")


async def test_malformed_html_is_rejected(transport: TelegramTransport, grandma: SimUser) -> None:
    delivery = await transport.deliver(outgoing("broken_html"))
    assert isinstance(delivery, Rejected) and "can't parse entities" in delivery.reason.lower()


async def test_an_unknown_kind_is_rejected_without_calling_telegram(
    emulator: BotApiEmulator, transport: TelegramTransport
) -> None:
    delivery = await transport.deliver(outgoing("no_such_kind"))
    assert isinstance(delivery, Rejected) and "no_such_kind" in delivery.reason
    assert emulator.calls_to("sendMessage") == []


async def test_a_timeout_is_transient(emulator: BotApiEmulator, transport: TelegramTransport, grandma: SimUser) -> None:
    emulator.delay_next("sendMessage", seconds=2.0)
    delivery = await transport.deliver(outgoing())
    assert isinstance(delivery, Transient) and delivery.error.startswith("TimedOut")


async def person_with_message(db: Database, telegram_user_id: int) -> tuple[int, int]:
    async with db.session() as session:
        person = Person(telegram_user_id=telegram_user_id, chat_id=telegram_user_id, language="en")
        session.add(person)
        await session.flush()
        message = await enqueue(session, person.id, "hello", {"name": "Wang"})
        return person.id, message.id


async def test_the_sender_delivers_an_outbox_row_and_records_its_message_id(
    db: Database, transport: TelegramTransport, grandma: SimUser
) -> None:
    _, outbox_id = await person_with_message(db, GRANDMA_ID)

    report = await Sender(db, transport, worker_id="e2e").run_once()

    [message] = grandma.messages
    assert message.text == "Hello Wang"
    async with db.session() as session:
        row = await session.get(OutboxMessage, outbox_id)
    assert report.sent == 1
    assert (row.status, row.telegram_message_id) == (OutboxStatus.SENT, message.message_id)


async def test_the_sender_stops_writing_to_a_person_who_blocked_the_bot(
    db: Database, emulator: BotApiEmulator, transport: TelegramTransport, grandma: SimUser
) -> None:
    person_id, outbox_id = await person_with_message(db, GRANDMA_ID)
    emulator.block(grandma)

    report = await Sender(db, transport, worker_id="e2e").run_once()

    async with db.session() as session:
        row = await session.get(OutboxMessage, outbox_id)
        person = await session.get(Person, person_id)
    assert report.unreachable == 1
    assert row.status is OutboxStatus.FAILED and "blocked" in row.last_error
    assert person.unreachable_since is not None
