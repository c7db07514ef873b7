"""The main menu and what its buttons open: family, "I'm worried", language and help; and typed text."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.cases.desk import FLOW as CASE_TEXT
from bot.cases.replies import FLOW as CASE_REPLY
from bot.contact.service import RELAY_FLOW, Incoming
from bot.conversations import store
from bot.families import service as families
from bot.families.invitations import invite_parent
from bot.families.models import ParentRelation
from bot.i18n import SUPPORTED_LANGUAGES
from bot.onboarding import screens as s
from bot.onboarding.flow import FLOW as ONBOARDING
from bot.people.service import roles_of
from bot.safety.worries import NOTE_FLOW as WORRY_NOTE
from bot.telegram import commands, render_contact
from bot.telegram import render as r
from bot.telegram.handlers import cases, checkins, contact, guidance
from bot.telegram.handlers.common import acting_person, home_screen, retire_buttons, send, show, style_for
from bot.telegram.keyboards import parse_callback
from bot.telegram.menu import MenuItem, match
from bot.telegram.services import services

PARENT_RELATIONS = {relation.value for relation in ParentRelation}


async def on_menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screen = await home_screen(session, person)
    await show(update, context, person, [screen])


async def on_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        roles = await roles_of(session, person.id)
    await send(update, context, [r.help_text(roles, style_for(person, context))])


async def on_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
    await send(update, context, [r.choose_language(style_for(person, context))])


async def on_language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    query = update.callback_query
    parts = parse_callback(query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        if len(parts) != 2 or parts[1] not in SUPPORTED_LANGUAGES:
            await query.answer(r.render(s.StaleButton(), style_for(person, context)).text)
            return
        person.language = parts[1]
        roles = await roles_of(session, person.id)
    await query.answer()
    await retire_buttons(query)
    style = style_for(person, context)
    if roles.any:
        await commands.register_for_chat(
            context.bot, svc.db, person.id, update.effective_chat.id, roles, style.language
        )
    await send(update, context, [r.language_changed(roles, style)])


async def on_family(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        cared_for = await families.children_of_caregiver(session, person.id)
        own_children = await families.children_of_parent(session, person.id)
        fallback = await home_screen(session, person)
        contact_settings = await svc.contact.family_contact(session, person)
    style = style_for(person, context)
    replies = []
    if cared_for:
        replies.append(render_contact.with_family_contact(r.family_overview(cared_for, style), contact_settings, style))
    if own_children:
        replies.append(r.parent_family(own_children, style))
    if replies:
        await send(update, context, replies)
    else:
        await show(update, context, person, [fallback])


async def on_family_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`fam:inv:<child>:<relation>` and `fam:add`; the child is checked against the caller's own links."""
    svc = services(context)
    query = update.callback_query
    parts = parse_callback(query.data)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        style = style_for(person, context)
        if parts[1:2] == ["add"] and len(parts) == 2:
            screens = await svc.onboarding.add_another_child(session, person)
            replies = None
        elif parts[1:2] == ["inv"] and len(parts) == 4 and parts[2].isdigit() and parts[3] in PARENT_RELATIONS:
            result = await invite_parent(
                session,
                caregiver_id=person.id,
                child_id=int(parts[2]),
                relation=ParentRelation(parts[3]),
                now=svc.clock(),
            )
            screens = [s.StaleButton()] if result is None else []
            replies = None if result is None else r.parent_invite(result, style)
        else:
            screens, replies = [s.StaleButton()], None
    if screens == [s.StaleButton()]:
        await query.answer(r.render(screens[0], style).text)
        return
    await query.answer()
    if replies is not None:
        await send(update, context, replies)
    else:
        await show(update, context, person, screens)


async def on_unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
    await update.callback_query.answer(r.render(s.StaleButton(), style_for(person, context)).text)


MENU_ACTIONS = {
    MenuItem.CASES: cases.on_cases,
    MenuItem.CHECKIN: checkins.on_checkin,
    MenuItem.FAMILY: on_family,
    MenuItem.WORRIED: checkins.on_worried,
    MenuItem.LANGUAGE: on_language,
    MenuItem.HELP: on_help,
    MenuItem.TIPS: guidance.on_tips,
    MenuItem.CALLS: contact.on_calls,
}


async def _leave_pending_flow(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A menu press means the person moved on: words typed next must not land in a note, reply or relay they left.
    Onboarding is kept, so that an interrupted sign-up still resumes."""
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        conversation = await store.current(session, person.id)
        if conversation is not None and conversation.flow != ONBOARDING:
            await store.end(session, conversation)


async def on_edited_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message is read for risk like new words; it does not answer a question or a prompt again."""
    text = update.edited_message.text
    if match(text) is not None:
        return
    svc = services(context)
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        screens = await svc.worries.message(session, person, text)
    if screens:
        await show(update, context, person, screens)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A menu button's label, an answer a flow waits for, a typed code, words of worry, or else the way home."""
    item = match(update.message.text)
    if item is not None:
        await _leave_pending_flow(update, context)
        await MENU_ACTIONS[item](update, context)
        return
    svc = services(context)
    text = update.message.text
    async with svc.db.session() as session:
        person = await acting_person(session, update)
        conversation = await store.current(session, person.id)
        flow = conversation.flow if conversation is not None else None
        if flow == ONBOARDING:
            screens = await svc.onboarding.text(session, person, text)
        elif flow == WORRY_NOTE:
            screens = await svc.worries.note(session, person, text=text)
        elif flow == CASE_TEXT:
            screens = await svc.desk.text(session, person, text)
        elif flow == CASE_REPLY:
            case_id = conversation.data["case_id"]
            screens = await svc.replies.reply(session, person, text=text)
            # A reply to the counselling room is read for risk like any other words from a family, for its child.
            screens += await svc.worries.message(session, person, text, about_case_id=case_id) or []
        elif flow == RELAY_FLOW:
            # Words for the family are passed on only after "✉️ Message the family", and read for risk too.
            message = update.message
            screens = await svc.contact.relay(session, person, Incoming(message.chat_id, message.message_id))
            screens += await svc.worries.message(session, person, text) or []
        else:
            screens = await svc.checkins.note(session, person, text=text)
        # Then a typed code; then anything else, read for risk first, and never dropped: a pointer for an everyday
        # question, kept with a check-in under way, offered on to the family, or for the counsellor; else home.
        message = update.message
        screens = (
            screens
            or await svc.onboarding.text(session, person, text)
            or await svc.worries.message(session, person, text)
            or svc.unprompted.pointer(text)
            or await svc.checkins.keep_note(session, person, text=text)
            or await svc.contact.offer_relay(session, person, Incoming(message.chat_id, message.message_id))
            or await svc.unprompted.for_counsellor(session, person, text=text)
            or [await home_screen(session, person)]
        )
    await show(update, context, person, screens)
