"""What handlers need, composed once at start-up and kept in `application.bot_data`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.cases.desk import Desk
from bot.cases.replies import Replies
from bot.checkins.flow import Checkins
from bot.checkins.questionnaire import CheckinContent
from bot.clock import Clock
from bot.config import Settings
from bot.contact.service import Contact
from bot.content import ContentPack
from bot.content.bundle import Content
from bot.db import Database
from bot.guidance.service import Guidance
from bot.onboarding.flow import Onboarding
from bot.safety.unprompted import Unprompted
from bot.safety.worries import Worries


@dataclass
class Services:
    settings: Settings
    db: Database
    content: ContentPack
    onboarding: Onboarding
    checkins: Checkins
    worries: Worries
    unprompted: Unprompted
    desk: Desk
    replies: Replies
    checkin_content: CheckinContent
    guidance: Guidance
    contact: Contact
    # Every "now" of the bot comes from here (the database's clock), so tests can move time instead of waiting.
    clock: Clock
    bot_username: str = ""
    # Asks the sender to look at the outbox now rather than at its next tick.
    wake_sender: Callable[[], None] = field(default=lambda: None)


def compose(settings: Settings, db: Database, content: Content) -> Services:
    clock = db.clock
    guidance = Guidance(content.guidance, clock=clock)
    return Services(
        settings=settings,
        db=db,
        content=content.pack,
        onboarding=Onboarding(content.pack, clock=clock),
        checkins=Checkins(content.pack, content.checkins, content.scanner, clock=clock, guidance=guidance),
        worries=Worries(content.pack, content.checkins, content.scanner, clock=clock),
        unprompted=Unprompted(content.checkins, clock=clock),
        desk=Desk(clock=clock),
        replies=Replies(clock=clock),
        checkin_content=content.checkins,
        guidance=guidance,
        contact=Contact(clock=clock),
        clock=clock,
        bot_username=settings.telegram_bot_username or "",
    )


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]
