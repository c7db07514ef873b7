"""The command list Telegram shows: per language for everyone, and per chat for each person's roles."""

from __future__ import annotations

import hashlib
import json

from telegram import Bot, BotCommand, BotCommandScopeChat

from bot.db import Database
from bot.i18n import N_, SUPPORTED_LANGUAGES, gettext_for
from bot.people.service import Roles
from bot.telegram.commands_models import ChatCommands

EVERYONE = [
    ("start", N_("Start, or open an invitation")),
    ("menu", N_("Show the big buttons")),
    ("language", N_("Change the language")),
    ("help", N_("What Shouhu can do")),
]
CAREGIVER = [
    ("checkin", N_("This week's check-in")),
    ("worried", N_("I'm worried about the child")),
    ("tips", N_("Short tips for raising the children")),
    ("family", N_("Your children and their parents")),
]
STAFF = [("cases", N_("The case queue"))]
PARENT = [
    ("calls", N_("Calls with your child, and messages to the family")),
    ("worried", N_("I'm worried about my child")),
    ("tips", N_("Short tips for parents far from home")),
    ("family", N_("Your child's family")),
]
# Telegram wants ISO 639-1 codes for the language a command list is for.
TELEGRAM_LANGUAGE_CODE = {"zh_Hans": "zh", "en": "en"}


def commands_for(roles: Roles | None, language: str) -> list[BotCommand]:
    _ = gettext_for(language)
    entries = list(EVERYONE)
    if roles is not None and (roles.is_counsellor or roles.is_supervisor):
        entries += STAFF
    if roles is not None and roles.is_caregiver:
        entries += CAREGIVER
    elif roles is not None and roles.is_parent:
        entries += PARENT
    return [BotCommand(name, _(description)) for name, description in entries]


async def register_defaults(bot: Bot) -> None:
    await bot.set_my_commands(commands_for(None, "zh_Hans"))
    for language in SUPPORTED_LANGUAGES:
        await bot.set_my_commands(commands_for(None, language), language_code=TELEGRAM_LANGUAGE_CODE[language])


async def register_for_chat(bot: Bot, db: Database, person_id: int, chat_id: int, roles: Roles, language: str) -> None:
    """Set the chat's command list, unless it is what was last set there (remembered in the database)."""
    commands = commands_for(roles, language)
    digest = hashlib.sha256(json.dumps([c.to_dict() for c in commands], ensure_ascii=False).encode()).hexdigest()
    async with db.session() as session:
        known = await session.get(ChatCommands, (person_id, chat_id))
        if known is not None and known.digest == digest:
            return
    await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    # Remembered only once Telegram has it; two presses racing here both set the same list, which is harmless.
    async with db.session() as session:
        await session.merge(ChatCommands(person_id=person_id, chat_id=chat_id, digest=digest))
