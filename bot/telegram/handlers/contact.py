"""Family contact: the 📞 Calls menu, planning and answering calls, the relay, and the summary consent.

Callback data is described in `bot/telegram/render_contact.py`; every id in it is checked by the domain against
the presser's own links. Relayed messages are never read here: the domain keeps their Telegram coordinates only,
and the sender copies them through the outbox, so a blocked recipient is noticed and the sender told.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.contact import screens as ct
from bot.contact.service import Incoming
from bot.onboarding import screens as s
from bot.telegram import render_contact
from bot.telegram.handlers import checkins
from bot.telegram.handlers.common import acting_person, answered_as_notice, home_screen, retire_buttons, show, style_for
from bot.telegram.keyboards import parse_callback
from bot.telegram.services import services

TOAST_SCREENS = (s.StaleButton, ct.OutcomeAlreadyNoted, ct.ProposalClosed)


async def on_calls(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.contact.overview(session, person)
        if screens == [s.StaleButton()]:
            screens = [await home_screen(session, person)]  # not a parent: the menu they do have
    await show(update, context, person, screens)


async def on_contact_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    parts = parse_callback(update.callback_query.data)
    action, numbers = parts[1:2], [int(part) for part in parts[2:] if part.isdigit()]
    whole = len(numbers) == len(parts) - 2
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        contact = svc.contact
        if action == ["p"] and whole and 1 <= len(numbers) <= 4:
            steps = (contact.choose_zone, contact.choose_day, contact.choose_time, contact.plan)
            screens = await steps[len(numbers) - 1](session, person, *numbers)
        elif action == ["v"] and whole and 1 <= len(numbers) <= 3:
            steps = (contact.move_day, contact.move_time, contact.propose)
            screens = await steps[len(numbers) - 1](session, person, *numbers)
        elif action == ["a"] and whole and len(numbers) == 2 and numbers[1] in (0, 1):
            screens = await contact.answer_proposal(session, person, numbers[0], bool(numbers[1]))
        elif action == ["x"] and whole and len(numbers) == 1:
            screens = await contact.remove(session, person, numbers[0])
        elif action == ["o"] and len(parts) == 4 and parts[2].isdigit() and parts[3] in render_contact.OUTCOME_CODES:
            screens = await contact.outcome(session, person, int(parts[2]), render_contact.OUTCOME_CODES[parts[3]])
        elif action == ["m"] and whole and len(numbers) == 1:
            screens = await contact.ask_relay(session, person, numbers[0])
        elif action == ["r"] and whole and len(numbers) == 1:
            screens = await contact.ask_reply(session, person, numbers[0])
        elif action == ["b"] and whole and len(numbers) == 1:
            screens = await contact.choose_birthday(session, person, numbers[0])
        elif action == ["b"] and whole and len(numbers) == 2:
            screens = await contact.set_birthday(session, person, *numbers)
        elif action == ["f"] and whole and len(numbers) == 2:
            # Only a message in the presser's own chat can be passed on: the chat id is never taken from the button.
            incoming = Incoming(update.effective_chat.id, numbers[1])
            screens = await contact.relay_offered(session, person, numbers[0], incoming)
        elif action == ["s"] and whole and numbers in ([0], [1]):
            screens = await contact.set_consent(session, person, bool(numbers[0]))
        else:
            screens = [s.StaleButton()]
    query = update.callback_query
    if await answered_as_notice(query, screens, TOAST_SCREENS, style_for(person, context)):
        return
    if action in (["o"], ["a"], ["f"]):
        await retire_buttons(query)  # an answer is given once; plan, message and setting buttons stay usable
    await show(update, context, person, screens)


async def on_media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note, photo or round video: relayed when the person asked to message the family; a voice note
    otherwise goes where it is most likely meant (see checkins.on_voice); a photo or video is offered on."""
    svc = services(context)
    message = update.message
    incoming = Incoming(message.chat_id, message.message_id)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.contact.relay(session, person, incoming)
        if screens is None and message.voice is None:
            screens = await svc.contact.offer_relay(session, person, incoming) or await svc.contact.offer_relay(
                session, person, incoming, as_caregiver=True
            )
        if screens is not None and message.caption:
            screens += await svc.worries.message(session, person, message.caption) or []
    if screens is None and message.voice is not None:
        await checkins.on_voice(update, context)
        return
    await show(update, context, person, screens or [ct.RelayHint()])
