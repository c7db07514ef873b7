"""The real TelegramTransport and python-telegram-bot against the local Bot API emulator.

Proves that each Telegram answer maps to the right delivery outcome, and that the sender delivers an outbox row
to a person through it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from html import escape
from io import BytesIO
from typing import Any

import pytest
from PIL import Image
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.db import Database
from bot.outbox.delivery import Delivery, OutgoingMessage, Rejected, RetryAfter, Sent, Transient, Unreachable, Unsure
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage, OutboxStatus
from bot.outbox.sender import Sender
from bot.people.models import Person
from bot.reports.charts import DIGEST_SIZE
from bot.reports.digest import Digest, Figures, SchoolFigures
from bot.telegram import render_reports
from bot.telegram.render import Style
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


def render_edit(kind: str, params: dict[str, Any], language: str) -> Rendered:
    return Rendered(f"Hello again {escape(params['name'])}", edit_message_id=params["edit"])


def edit_of(message_id: int) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=2, person_id=1, chat_id=GRANDMA_ID, language="en", kind="x", params={"name": "Li", "edit": message_id}
    )


async def test_an_edit_changes_the_message_in_place(bot: Bot, transport: TelegramTransport, grandma: SimUser) -> None:
    first = await transport.deliver(outgoing())

    delivery = await TelegramTransport(bot, render_edit).deliver(edit_of(first.message_id))

    [message] = grandma.messages
    assert delivery == first and message.text == "Hello again Li" and len(message.edits) == 1


async def test_an_edit_of_a_message_that_is_gone_sends_a_new_one(bot: Bot, grandma: SimUser) -> None:
    delivery = await TelegramTransport(bot, render_edit).deliver(edit_of(4242))

    [message] = grandma.messages
    assert delivery == Sent(message.message_id) and message.text == "Hello again Li"


async def test_an_edit_for_a_person_who_blocked_the_bot_is_unreachable(
    emulator: BotApiEmulator, bot: Bot, transport: TelegramTransport, grandma: SimUser
) -> None:
    first = await transport.deliver(outgoing())
    emulator.block(grandma)

    delivery = await TelegramTransport(bot, render_edit).deliver(edit_of(first.message_id))

    assert delivery == Unreachable("Forbidden: bot was blocked by the user")


async def test_malformed_html_is_rejected(transport: TelegramTransport, grandma: SimUser) -> None:
    delivery = await transport.deliver(outgoing("broken_html"))
    assert isinstance(delivery, Rejected) and "can't parse entities" in delivery.reason.lower()


async def test_an_unknown_kind_is_rejected_without_calling_telegram(
    emulator: BotApiEmulator, transport: TelegramTransport
) -> None:
    delivery = await transport.deliver(outgoing("no_such_kind"))
    assert isinstance(delivery, Rejected) and "no_such_kind" in delivery.reason
    assert emulator.calls_to("sendMessage") == []


async def test_a_timeout_leaves_the_outcome_unsure(
    emulator: BotApiEmulator, transport: TelegramTransport, grandma: SimUser
) -> None:
    emulator.delay_next("sendMessage", seconds=2.0)
    delivery = await transport.deliver(outgoing())
    assert isinstance(delivery, Unsure) and delivery.error.startswith("TimedOut")


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

    report = await Sender(db, transport, worker_id="e2e", clock=db.clock).run_once()

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

    report = await Sender(db, transport, worker_id="e2e", clock=db.clock).run_once()

    async with db.session() as session:
        row = await session.get(OutboxMessage, outbox_id)
        person = await session.get(Person, person_id)
    assert report.unreachable == 1
    assert row.status is OutboxStatus.FAILED and "blocked" in row.last_error
    assert person.unreachable_since is not None


# --- Photos: a rendered message with an image goes out as one photo with its caption --------------------------


def png(width: int, height: int) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def render_photo(kind: str, params: dict[str, Any], language: str) -> Rendered:
    sizes = {"chart": (300, 200), "too_wide": (9_500, 600)}
    caption = "<b>Chart</b> " + escape(params["name"]) * (1 if kind != "long_caption" else 150)
    return Rendered(caption, [[("👍 OK", "ack:1")]], photo=png(*sizes.get(kind, (300, 200))))


async def test_a_photo_goes_out_with_its_caption_and_buttons(bot: Bot, grandma: SimUser) -> None:
    delivery = await TelegramTransport(bot, render_photo).deliver(outgoing("chart"))

    [message] = grandma.messages
    assert delivery == Sent(message.message_id)
    assert (message.kind, message.text, message.button_data()) == ("photo", "Chart Li & Wang", ["ack:1"])
    assert (message.media[0]["width"], message.media[0]["height"]) == (300, 200)


@pytest.mark.parametrize(
    ("kind", "reason"), [("too_wide", "Photo_invalid_dimensions"), ("long_caption", "Message caption is too long")]
)
async def test_a_photo_telegram_refuses_is_rejected(bot: Bot, grandma: SimUser, kind: str, reason: str) -> None:
    assert await TelegramTransport(bot, render_photo).deliver(outgoing(kind)) == Rejected(reason)
    assert grandma.messages == []


async def test_the_sender_delivers_a_weekly_digest_as_a_chart_with_a_short_caption(
    db: Database, bot: Bot, grandma: SimUser
) -> None:
    figures = Figures(checkins_completed=3, checkins_missed=1, completion=0.75)
    digest = Digest("云阳县", "2026-11-30T08:00:00+08:00", figures, [SchoolFigures(1, "青山小学", figures)])
    async with db.session() as session:
        person = Person(telegram_user_id=GRANDMA_ID, chat_id=GRANDMA_ID, language="en")
        session.add(person)
        await session.flush()
        await enqueue(session, person.id, "weekly_digest", digest.to_json())

    def render_digest(kind: str, params: dict[str, Any], language: str) -> Rendered:
        return render_reports.weekly_digest(params, Style(language=language, bot_username="shouhu_test_bot"))

    report = await Sender(db, TelegramTransport(bot, render_digest), worker_id="e2e", clock=db.clock).run_once()

    [message] = grandma.messages
    assert report.sent == 1 and message.kind == "photo"
    assert message.text.startswith("📊 Weekly digest: 云阳县") and "75%" in message.text
    assert (message.media[0]["width"], message.media[0]["height"]) == DIGEST_SIZE


async def test_case_and_family_messages_cannot_be_forwarded_but_tips_can(
    bot: Bot, emulator: BotApiEmulator, grandma: SimUser
) -> None:
    transport = TelegramTransport(bot, lambda kind, params, language: Rendered(f"a {kind}"))

    for kind in ("case_alert", "counsellor_message", "parent_summary", "guidance_tip"):
        assert isinstance(await transport.deliver(outgoing(kind)), Sent)

    protected = [call.params.get("protect_content") in (True, "true") for call in emulator.calls_to("sendMessage")]
    assert protected == [True, True, True, False]
