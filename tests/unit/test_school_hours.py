"""Time limits for taking a case: wall-clock minutes for urgent, school hours for high, school days for routine."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.cases.deadlines import Targets, take_deadline
from bot.cases.severity import Level
from bot.config import Settings

ZONE = "Asia/Shanghai"
TARGETS = Targets(
    urgent=timedelta(minutes=15), high=timedelta(hours=4), routine_days=3, day_start=time(8), day_end=time(17)
)


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A moment in Shanghai in late 2026: Friday 27 November, Monday 30 November, Wednesday 2 December."""
    return datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def deadline(level: Level, since: datetime, times: int = 1) -> datetime:
    return take_deadline(level, since, ZONE, TARGETS, times=times)


def test_urgent_counts_wall_clock_minutes_at_night_and_at_weekends() -> None:
    saturday_3am = local(28, 3)
    assert deadline(Level.URGENT, saturday_3am) == local(28, 3, 15)
    assert deadline(Level.URGENT, saturday_3am, times=2) == local(28, 3, 30)


def test_high_on_a_friday_afternoon_carries_over_to_monday() -> None:
    friday_4pm = local(27, 16)
    assert deadline(Level.HIGH, friday_4pm) == local(30, 11)  # 1 hour on Friday, 3 on Monday
    assert deadline(Level.HIGH, friday_4pm, times=2) == local(30, 15)


def test_high_outside_school_hours_is_due_at_half_past_eight_the_next_school_day() -> None:
    assert deadline(Level.HIGH, local(1, 20, month=12)) == local(2, 8, 30, month=12)  # Tuesday evening
    assert deadline(Level.HIGH, local(1, 20, month=12), times=2) == local(2, 9, month=12)
    assert deadline(Level.HIGH, local(30, 7)) == local(30, 8, 30)  # Monday before school
    assert deadline(Level.HIGH, local(28, 10)) == local(30, 8, 30)  # Saturday morning


def test_high_that_fills_the_school_day_exactly_is_due_at_its_end() -> None:
    assert deadline(Level.HIGH, local(30, 13)) == local(30, 17)


def test_routine_counts_school_days_over_the_weekend() -> None:
    thursday_10am = local(26, 10)
    assert deadline(Level.ROUTINE, thursday_10am) == local(1, 10, month=12)  # Thursday → Tuesday
    assert deadline(Level.ROUTINE, thursday_10am, times=2) == local(4, 10, month=12)  # → Friday
    # Flagged on a Saturday: three whole school days, Monday to Wednesday.
    assert deadline(Level.ROUTINE, local(28, 12)) == local(2, 17, month=12)


def test_a_case_without_a_level_has_no_time_limit() -> None:
    with pytest.raises(ValueError, match="above none"):
        deadline(Level.NONE, local(30, 9))


def test_targets_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHU_TAKE_URGENT_MINUTES", "10")
    monkeypatch.setenv("SHOUHU_SCHOOL_DAY_START", "07:30")
    monkeypatch.setenv("SHOUHU_SCHOOL_DAY_END", "16:30")
    targets = Targets.from_settings(Settings(_env_file=None))
    assert (targets.urgent, targets.high, targets.routine_days) == (timedelta(minutes=10), timedelta(hours=4), 3)
    assert (targets.day_start, targets.day_end) == (time(7, 30), time(16, 30))
    # Half an hour into the school day, whenever it starts.
    assert take_deadline(Level.HIGH, local(1, 20, month=12), ZONE, targets) == local(2, 8, month=12)


def test_a_school_day_that_ends_before_it_starts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOUHU_SCHOOL_DAY_END", "07:00")
    with pytest.raises(ValidationError, match="must end after it starts"):
        Settings(_env_file=None)
