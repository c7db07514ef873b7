"""Words and numbers of the digest as people read them, in their language: shared by its chart and its text."""

from __future__ import annotations

from bot.i18n import N_, Gettext

SEVERITY_LABELS = {"urgent": N_("Urgent"), "high": N_("High"), "routine": N_("Routine")}
AGE_LABELS = {"under_1_day": N_("under 1 day"), "1_to_7_days": N_("1–7 days"), "over_7_days": N_("over 7 days")}


def duration(seconds: int | None, _: Gettext) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return _("{minutes} min").format(minutes=max(round(seconds / 60), 1))
    if seconds < 48 * 3600:
        return _("{hours} h").format(hours=_one_decimal(seconds / 3600))
    return _("{days} days").format(days=_one_decimal(seconds / 86400))


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")
