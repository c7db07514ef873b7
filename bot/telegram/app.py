"""Composition root of the Telegram side: builds the Application, its services, the sender and the scheduler."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.checkins.due import run_due
from bot.config import Settings
from bot.content.bundle import Content
from bot.db import Database, utcnow
from bot.i18n import normalise_language
from bot.outbox.sender import Sender
from bot.scheduler import CHECKINS_DUE, add_tick, build_scheduler
from bot.telegram import commands, handlers, render_checkins
from bot.telegram.inbox import Inbox, InboxApplication
from bot.telegram.render import Style, parent_joined
from bot.telegram.services import Clock, Services, compose
from bot.telegram.transport import Render, Rendered, TelegramTransport

log = logging.getLogger(__name__)


def build_application(settings: Settings, db: Database, content: Content, clock: Clock = utcnow) -> InboxApplication:
    base_url = settings.telegram_api_base_url
    application = (
        ApplicationBuilder()
        .application_class(InboxApplication)
        .token(settings.telegram_bot_token)
        .base_url(base_url)
        .base_file_url(base_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(AIORateLimiter(overall_max_rate=settings.send_rate_per_second, max_retries=0))
        .build()
    )
    application.inbox = Inbox(db)
    application.bot_data["services"] = compose(settings, db, content, clock)
    application.bot_data["content"] = content
    handlers.register(application)
    application.add_error_handler(_log_error)
    return application


def _render_for_outbox(username: str, content: Content) -> Render:
    """Outbox rows are rendered at send time, in the recipient's language of that moment."""
    kinds: dict[str, Callable[[dict, Style], Rendered]] = {
        "parent_joined": parent_joined,
        "checkin_invite": render_checkins.checkin_invite,
        "checkin_reminder": render_checkins.checkin_reminder,
        "case_alert": partial(render_checkins.case_alert, content=content.checkins),
    }

    def render(kind: str, params: dict, language: str) -> Rendered:
        return kinds[kind](params, Style(language=normalise_language(language), bot_username=username))

    return render


@asynccontextmanager
async def running(application: InboxApplication, *, polling: bool) -> AsyncIterator[InboxApplication]:
    """Start everything the bot runs (updates, sender, scheduler) and stop it all again, in order."""
    svc: Services = application.bot_data["services"]
    async with application:
        svc.bot_username = svc.bot_username or application.bot.username
        await commands.register_defaults(application.bot)
        content: Content = application.bot_data["content"]
        transport = TelegramTransport(application.bot, _render_for_outbox(svc.bot_username, content))
        sender = Sender(
            svc.db,
            transport,
            worker_id=f"{socket.gethostname()}-{os.getpid()}",
            overall_rate=svc.settings.send_rate_per_second,
            clock=svc.clock,
        )
        scheduler = build_scheduler(sender, interval_seconds=svc.settings.sender_interval_seconds)
        add_tick(scheduler, CHECKINS_DUE, partial(_checkins_due, svc, content), svc.settings.due_interval_seconds)
        svc.wake_sender = sender.wake
        await application.start()
        replayed = await application.replay_unhandled()
        if replayed:
            log.info("replaying %d updates left unhandled by the last run", replayed)
        scheduler.start()
        if polling:
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        try:
            yield application
        finally:
            if polling:
                await application.updater.stop()
            scheduler.shutdown(wait=False)
            await application.stop()


async def _checkins_due(svc: Services, content: Content) -> None:
    report = await run_due(svc.db, content.checkins.weekly, svc.clock())
    if report.opened or report.flagged:
        svc.wake_sender()


async def _log_error(update: object, context) -> None:
    # Log the error and the update id only: update contents may hold what a person wrote about a child.
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)


__all__ = ["Application", "build_application", "running"]
