"""Tips: the main menu's button, browsing by topic, feedback, "did you try it?" and the tip schedule.

Callback data is listed in `render_guidance`. Every id in it is user-controlled: the domain checks that a tip
suits the presser's own children and that a delivery is the presser's own. Menu pages and the schedule are edited
in place, so a few presses do not fill the chat.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.guidance import screens as gs
from bot.onboarding import screens as s
from bot.telegram import render as r
from bot.telegram.handlers.common import acting_person, answered_as_notice, retire_buttons, show, style_for
from bot.telegram.keyboards import parse_callback
from bot.telegram.render_guidance import FEEDBACK_CODES, TRIED_CODES
from bot.telegram.services import services

TOAST_SCREENS = (s.StaleButton, gs.FeedbackSaved, gs.AlreadyTold, gs.TooManyDays)
EDITED_SCREENS = (gs.TipsMenu, gs.TopicTips, gs.GuidanceSettings)


async def on_tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.guidance.menu(session, person)
    if screens == [s.StaleButton()]:
        screens = [s.Welcome()]  # not a caregiver or parent (yet): the way in is a school's link
    await show(update, context, person, screens)


async def on_guidance_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    parts = parse_callback(update.callback_query.data)[1:]
    guidance = svc.guidance
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        match parts:
            case ["m"]:
                screens = await guidance.menu(session, person)
            case ["tp", topic, page] if page.isdigit():
                screens = await guidance.topic_page(session, person, topic, int(page))
            case ["v", tip]:
                screens = await guidance.view(session, person, tip)
            case ["f", delivery, code] if delivery.isdigit() and code in FEEDBACK_CODES:
                screens = await guidance.give_feedback(session, person, int(delivery), FEEDBACK_CODES[code])
            case ["t", delivery, code] if delivery.isdigit() and code in TRIED_CODES:
                screens = await guidance.tried(session, person, int(delivery), TRIED_CODES[code])
            case ["s"]:
                screens = await guidance.settings(session, person)
            case ["s", "n", count] if count.isdigit():
                screens = await guidance.set_frequency(session, person, int(count))
            case ["s", "d", day] if day.isdigit():
                screens = await guidance.toggle_day(session, person, int(day))
            case ["s", "h", hour] if hour.isdigit():
                screens = await guidance.set_hour(session, person, int(hour))
            case _:
                screens = [s.StaleButton()]
    await _answer(update, context, person, screens)


async def _answer(update: Update, context: ContextTypes.DEFAULT_TYPE, person, screens: list) -> None:
    query = update.callback_query
    style = style_for(person, context)
    if await answered_as_notice(query, screens, TOAST_SCREENS, style):
        if isinstance(screens[0], gs.FeedbackSaved):
            await retire_buttons(query)
        return
    if len(screens) == 1 and isinstance(screens[0], EDITED_SCREENS):
        reply = r.render(screens[0], style)
        try:
            await query.edit_message_text(reply.text, parse_mode=ParseMode.HTML, reply_markup=reply.keyboard)
            return
        except BadRequest:
            pass  # too old to edit, or a voice message: send it as a new message instead
    elif any(isinstance(screen, gs.TriedSaved) for screen in screens):
        await retire_buttons(query)
    await show(update, context, person, screens)
