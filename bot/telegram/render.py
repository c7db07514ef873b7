"""Turns what the domain decided into Telegram messages, in the reader's language.

Every string is a gettext message (English source, Simplified Chinese catalog). Anything a person typed or a
content file holds is escaped before it goes into HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatch
from html import escape

from babel.dates import get_month_names
from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.checkins.questionnaire import CheckinContent
from bot.content.pack import HotlineRegion
from bot.families.invitations import ParentAlreadyLinked, ParentInviteIssued
from bot.families.models import CaregiverRelation, Child, ParentRelation
from bot.families.service import ChildOfCaregiver
from bot.i18n import N_, gettext_for
from bot.invites.codes import deep_link
from bot.onboarding import screens as s
from bot.onboarding.flow import UNKNOWN_MONTH
from bot.people.service import Roles
from bot.telegram import keyboards as kb
from bot.telegram.menu import LABELS, items_for
from bot.telegram.transport import Rendered


@dataclass(frozen=True)
class Reply:
    text: str
    keyboard: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None


@dataclass(frozen=True)
class Style:
    """What rendering needs besides the screen: the reader's language, the bot's username for links, and the
    check-in content whose labels (questions, answers, reasons) case cards and alerts quote."""

    language: str
    bot_username: str
    checkins: CheckinContent | None = None


CAREGIVER_RELATIONS = {
    CaregiverRelation.GRANDMOTHER: N_("👵 Grandmother"),
    CaregiverRelation.GRANDFATHER: N_("👴 Grandfather"),
    CaregiverRelation.MOTHER: N_("👩 Mother"),
    CaregiverRelation.FATHER: N_("👨 Father"),
    CaregiverRelation.AUNT: N_("Aunt"),
    CaregiverRelation.UNCLE: N_("Uncle"),
    CaregiverRelation.OTHER: N_("Other"),
}
PARENT_NAMES = {ParentRelation.MOTHER: N_("mum"), ParentRelation.FATHER: N_("dad")}
LANGUAGE_BUTTONS = [("中文", "zh_Hans"), ("English", "en")]


def onboarding_button(screen_revision: int, action: str, value: object, label: str) -> kb.Button:
    return label, kb.callback("ob", screen_revision, action, value)


def main_menu(roles: Roles, style: Style) -> ReplyKeyboardMarkup:
    _ = gettext_for(style.language)
    return kb.big_buttons([[_(LABELS[item]) for item in row] for row in items_for(roles)])


@singledispatch
def render(screen: object, style: Style) -> Reply:
    raise TypeError(f"no rendering for {type(screen).__name__}")


@render.register
def _(screen: s.Welcome, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _(
            "👋 Hello! I am Shouhu (守护).\n"
            "I help families whose children's parents work far away: short tips for raising the child, "
            "a weekly check-in, and a quick line to the school's counselling room when you are worried.\n\n"
            "To start, ask the counselling teacher at the child's school for a joining link and open it. "
            "If you have a code, you can also send it to me here."
        )
    )


@render.register
def _(screen: s.Home, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lines = []
    if screen.roles.is_counsellor:
        lines.append(_("🏫 You are a counsellor in the school counselling room. Alerts about pupils come here."))
    if screen.roles.is_supervisor:
        lines.append(_("📋 You supervise the schools of your region."))
    if screen.roles.is_caregiver:
        lines.append(_("🏠 The big buttons below are always there for you."))
        lines.append(_("If you are worried about the child, tap 🆘 at any time."))
    if screen.roles.is_parent:
        lines.append(_("👨‍👩‍👧 You are linked to your child's family. Tap Family to see them."))
    return Reply("\n".join(lines), main_menu(screen.roles, style))


@render.register
def _(screen: s.AskLanguage, style: Style) -> Reply:
    buttons = [onboarding_button(screen.revision, "lang", code, label) for label, code in LANGUAGE_BUTTONS]
    return Reply("请选择语言\nPlease choose a language", kb.inline([buttons]))


@render.register
def _(screen: s.AskConsent, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [
        onboarding_button(screen.revision, "consent", "yes", _("✅ I agree")),
        onboarding_button(screen.revision, "consent", "no", _("✖️ No, thank you")),
    ]
    return Reply(escape(screen.text), kb.inline([[b] for b in buttons]))


@render.register
def _(screen: s.AskRelation, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [
        onboarding_button(screen.revision, "rel", relation.value, _(label))
        for relation, label in CAREGIVER_RELATIONS.items()
    ]
    return Reply(_("Who are you to the child?"), kb.inline(kb.in_rows(buttons, 2)))


@render.register
def _(screen: s.AskNickname, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("What do you call the child? Please type a nickname, for example 小明.\nNo full name needed."))


@render.register
def _(screen: s.AskBirthYear, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [onboarding_button(screen.revision, "year", year, str(year)) for year in screen.years]
    return Reply(_("Which year was the child born?"), kb.inline(kb.in_rows(buttons, 4)))


@render.register
def _(screen: s.AskBirthMonth, style: Style) -> Reply:
    _ = gettext_for(style.language)
    names = get_month_names("abbreviated", locale=style.language)
    buttons = [onboarding_button(screen.revision, "month", m, names[m]) for m in screen.months]
    rows = kb.in_rows(buttons, 4)
    rows.append([onboarding_button(screen.revision, "month", UNKNOWN_MONTH, _("Not sure"))])
    return Reply(_("And which month?"), kb.inline(rows))


@render.register
def _(screen: s.ChildAdded, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if screen.birth_month is None:
        born = _("born {year}").format(year=screen.birth_year)
    else:
        born = _("born {month}/{year}").format(month=screen.birth_month, year=screen.birth_year)
    text = _("✅ Added {nickname} ({born}).\nDo you care for another child?").format(
        nickname=f"<b>{escape(screen.nickname)}</b>", born=born
    )
    buttons = [
        [onboarding_button(screen.revision, "more", "yes", _("➕ Add another child"))],
        [onboarding_button(screen.revision, "more", "no", _("✅ That's all"))],
    ]
    return Reply(text, kb.inline(buttons))


@render.register
def _(screen: s.JoinedSchool, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("Welcome! You are now a counsellor of {school}.").format(school=f"<b>{escape(screen.school_name)}</b>")
    )


@render.register
def _(screen: s.JoinedRegion, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("Welcome! You now supervise the schools of {region}.").format(region=escape(screen.region)))


@render.register
def _(screen: s.ParentLinked, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("✅ You are now linked to {nickname}'s family. The family has been told.").format(
            nickname=f"<b>{escape(screen.child_nickname)}</b>"
        )
    )


@render.register
def _(screen: s.ConsentDeclined, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _(
            "That is all right. We have not saved anything about you or the child.\n"
            "If you change your mind, open the link again."
        )
    )


@render.register
def _(screen: s.CodeRejected, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _(
            "Sorry, that code does not work. It may be mistyped or too old.\n"
            "Please check it, or ask the person who sent it for a new one."
        )
    )


@render.register
def _(screen: s.CodesPaused, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _(
            "Too many codes did not work, so code entry is paused for an hour.\n"
            "Please try again later, or ask the school's counselling teacher for help."
        )
    )


@render.register
def _(screen: s.InviteUsedUp, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("This invitation has already been used. Please ask for a new one."))


INPUT_REFUSED = {
    "nickname_empty": N_("The nickname is empty."),
    "nickname_too_long": N_("That is a bit long. Please use at most 20 characters."),
    "nickname_characters": N_("Please use only ordinary letters and characters."),
    "nickname_formula": N_("Please start the name with a letter or a character, not with = + - or @."),
}


@render.register
def _(screen: s.InputRefused, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_(INPUT_REFUSED.get(screen.code, N_("Sorry, I could not use that. Please try again."))))


@render.register
def _(screen: s.StaleButton, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("That button is no longer active. Nothing was changed."))


@render.register
def _(screen: s.UseTheButtons, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("Please answer with the buttons."))


# -- family ----------------------------------------------------------------------------------------------------


def family_overview(children: list[ChildOfCaregiver], style: Style) -> Reply:
    _ = gettext_for(style.language)
    lines = [_("👨‍👩‍👧 <b>Your family</b>")]
    buttons: list[list[kb.Button]] = []
    for entry in children:
        child = entry.child
        linked = {link.relation for link in entry.parents}
        lines.append(f"• <b>{escape(child.nickname)}</b> " + _("born {year}").format(year=child.birth_year))
        for relation in ParentRelation:
            status = _("{parent}: ✅ joined") if relation in linked else _("{parent}: not yet joined")
            lines.append("   " + status.format(parent=_(PARENT_NAMES[relation])))
        for relation in ParentRelation:
            if relation not in linked:
                label = _("Invite {nickname}'s {parent}").format(
                    nickname=child.nickname, parent=_(PARENT_NAMES[relation])
                )
                buttons.append([(label, kb.callback("fam", "inv", child.id, relation.value))])
    buttons.append([(_("➕ Add a child"), kb.callback("fam", "add"))])
    buttons.append([(_("⏰ Check-in day and time"), kb.callback("sch"))])
    return Reply("\n".join(lines), kb.inline(buttons))


def parent_family(children: list[Child], style: Style) -> Reply:
    _ = gettext_for(style.language)
    names = "、".join(f"<b>{escape(child.nickname)}</b>" for child in children)
    return Reply(_("👨‍👩‍👧 You are linked to: {names}").format(names=names))


def parent_invite(result: ParentInviteIssued | ParentAlreadyLinked, style: Style) -> list[Reply]:
    _ = gettext_for(style.language)
    parent = _(PARENT_NAMES[result.relation])
    if isinstance(result, ParentAlreadyLinked):
        return [
            Reply(
                _("{nickname}'s {parent} has already joined.").format(nickname=escape(result.nickname), parent=parent)
            )
        ]
    link = deep_link(style.bot_username, result.code)
    until = format_date(result.expires_at)
    return [
        Reply(
            _(
                "Please forward the next message to {nickname}'s {parent}, for example by copying it into WeChat."
            ).format(nickname=escape(result.nickname), parent=parent)
        ),
        Reply(
            _(
                "Join {nickname}'s family on Shouhu (守护): open {link}\n"
                "Or send this code to the bot: <code>{code}</code>\n"
                "Valid until {until}, for one person."
            ).format(nickname=escape(result.nickname), link=link, code=result.code, until=until)
        ),
    ]


def format_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


# -- safety, language, help -------------------------------------------------------------------------------------


def worried(region: HotlineRegion, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lang = style.language
    emergency = "  ".join(f"{escape(n.name.get(lang))} <b>{escape(n.number)}</b>" for n in region.emergency)
    hotlines = "\n".join(
        f"• {escape(n.name.get(lang))}: <b>{escape(n.number)}</b>"
        + (f" ({escape(n.hours.get(lang))})" if n.hours else "")
        for n in region.hotlines
    )
    return Reply(
        _(
            "🆘 Thank you for telling me. You are doing the right thing.\n"
            "• Stay with the child. Do not leave them alone.\n"
            "• Put away pesticide, medicines, rope and knives.\n"
            "• Talk calmly. Listen more than you speak.\n\n"
            "If there is danger now, call: {emergency}\n\n"
            "To talk to someone who can help:\n{hotlines}"
        ).format(emergency=emergency, hotlines=hotlines)
    )


def choose_language(style: Style) -> Reply:
    buttons = [(label, kb.callback("lang", code)) for label, code in LANGUAGE_BUTTONS]
    return Reply("请选择语言\nPlease choose a language", kb.inline([buttons]))


def language_changed(roles: Roles, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("✅ From now on I will speak English with you."), main_menu(roles, style))


def help_text(roles: Roles, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lines = [_("Shouhu (守护) helps families and schools look after children whose parents work far away.")]
    if roles.is_caregiver:
        lines.append(_("🆘 I'm worried: what to do now and who to call."))
        lines.append(_("👨‍👩‍👧 Family: your children, and inviting their mum or dad."))
    lines.append(_("/menu shows the big buttons again. /language changes the language."))
    if not roles.any:
        lines.append(_("To join, open the link from the child's school, or send me your code."))
    return Reply("\n".join(lines), main_menu(roles, style) if roles.any else None)


def parent_joined(params: dict, style: Style) -> Rendered:
    """To the caregivers when a parent joins: the moment to ask whether parents may get the weekly summary."""
    _ = gettext_for(style.language)
    parent = _(PARENT_NAMES[ParentRelation(params["relation"])])
    joined = _("💌 {nickname}'s {parent} has joined Shouhu.").format(
        nickname=f"<b>{escape(params['nickname'])}</b>", parent=parent
    )
    ask = _(
        "May the parents get a short summary after each weekly check-in (mood, sleep, school; never your own "
        "words)? You can change this any time in 👨‍👩‍👧 Family."
    )
    buttons = [[(_("✅ Yes, send summaries"), kb.callback("ct", "s", 1)), (_("Not now"), kb.callback("ct", "s", 0))]]
    return Rendered(f"{joined}\n\n{ask}", buttons)
