"""Rendering of check-ins, worries, the safety reply and the counsellors' alerts, in the reader's language.

Texts from the content pack are plain text and are escaped here; the safety reply keeps the content pack's exact
words, with the school region's phone numbers dropped in.
"""

from __future__ import annotations

from html import escape
from typing import Any

from babel.dates import get_day_names

from bot.checkins import screens as cs
from bot.checkins.flow import SKIP
from bot.content.pack import ContentPack, HotlineRegion
from bot.i18n import gettext_for
from bot.safety.hotlines import region_by_key
from bot.telegram import keyboards as kb
from bot.telegram.render import Reply, Style, render
from bot.telegram.transport import Rendered


def hotline_lines(region: HotlineRegion, language: str) -> str:
    """The region's hotlines, number first, for the content pack's {hotlines} placeholder."""
    _ = gettext_for(language)
    lines = []
    for number in region.hotlines:
        name = number.name.get(language)
        if number.hours:
            name = _("{name} ({hours})").format(name=name, hours=number.hours.get(language))
        lines.append(f"• {number.number} {name}")
    return "\n".join(lines)


def emergency_numbers(region: HotlineRegion, language: str) -> str:
    """The region's emergency numbers in one line, for the {emergency} placeholder: "120 急救 / 110 报警"."""
    return " / ".join(f"{number.number} {number.name.get(language)}" for number in region.emergency)


def safety_reply(screen: cs.SafetyAdvice | cs.CheckinFinished, style: Style) -> Reply:
    lang = style.language
    text = screen.texts.reply(
        screen.level,
        lang,
        hotlines=hotline_lines(screen.region, lang),
        emergency=emergency_numbers(screen.region, lang),
        child=screen.nickname,
        told=screen.told,
    )
    return Reply(escape(text))


def _start_button(checkin_id: int, label: str) -> kb.Button:
    return label, kb.callback("ci", checkin_id, "go")


# -- check-ins ----------------------------------------------------------------------------------------------


@render.register
def _(screen: cs.ChooseChildForCheckin, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [[(child.nickname, kb.callback("cn", child.child_id))] for child in screen.children]
    return Reply(_("📝 Which child is this check-in about?"), kb.inline(buttons))


@render.register
def _(screen: cs.AskQuestion, style: Style) -> Reply:
    lang = style.language
    heading = f"📝 <b>{escape(screen.nickname)}</b> · {screen.number}/{screen.total}"
    parts = [heading]
    if screen.intro is not None:
        parts.append(escape(screen.intro.get(lang).format(child=screen.nickname, count=screen.total)))
    parts.append(escape(screen.question.text.get(lang).format(child=screen.nickname)))
    buttons = [
        [(option.label.get(lang), kb.callback("ci", screen.checkin_id, screen.question.id, option.id))]
        for option in screen.question.options
    ]
    return Reply("\n\n".join(parts), kb.inline(buttons))


@render.register
def _(screen: cs.AskNote, style: Style) -> Reply:
    _ = gettext_for(style.language)
    question = screen.question
    text = escape(question.text.get(style.language).format(child=screen.nickname))
    hint = _("You can type a few words, or send a voice message.")
    skip = question.skip_label.get(style.language)
    return Reply(f"{text}\n\n{hint}", kb.inline([[(skip, kb.callback("ci", screen.checkin_id, question.id, SKIP))]]))


@render.register
def _(screen: cs.ContinueLater, style: Style) -> Reply:
    _ = gettext_for(style.language)
    text = _("When you are ready, we can go on with the check-in about {nickname}.").format(
        nickname=f"<b>{escape(screen.nickname)}</b>"
    )
    return Reply(text, kb.inline([[_start_button(screen.checkin_id, _("▶️ Go on"))]]))


render.register(cs.CheckinFinished, safety_reply)


@render.register
def _(screen: cs.NextCheckin, style: Style) -> Reply:
    _ = gettext_for(style.language)
    text = _("There is also a check-in about {nickname}.").format(nickname=f"<b>{escape(screen.nickname)}</b>")
    return Reply(text, kb.inline([[_start_button(screen.checkin_id, _("▶️ Start"))]]))


@render.register
def _(screen: cs.CheckinDoneToday, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _(
            "You already did a check-in about {nickname} today. Thank you!\n"
            "If you are worried about the child, tap 🆘 at any time."
        ).format(nickname=f"<b>{escape(screen.nickname)}</b>")
    )


@render.register
def _(screen: cs.CheckinClosed, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("This check-in is already finished or closed. Thank you!"))


@render.register
def _(screen: cs.AlreadyAnswered, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("You already answered this question. Nothing was changed."))


def _slot(weekday: int, minute_of_day: int, language: str) -> tuple[str, str]:
    day = get_day_names("wide", locale=language)[weekday]
    return day, f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


@render.register
def _(screen: cs.AskCheckinDay, style: Style) -> Reply:
    _ = gettext_for(style.language)
    day, time = _slot(screen.weekday, screen.minute_of_day, style.language)
    days = get_day_names("wide", locale=style.language)
    buttons = [(days[weekday], kb.callback("sch", weekday)) for weekday in range(7)]
    text = _("⏰ The check-in comes every {day} at {time}.\nWhich day suits you best?").format(day=day, time=time)
    return Reply(text, kb.inline(kb.in_rows(buttons, 2)))


@render.register
def _(screen: cs.AskCheckinTime, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [
        (_slot(screen.weekday, minute, style.language)[1], kb.callback("sch", screen.weekday, minute))
        for minute in screen.minutes
    ]
    return Reply(_("⏰ At what time?"), kb.inline(kb.in_rows(buttons, 3)))


@render.register
def _(screen: cs.CheckinTimeSet, style: Style) -> Reply:
    _ = gettext_for(style.language)
    day, time = _slot(screen.weekday, screen.minute_of_day, style.language)
    return Reply(_("✅ Done. The check-in will come every {day} at {time}.").format(day=day, time=time))


# -- worries and the safety reply ---------------------------------------------------------------------------


render.register(cs.SafetyAdvice, safety_reply)


@render.register
def _(screen: cs.ChooseChildForWorry, style: Style) -> Reply:
    _ = gettext_for(style.language)
    buttons = [[(child.nickname, kb.callback("wr", child.child_id))] for child in screen.children]
    return Reply(_("🆘 Which child are you worried about?"), kb.inline(buttons))


@render.register
def _(screen: cs.AskWorry, style: Style) -> Reply:
    lang = style.language
    buttons = [[(choice.label.get(lang), kb.callback("wr", screen.child_id, choice.id))] for choice in screen.choices]
    return Reply(escape(screen.prompt.get(lang).format(child=screen.nickname)), kb.inline(buttons))


@render.register
def _(screen: cs.AskWorryNote, style: Style) -> Reply:
    _ = gettext_for(style.language)
    text = escape(screen.prompt.get(style.language).format(child=screen.nickname))
    if screen.ask_phone:
        text += "\n\n" + _(
            "☎️ The counsellor will phone you. If you like, send a phone number they can call; "
            "only the school counsellors will see it. You may also leave it."
        )
    return Reply(text)


@render.register
def _(screen: cs.PhoneSaved, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("✅ Number saved. Only the school counsellors can see it."))


@render.register
def _(screen: cs.FlagHeldBack, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _(
            "The counsellor already knows about {nickname}. What you sent since is kept with it, and they will "
            "see it all. If there is danger now, call the numbers above."
        ).format(nickname=f"<b>{escape(screen.nickname)}</b>")
    )


@render.register
def _(screen: cs.NoteReceived, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("✅ Thank you. The counsellor will see what you sent about {nickname}.").format(
            nickname=f"<b>{escape(screen.nickname)}</b>"
        )
    )


@render.register
def _(screen: cs.NoteKept, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("✅ Kept with the check-in about {nickname}; the counsellor can see it. Now the question again:").format(
            nickname=f"<b>{escape(screen.nickname)}</b>"
        )
    )


@render.register
def _(screen: cs.Pointer, style: Style) -> Reply:
    return Reply(escape(screen.text.get(style.language)))


@render.register
def _(screen: cs.TypeOrPress, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("🙏 For this step, please type a few words or press a button above. Voice cannot be used here."))


@render.register
def _(screen: cs.VoiceNotHeard, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(
        _("🙏 Sorry, I cannot pass this voice message to anyone yet.\nIf you are worried about a child, tap 🆘.")
    )


# -- outbox notifications -----------------------------------------------------------------------------------


def nobody_reached(params: dict[str, Any], style: Style, *, pack: ContentPack) -> Rendered:
    """To a family told that the school's staff knew, when their alert reached nobody after all."""
    _ = gettext_for(style.language)
    region = region_by_key(pack, params["hotline_region"])
    heading = _("🆘 About {nickname}:").format(nickname=f"<b>{escape(params['nickname'])}</b>")
    body = f"{style.checkins.safety.unreached.get(style.language)}\n{hotline_lines(region, style.language)}"
    return Rendered(f"{heading}\n{escape(body)}")


def checkin_invite(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("📝 Time for this week's check-in about {nickname}.\nIt takes about two minutes: just tap the buttons.")
    return Rendered(
        text.format(nickname=f"<b>{escape(params['nickname'])}</b>"),
        [[_start_button(params["checkin_id"], _("▶️ Start"))]],
    )


def checkin_reminder(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("📝 A gentle reminder: the check-in about {nickname} is still waiting for you.")
    return Rendered(
        text.format(nickname=f"<b>{escape(params['nickname'])}</b>"),
        [[_start_button(params["checkin_id"], _("▶️ Start"))]],
    )
