"""Delivers outbox messages through the Telegram Bot API, and classifies every Telegram error for the sender."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram import error as tg
from telegram.constants import ParseMode

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
from bot.telegram.keyboards import Button, inline
from bot.telegram.retries import retry_after_seconds

# Telegram answers some permanent "cannot reach this person" cases with 400 rather than 403.
UNREACHABLE_MARKERS = ("chat not found", "user is deactivated", "bot was blocked")
# Messages about a case or between a child's family are sent with Telegram's protect_content: they cannot be
# forwarded or saved out of the chat, so a child's story does not travel further than the people it was for.
PROTECTED_KINDS = frozenset(
    {
        "case_alert",
        "case_reminder",
        "case_escalation",
        "follow_up_due",
        "cases_returned",
        "counsellor_message",
        "caregiver_reply",
        "case_handed_over",
        "closure_approval",
        "closure_rejected",
        "parent_call_request",
        "group_case_notice",
        "relay_label",
        "relay_copy",
        "parent_summary",
    }
)


@dataclass(frozen=True)
class Rendered:
    text: str  # HTML parse mode; with a photo, its caption (Telegram allows 1024 characters, not 4096)
    buttons: list[list[Button]] | None = None  # rows of inline (label, callback data) buttons
    photo: bytes | None = None  # an image (PNG or JPEG) sent as one photo message with `text` as its caption
    voice: Path | None = None  # an OGG/Opus recording sent as one voice message with `text` as its caption
    # (chat id, message id) of a message a person sent, copied as it is (text, voice, photo…); `text` is unused
    copy_from: tuple[int, int] | None = None
    # A message this one replaces in place (an alert kept current); sent anew if it can no longer be edited.
    edit_message_id: int | None = None
    silent: bool = False  # delivered without a sound (disable_notification), e.g. a family message at night


Render = Callable[[str, dict[str, Any], str], Rendered]  # (kind, params, language)


class TelegramTransport(Transport):
    def __init__(self, bot: Bot, render: Render) -> None:
        self.bot = bot
        self.render = render

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        try:
            rendered = self.render(message.kind, message.params, message.language)
        except KeyError as exc:
            return Rejected(f"cannot render {message.kind}: missing {exc}")
        keyboard = inline(rendered.buttons) if rendered.buttons else None
        if rendered.edit_message_id is not None:
            edited = await self._edit(message.chat_id, rendered, keyboard)
            if edited is not None:
                return edited
        protect = message.kind in PROTECTED_KINDS
        quiet = rendered.silent or None  # None leaves Telegram's default (a sound) unchanged
        try:
            if rendered.copy_from is not None:
                sent = await self.bot.copy_message(
                    message.chat_id,
                    *rendered.copy_from,
                    reply_markup=keyboard,
                    protect_content=protect,
                    disable_notification=quiet,
                )
            elif rendered.voice is not None:
                sent = await self.bot.send_voice(
                    message.chat_id,
                    rendered.voice.read_bytes(),
                    caption=rendered.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    protect_content=protect,
                    disable_notification=quiet,
                )
            elif rendered.photo is None:
                sent = await self.bot.send_message(
                    message.chat_id,
                    rendered.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    protect_content=protect,
                    disable_notification=quiet,
                )
            else:
                # One message, not a photo and a text: the outbox row maps to exactly one Telegram message.
                sent = await self.bot.send_photo(
                    message.chat_id,
                    rendered.photo,
                    caption=rendered.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=keyboard,
                    protect_content=protect,
                    disable_notification=quiet,
                )
        except tg.TelegramError as exc:
            return classify(exc)
        return Sent(sent.message_id)

    async def _edit(self, chat_id: int, rendered: Rendered, keyboard) -> Delivery | None:
        """Edit the message in place; None when it is gone or too old to edit, so a new one goes instead."""
        try:
            await self.bot.edit_message_text(
                rendered.text,
                chat_id=chat_id,
                message_id=rendered.edit_message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard,
            )
        except tg.TelegramError as exc:
            delivery = classify(exc)
            return None if isinstance(delivery, Rejected) else delivery
        return Sent(rendered.edit_message_id)


def classify(exc: tg.TelegramError) -> Delivery:
    """What a Telegram error means for the message; anything unforeseen is retried with backoff."""
    if isinstance(exc, tg.RetryAfter):
        return RetryAfter(retry_after_seconds(exc))
    if isinstance(exc, tg.ChatMigrated):
        return Migrated(exc.new_chat_id)
    if isinstance(exc, tg.TimedOut):
        return Unsure(f"{type(exc).__name__}: {exc.message}")
    if isinstance(exc, tg.Forbidden):
        return Unreachable(exc.message)
    if isinstance(exc, tg.BadRequest):
        if any(marker in exc.message.lower() for marker in UNREACHABLE_MARKERS):
            return Unreachable(exc.message)
        return Rejected(exc.message)
    return Transient(f"{type(exc).__name__}: {exc.message}")
