"""Helpers every handler uses: who is acting, in which language, and sending rendered replies."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.i18n import guess_language, normalise_language
from bot.onboarding import screens as s
from bot.people import service as people
from bot.people.models import Person
from bot.people.service import roles_of
from bot.telegram import commands
from bot.telegram.render import Reply, Style, render
from bot.telegram.services import services


async def acting_person(session: AsyncSession, update: Update) -> Person:
    """The person behind this update, created on first contact with the language Telegram suggests."""
    user, chat = update.effective_user, update.effective_chat
    person = await people.get_or_create(
        session, telegram_user_id=user.id, chat_id=chat.id, display_name=user.full_name or ""
    )
    if person.language is None:
        person.language = guess_language(user.language_code)
    return person


def style_for(person: Person, context: ContextTypes.DEFAULT_TYPE) -> Style:
    svc = services(context)
    return Style(
        language=normalise_language(person.language), bot_username=svc.bot_username, checkins=svc.checkin_content
    )


async def send(
    update: Update, context: ContextTypes.DEFAULT_TYPE, replies: Iterable[Reply], *, protect: bool = False
) -> None:
    """`protect`: Telegram's protect_content, for what must not be forwarded or saved (a case card)."""
    for reply in replies:
        await context.bot.send_message(
            update.effective_chat.id,
            reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=reply.keyboard,
            protect_content=protect,
        )


async def show(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    person: Person,
    screens: list[s.Screen],
    *,
    protect: bool = False,
) -> None:
    """Render and send domain screens; reaching Home also refreshes the person's command list."""
    style = style_for(person, context)
    for screen in screens:
        if isinstance(screen, s.Home):
            await commands.register_for_chat(
                context.bot, services(context).db, person.id, update.effective_chat.id, screen.roles, style.language
            )
    await send(update, context, [render(screen, style) for screen in screens], protect=protect)


async def home_screen(session: AsyncSession, person: Person) -> s.Screen:
    roles = await roles_of(session, person.id)
    return s.Home(roles) if roles.any else s.Welcome()


async def retire_buttons(query: CallbackQuery) -> None:
    """Take the buttons off a message once used, so an old question cannot be answered twice by mistake."""
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest:
        pass  # already gone, or the message is too old to edit: nothing to retire


async def answered_as_notice(
    query: CallbackQuery, screens: list, notices: tuple[type, ...], style: Style, *, show_alert: bool = False
) -> bool:
    """Answer a button press. A reply that is only a notice (a stale button, an answer already given) appears on
    the button itself and is done: True. Otherwise the press is acknowledged and the caller shows the screens."""
    if len(screens) == 1 and isinstance(screens[0], notices):
        await query.answer(render(screens[0], style).text, show_alert=show_alert)
        return True
    await query.answer()
    return False
