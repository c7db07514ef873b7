"""The Bot API emulator: an aiohttp server speaking Telegram's wire format, and the simulated users.

It owns the HTTP routes (`/bot{token}/{method}`), request decoding, every implemented Bot API method, the
update queue (getUpdates long polling, or webhook delivery with retries), fault injection, and the record
of what the bot did (`calls`, each user's `messages`). Telegram's limits live in `validation`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.emulator import validation
from tests.emulator.validation import ApiError, bad_request

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_STATUS_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# Form fields that are plain strings even when they look like JSON (PTB sends strings unquoted).
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "language_code",
        "callback_query_id",
        "action",
        "file_id",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "title",
        "performer",
        "description",
        "short_description",
        "name",
        "emoji",
        "ip_address",
        "voice",
        "photo",
        "audio",
        "document",
        "video",
        "video_note",
        "thumbnail",
    }
)
_MEDIA_KINDS = ("voice", "photo", "video_note", "document", "audio", "video")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


def _now() -> int:
    return int(time.time())


def _copy(value: Any) -> Any:
    """A deep copy through JSON, so later edits never change an update already queued or a recorded result."""
    return json.loads(json.dumps(value))


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request; only its size (and a PNG's dimensions) is kept."""

    name: str
    filename: str | None
    size: int
    dimensions: tuple[int, int] | None = None


@dataclass
class Call:
    """One request the bot made. status is 0 while unanswered; cause says why a request was refused."""

    method: str
    params: dict[str, Any]
    at: float
    status: int = 0
    description: str | None = None
    cause: str | None = None  # "validation", "routing", "injected", "blocked", "disconnected" or "emulator"
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None


@dataclass
class SentMessage:
    """A message the bot sent to a simulated user, kept current through edits and deletion."""

    chat_id: int
    message_id: int
    kind: str  # "text", "voice", "photo", "video_note", "document", "audio" or "video"
    text: str  # the text, or the caption of a media message ("" when there is none)
    entities: list[dict[str, Any]]
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    raw: dict[str, Any]  # the Message object as Telegram would return it now
    at: float
    media: Any = None
    copied_from: tuple[int, int] | None = None  # (from_chat_id, message_id) for copyMessage
    forwarded_from: tuple[int, int] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False

    @property
    def buttons(self) -> list[list[Button]]:
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [
            [
                Button(b, None, None)
                if isinstance(b, str)
                else Button(b.get("text", ""), b.get("callback_data"), b.get("url"))
                for b in row
            ]
            for row in rows
        ]

    def button_texts(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]

    def button_data(self) -> list[str]:
        return [button.data for row in self.buttons for button in row if button.data is not None]

    def describe(self) -> str:
        flags = " (deleted)" if self.deleted else ""
        flags += f" edited {len(self.edits)}x" if self.edits else ""
        buttons = f" buttons={self.button_texts()}" if self.buttons else ""
        text = self.text if len(self.text) <= 300 else self.text[:300] + "…"
        return f"#{self.message_id} [{self.kind}]{flags} {text!r}{buttons}"


@dataclass
class _Queued:
    update: dict[str, Any]
    forced: bool = False  # a redelivery of an update the bot may already have confirmed
    delivered: bool = False
    attempts: int = 0

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def type(self) -> str:
        return next((key for key in self.update if key != "update_id"), "")


@dataclass
class _Query:
    user: SimUser
    message_id: int
    data: str
    answered: bool = False


@dataclass
class _Fault:
    method: str
    chat_id: int | None
    status: int
    retry_after: int
    times: int
    description: str | None


@dataclass
class _Hold:
    method: str
    let_through: int
    released: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class _Webhook:
    url: str
    secret_token: str | None
    task: asyncio.Task[None] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class SimUser:
    """A person in a private chat with the bot (chat_id == user_id): sends updates, sees what the bot sent."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.emulator = emulator
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.messages: list[SentMessage] = []
        self.callback_answers: list[dict[str, Any]] = []
        self._store: dict[int, dict[str, Any]] = {}  # every message in the chat, both directions, by id
        self._sent: dict[int, SentMessage] = {}
        self._ids = itertools.count(1)
        self._consumed: set[int] = set()
        self._edits_seen: dict[int, int] = {}
        self._answers_seen = 0

    @property
    def chat_id(self) -> int:
        return self.user_id

    def __repr__(self) -> str:
        return f"SimUser({self.user_id}, {self.first_name!r})"

    def as_user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        optional = {
            "last_name": self.last_name,
            "username": self.username,
            "language_code": self.language_code,
        }
        user.update({key: value for key, value in optional.items() if value is not None})
        return user

    def as_chat(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        optional = {"last_name": self.last_name, "username": self.username}
        chat.update({key: value for key, value in optional.items() if value is not None})
        return chat

    # --- What the user does ---------------------------------------------------------------------------

    def send_text(self, text: str) -> int:
        """Send a text message; returns its update_id."""
        body: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = re.match(r"/\S*", text)
            assert command is not None
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": validation.utf16_len(command[0])}]
        return self._send(body)

    def send_voice(self, duration: int = 5, size: int = 8_000) -> int:
        file_id, unique_id = self.emulator._new_file("voice", size)
        voice = {"file_id": file_id, "file_unique_id": unique_id, "duration": duration}
        return self._send({"voice": {**voice, "mime_type": "audio/ogg", "file_size": size}})

    def send_photo(self, caption: str | None = None, size: int = 60_000) -> int:
        file_id, unique_id = self.emulator._new_file("photo", size)
        photo = {
            "file_id": file_id,
            "file_unique_id": unique_id,
            "width": 1280,
            "height": 960,
            "file_size": size,
        }
        return self._send({"photo": [photo], **({"caption": caption} if caption else {})})

    def send_video_note(self, duration: int = 5, size: int = 200_000) -> int:
        file_id, unique_id = self.emulator._new_file("video_note", size)
        note = {"file_id": file_id, "file_unique_id": unique_id, "length": 240, "duration": duration}
        return self._send({"video_note": {**note, "file_size": size}})

    def edit_last_text(self, text: str) -> int:
        """Edit the last message this user sent, as Telegram's "Edit" does; returns the edit's update_id."""
        mine = [m for m in self._store.values() if m["from"]["id"] == self.user_id]
        message = max(mine, key=lambda m: m["message_id"])
        message.update(text=text, edit_date=_now())
        return self.emulator._enqueue({"edited_message": _copy(message)})

    def _send(self, body: dict[str, Any]) -> int:
        message_id = next(self._ids)
        message = {
            "message_id": message_id,
            "from": self.as_user(),
            "chat": self.as_chat(),
            "date": _now(),
            **body,
        }
        self._store[message_id] = message
        return self.emulator._enqueue({"message": _copy(message)})

    def press(self, message: SentMessage | int, data: str) -> int:
        """Press the inline button carrying `data` on a message the bot sent; fails unless it is shown."""
        sent = self._find_sent(message)
        if data not in sent.button_data():
            raise AssertionError(
                f"{self}: message #{sent.message_id} shows no button with callback_data {data!r}; "
                f"its buttons carry {sent.button_data()}"
            )
        return self.emulator._callback_query(self, sent.message_id, data)

    def press_button(self, message: SentMessage | int, text: str) -> int:
        """Press the button whose visible text contains `text` (an exact match wins).

        A reply-keyboard button is pressed the way Telegram does it: by sending its text.
        """
        sent = self._find_sent(message)
        buttons = [button for row in sent.buttons for button in row]
        matches = [b for b in buttons if b.text == text] or [b for b in buttons if text in b.text]
        if not matches:
            raise AssertionError(
                f"{self}: message #{sent.message_id} has no button with text containing {text!r}; "
                f"it shows {sent.button_texts()}"
            )
        button = matches[0]
        if sent.reply_markup and "keyboard" in sent.reply_markup:
            return self.send_text(button.text)
        if button.data is None:
            raise AssertionError(f"{self}: button {button.text!r} opens {button.url!r}; it sends no callback")
        return self.emulator._callback_query(self, sent.message_id, button.data)

    def press_forged(self, message_id: int, data: str) -> int:
        """A callback query with any data, as a modified client could send it; nothing is checked."""
        return self.emulator._callback_query(self, message_id, data)

    def _find_sent(self, message: SentMessage | int) -> SentMessage:
        message_id = message if isinstance(message, int) else message.message_id
        if not isinstance(message, int) and message.chat_id != self.chat_id:
            raise AssertionError(f"{self}: message #{message_id} was sent to chat {message.chat_id}, not to me")
        sent = self._sent.get(message_id)
        if sent is None or sent.deleted:
            raise AssertionError(f"{self}: the bot has no message #{message_id} in this chat (deleted or never sent)")
        return sent

    # --- What the user sees ---------------------------------------------------------------------------

    async def wait_for_message(
        self,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the tests' own deadline, reported in the failure
    ) -> SentMessage:
        """The oldest message not yet returned by a wait (the oldest matching one, with a predicate)."""

        def find() -> SentMessage | None:
            for index, message in enumerate(self.messages):
                if index not in self._consumed and (predicate is None or predicate(message)):
                    self._consumed.add(index)
                    return message
            return None

        wanted = "a message" if predicate is None else "a message matching the predicate"
        return await self.emulator._wait_until(find, timeout, lambda: self._dump(f"waited {timeout}s for {wanted}"))

    async def wait_for_edit(self, message_id: int, timeout: float = 5.0) -> SentMessage:  # noqa: ASYNC109
        """The message, once it has been edited again since the last wait_for_edit for it."""

        def find() -> SentMessage | None:
            sent = self._sent.get(message_id)
            seen = self._edits_seen.get(message_id, 0)
            if sent is not None and len(sent.edits) > seen:
                self._edits_seen[message_id] = len(sent.edits)
                return sent
            return None

        return await self.emulator._wait_until(
            find, timeout, lambda: self._dump(f"waited {timeout}s for an edit of #{message_id}")
        )

    async def wait_for_callback_answers(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """The next `count` answerCallbackQuery results for this user's presses."""

        def find() -> list[dict[str, Any]] | None:
            if len(self.callback_answers) - self._answers_seen < count:
                return None
            answers = self.callback_answers[self._answers_seen : self._answers_seen + count]
            self._answers_seen += count
            return answers

        return await self.emulator._wait_until(
            find, timeout, lambda: self._dump(f"waited {timeout}s for {count} callback answer(s)")
        )

    def skip_callback_answers(self) -> None:
        """Let the next `wait_for_callback_answers` see only answers to presses made from now on."""
        self._answers_seen = len(self.callback_answers)

    def _dump(self, headline: str) -> str:
        lines = [f"{self}: {headline}.", f"messages the bot sent to {self.chat_id}:"]
        for index, message in enumerate(self.messages):
            lines.append(f"  {'  ' if index in self._consumed else '* '}{message.describe()}")
        if not self.messages:
            lines.append("  (none)")
        lines.append(f"callback answers: {self.callback_answers}")
        failed = [c for c in self.emulator.calls if c.status not in (0, 200)]
        if failed:
            lines.append("refused requests:")
            lines.extend(f"  {c.method} -> {c.status} {c.description} ({c.cause})" for c in failed[-10:])
        lines.append("(* = not yet returned by a wait)")
        return "\n".join(lines)


Handler = Callable[[dict[str, Any]], Coroutine[Any, Any, Any]]


class SimGroup(SimUser):
    """A group chat the bot is a member of (a negative chat id): members write in it, and it records what the bot
    posts there. It reuses a private chat's bookkeeping; only the chat and the sender of each message differ."""

    def __init__(self, emulator: BotApiEmulator, chat_id: int, title: str) -> None:
        super().__init__(emulator, chat_id, title)
        self.title = title
        self._member: SimUser | None = None

    def __repr__(self) -> str:
        return f"SimGroup({self.chat_id}, {self.title!r})"

    def as_chat(self) -> dict[str, Any]:
        return {"id": self.chat_id, "type": "group", "title": self.title}

    def as_user(self) -> dict[str, Any]:
        if self._member is None:
            raise AssertionError(f"{self}: a group message needs a member who sends it (send_text_as)")
        return self._member.as_user()

    def send_text_as(self, member: SimUser, text: str) -> int:
        """`member` writes `text` in the group; returns the update_id."""
        self._member = member
        try:
            return self.send_text(text)
        finally:
            self._member = None


class BotApiEmulator:
    """A local Telegram Bot API for one bot token, served on 127.0.0.1 from the running event loop."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "shouhu_test_bot",
        *,
        bot_first_name: str = "Shouhu Test",
        webhook_retry_delay: float = 0.2,
        webhook_max_attempts: int = 50,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_user: dict[str, Any] = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_max_attempts = webhook_max_attempts
        self.port = 0
        self.calls: list[Call] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook_deliveries: list[tuple[int, int]] = []
        self._users: dict[int, SimUser] = {}
        self._queue: list[_Queued] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._update_ids = itertools.count(700_000_001)
        self._query_ids = itertools.count(4_000_000_000_000_001)
        self._file_numbers = itertools.count(1)
        self._files: dict[str, dict[str, Any]] = {}
        self._queries: dict[str, _Query] = {}
        self._faults: list[_Fault] = []
        self._delays: list[list[Any]] = []  # [method, seconds, times left]
        self._hold: _Hold | None = None
        self.round_trip = 0.0  # seconds every call but getUpdates takes, like a far-away Telegram
        self._blocked: set[int] = set()
        self._allowed_updates: list[str] | None = None
        self._webhook: _Webhook | None = None
        self._poll_generation = 0
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": self._get_my_commands,
            "setchatmenubutton": self._set_chat_menu_button,
            "getchatmenubutton": self._get_chat_menu_button,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "copymessage": self._copy_message,
            "forwardmessage": self._forward_message,
            "getchat": self._get_chat,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            **{f"send{kind.replace('_', '')}": self._media_sender(kind) for kind in _MEDIA_KINDS},
        }

    # --- Lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._handle)
        # handler_cancellation: a long poll whose client went away must not linger and answer nobody.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=2.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._closing = False

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        await self._stop_webhook_delivery()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- Test-facing API ----------------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test User",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> SimUser:
        """The simulated user with this id, created (with a private chat) on first use."""
        if user_id not in self._users:
            self._users[user_id] = SimUser(
                self, user_id, first_name, last_name=last_name, username=username, language_code=language_code
            )
        return self._users[user_id]

    def group(self, chat_id: int, title: str = "Test group") -> SimGroup:
        """The simulated group with this (negative) chat id, created on first use."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if chat_id not in self._users:
            self._users[chat_id] = SimGroup(self, chat_id, title)
        return self._users[chat_id]

    @property
    def users(self) -> list[SimUser]:
        return list(self._users.values())

    @property
    def rejections(self) -> list[Call]:
        """Requests Telegram would have refused: bad parameters, unknown chats, methods or token."""
        return [c for c in self.calls if 400 <= c.status < 500 and c.cause in ("validation", "routing")]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return [_copy(entry.update) for entry in self._queue]

    @property
    def webhook_url(self) -> str | None:
        return self._webhook.url if self._webhook else None

    def inject_update(self, update: dict[str, Any]) -> int:
        """Queue a raw Update dict (an update_id is assigned when missing); returns its update_id."""
        update = _copy(update)
        if "update_id" in update:
            self._history[int(update["update_id"])] = update
            self._queue.append(_Queued(update))
            self._notify()
            return int(update["update_id"])
        return self._enqueue(update)

    def repeat_update(self, update_id: int) -> int:
        """Deliver an update again with the same update_id, even if the bot already confirmed it."""
        self._queue.append(_Queued(_copy(self._history[update_id]), forced=True))
        self._notify()
        return update_id

    def fail_next(
        self,
        method: str = "sendMessage",
        chat_id: int | None = None,
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with this error instead."""
        self._faults.append(_Fault(method.lower(), chat_id, status, retry_after, times, description))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._delays.append([method.lower(), seconds, times])

    def hold(self, method: str, after: int = 0) -> None:
        """Answer `after` more calls of `method`, then keep every further one waiting, unanswered, until
        `drop_held`: a Telegram that stalls, so that a test can kill the bot while its sends are in flight."""
        self._hold = _Hold(method.lower(), after)

    def drop_held(self) -> None:
        """End the hold: calls kept waiting fail with 502 (their client is gone), new calls are answered."""
        if self._hold is not None:
            self._hold.released.set()
            self._hold = None

    @property
    def held(self) -> int:
        """How many calls are being kept waiting now."""
        return sum(1 for c in self.calls if c.cause == "held")

    def block(self, user: SimUser | int) -> None:
        self._blocked.add(user if isinstance(user, int) else user.user_id)

    def unblock(self, user: SimUser | int) -> None:
        self._blocked.discard(user if isinstance(user, int) else user.user_id)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # --- Internals shared with SimUser ------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake everything waiting for a change (long polls, webhook delivery, tests' waits)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for_change(self, seconds: float | None) -> None:
        event = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)

    async def _wait_until(self, find: Callable[[], Any], seconds: float, explain: Callable[[], str]) -> Any:
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(explain())
            await self._wait_for_change(remaining)

    def _enqueue(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **update}
        self._history[update_id] = update
        self._queue.append(_Queued(update))
        self._notify()
        return update_id

    def _new_file(self, kind: str, size: int) -> tuple[str, str]:
        number = next(self._file_numbers)
        file_id, unique_id = f"EMU-{kind}-{number:06d}", f"EMUU{number:06d}"
        self._files[file_id] = {
            "kind": kind,
            "file_unique_id": unique_id,
            "file_size": size,
            "number": number,
        }
        return file_id, unique_id

    def _callback_query(self, user: SimUser, message_id: int, data: str) -> int:
        query_id = str(next(self._query_ids))
        message = user._store.get(message_id) or {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": user.as_chat(),
            "date": _now(),
            "text": "",
        }
        self._queries[query_id] = _Query(user, message_id, data)
        query = {
            "id": query_id,
            "from": user.as_user(),
            "message": _copy(message),
            "chat_instance": f"-{user.chat_id}77",
            "data": data,
        }
        return self._enqueue({"callback_query": query})

    # --- HTTP -----------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        token, _, method = request.path.removeprefix("/bot").partition("/")
        call = Call(method=method, params={}, at=at)
        self.calls.append(call)
        try:
            if not request.path.startswith("/bot"):
                raise ApiError(404, "Not Found", cause="routing")  # e.g. /file/bot...: the emulator serves no files
            if token != self.token:
                raise ApiError(401, "Unauthorized", cause="routing")
            call.params = await _read_params(request)
            handler = self._methods.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found", cause="routing")
            await self._maybe_hold(method, call)
            await self._maybe_delay(method)
            self._maybe_fail(method, call.params)
            result = await handler(call.params)
        except ApiError as error:
            call.status, call.description, call.cause = error.status, error.description, error.cause
            body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
            return web.json_response(body, status=error.status)
        except asyncio.CancelledError:
            call.cause = "disconnected"
            raise
        except Exception as exc:
            # An emulator bug must show in the bot's logs and in `calls`, not pass for Telegram's answer.
            call.status, call.cause = 500, "emulator"
            call.description = f"Internal Server Error: emulator failed on {method}: {exc!r}"
            failure = {"ok": False, "error_code": 500, "description": call.description}
            return web.json_response(failure, status=500)
        call.status, call.result = 200, _copy(result)
        return web.json_response({"ok": True, "result": result})

    async def _maybe_hold(self, method: str, call: Call) -> None:
        hold = self._hold
        if hold is None or hold.method != method.lower():
            return
        if hold.let_through > 0:
            hold.let_through -= 1
            return
        call.cause = "held"
        self._notify()
        await hold.released.wait()
        raise ApiError(502, "Bad Gateway", cause="dropped")

    async def _maybe_delay(self, method: str) -> None:
        if self.round_trip and method.lower() != "getupdates":
            await asyncio.sleep(self.round_trip)
        for delay in self._delays:
            if delay[0] == method.lower() and delay[2] > 0:
                delay[2] -= 1
                await asyncio.sleep(delay[1])
                return

    def _maybe_fail(self, method: str, params: dict[str, Any]) -> None:
        for fault in self._faults:
            if fault.times <= 0 or fault.method != method.lower():
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            fault.times -= 1
            if fault.status == 429:
                raise ApiError(
                    429,
                    fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                    {"retry_after": fault.retry_after},
                    cause="injected",
                )
            description = fault.description or _STATUS_DESCRIPTIONS.get(fault.status, "Internal Server Error")
            raise ApiError(fault.status, description, cause="injected")

    # --- Chats, files and messages --------------------------------------------------------------------------

    def _chat(self, chat_id: Any) -> SimUser:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = [u for u in self._users.values() if u.username and f"@{u.username}" == chat_id]
            if found:
                return found[0]
            raise bad_request("chat not found")
        try:
            user = self._users.get(int(chat_id))
        except (TypeError, ValueError):
            user = None
        if user is None:
            raise bad_request("chat not found")
        return user

    def _check_not_blocked(self, user: SimUser) -> None:
        if user.user_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user", cause="blocked")

    def _media(self, kind: str, value: Any, params: dict[str, Any]) -> Any:
        """The media object of an outgoing message, from an upload, a known file_id or a URL."""
        if isinstance(value, UploadedFile):
            if kind == "photo":
                validation.uploaded_photo(value.size, value.dimensions)
            file_id, unique_id = self._new_file(kind, value.size)
            size, filename = value.size, value.filename
        elif isinstance(value, str) and value in self._files:
            file_id, known = value, self._files[value]
            unique_id, size, filename = known["file_unique_id"], known["file_size"], None
        elif isinstance(value, str) and re.match(r"https?://", value):
            file_id, unique_id = self._new_file(kind, 0)
            size, filename = 0, value.rsplit("/", 1)[-1]
        elif value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        else:
            raise bad_request("wrong file identifier/HTTP URL specified")
        base: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
        duration = _int(params.get("duration"), default=1)
        if kind == "photo":
            dimensions = value.dimensions if isinstance(value, UploadedFile) else None
            width, height = dimensions or (_int(params.get("width"), 1280), _int(params.get("height"), 960))
            return [{**base, "width": width, "height": height}]
        if kind == "voice":
            return {**base, "duration": duration, "mime_type": "audio/ogg"}
        if kind == "audio":
            extra = {key: params[key] for key in ("title", "performer") if params.get(key)}
            return {**base, "duration": duration, "mime_type": "audio/mpeg", **extra}
        if kind == "video_note":
            return {**base, "duration": duration, "length": _int(params.get("length"), 240)}
        if kind == "video":
            return {**base, "duration": duration, "width": _int(params.get("width"), 640), "height": 360}
        return {**base, "file_name": filename or "document", "mime_type": "application/octet-stream"}

    def _reply_to(self, user: SimUser, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            reply = {"message_id": params["reply_to_message_id"]} if params.get("reply_to_message_id") else None
        if reply is None:
            return None
        original = user._store.get(_int(reply.get("message_id")))
        if original is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return None if original is None else {k: v for k, v in original.items() if k != "reply_to_message"}

    def _record(
        self,
        user: SimUser,
        body: dict[str, Any],
        params: dict[str, Any],
        markup: dict[str, Any] | None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Put a message from the bot into the user's chat; returns it as the Message Telegram would."""
        reply_to = self._reply_to(user, params)
        message_id = next(user._ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": user.as_chat(),
            "date": _now(),
            **body,
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        # Telegram echoes only inline keyboards in Message objects; the SentMessage keeps whatever was sent.
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        kind = next((k for k in _MEDIA_KINDS if k in body), "text")
        sent = SentMessage(
            chat_id=user.chat_id,
            message_id=message_id,
            kind=kind,
            text=body.get("text") or body.get("caption") or "",
            entities=body.get("entities") or body.get("caption_entities") or [],
            parse_mode=params.get("parse_mode"),
            reply_markup=markup,
            raw=message,
            at=time.monotonic(),
            media=body.get(kind),
            **extra,
        )
        user._store[message_id] = message
        user._sent[message_id] = sent
        user.messages.append(sent)
        self._notify()
        return message

    def _own_message(self, user: SimUser, params: dict[str, Any], missing: str) -> SentMessage:
        if params.get("inline_message_id"):
            raise bad_request("the emulator does not implement inline messages")
        message_id = _int(params.get("message_id"))
        sent = user._sent.get(message_id)
        if sent is None or sent.deleted:
            if message_id in user._store:
                raise bad_request("message can't be edited")
            raise bad_request(missing)
        return sent

    # --- Methods: bot, updates, webhook ---------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook is not None:
            raise _conflict(
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first"
            )
        offset = _int(params.get("offset"), default=0)
        limit = min(max(_int(params.get("limit"), default=100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        self._confirm(offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if generation != self._poll_generation:
                # Give a poll whose client left a moment to be cancelled instead of answered.
                await asyncio.sleep(0.05)
                raise _conflict(_STATUS_DESCRIPTIONS[409])
            batch = self._next_batch(limit)
            if batch or self._closing:
                for entry in batch:
                    entry.delivered = True
                return [_copy(entry.update) for entry in batch]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return []
            await self._wait_for_change(remaining)

    def _confirm(self, offset: int) -> None:
        """Forget updates the offset confirms, redeliveries already handed out, and types not asked for."""
        queue = [e for e in self._queue if not (e.forced and e.delivered)]
        if self._allowed_updates:
            queue = [e for e in queue if e.type in self._allowed_updates]
        if offset > 0:
            queue = [e for e in queue if e.forced or e.update_id >= offset]
        elif offset < 0:
            queue = queue[offset:]
        self._queue = queue

    def _next_batch(self, limit: int) -> list[_Queued]:
        # A redelivered update goes out alone: PTB confirms by the last update_id of a batch, and an old id
        # after newer ones would make it fetch those again.
        batch: list[_Queued] = []
        for entry in self._queue:
            if len(batch) == limit:
                break
            if entry.forced:
                if entry.delivered:
                    continue
                return batch or [entry]
            batch.append(entry)
        return batch

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        # Real Telegram insists on HTTPS; tests deliver to plain HTTP on 127.0.0.1.
        if not re.match(r"https?://[^/\s]+", url):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = validation.secret_token(params.get("secret_token"))
        if params.get("drop_pending_updates"):
            self._queue.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        await self._stop_webhook_delivery()
        self._webhook = _Webhook(url, secret)
        self._webhook.task = asyncio.create_task(self._deliver_webhooks(self._webhook))
        self._notify()  # ends a running long poll
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        await self._stop_webhook_delivery()
        self._webhook = None
        return True

    async def _stop_webhook_delivery(self) -> None:
        task = self._webhook.task if self._webhook else None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url or "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self._webhook is not None:
            info.update(max_connections=40, ip_address="127.0.0.1")
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    async def _deliver_webhooks(self, hook: _Webhook) -> None:
        """POST queued updates to the webhook one at a time, in order, retrying failures like Telegram."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                self._confirm(0)
                if not self._queue:
                    await self._wait_for_change(None)
                    continue
                entry = self._queue[0]
                try:
                    async with session.post(hook.url, data=json.dumps(entry.update), headers=headers) as response:
                        status = response.status
                        error = f"Wrong response from the webhook: {response.status} {response.reason}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, error = 0, f"Connection failed: {exc!r}"
                self.webhook_deliveries.append((entry.update_id, status))
                if 200 <= status < 300:
                    entry.delivered = True
                    self._drop(entry)
                    self._notify()
                    continue
                hook.last_error_date, hook.last_error_message = _now(), error
                entry.attempts += 1
                if entry.attempts >= self.webhook_max_attempts:
                    self._drop(entry)
                await asyncio.sleep(self.webhook_retry_delay)

    def _drop(self, entry: _Queued) -> None:
        self._queue = [e for e in self._queue if e is not entry]

    # --- Methods: commands and menu ------------------------------------------------------------------------

    def _commands_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        if "chat_id" in scope:
            self._chat(scope["chat_id"])
        language = str(params.get("language_code") or "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True, ensure_ascii=False, separators=(",", ":")), language

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = validation.bot_commands(params.get("commands"))
        key = self._commands_key(params)
        if commands:
            self.commands[key] = commands
        else:
            self.commands.pop(key, None)
        return True

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(params), [])

    async def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params["chat_id"]).chat_id if params.get("chat_id") is not None else None
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    async def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params["chat_id"]).chat_id if params.get("chat_id") is not None else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    # --- Methods: messages ---------------------------------------------------------------------------------

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params.get("chat_id"))
        text, entities = _text_of(params)
        markup = validation.reply_markup(params.get("reply_markup"))
        self._check_not_blocked(user)
        body: dict[str, Any] = {"text": text}
        if entities:
            body["entities"] = entities
        return self._record(user, body, params, markup)

    def _media_sender(self, kind: str) -> Handler:
        async def send(params: dict[str, Any]) -> dict[str, Any]:
            user = self._chat(params.get("chat_id"))
            caption, entities = validation.formatted_text(
                params.get("caption"), params.get("parse_mode"), params.get("caption_entities"), caption=True
            )
            markup = validation.reply_markup(params.get("reply_markup"))
            media = self._media(kind, params.get(kind), params)
            self._check_not_blocked(user)
            body: dict[str, Any] = {kind: media}
            if caption:
                body["caption"] = caption
            if entities:
                body["caption_entities"] = entities
            return self._record(user, body, params, markup)

        return send

    def _content_of(self, params: dict[str, Any], action: str) -> tuple[SimUser, dict[str, Any], tuple[int, int]]:
        target = self._chat(params.get("chat_id"))
        source_chat = self._chat(params.get("from_chat_id"))
        message_id = _int(params.get("message_id"))
        source = source_chat._store.get(message_id)
        if source is None:
            raise bad_request(f"message to {action} not found")
        keys = ("text", "entities", "caption", "caption_entities", *_MEDIA_KINDS)
        return target, {k: _copy(source[k]) for k in keys if k in source}, (source_chat.chat_id, message_id)

    async def _copy_message(self, params: dict[str, Any]) -> dict[str, int]:
        target, body, origin = self._content_of(params, "copy")
        if params.get("caption") is not None and "text" not in body:
            caption, entities = validation.formatted_text(
                params["caption"], params.get("parse_mode"), params.get("caption_entities"), caption=True
            )
            body.pop("caption_entities", None)
            body.update({"caption": caption} if caption else {})
            body.update({"caption_entities": entities} if entities else {})
        markup = validation.reply_markup(params.get("reply_markup"))
        self._check_not_blocked(target)
        message = self._record(target, body, params, markup, copied_from=origin)
        return {"message_id": message["message_id"]}

    async def _forward_message(self, params: dict[str, Any]) -> dict[str, Any]:
        target, body, origin = self._content_of(params, "forward")
        self._check_not_blocked(target)
        source = self._users[origin[0]]._store[origin[1]]
        body["forward_origin"] = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        return self._record(target, body, params, None, forwarded_from=origin)

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params.get("chat_id"))
        sent = self._own_message(user, params, "message to edit not found")
        if sent.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text, entities = _text_of(params)
        markup = validation.reply_markup(params.get("reply_markup"), inline_only=True)
        self._check_not_blocked(user)
        if (text, entities, markup) == (sent.text, sent.entities, _inline(sent.reply_markup)):
            raise _not_modified()
        sent.raw["text"], sent.text, sent.entities = text, text, entities
        sent.raw.pop("entities", None)
        if entities:
            sent.raw["entities"] = entities
        sent.parse_mode = params.get("parse_mode")
        return self._apply_edit(sent, markup, "editMessageText")

    async def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params.get("chat_id"))
        sent = self._own_message(user, params, "message to edit not found")
        markup = validation.reply_markup(params.get("reply_markup"), inline_only=True)
        self._check_not_blocked(user)
        if markup == _inline(sent.reply_markup):
            raise _not_modified()
        return self._apply_edit(sent, markup, "editMessageReplyMarkup")

    def _apply_edit(self, sent: SentMessage, markup: dict[str, Any] | None, method: str) -> dict[str, Any]:
        # An edit without reply_markup removes the inline keyboard, as on Telegram.
        if markup is None and not _inline(sent.reply_markup):
            markup = sent.reply_markup
        sent.reply_markup = markup
        sent.raw.pop("reply_markup", None)
        if _inline(markup):
            sent.raw["reply_markup"] = markup
        sent.raw["edit_date"] = _now()
        sent.edits.append({"method": method, "text": sent.text, "reply_markup": markup, "at": time.monotonic()})
        self._notify()
        return sent.raw

    async def _delete_message(self, params: dict[str, Any]) -> bool:
        user = self._chat(params.get("chat_id"))
        message_id = _int(params.get("message_id"))
        if user._store.pop(message_id, None) is None:
            raise bad_request("message to delete not found")
        if message_id in user._sent:
            user._sent[message_id].deleted = True
        self._notify()
        return True

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query = self._queries.get(str(params.get("callback_query_id")))
        if query is None or query.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = validation.callback_answer_text(params.get("text"))
        query.answered = True
        query.user.callback_answers.append(
            {
                "query_id": str(params.get("callback_query_id")),
                "message_id": query.message_id,
                "data": query.data,
                "text": text or "",
                "show_alert": bool(params.get("show_alert")),
                "url": params.get("url"),
            }
        )
        self._notify()
        return True

    # --- Methods: chats and files ------------------------------------------------------------------------

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._chat(params.get("chat_id"))
        gifts = (
            "unlimited_gifts",
            "limited_gifts",
            "unique_gifts",
            "premium_subscription",
            "gifts_from_channels",
        )
        return {
            **user.as_chat(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(gifts, False),
        }

    async def _send_chat_action(self, params: dict[str, Any]) -> bool:
        user = self._chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._check_not_blocked(user)
        return True

    async def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params.get("file_id") or "")
        known = self._files.get(file_id)
        if known is None:
            raise bad_request("invalid file_id")
        extension = {"voice": "oga", "photo": "jpg", "video_note": "mp4", "video": "mp4", "audio": "mp3"}
        path = f"{known['kind']}s/file_{known['number']}.{extension.get(known['kind'], 'bin')}"
        return {
            "file_id": file_id,
            "file_unique_id": known["file_unique_id"],
            "file_size": known["file_size"],
            "file_path": path,
        }


def _text_of(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    return validation.formatted_text(params.get("text"), params.get("parse_mode"), params.get("entities"))


def _conflict(description: str) -> ApiError:
    return ApiError(409, description)


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly the same as a "
        "current content and reply markup of the message"
    )


def _inline(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    return markup if markup is not None and "inline_keyboard" in markup else None


def _int(value: Any, default: int | None = None) -> int:
    if value is None or value == "":
        if default is None:
            raise bad_request("message identifier is not specified")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid integer value {value!r}") from None


def _decode(name: str, value: Any) -> Any:
    """A form field as the Bot API reads it: JSON objects, arrays, numbers and booleans; else the string."""
    if not isinstance(value, str) or name in _STRING_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(decoded, str) else decoded


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string plus a JSON, url-encoded or multipart body; uploads become UploadedFile values."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            raise bad_request("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON request body")
        return {**raw, **body}
    files: dict[str, UploadedFile] = {}
    if request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                data = value.file.read()
                files[name] = UploadedFile(name, value.filename, len(data), validation.image_dimensions(data))
            else:
                raw[name] = value
    params = {name: _decode(name, value) for name, value in raw.items()}
    for name, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            params[name] = files.pop(value.removeprefix("attach://"), value)
    return {**files, **params}
