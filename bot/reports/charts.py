"""PNG charts: a child's check-in trend for the case card, and the supervisors' weekly digest.

Drawn with matplotlib's Agg renderer through `Figure` alone (no pyplot, so no global figure state), with the
CJK font shipped in `fonts/` loaded by path: Chinese labels render the same in a fresh clone, in Docker and in CI,
whatever fonts the machine has. Every label goes through gettext; text is never parsed as mathtext, so a `$` in
a school's name stays a `$`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from bot.i18n import gettext_for
from bot.reports.digest import AGE_BUCKETS, SEVERITIES, Digest
from bot.reports.labels import AGE_LABELS, SEVERITY_LABELS, duration, percent

FONT_PATH = Path(__file__).resolve().parent / "fonts" / "ShouhuChartSans-Regular.otf"
DPI = 100
TREND_SIZE = (800, 400)  # pixels
DIGEST_SIZE = (1000, 560)
MAX_SCORE = 10
MAX_SCHOOLS = 12  # more bars would be unreadable on a phone: the weakest completion rates are shown

AGE_COLOURS = {"under_1_day": "#c6dbef", "1_to_7_days": "#6baed6", "over_7_days": "#08519c"}
LINE, ALERT, GAP, MUTED = "#2b6cb0", "#d7301f", "#eeeeee", "#666666"


@lru_cache(maxsize=1)
def font_family() -> str:
    """Registers the bundled font with matplotlib once and returns its family name."""
    font_manager.fontManager.addfont(str(FONT_PATH))
    return font_manager.FontProperties(fname=FONT_PATH).get_name()


@contextmanager
def _style() -> Iterator[None]:
    # DejaVu Sans (matplotlib's own) is only a fallback for a glyph the subset lacks.
    rc = {"font.family": [font_family(), "DejaVu Sans"], "text.parse_math": False, "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        yield


def _figure(size: tuple[int, int]) -> Figure:
    return Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def trend_chart(points: list[tuple[date, int | None]], language: str, *, threshold: int = 5) -> bytes:
    """A line of weekly symptom scores (0–10), oldest first; a week with None is a gap, shaded as no check-in."""
    _ = gettext_for(language)
    with _style():
        figure = _figure(TREND_SIZE)
        ax = figure.add_subplot()
        xs = range(len(points))
        scores = [math.nan if score is None else score for _day, score in points]
        for x, (_day, score) in zip(xs, points, strict=True):
            if score is None:
                ax.axvspan(x - 0.4, x + 0.4, color=GAP, zorder=0)
        ax.plot(xs, scores, color=LINE, linewidth=2, marker="o", markersize=7, zorder=2, label=_("Score"))
        high = [(x, s) for x, s in zip(xs, scores, strict=True) if s >= threshold]
        if high:
            ax.scatter(*zip(*high, strict=True), color=ALERT, s=60, zorder=3)
        ax.axhline(
            threshold,
            color=ALERT,
            linestyle="--",
            linewidth=1.2,
            label=_("Threshold ({score})").format(score=threshold),
        )
        handles, _labels = ax.get_legend_handles_labels()
        if any(score is None for _day, score in points):
            handles.append(Patch(facecolor=GAP, edgecolor=MUTED, linewidth=0.5, label=_("No check-in")))
        if all(score is None for _day, score in points):
            ax.text(0.5, 0.5, _("No check-ins in these weeks"), transform=ax.transAxes, ha="center", color=MUTED)
        ax.set_ylim(-0.3, MAX_SCORE + 0.3)
        ax.set_yticks(range(0, MAX_SCORE + 1, 2))
        ax.set_xlim(-0.6, max(len(points), 1) - 0.4)
        ax.set_xticks(list(xs), [_("{month}/{day}").format(month=d.month, day=d.day) for d, _score in points])
        ax.set_ylabel(_("Symptom score (0–10)"))
        ax.set_title(_("Weekly check-in, last {weeks} weeks").format(weeks=len(points)))
        ax.grid(axis="y", color=GAP)
        ax.spines[["top", "right"]].set_visible(False)
        # Below the axes, where it can never hide a score near the top.
        figure.legend(handles=handles, loc="outside lower center", frameon=False, fontsize="small", ncols=3)
        return _png(figure)


def digest_chart(digest: Digest, language: str) -> bytes:
    """Open cases by severity and age on the left, check-in completion per school on the right."""
    _ = gettext_for(language)
    total = digest.total
    with _style():
        figure = _figure(DIGEST_SIZE)
        figure.suptitle(_("Weekly digest: {region}").format(region=digest.region), fontsize="x-large")
        cases, checkins = figure.subplots(1, 2, width_ratios=(1, 1.3))

        severities = list(reversed(SEVERITIES))  # the most severe on top
        left = [0] * len(severities)
        by_age = total.open_by_severity_and_age
        for bucket in AGE_BUCKETS:
            counts = [by_age[severity][bucket] for severity in severities]
            cases.barh(
                [_(SEVERITY_LABELS[s]) for s in severities],
                counts,
                left=left,
                color=AGE_COLOURS[bucket],
                label=_(AGE_LABELS[bucket]),
            )
            left = [a + b for a, b in zip(left, counts, strict=True)]
        for y, count in enumerate(left):
            cases.text(count, y, f" {count}", va="center")
        cases.set_title(_("Open cases: {count}").format(count=total.open_cases))
        cases.set_xlim(0, max(max(left), 1) * 1.2)
        cases.xaxis.get_major_locator().set_params(integer=True)
        cases.legend(
            title=_("open for"),
            loc="upper center",
            bbox_to_anchor=(0.5, -0.08),
            ncols=3,
            frameon=False,
            fontsize="small",
        )
        cases.spines[["top", "right"]].set_visible(False)

        ranked = sorted(digest.schools, key=lambda s: (s.figures.completion is not None, s.figures.completion or 0))
        shown = list(reversed(ranked[:MAX_SCHOOLS]))  # the weakest at the top
        names = [school.name for school in shown]
        shares = [(school.figures.completion or 0) * 100 for school in shown]
        checkins.barh(names, shares, color=LINE)
        for y, school in enumerate(shown):
            checkins.text(shares[y], y, f" {percent(school.figures.completion)}", va="center")
        title = _("Check-ins completed, last 4 weeks: {share}").format(share=percent(total.completion))
        checkins.set_title(title)
        checkins.set_xlim(0, 115)
        checkins.set_xticks(range(0, 101, 25), [f"{v}%" for v in range(0, 101, 25)])
        checkins.spines[["top", "right"]].set_visible(False)
        if len(ranked) > MAX_SCHOOLS:
            more = _("and {count} more schools").format(count=len(ranked) - MAX_SCHOOLS)
            checkins.set_xlabel(more, color=MUTED)

        footer = _(
            "Median time to take a case: {take} · to close: {close} (last 30 days) · overdue follow-ups: {overdue}"
        )
        figure.supxlabel(
            footer.format(
                take=duration(total.median_seconds_to_take, _),
                close=duration(total.median_seconds_to_close, _),
                overdue=total.overdue_follow_ups,
            ),
            fontsize="medium",
            color=MUTED,
        )
        return _png(figure)
