"""Rendering of what time limits send: reminders, escalations to supervisors, follow-ups due, returned cases.

Short and plain: which case, what is late, and a button to act. Buttons carry `cs:<case>:<action>`, which the case
handlers serve after checking, on the server, that the reader may still see the case.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.cases.severity import Level
from bot.cases.staff import UNREACHABLE
from bot.i18n import gettext_for
from bot.telegram import keyboards as kb
from bot.telegram.render import Style
from bot.telegram.render_cases import BADGES, LEVELS
from bot.telegram.transport import Rendered

RETURNED_SHOWN = 30  # case numbers listed in one message; the queue has the rest
RETURNED_BUTTONS = 6


def _open(case_id: int, style: Style) -> kb.Button:
    _ = gettext_for(style.language)
    return _("📂 Open"), kb.callback("cs", case_id, "open")


def _heading(params: dict[str, Any], style: Style) -> str:
    _ = gettext_for(style.language)
    level = Level(params["severity"])
    case = _("Case #{case}: {nickname}").format(case=params["case_id"], nickname=f"<b>{escape(params['nickname'])}</b>")
    return f"{BADGES[level]} <b>{_(LEVELS[level])}</b> · {escape(params['school'])}\n{case}"


def case_reminder(params: dict[str, Any], style: Style) -> Rendered:
    """The time limit for taking a case passed: to its counsellor, or to everyone who could take it."""
    _ = gettext_for(style.language)
    case_id = params["case_id"]
    if params["audience"] == "assignee":
        text = _("⏰ This case is yours, and its time limit has passed. Please contact the family, or add a note.")
        buttons = [[_open(case_id, style)]]
    elif params["audience"] == "supervisors":
        text = _(
            "⏰ Nobody has taken this case in time, and no counsellor of the school can be reached on Shouhu. "
            "Please find someone who can contact the family."
        )
        buttons = [[_open(case_id, style)]]
    else:
        text = _("⏰ Nobody has taken this case yet, and its time limit has passed. Can you take it?")
        buttons = [[(_("🙋 Take case"), kb.callback("cs", case_id, "take")), _open(case_id, style)]]
    return Rendered(f"{_heading(params, style)}\n\n{text}", buttons)


def case_escalation(params: dict[str, Any], style: Style) -> Rendered:
    """Twice the time limit passed: to the region's supervisors."""
    _ = gettext_for(style.language)
    if params["assigned"]:
        text = _(
            "⚠️ A counsellor has this case, but nothing has happened on it for twice its time limit. "
            "Please check with them."
        )
    else:
        text = _("⚠️ Nobody has taken this case for twice its time limit. Please make sure someone contacts the family.")
    return Rendered(f"{_heading(params, style)}\n\n{text}", [[_open(params["case_id"], style)]])


def follow_up_due(params: dict[str, Any], style: Style) -> Rendered:
    _ = gettext_for(style.language)
    text = _("📅 Time for the follow-up you planned on case #{case} ({nickname}, {school}).").format(
        case=params["case_id"], nickname=f"<b>{escape(params['nickname'])}</b>", school=escape(params["school"])
    )
    return Rendered(text, [[_open(params["case_id"], style)]])


def cases_returned(params: dict[str, Any], style: Style) -> Rendered:
    """A counsellor was removed, or can no longer be reached: their open cases wait in Unassigned again."""
    _ = gettext_for(style.language)
    case_ids: list[int] = params["case_ids"]
    numbers = ", ".join(f"#{case_id}" for case_id in case_ids[:RETURNED_SHOWN])
    if len(case_ids) > RETURNED_SHOWN:
        numbers += ", …"
    if params.get("why") == UNREACHABLE:
        text = _(
            "📥 A counsellor of {school} can no longer be reached on Telegram. "
            "Their open cases are back in Unassigned and need someone to take them ({count}): {cases}"
        )
    else:
        text = _(
            "📥 A counsellor has left the counselling room of {school}. "
            "Their open cases are back in Unassigned and need someone to take them ({count}): {cases}"
        )
    text = text.format(school=escape(params["school"]), count=params["count"], cases=numbers)
    buttons = [(f"📂 #{case_id}", kb.callback("cs", case_id, "open")) for case_id in case_ids[:RETURNED_BUTTONS]]
    return Rendered(text, kb.in_rows(buttons, 3))
