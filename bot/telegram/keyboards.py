"""Keyboards, and the compact callback data buttons carry (Telegram allows 64 bytes: codes, never text)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

Button = tuple[str, str]  # (label, callback data)


def inline(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def in_rows(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def big_buttons(rows: Iterable[Sequence[str]]) -> ReplyKeyboardMarkup:
    """The always-visible main menu: large buttons under the text field, easy to hit on a small phone."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label) for label in row] for row in rows], resize_keyboard=True, is_persistent=True
    )


def callback(*parts: object) -> str:
    data = ":".join(str(part) for part in parts)
    if len(data.encode()) > 64:
        raise ValueError("callback data longer than Telegram allows")
    return data


# Row ids are 32-bit integers on PostgreSQL; a larger number cannot name a row, and asking would be an error.
LARGEST_ID = 2**31 - 1


def parse_callback(data: str | None) -> list[str]:
    """Callback data split at ":". The data is user-controlled: a part that looks like a number but is none we
    write (digits other than 0-9 such as "²", or beyond the id range) becomes "?", so every handler's checks
    see a stale button rather than fail."""
    return [_checked_number(part) if part.isdigit() else part for part in (data or "").split(":")]


def _checked_number(part: str) -> str:
    return part if part.isascii() and len(part) <= 10 and int(part) <= LARGEST_ID else "?"
