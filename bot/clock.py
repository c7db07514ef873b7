"""The one clock: every "now" in Shouhu, row defaults included, comes from the `Clock` given at start-up.

Production passes `system_clock`; tests and drills pass a clock they can set, so nothing depends on the date or
hour the code happens to run at.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class RunningClock:
    """Starts at a chosen moment and runs on at the real pace, so drills and tests set the date and hour without
    touching the machine's; `move_to` jumps it, e.g. to the evening a check-in falls due."""

    def __init__(self, start: datetime) -> None:
        self.move_to(start)

    def __call__(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)

    def move_to(self, moment: datetime) -> None:
        self._start, self._started = moment.astimezone(UTC), time.monotonic()


def clock_for(start: datetime | None) -> Clock:
    """The process's clock: the system's, unless a start moment was set (SHOUHU_CLOCK_START)."""
    return system_clock if start is None else RunningClock(start)
