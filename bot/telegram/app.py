"""Composition root of the Telegram side: builds the Application, its services, the sender and the scheduler."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from functools import partial

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseRateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.cases.alerts import reroute_alerts_of
from bot.cases.deadlines import run_due_follow_ups, run_due_timers
from bot.cases.groups import move_group_chat
from bot.checkins.due import run_due
from bot.config import Settings
from bot.contact.due import run_contact_due
from bot.content.bundle import Content
from bot.db import Database
from bot.guidance.due import run_guidance_due
from bot.i18n import gettext_for, guess_language, normalise_language
from bot.outbox.sender import Sender
from bot.reports.weekly import enqueue_weekly_digests
from bot.scheduler import (
    CASE_DEADLINES,
    CHECKINS_DUE,
    CONTACT_DUE,
    GUIDANCE_DUE,
    PRUNE,
    WEEKLY_DIGESTS,
    add_tick,
    build_scheduler,
)
from bot.telegram import (
    commands,
    handlers,
    render_cases,
    render_checkins,
    render_contact,
    render_deadlines,
    render_guidance,
    render_reports,
)
from bot.telegram.inbox import Inbox, InboxApplication, InboxBot
from bot.telegram.ordering import PerChatUpdateProcessor
from bot.telegram.render import Style, parent_joined
from bot.telegram.retries import SendRateLimiter
from bot.telegram.services import Services, compose
from bot.telegram.transport import Render, Rendered, TelegramTransport

log = logging.getLogger(__name__)

# Updates handled at the same time (each chat's still one after another); also the size of the reply connection pool.
MAX_CONCURRENT_UPDATES = 64


def build_application(settings: Settings, db: Database, content: Content) -> InboxApplication:
    # One pacing limiter for everything the process sends, so replies and the outbox share Telegram's overall rate.
    pacing = AsyncLimiter(settings.send_rate_per_second, 1)
    inbox = Inbox(db)
    replies = SendRateLimiter(pacing, retry=True)
    bot = _bot(partial(InboxBot, inbox=inbox), settings, replies, pool_size=MAX_CONCURRENT_UPDATES)
    application = (
        ApplicationBuilder()
        .application_class(InboxApplication)
        .bot(bot)
        .concurrent_updates(PerChatUpdateProcessor(MAX_CONCURRENT_UPDATES))
        .build()
    )
    application.inbox = inbox
    application.bot_data["services"] = compose(settings, db, content)
    application.bot_data["content"] = content
    # The outbox retries and pauses chats itself (bot/outbox/sender.py): its bot only paces.
    outbox = SendRateLimiter(pacing, retry=False)
    application.bot_data["outbox_bot"] = _bot(ExtBot, settings, outbox, pool_size=settings.send_concurrency)
    handlers.register(application)
    application.add_error_handler(_log_error)
    return application


def _bot(kind: Callable[..., ExtBot], settings: Settings, limiter: BaseRateLimiter, *, pool_size: int) -> ExtBot:
    base_url = settings.telegram_api_base_url
    return kind(
        settings.telegram_bot_token,
        base_url=base_url,
        base_file_url=base_url.removesuffix("/bot") + "/file/bot",
        request=HTTPXRequest(connection_pool_size=pool_size),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
        rate_limiter=limiter,
    )


def _render_for_outbox(username: str, content: Content) -> Render:
    """Outbox rows are rendered at send time, in the recipient's language of that moment."""
    kinds: dict[str, Callable[[dict, Style], Rendered]] = {
        "parent_joined": parent_joined,
        "checkin_invite": render_checkins.checkin_invite,
        "checkin_reminder": render_checkins.checkin_reminder,
        "nobody_reached": partial(render_checkins.nobody_reached, pack=content.pack),
        "case_reminder": render_deadlines.case_reminder,
        "case_escalation": render_deadlines.case_escalation,
        "follow_up_due": render_deadlines.follow_up_due,
        "cases_returned": render_deadlines.cases_returned,
        "case_alert": render_cases.case_alert,
        "counsellor_message": render_cases.counsellor_message,
        "caregiver_reply": render_cases.caregiver_reply,
        "case_handed_over": render_cases.case_handed_over,
        "closure_approval": render_cases.closure_approval,
        "closure_rejected": render_cases.closure_rejected,
        "parent_call_request": render_cases.parent_call_request,
        "group_case_notice": render_cases.group_case_notice,
        "weekly_digest": render_reports.weekly_digest,
        "guidance_tip": partial(render_guidance.guidance_tip, content=content.guidance),
        "guidance_ask": partial(render_guidance.guidance_ask, content=content.guidance),
        "relay_label": render_contact.relay_label,
        "relay_copy": render_contact.relay_copy,
        "relay_undelivered": render_contact.relay_undelivered,
        "call_reminder_caregiver": render_contact.call_reminder_caregiver,
        "call_reminder_parent": partial(render_contact.call_reminder_parent, starters=content.starters),
        "call_ask": render_contact.call_ask,
        "call_reschedule_asked": render_contact.call_reschedule_asked,
        "contact_nudge": render_contact.contact_nudge,
        "contact_weekly": render_contact.contact_weekly,
        "parent_summary": partial(render_contact.parent_summary, starters=content.starters),
        "birthday_reminder": render_contact.birthday_reminder,
        "call_proposal": render_contact.call_proposal,
        "call_proposal_answer": render_contact.call_proposal_answer,
    }

    def render(kind: str, params: dict, language: str) -> Rendered:
        style = Style(language=normalise_language(language), bot_username=username, checkins=content.checkins)
        return kinds[kind](params, style)

    return render


@asynccontextmanager
async def running(application: InboxApplication, *, polling: bool) -> AsyncIterator[InboxApplication]:
    """Start everything the bot runs (updates, sender, scheduler) and stop it all again, in order."""
    svc: Services = application.bot_data["services"]
    outbox_bot: ExtBot = application.bot_data["outbox_bot"]
    async with application, outbox_bot:
        svc.bot_username = svc.bot_username or application.bot.username
        await commands.register_defaults(application.bot)
        content: Content = application.bot_data["content"]
        render_outbox = _render_for_outbox(svc.bot_username, content)
        # Handlers re-render outbox messages too: a taken case's alerts are edited to say who took it.
        application.bot_data["render_outbox"] = render_outbox
        transport = TelegramTransport(outbox_bot, render_outbox)
        sender = Sender(
            svc.db,
            transport,
            worker_id=f"{socket.gethostname()}-{os.getpid()}",
            overall_rate=svc.settings.send_rate_per_second,
            concurrency=svc.settings.send_concurrency,
            clock=svc.clock,
            on_unreachable=reroute_alerts_of,
            on_chat_moved=move_group_chat,
        )
        scheduler = build_scheduler(sender, interval_seconds=svc.settings.sender_interval_seconds)
        add_tick(scheduler, CHECKINS_DUE, partial(_checkins_due, svc, content), svc.settings.due_interval_seconds)
        add_tick(scheduler, GUIDANCE_DUE, partial(_guidance_due, svc, content), svc.settings.due_interval_seconds)
        add_tick(scheduler, CASE_DEADLINES, partial(_case_deadlines, svc), svc.settings.due_interval_seconds)
        add_tick(scheduler, WEEKLY_DIGESTS, partial(_weekly_digests, svc), svc.settings.due_interval_seconds)
        add_tick(scheduler, CONTACT_DUE, partial(_contact_due, svc, content), svc.settings.due_interval_seconds)
        add_tick(scheduler, PRUNE, partial(_prune, svc, application.inbox, sender), svc.settings.prune_interval_seconds)
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
            # Let the row in flight be sent and recorded, rather than cut off and left SENDING.
            await sender.stop()
            scheduler.shutdown(wait=False)
            await application.stop()


async def _checkins_due(svc: Services, content: Content) -> None:
    report = await run_due(svc.db, content.checkins.weekly, svc.clock())
    if report.opened or report.flagged:
        svc.wake_sender()


async def _case_deadlines(svc: Services) -> None:
    now = svc.clock()
    timers = await run_due_timers(svc.db, now)
    follow_ups = await run_due_follow_ups(svc.db, now)
    if timers.messages or follow_ups.messages:
        svc.wake_sender()


async def _weekly_digests(svc: Services) -> None:
    if await enqueue_weekly_digests(svc.db, svc.clock(), default_timezone=svc.settings.timezone):
        svc.wake_sender()


async def _guidance_due(svc: Services, content: Content) -> None:
    report = await run_guidance_due(svc.db, content.guidance, svc.clock())
    if report.sent or report.asked:
        svc.wake_sender()


async def _contact_due(svc: Services, content: Content) -> None:
    if (await run_contact_due(svc.db, content.starters, svc.clock())).any:
        svc.wake_sender()


async def _prune(svc: Services, inbox: Inbox, sender: Sender) -> None:
    now, settings = svc.clock(), svc.settings
    updates = await inbox.prune(now, timedelta(days=settings.inbox_retention_days))
    messages = await sender.prune(now, timedelta(days=settings.outbox_retention_days))
    if updates or messages:
        log.info("pruned %d handled updates and %d finished outbox rows", updates, messages)


async def _log_error(update: object, context) -> None:
    # Log the error and the update id only: update contents may hold what a person wrote about a child.
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.callback_query is not None:
        # A press nobody answers spins on the person's phone until Telegram gives up.
        _ = gettext_for(guess_language(update.effective_user.language_code))
        with suppress(TelegramError):
            await update.callback_query.answer(_("Sorry, something went wrong. Please try again in a moment."))


__all__ = ["Application", "build_application", "running"]
