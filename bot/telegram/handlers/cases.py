"""The counsellor's desk in Telegram, and the caregiver's reply to the counselling room.

Callback data (all user-controlled; bot/cases/access.py checks every case id against the presser's schools):
`cq:<folder>:<page>` pages the queue, `cs:<case>:<action>[:<value>]` acts on a case, `cr:<referral>:<status>`
updates a referral, `cf:<follow-up>` marks a follow-up done, `cp` toggles closure approval for a supervisor's
region, and `rp:<case>` lets a caregiver answer the counselling room.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.cases import groups
from bot.cases import screens as cx
from bot.cases.screens import Purpose
from bot.i18n import guess_language
from bot.onboarding import screens as s
from bot.people import service as people
from bot.reports.charts import trend_chart
from bot.telegram import render as r
from bot.telegram import render_cases
from bot.telegram.handlers.common import acting_person, answered_as_notice, show, style_for
from bot.telegram.keyboards import inline, parse_callback
from bot.telegram.services import services

TEXT_ACTIONS = {"note": Purpose.NOTE, "msg": Purpose.MESSAGE, "reopen": Purpose.REOPEN, "reject": Purpose.REJECT}
CHOICE_ACTIONS = ("ref", "fu", "sev", "close")
TOAST_SCREENS = (s.StaleButton, cx.AlreadyTaken)


async def on_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.desk.queue(session, person)
    await show(update, context, person, screens, protect=True)


async def on_case_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    desk = svc.desk
    parts = parse_callback(update.callback_query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if parts[0] == "cq" and len(parts) == 3 and parts[2].isdigit():
            screens = await desk.queue(session, person, parts[1], int(parts[2]))
        elif parts[0] == "cr" and len(parts) == 3 and parts[1].isdigit():
            screens = await desk.update_referral(session, person, int(parts[1]), parts[2])
        elif parts[0] == "cf" and len(parts) == 2 and parts[1].isdigit():
            screens = await desk.follow_up_done(session, person, int(parts[1]))
        elif parts[0] == "cp" and len(parts) == 1:
            screens = await desk.toggle_approval(session, person)
        elif parts[0] == "cs" and len(parts) in (3, 4) and parts[1].isdigit():
            screens = await _case_action(session, desk, person, int(parts[1]), parts[2], parts[3:])
        else:
            screens = [s.StaleButton()]
    await _answer(update, context, person, screens)


async def _case_action(session, desk, person, case_id: int, action: str, value: list[str]) -> list:
    if not value:
        if action == "open":
            return await desk.open(session, person, case_id)
        if action == "take":
            return await desk.take(session, person, case_id)
        if action == "contact":
            return await desk.mark_in_contact(session, person, case_id)
        if action == "parent":
            return await desk.ask_parent_to_call(session, person, case_id)
        if action == "approve":
            return await desk.approve(session, person, case_id)
        if action == "voice":
            return await desk.voices(session, person, case_id)
        if action == "trend":
            return await desk.trend(session, person, case_id)
        if action == "hand":
            return await desk.choose_counsellor(session, person, case_id)
        if action in TEXT_ACTIONS:
            return await desk.ask_text(session, person, case_id, TEXT_ACTIONS[action])
        if action in CHOICE_ACTIONS:
            return await desk.choices(session, person, case_id, action)
    elif action == "hand" and value[0].isdigit():
        return await desk.hand_over(session, person, case_id, int(value[0]))
    elif action in CHOICE_ACTIONS:
        return await desk.choose(session, person, case_id, action, value[0])
    return [s.StaleButton()]


async def on_link_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/linkgroup` in a group: a counsellor links it to their school, for minimal new-case lines."""
    svc = services(context)
    async with svc.db.session() as session:
        # Not acting_person: that would take this group for the person's private chat.
        person = await people.find_by_telegram_id(session, update.effective_user.id)
        school = None
        if person is not None:
            school = await groups.link_group(session, person.id, update.effective_chat.id, svc.clock())
    reply = render_cases.group_linked(school.name if school else None, _group_style(update, person, context))
    await update.effective_message.reply_text(reply.text, parse_mode=ParseMode.HTML)


async def on_unlink_group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await people.find_by_telegram_id(session, update.effective_user.id)
        done = person is not None and await groups.unlink_group(session, person.id, update.effective_chat.id)
    reply = render_cases.group_unlinked(done, _group_style(update, person, context))
    await update.effective_message.reply_text(reply.text, parse_mode=ParseMode.HTML)


def _group_style(update: Update, person, context: ContextTypes.DEFAULT_TYPE) -> r.Style:
    language = person.language if person is not None and person.language else None
    return r.Style(
        language=language or guess_language(update.effective_user.language_code),
        bot_username=services(context).bot_username,
    )


async def on_reply_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    parts = parse_callback(update.callback_query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if len(parts) == 2 and parts[1].isdigit():
            screens = await svc.replies.start(session, person, int(parts[1]))
        else:
            screens = [s.StaleButton()]
    await _answer(update, context, person, screens)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, person, screens: list) -> None:
    query = update.callback_query
    style = style_for(person, context)
    taken = bool(screens) and isinstance(screens[0], cx.AlreadyTaken)
    if await answered_as_notice(query, screens, TOAST_SCREENS, style, show_alert=taken):
        return
    chat_id = update.effective_chat.id
    for screen in screens:
        if isinstance(screen, cx.Taken):
            await _edit_alerts(context, screen)
        if isinstance(screen, cx.Voices):
            for file_id in screen.file_ids:
                await context.bot.send_voice(chat_id, file_id, protect_content=True)
    trends = [screen for screen in screens if isinstance(screen, cx.Trend)]
    for trend in trends:
        # The chart, with the week-by-week figures as its caption for anyone who cannot read the picture.
        photo = trend_chart(
            list(trend.points), style.language, threshold=style.checkins.weekly.thresholds.symptom_score
        )
        caption = r.render(trend, style).text
        await context.bot.send_photo(chat_id, photo, caption=caption, parse_mode=ParseMode.HTML, protect_content=True)
    await show(update, context, person, [screen for screen in screens if screen not in trends], protect=True)


async def _edit_alerts(context: ContextTypes.DEFAULT_TYPE, taken: cx.Taken) -> None:
    """Tell the other counsellors who took the case, on their own alert. Best effort: if an edit fails (the
    message is too old, or deleted), their "Take case" button still answers that the case is taken."""
    render_outbox = context.application.bot_data["render_outbox"]
    for alert in taken.alerts:
        rendered = render_outbox(alert.kind, alert.params, alert.language)
        try:
            await context.bot.edit_message_text(
                rendered.text,
                chat_id=alert.chat_id,
                message_id=alert.message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=inline(rendered.buttons) if rendered.buttons else None,
            )
        except TelegramError:
            continue
