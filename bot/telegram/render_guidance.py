"""Rendering of parenting tips, the Tips menu, "did you try it?" and the tip schedule, in the reader's language.

Tip texts come from the content pack as plain text and are escaped here. Callback data: `gd:m` the topics,
`gd:tp:<topic>:<page>` a page of a topic, `gd:v:<tip>` one tip, `gd:f:<delivery>:<h|n>` helpful or not,
`gd:t:<delivery>:<w|h|n>` did you try it, `gd:s` the schedule and `gd:s:<n|d|h>:<value>` its changes.
"""

from __future__ import annotations

from html import escape
from typing import Any

from babel.dates import get_day_names

from bot.guidance import screens as gs
from bot.guidance.content import GuidanceContent, Tip
from bot.guidance.models import WEEKDAYS_FOR, Feedback, Tried
from bot.i18n import N_, gettext_for
from bot.telegram import keyboards as kb
from bot.telegram.render import Reply, Style, render
from bot.telegram.transport import Rendered

FEEDBACK_CODES = {"h": Feedback.HELPFUL, "n": Feedback.NOT_FOR_ME}
TRIED_CODES = {"w": Tried.WENT_WELL, "h": Tried.HARD, "n": Tried.NOT_YET}
TRIED_LABELS = {
    "w": N_("😊 Yes, it went well"),
    "h": N_("😓 Yes, it was hard"),
    "n": N_("⏳ Not yet"),
}
TRIED_REPLIES = {
    Tried.WENT_WELL: N_("👏 Wonderful! Thank you for trying it."),
    Tried.HARD: N_(
        "Thank you for trying. New things are often hard at first. Another tip on the same theme is coming."
    ),
    Tried.NOT_YET: N_("That's all right. Try it when a good moment comes."),
}
FEEDBACK_REPLIES = {
    Feedback.HELPFUL: N_("👍 Thank you! Glad it helps."),
    Feedback.NOT_FOR_ME: N_("Thank you for telling us. We will send other tips."),
}


def _tip_text(tip: Tip, language: str) -> str:
    _ = gettext_for(language)
    parts = [f"🌱 <b>{escape(tip.title.get(language))}</b>", escape(tip.text.get(language))]
    if tip.activity is not None:
        parts.append(_("✏️ <b>Try this today:</b> {activity}").format(activity=escape(tip.activity.get(language))))
    return "\n\n".join(parts)


def _feedback_buttons(delivery_id: int, language: str) -> list[list[kb.Button]]:
    _ = gettext_for(language)
    return [
        [
            (_("👍 Helpful"), kb.callback("gd", "f", delivery_id, "h")),
            (_("🙅 Not for me"), kb.callback("gd", "f", delivery_id, "n")),
        ]
    ]


# -- outbox messages ----------------------------------------------------------------------------------------


def guidance_tip(params: dict[str, Any], style: Style, content: GuidanceContent) -> Rendered:
    """A tip from the schedule or a check-in; a recording in the reader's language makes it a voice message."""
    tip = content.tip(params["tip_id"])
    if tip is None:
        raise KeyError(params["tip_id"])  # the tip was removed from the pack since: the sender drops the message
    voice = content.audio_path(tip, style.language)
    return Rendered(
        _tip_text(tip, style.language),
        _feedback_buttons(params["delivery_id"], style.language),
        voice=voice if voice is not None and voice.is_file() else None,
    )


def guidance_ask(params: dict[str, Any], style: Style, content: GuidanceContent) -> Rendered:
    """The next day's "did you try it?" about a tip with an activity."""
    _ = gettext_for(style.language)
    tip = content.tip(params["tip_id"])
    if tip is None or tip.activity is None:
        raise KeyError(params["tip_id"])
    text = _("🌱 Yesterday's tip: {title}\n✏️ {activity}\n\nDid you try it?").format(
        title=f"<b>{escape(tip.title.get(style.language))}</b>", activity=escape(tip.activity.get(style.language))
    )
    buttons = [
        [(_(label), kb.callback("gd", "t", params["delivery_id"], code))] for code, label in TRIED_LABELS.items()
    ]
    return Rendered(text, buttons)


# -- screens ------------------------------------------------------------------------------------------------


@render.register
def _(screen: gs.TipsMenu, style: Style) -> Reply:
    _ = gettext_for(style.language)
    rows = [[(topic.label.get(style.language), kb.callback("gd", "tp", topic.id, 0))] for topic in screen.topics]
    rows.append([(_("⚙️ How often tips come"), kb.callback("gd", "s"))])
    return Reply(_("🌱 <b>Tips</b>\nShort ideas for raising the children. Choose a topic:"), kb.inline(rows))


@render.register
def _(screen: gs.TopicTips, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lang = style.language
    rows = [[(tip.title.get(lang), kb.callback("gd", "v", tip.id))] for tip in screen.tips]
    pager = []
    if screen.page > 0:
        pager.append((_("◀️ Back"), kb.callback("gd", "tp", screen.topic.id, screen.page - 1)))
    if screen.page + 1 < screen.pages:
        pager.append((_("More ▶️"), kb.callback("gd", "tp", screen.topic.id, screen.page + 1)))
    if pager:
        rows.append(pager)
    rows.append([(_("⬅️ All topics"), kb.callback("gd", "m"))])
    heading = f"<b>{escape(screen.topic.label.get(lang))}</b>"
    if screen.pages > 1:
        heading += f" · {screen.page + 1}/{screen.pages}"
    # Outside the f-string, so that the catalog extraction sees it.
    tap = _("Tap a tip to read it.")
    return Reply(f"{heading}\n{tap}", kb.inline(rows))


@render.register
def _(screen: gs.ShowTip, style: Style) -> Reply:
    return Reply(
        _tip_text(screen.tip, style.language), kb.inline(_feedback_buttons(screen.delivery_id, style.language))
    )


@render.register
def _(screen: gs.FeedbackSaved, style: Style) -> Reply:
    return Reply(gettext_for(style.language)(FEEDBACK_REPLIES[screen.feedback]))


@render.register
def _(screen: gs.TriedSaved, style: Style) -> Reply:
    return Reply(gettext_for(style.language)(TRIED_REPLIES[screen.tried]))


@render.register
def _(screen: gs.AlreadyTold, style: Style) -> Reply:
    return Reply(gettext_for(style.language)("You already answered this. Thank you!"))


@render.register
def _(screen: gs.TooManyDays, style: Style) -> Reply:
    _ = gettext_for(style.language)
    return Reply(_("At most {count} days a week. Switch a day off first.").format(count=screen.most))


@render.register
def _(screen: gs.GuidanceSettings, style: Style) -> Reply:
    _ = gettext_for(style.language)
    lang = style.language
    names = get_day_names("wide", locale=lang)
    short = get_day_names("abbreviated", locale=lang)
    hour = f"{screen.hour:02d}:00"
    if screen.weekdays:
        days = ", ".join(names[day] for day in screen.weekdays)
        text = _("⚙️ Tips come {count} times a week: {days}, at {hour}.").format(
            count=len(screen.weekdays), days=days, hour=hour
        )
    else:
        text = _("🔕 Tips are switched off. Choose how many a week to switch them on again.")
    text += "\n" + _("Tap a day to switch it on or off, and choose the hour.")
    counts = [
        (_("🔕 None") if count == 0 else _("{count} a week").format(count=count), kb.callback("gd", "s", "n", count))
        for count in WEEKDAYS_FOR
    ]
    days = [
        (("✅ " if day in screen.weekdays else "") + short[day], kb.callback("gd", "s", "d", day)) for day in range(7)
    ]
    hours = [
        (("✅ " if hour_ == screen.hour else "") + f"{hour_:02d}:00", kb.callback("gd", "s", "h", hour_))
        for hour_ in screen.hours
    ]
    rows = [counts, *kb.in_rows(days, 4), *kb.in_rows(hours, 4), [(_("⬅️ All topics"), kb.callback("gd", "m"))]]
    return Reply(text, kb.inline(rows))
