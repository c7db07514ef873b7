"""/start, invitation codes and the onboarding buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.onboarding import screens as s
from bot.telegram.handlers.common import acting_person, retire_buttons, show, style_for
from bot.telegram.keyboards import parse_callback
from bot.telegram.render import render
from bot.telegram.services import services


async def on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    code = context.args[0] if context.args else None
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.onboarding.start(session, person, code)
    await show(update, context, person, screens)
    svc.wake_sender()


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`ob:<revision>:<action>:<value>`; anything malformed is treated like an old button."""
    svc = services(context)
    query = update.callback_query
    _prefix, *parts = parse_callback(query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if len(parts) == 3 and parts[0].isdigit():
            revision, action, value = int(parts[0]), parts[1], parts[2]
            screens = await svc.onboarding.press(session, person, revision, action, value)
        else:
            screens = [s.StaleButton()]
    if screens == [s.StaleButton()]:
        await query.answer(render(screens[0], style_for(person, context)).text, show_alert=False)
        return
    await query.answer()
    await retire_buttons(query)
    await show(update, context, person, screens)
    svc.wake_sender()
