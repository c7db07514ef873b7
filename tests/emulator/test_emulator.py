"""The emulator against the real python-telegram-bot: what PTB sends is understood, what Telegram refuses is
refused with the errors PTB expects, and updates reach a real Application by long polling and by webhook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.emulator import BotApiEmulator, SimUser

TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    emu = BotApiEmulator(token=TOKEN, bot_username="shouhu_test_bot")
    await emu.start()
    yield emu
    await emu.stop()


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.base_file_url) as bot:
        yield bot


@pytest.fixture
def grandma(emulator: BotApiEmulator) -> SimUser:
    return emulator.user(user_id=1001, first_name="王奶奶", language_code="zh-hans")


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in row] for row in rows])


# --- Identity and routing -------------------------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: Bot, emulator: BotApiEmulator) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "shouhu_test_bot", True)
    assert emulator.port > 0 and emulator.base_url == f"http://127.0.0.1:{emulator.port}/bot"
    assert emulator.calls[0].method == "getMe" and emulator.calls[0].ok


async def test_wrong_token_and_unknown_method_are_refused(emulator: BotApiEmulator) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emulator.base_url):
            pass
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{emulator.base_url}{TOKEN}/sendTelepathy", json={}) as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        # Method names are case-insensitive and a JSON body works too.
        async with session.post(f"{emulator.base_url}{TOKEN}/GETME", json={}) as response:
            assert (await response.json())["result"]["username"] == "shouhu_test_bot"
    assert [c.status for c in emulator.rejections] == [401, 404]


# --- Sending and what Telegram refuses -------------------------------------------------------------------


async def test_html_message_with_keyboard_is_recorded_with_entities(bot: Bot, grandma: SimUser) -> None:
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("好的", callback_data="ok:1"),
                InlineKeyboardButton("网站", url="https://e.org"),
            ]
        ]
    )
    html = '<b>你好</b> 😀 <i>x</i> &amp; <a href="https://e.org/?a=1&amp;b=2">link</a>\n'
    message = await bot.send_message(grandma.chat_id, html, parse_mode="HTML", reply_markup=markup)

    assert message.text == "你好 😀 x & link"
    # Offsets count UTF-16 code units: the emoji takes two.
    assert [(e.type, e.offset, e.length) for e in message.entities] == [
        ("bold", 0, 2),
        ("italic", 6, 1),
        ("text_link", 10, 4),
    ]
    assert message.entities[2].url == "https://e.org/?a=1&b=2"
    assert message.reply_markup == markup
    assert message.from_user.username == "shouhu_test_bot" and message.chat.id == grandma.chat_id

    seen = await grandma.wait_for_message()
    assert (seen.message_id, seen.text, seen.kind, seen.parse_mode) == (
        message.message_id,
        message.text,
        "text",
        "HTML",
    )
    assert seen.button_texts() == ["好的", "网站"] and seen.button_data() == ["ok:1"]
    assert seen.buttons[0][1].url == "https://e.org"


async def test_message_ids_increase_per_chat(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    other = emulator.user(user_id=1002, first_name="Li")
    grandma.send_text("hello")  # the user's own message takes an id in the chat too
    first = await bot.send_message(grandma.chat_id, "one")
    second = await bot.send_message(grandma.chat_id, "two")
    elsewhere = await bot.send_message(other.chat_id, "one")
    assert (first.message_id, second.message_id, elsewhere.message_id) == (2, 3, 1)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x" * 4097, "message is too long"),
        ("😀" * 2049, "message is too long"),  # 2049 characters, 4098 UTF-16 units
        (" \n ", "message text is empty"),
        ("<b>bold", 'can\'t find end tag corresponding to start tag "b"'),
        ("<div>block</div>", 'unsupported start tag "div" at byte offset 0'),
        ("Tom & Jerry", 'character "&" at byte offset 4'),
        ("我 <3 你", 'unsupported start tag "3" at byte offset 4'),
        ("<b><i>x</b></i>", 'unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<span>x</span>", 'tag "span" must have class "tg-spoiler"'),
        ("&#xD800;", 'character "&"'),
    ],
)
async def test_what_telegram_cannot_parse_is_refused(
    bot: Bot, emulator: BotApiEmulator, grandma: SimUser, text: str, error: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        await bot.send_message(grandma.chat_id, text, parse_mode="HTML")
    assert error in refused.value.message.lower()
    assert grandma.messages == []
    assert [c.method for c in emulator.rejections] == ["sendMessage"]


async def test_limits_are_exact(bot: Bot, grandma: SimUser) -> None:
    await bot.send_message(grandma.chat_id, "x" * 4096)
    await bot.send_message(grandma.chat_id, "😀" * 2048 + "<b></b>", parse_mode="HTML")
    await bot.send_message(grandma.chat_id, "Tom & Jerry <3")  # no parse mode: nothing to escape
    await bot.send_message(grandma.chat_id, "x", reply_markup=keyboard([("长" * 21, "长" * 21)]))  # 63 bytes
    assert [len(m.text) for m in grandma.messages] == [4096, 2048, 14, 1]


async def test_keyboards_telegram_refuses(bot: Bot, grandma: SimUser) -> None:
    chat = grandma.chat_id
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(chat, "x", reply_markup=keyboard([("长", "长" * 22)]))  # 66 bytes of UTF-8
    with pytest.raises(BadRequest, match="Too many inline keyboard buttons"):
        await bot.send_message(chat, "x", reply_markup=keyboard([(str(i), str(i)) for i in range(9)]))
    with pytest.raises(BadRequest, match="Too many inline keyboard buttons"):
        await bot.send_message(chat, "x", reply_markup=keyboard(*[[(str(i), str(i))] for i in range(101)]))
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(chat, "x", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("t")]]))
    reply_keyboard = ReplyKeyboardMarkup([["🆘 我很担心", "❓ 帮助"]], resize_keyboard=True)
    sent = await bot.send_message(chat, "menu", reply_markup=reply_keyboard)
    assert sent.reply_markup is None, "Telegram echoes only inline keyboards"
    assert grandma.messages[-1].reply_markup["keyboard"] == [[{"text": "🆘 我很担心"}, {"text": "❓ 帮助"}]]
    assert grandma.messages[-1].button_texts() == ["🆘 我很担心", "❓ 帮助"]
    pressed = grandma.press_button(grandma.messages[-1], "帮助")  # a reply keyboard sends the button's text
    assert [(u.update_id, u.message.text) for u in await bot.get_updates()] == [(pressed, "❓ 帮助")]


async def test_unknown_and_blocked_chats(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(4242, "hello")
    emulator.block(grandma)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(grandma.chat_id, "hello")
    emulator.unblock(grandma)
    await bot.send_message(grandma.chat_id, "hello again")
    assert [m.text for m in grandma.messages] == ["hello again"]
    assert [c.cause for c in emulator.calls if not c.ok] == ["validation", "blocked"]


# PTB itself warns, building RetryAfter, that retry_after will become a timedelta.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_injected_faults_raise_what_ptb_raises(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    emulator.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(grandma.chat_id, "one")
    assert str(flood.value) == "Flood control exceeded. Retry in 3 seconds"

    emulator.fail_next("sendMessage", status=403)
    with pytest.raises(Forbidden):
        await bot.send_message(grandma.chat_id, "two")
    emulator.fail_next("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(grandma.chat_id, "three")
    emulator.fail_next("sendMessage", chat_id=9999, status=500)  # another chat: not this one
    await bot.send_message(grandma.chat_id, "four")
    assert [m.text for m in grandma.messages] == ["four"]
    assert [c.status for c in emulator.calls_to("sendMessage")] == [429, 403, 502, 502, 200]
    assert emulator.rejections == [], "injected faults are not the bot's mistakes"


async def test_a_held_call_waits_unanswered_until_dropped(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    emulator.hold("sendMessage", after=1)
    await bot.send_message(grandma.chat_id, "one")
    held = asyncio.create_task(bot.send_message(grandma.chat_id, "two"))
    await emulator._wait_until(lambda: True if emulator.held == 1 else None, 5, lambda: "the call was not held")
    assert not held.done()
    emulator.drop_held()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await held
    await bot.send_message(grandma.chat_id, "three")
    assert [m.text for m in grandma.messages] == ["one", "three"]


async def test_a_delayed_call_is_slow(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    emulator.delay_next("sendMessage", 0.3)
    started = time.monotonic()
    await bot.send_message(grandma.chat_id, "slow")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    await bot.send_message(grandma.chat_id, "fast")
    assert time.monotonic() - started < 0.3


# --- Edits, callbacks, commands, media -----------------------------------------------------------------


async def test_edits_and_deletion(bot: Bot, grandma: SimUser) -> None:
    sent = await bot.send_message(grandma.chat_id, "Choose", reply_markup=keyboard([("A", "a")]))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Choose", grandma.chat_id, sent.message_id, reply_markup=keyboard([("A", "a")]))
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", grandma.chat_id, 999)

    await bot.edit_message_text("<b>Chosen</b>", grandma.chat_id, sent.message_id, parse_mode="HTML")
    edited = await grandma.wait_for_edit(sent.message_id)
    assert (edited.text, edited.entities[0]["type"], len(edited.edits)) == ("Chosen", "bold", 1)
    assert edited.buttons == [], "an edit without reply_markup removes the inline keyboard"
    with pytest.raises(AssertionError, match="shows no button"):
        grandma.press(edited, "a")

    markup = keyboard([("B", "b")])
    result = await bot.edit_message_reply_markup(grandma.chat_id, sent.message_id, reply_markup=markup)
    assert result.reply_markup == markup and (await grandma.wait_for_edit(sent.message_id)).button_data() == ["b"]

    assert await bot.delete_message(grandma.chat_id, sent.message_id)
    assert grandma.messages[0].deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(grandma.chat_id, sent.message_id)


async def test_commands_are_stored_per_scope_and_language(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")], language_code="zh")
    scope = BotCommandScopeChat(grandma.chat_id)
    await bot.set_my_commands([BotCommand("menu", "Menu")], scope=scope, language_code="en")
    assert emulator.commands[('{"type":"default"}', "zh")] == [
        {"command": "start", "description": "开始"},
        {"command": "help", "description": "帮助"},
    ]
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="en")] == ["menu"]
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start!", "x")])
    await bot.delete_my_commands(language_code="zh")
    assert list(emulator.commands) == [(f'{{"chat_id":{grandma.chat_id},"type":"chat"}}', "en")]


async def test_media_uploads_copies_and_files(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    mum = emulator.user(user_id=1003, first_name="Mum", language_code="en")
    voice = await bot.send_voice(
        grandma.chat_id, b"OggS" + bytes(996), duration=4, caption="<i>听</i>", parse_mode="HTML"
    )
    assert (voice.voice.file_size, voice.caption) == (1000, "听")
    assert emulator.calls_to("sendVoice")[0].result["voice"]["duration"] == 4
    assert emulator.calls_to("sendVoice")[0].params["voice"].size == 1000
    file_path = (await bot.get_file(voice.voice.file_id)).file_path
    assert file_path == f"{emulator.base_file_url}{TOKEN}/voices/file_1.oga"
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(grandma.chat_id, b"\xff\xd8", caption="x" * 1025)

    grandma.send_voice(duration=7)
    [update] = await bot.get_updates()
    copy = await bot.copy_message(mum.chat_id, grandma.chat_id, update.message.message_id, caption="from grandma")
    received = await mum.wait_for_message()
    assert (received.message_id, received.kind, received.text) == (copy.message_id, "voice", "from grandma")
    assert received.copied_from == (grandma.chat_id, update.message.message_id)
    assert received.media["file_id"] == update.message.voice.file_id
    forwarded = await bot.forward_message(mum.chat_id, grandma.chat_id, update.message.message_id)
    assert forwarded.forward_origin.sender_user.id == grandma.user_id and forwarded.voice.file_size == 8000
    await bot.send_chat_action(mum.chat_id, "record_voice")
    assert (await bot.get_chat(mum.chat_id)).first_name == "Mum"


# --- Updates: long polling, duplicates, webhook, a real Application ------------------------------------


async def test_long_polling_delivers_and_confirms_by_offset(bot: Bot, grandma: SimUser) -> None:
    first = grandma.send_text("/start ABCD")
    [update] = await bot.get_updates(timeout=1)
    assert (update.update_id, update.message.text, update.message.from_user.language_code) == (
        first,
        "/start ABCD",
        "zh-hans",
    )
    assert update.message.parse_entities() == {update.message.entities[0]: "/start"}
    assert [u.update_id for u in await bot.get_updates()] == [first], "unconfirmed updates come again"

    question = await bot.send_message(grandma.chat_id, "Agree?", reply_markup=keyboard([("Yes", "consent:yes")]))
    polling = asyncio.create_task(bot.get_updates(offset=first + 1, timeout=3))
    await asyncio.sleep(0.2)
    assert not polling.done(), "the long poll waits for an update"
    started = time.monotonic()
    pressed = grandma.press(await grandma.wait_for_message(), "consent:yes")
    [click] = await polling
    assert time.monotonic() - started < 1, "the long poll returns as soon as an update arrives"
    assert (click.update_id, click.callback_query.data) == (pressed, "consent:yes")
    assert click.callback_query.message.message_id == question.message_id
    assert await bot.get_updates(offset=pressed + 1) == ()

    assert await bot.answer_callback_query(click.callback_query.id, text="好的")
    assert [(a["text"], a["data"]) for a in await grandma.wait_for_callback_answers(1)] == [("好的", "consent:yes")]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(click.callback_query.id)
    with pytest.raises(AssertionError, match="shows no button with callback_data 'consent:no'"):
        grandma.press(question.message_id, "consent:no")
    forged = grandma.press_forged(question.message_id, "admin:delete_all")
    [forgery] = await bot.get_updates(offset=pressed + 1)
    assert (forgery.update_id, forgery.callback_query.data) == (forged, "admin:delete_all")


async def test_a_repeated_update_comes_again_with_the_same_id(
    bot: Bot, emulator: BotApiEmulator, grandma: SimUser
) -> None:
    update_id = grandma.send_text("我很担心")
    assert [u.update_id for u in await bot.get_updates()] == [update_id]
    assert await bot.get_updates(offset=update_id + 1) == ()
    emulator.repeat_update(update_id)
    later = grandma.send_text("later")
    [again] = await bot.get_updates(offset=update_id + 1)
    assert again.update_id == update_id and again.message.text == "我很担心"
    [after] = await bot.get_updates(offset=update_id + 1)
    assert after.update_id == later, "the repeat went out once, and the newer update was not lost"
    assert await bot.get_updates(offset=later + 1) == ()


async def test_waiting_for_a_message_that_never_comes_explains_itself(bot: Bot, grandma: SimUser) -> None:
    await bot.send_message(grandma.chat_id, "first")
    await bot.send_message(grandma.chat_id, "second")
    assert (await grandma.wait_for_message(lambda m: m.text == "second")).text == "second"
    assert (await grandma.wait_for_message()).text == "first"
    dump = r"waited 0.2s for a message(.|\n)*#1 \[text\] 'first'(.|\n)*#2 \[text\] 'second'"
    with pytest.raises(AssertionError, match=dump):
        await grandma.wait_for_message(timeout=0.2)


async def test_a_second_poller_ends_the_first(bot: Bot, emulator: BotApiEmulator) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=2))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=emulator.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_a_ptb_application_answers_a_user(emulator: BotApiEmulator, grandma: SimUser) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo {' '.join(context.args)}", reply_markup=keyboard([("再来", "again")]))

    async def again(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("收到")

    app = ApplicationBuilder().token(TOKEN).base_url(emulator.base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(again))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        grandma.send_text("/start ABCD")
        reply = await grandma.wait_for_message()
        grandma.press_button(reply, "再来")
        answers = await grandma.wait_for_callback_answers(1)
        await app.updater.stop()
        await app.stop()
    assert reply.text == "echo ABCD"
    assert answers[0]["text"] == "收到"
    assert emulator.rejections == []


async def test_webhook_delivery_with_secret_and_retries(bot: Bot, emulator: BotApiEmulator, grandma: SimUser) -> None:
    received: list[tuple[str | None, dict]] = []
    statuses = iter([500])

    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=next(statuses, 200))

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        queued_before = grandma.send_text("/start")
        await bot.set_webhook(url, secret_token="s3cret-token")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        later = grandma.send_text("later")
        # Wait for the emulator to have recorded the third answer, not just for our handler to have seen the
        # request: the answer is recorded only after the handler returns.
        for _ in range(400):
            if len(emulator.webhook_deliveries) == 3:
                break
            await asyncio.sleep(0.05)
        assert [(secret, body["update_id"]) for secret, body in received] == [
            ("s3cret-token", queued_before),
            ("s3cret-token", queued_before),
            ("s3cret-token", later),
        ]
        assert emulator.webhook_deliveries == [(queued_before, 500), (queued_before, 200), (later, 200)]
        info = await bot.get_webhook_info()
        assert (info.url, info.pending_update_count, info.last_error_message) == (
            url,
            0,
            "Wrong response from the webhook: 500 Internal Server Error",
        )
        await bot.delete_webhook()
        polled = grandma.send_text("polling again")
        assert [u.update_id for u in await bot.get_updates(timeout=1)] == [polled]
        assert len(received) == 3
    finally:
        await runner.cleanup()
