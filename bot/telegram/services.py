"""What handlers need, composed once at start-up and kept in `application.bot_data`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.content import ContentPack
from bot.db import Database
from bot.onboarding.flow import Onboarding


@dataclass
class Services:
    settings: Settings
    db: Database
    content: ContentPack
    onboarding: Onboarding
    bot_username: str = ""
    # Asks the sender to look at the outbox now rather than at its next tick.
    wake_sender: Callable[[], None] = field(default=lambda: None)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]
