"""The weekly digest to each region's supervisors, on Monday morning in the region's time zone.

A scheduler tick calls `enqueue_weekly_digests` often; it does something only from Monday 08:00 local time for
a day (so a bot that was down at 08:00 still sends it), and the outbox's dedupe key per region, ISO week and
supervisor makes every later tick, and every restart, a no-op. A supervisor who joined after 08:00 that Monday
gets the next week's.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.db import Database
from bot.errors import InvalidInput
from bot.outbox.enqueue import enqueue
from bot.outbox.models import OutboxMessage
from bot.reports.digest import build_digest
from bot.reports.scope import region_scope, region_timezone
from bot.schools.models import RegionSupervisor

SEND_AT_HOUR = 8  # Monday, local time
CATCH_UP = timedelta(days=1)
KIND = "weekly_digest"


def dedupe_key(region: str, year: int, week: int, person_id: int) -> str:
    # A hash keeps the key within the column whatever the region's name.
    region_hash = hashlib.sha256(region.encode()).hexdigest()[:16]
    return f"digest:{year}-W{week:02d}:{region_hash}:{person_id}"


async def enqueue_weekly_digests(db: Database, now: datetime, *, default_timezone: str) -> int:
    """Enqueue this week's digest for every supervisor who has not had it; returns how many were enqueued."""
    async with db.session() as session:
        rows = await session.execute(
            select(RegionSupervisor.region, RegionSupervisor.person_id, RegionSupervisor.joined_at)
        )
        supervisors: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
        for region, person_id, joined_at in rows:
            supervisors[region].append((person_id, joined_at))
    enqueued = 0
    for region, people in sorted(supervisors.items()):
        async with db.session() as session:
            local = now.astimezone(await region_timezone(session, region, default_timezone))
            monday = (local - timedelta(days=local.weekday())).replace(
                hour=SEND_AT_HOUR, minute=0, second=0, microsecond=0
            )
            if not monday <= local < monday + CATCH_UP:
                continue
            year, week, _day = local.isocalendar()
            # Who joins after 08:00 starts with next week's: the catch-up is for a bot that was down, not newcomers.
            keys = {
                person_id: dedupe_key(region, year, week, person_id)
                for person_id, joined_at in people
                if joined_at <= monday
            }
            existing = select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys.values()))
            sent = set((await session.scalars(existing)).all())
            waiting = [person_id for person_id, key in keys.items() if key not in sent]
            if not waiting:
                continue
            try:
                scope = await region_scope(session, region)
            except InvalidInput:  # no school left in the region: nothing to report on
                continue
            params = (await build_digest(session, scope, now)).to_json()
            for person_id in waiting:
                if await enqueue(session, person_id, KIND, params, dedupe_key=keys[person_id]) is not None:
                    enqueued += 1
    return enqueued
