"""The main menu: which big buttons each role sees, and recognising a pressed one from its label."""

from __future__ import annotations

from enum import StrEnum

from bot.i18n import N_, SUPPORTED_LANGUAGES, gettext_for
from bot.people.service import Roles


class MenuItem(StrEnum):
    CASES = "cases"
    CHECKIN = "checkin"
    FAMILY = "family"
    TIPS = "tips"
    CALLS = "calls"
    WORRIED = "worried"
    LANGUAGE = "language"
    HELP = "help"


LABELS = {
    MenuItem.CASES: N_("📂 Cases"),
    MenuItem.CHECKIN: N_("📝 Check-in"),
    MenuItem.FAMILY: N_("👨‍👩‍👧 Family"),
    MenuItem.TIPS: N_("🌱 Tips"),
    MenuItem.CALLS: N_("📞 Calls"),
    MenuItem.WORRIED: N_("🆘 I'm worried"),
    MenuItem.LANGUAGE: N_("🌐 Language"),
    MenuItem.HELP: N_("❓ Help"),
}


def items_for(roles: Roles) -> list[list[MenuItem]]:
    rows: list[list[MenuItem]] = []
    if roles.is_counsellor or roles.is_supervisor:
        rows.append([MenuItem.CASES])
    if roles.is_caregiver:
        rows.append([MenuItem.CHECKIN, MenuItem.WORRIED])
    elif roles.is_parent:
        rows.append([MenuItem.CALLS, MenuItem.WORRIED])
    if roles.is_caregiver or roles.is_parent:
        rows.append([MenuItem.FAMILY, MenuItem.TIPS])
    rows.append([MenuItem.LANGUAGE, MenuItem.HELP])
    return rows


def match(text: str) -> MenuItem | None:
    """The menu item a label stands for, in any language: a person may have switched since the menu was sent."""
    for language in SUPPORTED_LANGUAGES:
        _ = gettext_for(language)
        for item, label in LABELS.items():
            if text.strip() == _(label):
                return item
    return None
