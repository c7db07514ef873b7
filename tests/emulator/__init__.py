"""A local Telegram Bot API for end-to-end tests: `BotApiEmulator` serves the bot, `SimUser` is a person."""

from __future__ import annotations

from tests.emulator.server import BotApiEmulator, Button, Call, SentMessage, SimGroup, SimUser, UploadedFile
from tests.emulator.validation import ApiError

__all__ = ["ApiError", "BotApiEmulator", "Button", "Call", "SentMessage", "SimGroup", "SimUser", "UploadedFile"]
