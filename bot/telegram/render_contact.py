"""Rendering of family contact: call plans, reminders with conversation starters, the relay, lapses, summaries.

Callback data, all checked again on the server: `ct:p:<child>[:<zone>[:<weekday>[:<minute>]]]` plans a call step
by step, `ct:x:<plan>` removes a plan, `ct:o:<call>:<t|u|r>` says how a call went, `ct:m:<child>` messages the
family, `ct:r:<relay>` replies to a relayed message, `ct:s:<0|1>` turns summaries for parents off or on,
`ct:b:<child>[:<day>]` sets a child's birthday, `ct:f:<child>:<message>` passes on a message the presser
sent in their own chat without pressing ✉️ first, `ct:v:<plan>[:<weekday>[:<minute>]]` proposes a new slot
for a plan and `ct:a:<proposal>:<0|1>` declines or agrees to one.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_day_names, get_month_names
from telegram import InlineKeyboardMarkup

from bot.contact import screens as ct
from bot.contact.models import CallOutcome
from bot.contact.starters import StarterContent, starter_by_id
from bot.i18n import N_, gettext_for
from bot.telegram import keyboards as kb
from bot.telegram.render import Reply, Style, render
from bot.telegram.transport import Rendered

WHO = {
    "mother": N_("Mum"),
    "father": N_("Dad"),
    "grandmother": N_("Grandma"),
    "grandfather": N_("Grandpa"),
    "aunt": N_("Auntie"),
    "uncle": N_("Uncle"),
    "other": N_("the family"),
}
ZONE_NAMES = {
    "Asia/Shanghai": N_("Beijing time"),
    "Asia/Tokyo": N_("Japan / Korea time"),
    "Asia/Singapore": N_("Singapore / Malaysia time"),
    "Asia/Dubai": N_("Gulf time (Dubai)"),
    "Europe/Moscow": N_("Moscow time"),
    "Europe/Berlin": N_("Central Europe time"),
}
OUTCOME_CODES = {"t": CallOutcome.TALKED, "u": CallOutcome.UNREACHED, "r": CallOutcome.RESCHEDULE}
OUTCOME_BUTTONS = {
    CallOutcome.TALKED: N_("✅ We talked"),
    CallOutcome.UNREACHED: N_("📵 Couldn't reach them"),
    CallOutcome.RESCHEDULE: N_("🔁 Another time"),
}
# Summary levels: 0 fine, 1 some days, 2 often; and the caregiver's coping.
AREA_LEVELS = (N_("good"), N_("a few harder days"), N_("often hard this week"))
COPING_LEVELS = (N_("managing well"), N_("a bit tired"), N_("finding it hard at the moment"))


def who(relation: str, language: str) -> str:
    return gettext_for(language)(WHO.get(relation, WHO["other"]))


def zone_name(zone: str, language: str) -> str:
    return gettext_for(language)(ZONE_NAMES[zone]) if zone in ZONE_NAMES else zone


def hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def local_slot(at: datetime, zone: str, language: str) -> str:
    """ "Sunday 20:00" in `zone`."""
    local = at.astimezone(ZoneInfo(zone))
    return f"{get_day_names('wide', locale=language)[local.weekday()]} {local:%H:%M}"


def _plan_text(plan: ct.PlanView, language: str) -> str:
    day = get_day_names("wide", locale=language)[plan.weekday]
    return f"{day} {hhmm(plan.minute_of_day)} ({zone_name(plan.timezone, language)})"


def _b(nickname: str) -> str:
    return f"<b>{escape(nickname)}</b>"


# -- screens ------------------------------------------------------------------------------------------------------


@render.register
def _(screen: ct.CallsOverview, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lines, rows = [_("📞 <b>Calls with your child</b>")], []
    for child in screen.children:
        if child.plans:
            plans = "\n".join(f"• {_plan_text(plan, style.language)}" for plan in child.plans)
            lines.append(_("Your regular calls with {nickname}:").format(nickname=_b(child.nickname)) + "\n" + plans)
        else:
            lines.append(_("No regular call with {nickname} yet.").format(nickname=_b(child.nickname)))
        rows.append(
            [
                (
                    _("➕ Plan a call with {nickname}").format(nickname=child.nickname),
                    kb.callback("ct", "p", child.child_id),
                )
            ]
        )
        message = _("✉️ Message {nickname}'s family").format(nickname=child.nickname)
        birthday = _("🎂 {nickname}'s birthday").format(nickname=child.nickname)
        rows.append([(message, kb.callback("ct", "m", child.child_id))])
        rows.append([(birthday, kb.callback("ct", "b", child.child_id))])
        for plan in child.plans:
            slot = _plan_text(plan, style.language)
            rows.append([(_("🔁 Move {slot}").format(slot=slot), kb.callback("ct", "v", plan.plan_id))])
            rows.append([(_("🗑 Stop {slot}").format(slot=slot), kb.callback("ct", "x", plan.plan_id))])
    lines.append(_("An hour before each call, you get a few ideas of what to talk about."))
    return Reply("\n\n".join(lines), kb.inline(rows))


@render.register
def _(screen: ct.ChooseZone, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [
        (zone_name(zone, style.language), kb.callback("ct", "p", screen.child_id, i))
        for i, zone in enumerate(screen.zones)
    ]
    text = _("📞 A regular call with {nickname}. Which time zone are you in? The first one is home's.")
    return Reply(text.format(nickname=_b(screen.nickname)), kb.inline(kb.in_rows(buttons, 2)))


@render.register
def _(screen: ct.ChooseCallDay, style: Style) -> Reply:
    _ = gettext_for(style.language)
    days = get_day_names("wide", locale=style.language)
    buttons = [(days[d], kb.callback("ct", "p", screen.child_id, screen.zone_index, d)) for d in range(7)]
    text = _("Which day do you want to call {nickname}?").format(nickname=_b(screen.nickname))
    return Reply(text, kb.inline(kb.in_rows(buttons, 2)))


@render.register
def _(screen: ct.ChooseCallTime, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [
        (hhmm(minute), kb.callback("ct", "p", screen.child_id, screen.zone_index, screen.weekday, minute))
        for minute in screen.minutes
    ]
    text = _("At what time (your own time)?")
    return Reply(text, kb.inline(kb.in_rows(buttons, 4)))


@render.register
def _(screen: ct.CallPlanned, style: Style) -> Reply:
    _ = gettext_for(style.language)
    text = _("✅ Planned: a call with {nickname} every {slot}.").format(
        nickname=_b(screen.nickname), slot=_plan_text(screen.plan, style.language)
    )
    if screen.plan.timezone != screen.home_timezone:
        home = local_slot(screen.next_at, screen.home_timezone, style.language)
        where = zone_name(screen.home_timezone, style.language)
        text += "\n" + _("At home that is {slot} ({zone}).").format(slot=home, zone=where)
    text += "\n" + _("We will remind you and the family an hour before.")
    return Reply(text)


@render.register
def _(screen: ct.PlanRemoved, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("This regular call with {nickname} is removed.").format(nickname=_b(screen.nickname)))


@render.register
def _(screen: ct.OutcomeNoted, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if screen.outcome is CallOutcome.TALKED:
        text = _("💛 Thank you. Every call with {nickname} counts.")
    elif screen.outcome is CallOutcome.UNREACHED:
        text = _("Thank you for saying. It happens; the next call is still planned.")
    else:
        text = _("Noted. Let's find another time to call {nickname}.")
    keyboard = None
    if screen.replan:
        keyboard = kb.inline([[(_("📞 Plan a call"), kb.callback("ct", "p", screen.child_id))]])
    return Reply(text.format(nickname=_b(screen.nickname)), keyboard)


@render.register
def _(screen: ct.OutcomeAlreadyNoted, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("Someone in the family has already answered. Thank you!"))


@render.register
def _(screen: ct.AskRelay, style: Style) -> Reply:
    _ = gettext_for(style.language)
    to = "、".join(who(relation, style.language) for relation in screen.to)
    text = _(
        "✉️ Send one message for {nickname} now: words, a voice message, a photo or a round video. It goes to {to}."
    )
    return Reply(text.format(nickname=_b(screen.nickname), to=escape(to)))


@render.register
def _(screen: ct.RelaySent, style: Style) -> Reply:
    _ = gettext_for(style.language)
    to = "、".join(who(relation, style.language) for relation in screen.delivered_to)
    text = _("📨 On its way to {to}.").format(to=escape(to))
    if screen.unreachable:
        missing = "、".join(who(relation, style.language) for relation in screen.unreachable)
        text += "\n" + _("{who} cannot get messages from Shouhu at the moment, so it could not go to them.").format(
            who=escape(missing)
        )
    return Reply(text)


@render.register
def _(screen: ct.RelayImpossible, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if screen.unreachable:
        missing = "、".join(who(relation, style.language) for relation in screen.unreachable)
        text = _(
            "We are sorry: {who} cannot get messages from Shouhu at the moment (perhaps Shouhu was stopped on their "
            "phone), so your message could not be passed on. A phone call may reach them."
        ).format(who=escape(missing))
    else:
        text = _("Nobody else in {nickname}'s family is on Shouhu yet, so there is nobody to pass it to.").format(
            nickname=_b(screen.nickname)
        )
    return Reply(text)


@render.register
def _(screen: ct.OfferRelay, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = []
    for offer in screen.offers:
        to = "、".join(who(relation, style.language) for relation in offer.to)
        label = _("📨 Send to {to}").format(to=to)
        if len(screen.offers) > 1:
            label = _("{label} ({nickname})").format(label=label, nickname=offer.nickname)
        buttons.append([(label, kb.callback("ct", "f", offer.child_id, screen.message_id))])
    if len(screen.offers) == 1:
        to = "、".join(who(relation, style.language) for relation in screen.offers[0].to)
        text = _("📨 Send this to {to}?").format(to=escape(to))
    else:
        text = _("📨 Send this to the family?")
    return Reply(text, kb.inline(buttons))


@render.register
def _(screen: ct.RelayHint, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("To send this to the family, first press ✉️ Message the family (in 📞 Calls or 👨‍👩‍👧 Family)."))


@render.register
def _(screen: ct.SummaryConsentChanged, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if screen.share:
        return Reply(_("✅ The parents will get a short summary after each weekly check-in."))
    return Reply(_("The parents will no longer get summaries of the check-in."))


def with_family_contact(overview: Reply, screen: ct.FamilyContact, style: Style) -> Reply:
    """The caregiver's Family menu with its contact part added: the summary consent and message buttons."""
    _ = gettext_for(style.language)
    if screen.share_summaries:
        text = _(
            "📤 The parents get a short summary after each weekly check-in (mood, sleep, school). Never your own words."
        )
        toggle = (_("Stop the summaries"), kb.callback("ct", "s", 0))
    else:
        text = _(
            "📤 The parents do not get summaries of the weekly check-in. You can send them a short one "
            "(mood, sleep, school), never your own words."
        )
        toggle = (_("Send summaries to the parents"), kb.callback("ct", "s", 1))
    rows = [
        [(_("✉️ Message {nickname}'s parents").format(nickname=nickname), kb.callback("ct", "m", child_id))]
        for child_id, nickname in screen.children
    ]
    days = get_day_names("wide", locale=style.language)
    for plan in screen.plans:
        label = _("🔁 Move {who}'s call with {nickname} ({slot})").format(
            who=who(plan.who, style.language),
            nickname=plan.nickname,
            slot=f"{days[plan.weekday]} {hhmm(plan.minute_of_day)}",
        )
        rows.append([(label, kb.callback("ct", "v", plan.plan_id))])
    rows.append([toggle])
    existing = overview.keyboard.inline_keyboard if overview.keyboard is not None else ()
    keyboard = InlineKeyboardMarkup([*existing, *kb.inline(rows).inline_keyboard])
    return Reply(f"{overview.text}\n\n{text}", keyboard)


@render.register
def _(screen: ct.ChooseBirthday, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [(str(day), kb.callback("ct", "b", screen.child_id, day)) for day in screen.days]
    month = get_month_names("wide", locale=style.language)[screen.month]
    text = _("🎂 {nickname} was born in {month}. On which day? We will remind you a week and a day before.")
    return Reply(text.format(nickname=_b(screen.nickname), month=month), kb.inline(kb.in_rows(buttons, 7)))


@render.register
def _(screen: ct.BirthdaySaved, style: Style) -> Reply:
    _ = gettext_for(style.language)
    when = format_skeleton("MMMMd", date(2024, screen.month, screen.day), locale=style.language)
    return Reply(_("🎂 Saved: {nickname}'s birthday is on {date}.").format(nickname=_b(screen.nickname), date=when))


@render.register
def _(screen: ct.BirthdayMonthUnknown, style: Style) -> Reply:
    _ = gettext_for(style.language)
    text = _("We do not know the month {nickname} was born in, so we cannot remind you of the birthday.")
    return Reply(text.format(nickname=_b(screen.nickname)))


@render.register
def _(screen: ct.ChooseMoveDay, style: Style) -> Reply:
    _ = gettext_for(style.language)
    days = get_day_names("wide", locale=style.language)
    buttons = [(days[d], kb.callback("ct", "v", screen.plan_id, d)) for d in range(7)]
    text = _("🔁 Which day would suit better for the call with {nickname}? ({zone})").format(
        nickname=_b(screen.nickname), zone=zone_name(screen.timezone, style.language)
    )
    return Reply(text, kb.inline(kb.in_rows(buttons, 2)))


@render.register
def _(screen: ct.ChooseMoveTime, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [(hhmm(m), kb.callback("ct", "v", screen.plan_id, screen.weekday, m)) for m in screen.minutes]
    return Reply(_("At what time?"), kb.inline(kb.in_rows(buttons, 4)))


@render.register
def _(screen: ct.ProposalSent, style: Style) -> Reply:
    _ = gettext_for(style.language)
    to = "、".join(who(relation, style.language) for relation in screen.to)
    text = _("📨 We asked {to} whether the new time suits them. The call stays as it is until they agree.")
    return Reply(text.format(to=escape(to)))


@render.register
def _(screen: ct.ProposalAnswered, style: Style) -> Reply:
    _ = gettext_for(style.language)
    if screen.accepted:
        return Reply(
            _("✅ Agreed: the call with {nickname} moves to the new time.").format(nickname=_b(screen.nickname))
        )
    return Reply(_("The call with {nickname} stays at its usual time.").format(nickname=_b(screen.nickname)))


@render.register
def _(screen: ct.ProposalClosed, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("This proposal has already been answered or replaced."))


# -- outbox messages ------------------------------------------------------------------------------------------------


def relay_label(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("✉️ From {who}, for {nickname}:").format(
        who=escape(who(params["who"], style.language)), nickname=_b(params["nickname"])
    )
    buttons = [[(_("↩️ Reply"), kb.callback("ct", "r", params["relay_id"]))]]
    return Rendered(text, buttons, silent=params.get("silent", False))


def relay_copy(params: dict[str, Any], style: Style) -> Rendered:
    return Rendered("", copy_from=(params["from_chat_id"], params["message_id"]), silent=params.get("silent", False))


def relay_undelivered(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _(
        "We are sorry: your message for {nickname} could not reach {who}. They may have stopped Shouhu on their "
        "phone. A phone call may reach them, and nothing else is needed from you."
    )
    return Rendered(text.format(nickname=_b(params["nickname"]), who=escape(who(params["who"], style.language))))


def call_reminder_caregiver(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    at = datetime.fromisoformat(params["at"])
    text = _(
        "📞 In an hour ({time}), {who} will call {nickname}. Please have {nickname} at home and the phone charged."
    )
    return Rendered(
        text.format(
            time=f"{at.astimezone(ZoneInfo(params['timezone'])):%H:%M}",
            who=escape(who(params["who"], style.language)),
            nickname=_b(params["nickname"]),
        )
    )


def call_reminder_parent(params: dict[str, Any], style: Style, starters: StarterContent) -> Rendered:
    _ = gettext_for(style.language)
    at = datetime.fromisoformat(params["at"])
    ideas = [starter_by_id(starters, starter_id) for starter_id in params["starters"]]
    lines = [
        _("📞 Your call with {nickname} is in an hour ({time}).").format(
            nickname=_b(params["nickname"]), time=f"{at.astimezone(ZoneInfo(params['timezone'])):%H:%M}"
        ),
        _("Some ideas for what to talk about:"),
        *(f"• {escape(idea.text.get(style.language))}" for idea in ideas if idea is not None),
    ]
    return Rendered("\n".join(lines))


def call_ask(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    if params["parent"]:
        text = _("📞 How did the call with {nickname} go?").format(nickname=_b(params["nickname"]))
    else:
        text = _("📞 Did {who} reach {nickname} on the phone?").format(
            who=escape(who(params["who"], style.language)), nickname=_b(params["nickname"])
        )
    buttons = [
        [(_(OUTCOME_BUTTONS[outcome]), kb.callback("ct", "o", params["call_id"], code))]
        for code, outcome in OUTCOME_CODES.items()
    ]
    return Rendered(text, buttons)


def call_reschedule_asked(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("{who} asks whether another time would suit better for calling {nickname}.").format(
        who=escape(who(params["who"], style.language)), nickname=_b(params["nickname"])
    )
    return Rendered(text, [[(_("📞 Plan a call"), kb.callback("ct", "p", params["child_id"]))]])


def contact_nudge(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _(
        "💛 {nickname} would surely love to hear your voice. Even five minutes on the phone means a lot. "
        "Would you like to plan a call?"
    )
    return Rendered(
        text.format(nickname=_b(params["nickname"])),
        [[(_("📞 Plan a call"), kb.callback("ct", "p", params["child_id"]))]],
    )


def contact_weekly(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    if params["weeks"] >= 2:
        text = _("🌟 {weeks} weeks in a row in touch with {nickname}. Children feel this steady rhythm. Well done!")
    else:
        text = _("🌟 You were in touch with {nickname} this week. Keeping a regular rhythm helps children feel safe.")
    return Rendered(text.format(weeks=params["weeks"], nickname=_b(params["nickname"])))


def parent_summary(params: dict[str, Any], style: Style, starters: StarterContent) -> Rendered:
    _ = gettext_for(style.language)

    def level(value: int | None, words: tuple[str, ...]) -> str:
        return _("not answered") if value is None else _(words[value])

    caregiver = who(params["who"], style.language)
    lines = [
        _("🗓 <b>{nickname}'s week</b>, from {who}'s check-in:").format(
            nickname=escape(params["nickname"]), who=escape(caregiver)
        ),
        _("• Mood: {level}").format(level=level(params["mood"], AREA_LEVELS)),
        _("• Sleep and eating: {level}").format(level=level(params["sleep"], AREA_LEVELS)),
        _("• School: {level}").format(level=level(params["school"], AREA_LEVELS)),
        _("• {who}: {level}").format(who=escape(caregiver), level=level(params["coping"], COPING_LEVELS)),
    ]
    suggestion = starter_by_id(starters, params["suggestion"]) if params.get("suggestion") else None
    if suggestion is not None:
        lines.append(_("💡 Idea for your next call: {idea}").format(idea=escape(suggestion.text.get(style.language))))
    return Rendered("\n".join(lines))


def birthday_reminder(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    when = format_skeleton("MMMMd", date(2024, params["month"], params["day"]), locale=style.language)
    if params["days"] == 1:
        text = _("🎂 Tomorrow ({date}) {nickname} turns {age}. A call or a voice message would make the day.")
    else:
        text = _("🎂 In a week ({date}) {nickname} turns {age}. Time to plan a call, or a small surprise?")
    buttons = [
        [(_("✉️ Send a message"), kb.callback("ct", "m", params["child_id"]))],
        [(_("📞 Plan a call"), kb.callback("ct", "p", params["child_id"]))],
    ]
    return Rendered(text.format(date=when, nickname=_b(params["nickname"]), age=params["age"]), buttons)


def call_proposal(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    at = datetime.fromisoformat(params["at"])
    text = _("🔁 {who} would like to move the regular call with {nickname} to {slot} (your time). Is that all right?")
    slot = local_slot(at, params["timezone"], style.language)
    buttons = [
        [(_("✅ Yes, that suits"), kb.callback("ct", "a", params["proposal_id"], 1))],
        [(_("Keep the usual time"), kb.callback("ct", "a", params["proposal_id"], 0))],
    ]
    return Rendered(
        text.format(who=escape(who(params["who"], style.language)), nickname=_b(params["nickname"]), slot=slot),
        buttons,
    )


def call_proposal_answer(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    slot = local_slot(datetime.fromisoformat(params["at"]), params["timezone"], style.language)
    if params["accepted"]:
        text = _("✅ {who} agreed: the call with {nickname} is now every {slot} (your time).")
    else:
        text = _("{who} would rather keep the usual time for the call with {nickname}.")
    return Rendered(
        text.format(who=escape(who(params["who"], style.language)), nickname=_b(params["nickname"]), slot=slot)
    )
