"""Rendering of the supervisors' weekly digest: its chart as a photo, with a short text as the caption.

The chart is drawn when the message is sent, in the reader's language of that moment. The caption holds the
region's totals only (the schools are in the chart), so it stays far below Telegram's 1024 characters.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bot.i18n import gettext_for
from bot.reports.charts import digest_chart
from bot.reports.digest import Digest
from bot.reports.labels import SEVERITY_LABELS, duration, percent
from bot.telegram.render import Style
from bot.telegram.transport import Rendered


def weekly_digest(params: dict[str, Any], style: Style) -> Rendered:
    digest = Digest.from_json(params)
    total = digest.total
    _ = gettext_for(style.language)
    severities = ", ".join(
        f"{_(label)} {total.open_by_severity[severity]}" for severity, label in SEVERITY_LABELS.items()
    )
    lines = [
        _("📊 <b>Weekly digest: {region}</b>").format(region=escape(digest.region)),
        _("Open cases: {count} ({severities})").format(count=total.open_cases, severities=severities),
        _("Open for over 7 days: {count}").format(count=total.open_by_age["over_7_days"]),
        _("Median time to take a case: {take}; to close one: {close} (last 30 days)").format(
            take=duration(total.median_seconds_to_take, _), close=duration(total.median_seconds_to_close, _)
        ),
        _("Overdue follow-ups: {count}").format(count=total.overdue_follow_ups),
        _("Check-ins completed in the last 4 weeks: {share}").format(share=percent(total.completion)),
    ]
    return Rendered("\n".join(lines), photo=digest_chart(digest, style.language))
