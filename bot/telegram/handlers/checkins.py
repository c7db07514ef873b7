"""Check-ins and worries: the menu buttons, the answer buttons, and notes typed or spoken for a counsellor.

Callback data (all user-controlled; the domain checks each id against the presser's own links):
`ci:<checkin>:go` starts or resumes, `ci:<checkin>:<question>:<option>` answers, `cn:<child>` starts a check-in
the caregiver asked for, `wr:<child>` picks the child of a worry and `wr:<child>:<choice>` says what it is.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.cases.desk import FLOW as CASE_TEXT
from bot.checkins import screens as cs
from bot.contact.service import Incoming
from bot.conversations import store
from bot.onboarding import screens as s
from bot.onboarding.flow import FLOW as ONBOARDING
from bot.safety.hotlines import hotlines_for
from bot.telegram import render as r
from bot.telegram.handlers.common import acting_person, answered_as_notice, retire_buttons, send, show, style_for
from bot.telegram.keyboards import parse_callback
from bot.telegram.services import services

# Answers given as a short notice on the button rather than as a new message.
TOAST_SCREENS = (s.StaleButton, cs.AlreadyAnswered, cs.CheckinClosed)
# Steps that need typed words or a button (a nickname, a counsellor's note): a voice note gets a kind hint.
TYPED_FLOWS = (ONBOARDING, CASE_TEXT)


async def on_checkin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.checkins.from_menu(session, person)
    await show(update, context, person, screens)


async def on_worried(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.worries.from_menu(session, person)
        region = await hotlines_for(session, person.id, svc.content)
    if screens is None:
        await send(update, context, [r.worried(region, style_for(person, context))])
        return
    await show(update, context, person, screens)


async def on_checkin_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    parts = parse_callback(update.callback_query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if parts[0] == "cn" and len(parts) == 2 and parts[1].isdigit():
            screens = await svc.checkins.begin(session, person, int(parts[1]))
        elif len(parts) == 3 and parts[1].isdigit() and parts[2] == "go":
            screens = await svc.checkins.resume(session, person, int(parts[1]))
        elif len(parts) == 4 and parts[1].isdigit():
            screens = await svc.checkins.answer(session, person, int(parts[1]), parts[2], parts[3])
        else:
            screens = [s.StaleButton()]
    await _answer_press(update, context, person, screens)


async def on_worry_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    parts = parse_callback(update.callback_query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if len(parts) == 2 and parts[1].isdigit():
            screens = await svc.worries.choose_child(session, person, int(parts[1]))
        elif len(parts) == 3 and parts[1].isdigit():
            screens = await svc.worries.worry(session, person, int(parts[1]), parts[2])
        else:
            screens = [s.StaleButton()]
    await _answer_press(update, context, person, screens)


async def on_slot_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`sch` shows the weekly slot, `sch:<weekday>` asks the time, `sch:<weekday>:<minute>` moves it."""
    svc = services(context)
    parts = parse_callback(update.callback_query.data)
    numbers = [int(part) for part in parts[1:] if part.isdigit()]
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if len(numbers) != len(parts) - 1:
            screens = [s.StaleButton()]
        elif not numbers:
            screens = await svc.checkins.slot(session, person)
        elif len(numbers) == 1:
            screens = await svc.checkins.choose_day(session, person, numbers[0])
        elif len(numbers) == 2:
            screens = await svc.checkins.move_slot(session, person, numbers[0], numbers[1])
        else:
            screens = [s.StaleButton()]
    await _answer_press(update, context, person, screens)


async def on_voice(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A voice note is never dropped: it answers what the person was asked (a worry, the counselling room, a
    check-in), joins a child's open case, is offered on to the family, or reaches the counsellor."""
    svc = services(context)
    message = update.message
    file_id = message.voice.file_id
    incoming = Incoming(message.chat_id, message.message_id)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        conversation = await store.current(session, person.id)
        if conversation is not None and conversation.flow in TYPED_FLOWS:
            screens = [cs.TypeOrPress()]
        else:
            screens = (
                await svc.worries.note(session, person, voice_file_id=file_id)
                or await svc.replies.reply(session, person, voice_file_id=file_id)
                or await svc.checkins.note(session, person, voice_file_id=file_id)
                or await svc.checkins.keep_note(session, person, voice_file_id=file_id)
                or await svc.contact.offer_relay(session, person, incoming)
                or await svc.unprompted.for_counsellor(session, person, voice_file_id=file_id, open_case_only=True)
                or await svc.contact.offer_relay(session, person, incoming, as_caregiver=True)
                or await svc.unprompted.for_counsellor(session, person, voice_file_id=file_id)
                or [cs.VoiceNotHeard()]
            )
    await show(update, context, person, screens)


async def _answer_press(update: Update, context: ContextTypes.DEFAULT_TYPE, person, screens: list) -> None:
    query = update.callback_query
    if await answered_as_notice(query, screens, TOAST_SCREENS, style_for(person, context)):
        return
    await retire_buttons(query)
    await show(update, context, person, screens)
