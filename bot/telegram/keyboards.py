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


def parse_callback(data: str | None) -> list[str]:
    return (data or "").split(":")
