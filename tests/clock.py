"""The tests' clocks: the date and hour are always the test's own, never the machine's.

Every Database, service and bot in the suite reads one of these, so the suite passes on any date, at any hour,
and under a shifted machine clock (CI runs it a second time so).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import RunningClock

# A Wednesday, 12:00 in Shanghai: school hours, no quiet hours.
WEDNESDAY_NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


__all__ = ["WEDNESDAY_NOON", "FixedClock", "RunningClock"]


class FixedClock:
    """Reads `now`, which moves only when a test moves it."""

    def __init__(self, now: datetime = WEDNESDAY_NOON) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def move_to(self, moment: datetime) -> None:
        self.now = moment
