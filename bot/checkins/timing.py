"""When things happen in a caregiver's local time: the weekly slot, and quiet hours that hold routine messages.

Times are computed in the person's zone and stored in UTC, so a daylight-saving change never moves a slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_START = time(21, 30)
QUIET_END = time(7, 30)


def next_slot(after: datetime, weekday: int, minute_of_day: int, timezone: str) -> datetime:
    """The first weekly slot (weekday, local time) strictly after `after`, as UTC."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    slot_time = time(minute_of_day // 60, minute_of_day % 60)
    days_ahead = (weekday - local.weekday()) % 7
    candidate = datetime.combine(local.date() + timedelta(days=days_ahead), slot_time, tzinfo=zone)
    if candidate <= local:
        candidate += timedelta(days=7)
    return candidate.astimezone(UTC)


def outside_quiet_hours(at: datetime, timezone: str) -> datetime:
    """`at`, or the end of the quiet hours it falls in (21:30–07:30 local), as UTC."""
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    clock = local.time()
    if QUIET_END <= clock < QUIET_START:
        return at
    day = local.date() if clock < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=zone).astimezone(UTC)


def in_quiet_hours(at: datetime, timezone: str) -> bool:
    return outside_quiet_hours(at, timezone) != at


def local_date(at: datetime, timezone: str):
    return at.astimezone(ZoneInfo(timezone)).date()
