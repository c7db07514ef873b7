"""Charts render as PNGs of the expected size, and Chinese labels use the bundled font with no missing glyph."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from datetime import date, timedelta
from io import BytesIO

import pytest
from matplotlib import font_manager
from PIL import Image

from bot.reports import charts
from bot.reports.digest import Digest, Figures, SchoolFigures

WEEKS = [date(2026, 10, 4) + timedelta(weeks=i) for i in range(8)]


def digest(region: str = "云阳县", schools: tuple[str, ...] = ("青山小学", "河边小学", "龙角镇中心小学")) -> Digest:
    total = Figures(median_seconds_to_take=5400, median_seconds_to_close=3 * 86400, overdue_follow_ups=2)
    total.open_by_severity_and_age["urgent"]["over_7_days"] = 1
    total.open_by_severity["urgent"] = total.open_by_age["over_7_days"] = 1
    figures = [Figures(completion=share) for share in (0.9, 0.5, None)]
    return Digest(
        region,
        "2026-11-30T08:00:00+08:00",
        total,
        [SchoolFigures(i, n, f) for i, (n, f) in enumerate(zip(schools, figures, strict=True))],
    )


def render_checked(draw: Callable[[], bytes], caplog: pytest.LogCaptureFixture) -> tuple[bytes, list[str]]:
    """The PNG, and every complaint matplotlib made about fonts while drawing it."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, logger="matplotlib"):
        warnings.simplefilter("always")
        png = draw()
    complaints = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    return png, complaints + [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()]


def decoded(png: bytes) -> Image.Image:
    image = Image.open(BytesIO(png))
    image.load()
    return image


def test_the_bundled_font_is_the_one_matplotlib_uses() -> None:
    family = charts.font_family()
    assert family == "Shouhu Chart Sans"
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert found == str(charts.FONT_PATH)


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_trend_chart_draws_scores_gaps_and_chinese_without_missing_glyphs(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    points = list(zip(WEEKS, [2, 3, None, 4, 6, None, 7, 5], strict=True))

    png, complaints = render_checked(lambda: charts.trend_chart(points, language), caplog)

    assert complaints == []
    image = decoded(png)
    assert (image.format, image.size) == ("PNG", charts.TREND_SIZE)


def test_a_trend_without_any_check_in_still_draws(caplog: pytest.LogCaptureFixture) -> None:
    png, complaints = render_checked(lambda: charts.trend_chart([(week, None) for week in WEEKS], "zh_Hans"), caplog)
    assert complaints == [] and decoded(png).size == charts.TREND_SIZE


def test_the_digest_chart_draws_chinese_school_names_without_missing_glyphs(caplog: pytest.LogCaptureFixture) -> None:
    many = tuple(f"第{n}小学" for n in range(1, 16))
    wide = Digest(
        "云阳县", "2026-11-30T08:00:00+08:00", Figures(), [SchoolFigures(i, n, Figures()) for i, n in enumerate(many)]
    )

    for subject in (digest(), digest(schools=("Hope $1$ school", "青山小学", "河边小学")), wide):
        png, complaints = render_checked(lambda subject=subject: charts.digest_chart(subject, "zh_Hans"), caplog)
        assert complaints == []
        image = decoded(png)
        assert (image.format, image.size) == ("PNG", charts.DIGEST_SIZE)


def test_a_glyph_the_font_lacks_is_reported_so_the_checks_above_mean_something(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _png, complaints = render_checked(lambda: charts.digest_chart(digest(region="云阳县 🙂"), "en"), caplog)
    assert any("missing from font" in complaint for complaint in complaints)
