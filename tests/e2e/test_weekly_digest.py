"""The running bot sends each supervisor the weekly digest on Monday at 08:00 in the region's time zone: one photo."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.reports.charts import DIGEST_SIZE
from bot.schools import service as schools
from tests import factories

SUPERVISOR_ID = 7001


async def test_a_supervisor_gets_the_digest_as_a_chart_on_monday_morning(bot, db, emulator, school, clock) -> None:
    supervisor = emulator.user(user_id=SUPERVISOR_ID, first_name="Zhou", language_code="en")
    person_id = await factories.person(db, SUPERVISOR_ID, language="en")
    async with db.session() as session:
        await schools.add_supervisor(session, "云阳县", person_id, clock() - timedelta(days=8))

    shanghai = ZoneInfo("Asia/Shanghai")
    today = clock().astimezone(shanghai).date()
    next_monday = datetime.combine(today + timedelta(days=7 - today.weekday()), time(8, 0), tzinfo=shanghai)
    clock.move_to(next_monday + timedelta(seconds=30))

    digest = await supervisor.wait_for_message(timeout=10)
    assert digest.kind == "photo" and digest.text.startswith("📊 Weekly digest: 云阳县")
    assert (digest.media[0]["width"], digest.media[0]["height"]) == DIGEST_SIZE

    clock.move_to(next_monday + timedelta(hours=2))  # later ticks send nothing more
    await asyncio.sleep(1.0)  # several ticks of the test settings' 0.2 s
    assert len(supervisor.messages) == 1
