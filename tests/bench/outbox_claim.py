"""How long one outbox claim takes on PostgreSQL tables the planner has never analysed, before and after the
indexes of migration 0007. Prints figures; asserts nothing.

    .venv/bin/python -m tests.bench.outbox_claim postgresql+asyncpg://root@127.0.0.1:5432/<scratch db> [--sent N]

It DROPS AND RECREATES the schema of the database it is given: point it at a scratch database only.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from bot.db import Database
from bot.db.migrations import upgrade_async
from bot.outbox.sender import Sender
from tests.clock import FixedClock

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
PEOPLE = 2_000
PENDING = 100
RUNS = 7

# The claim as it was before 0007 (one EXISTS with an OR, on the old (status, priority, not_before) index).
OLD_CLAIM = """
SELECT outbox.id, outbox.person_id, outbox.kind, outbox.params, outbox.private_params, outbox.attempts,
       coalesce(outbox.chat_id, people.chat_id) AS chat_id, people.language
FROM outbox LEFT OUTER JOIN people ON people.id = outbox.person_id
WHERE outbox.status = 'pending' AND outbox.not_before <= :now
  AND (outbox.person_id IS NULL OR people.unreachable_since IS NULL)
  AND NOT (EXISTS (SELECT * FROM outbox AS outbox_1
                   WHERE (outbox_1.person_id = outbox.person_id OR outbox_1.chat_id = outbox.chat_id)
                     AND (outbox_1.status = 'sending'
                          OR outbox_1.sent_at > CAST(:now AS timestamptz) - interval '1 second')))
ORDER BY outbox.priority, outbox.not_before, outbox.id
LIMIT 1 FOR UPDATE OF outbox SKIP LOCKED
"""


async def fill(db: Database, sent: int) -> None:
    async with db.engine.begin() as connection:
        for table in ("outbox", "people"):
            # Keep autovacuum from analysing behind our back: the point is a planner without statistics.
            await connection.execute(text(f"ALTER TABLE {table} SET (autovacuum_enabled = false)"))
        await connection.execute(
            text(
                "INSERT INTO people (telegram_user_id, chat_id, display_name, language, created_at) "
                "SELECT n, n, '', 'zh_Hans', :now FROM generate_series(1, :people) AS n"
            ),
            {"now": NOW, "people": PEOPLE},
        )
        columns = "person_id, kind, params, priority, status, not_before, resend_if_unsure, attempts, created_at"
        await connection.execute(
            text(
                f"INSERT INTO outbox ({columns}, sent_at) "
                "SELECT 1 + n % :people, 'checkin_invite', '{}', 5, 'sent', t, true, 1, t, t "
                "FROM (SELECT n, CAST(:now AS timestamptz) - n * interval '10 seconds' AS t "
                "FROM generate_series(1, :sent) AS n) AS rows"
            ),
            {"now": NOW, "people": PEOPLE, "sent": sent},
        )
        await connection.execute(
            text(
                f"INSERT INTO outbox ({columns}) "
                "SELECT 1 + n % :people, 'checkin_invite', '{}', 5, 'pending', :now, true, 0, :now "
                "FROM generate_series(1, :pending) AS n"
            ),
            {"now": NOW, "people": PEOPLE, "pending": PENDING},
        )


async def never_analysed(db: Database) -> bool:
    async with db.engine.connect() as connection:
        analysed = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname IN ('outbox', 'people') "
                "AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)"
            )
        )
        return analysed == 0


async def median_claim_ms(db: Database, sql: str, params: dict) -> float:
    times = []
    for _ in range(RUNS):
        async with db.engine.begin() as connection:
            result = await connection.scalar(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"), params)
            times.append(result[0]["Execution Time"])
            await connection.rollback()  # the claim's row locks end here
    return statistics.median(times)


async def measure(url: str, revision: str, sent: int) -> tuple[float, bool]:
    db = Database(url, clock=FixedClock())
    try:
        async with db.engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await upgrade_async(url, revision)
        await fill(db, sent)
        if revision == "0005":
            sql, params = OLD_CLAIM, {"now": NOW}
        else:
            claim = Sender(db, None, worker_id="bench", clock=db.clock)._next_due(NOW)  # type: ignore[arg-type]
            sql = str(claim.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
            params = {}
        milliseconds = await median_claim_ms(db, sql, params)
        return milliseconds, await never_analysed(db)
    finally:
        await db.dispose()


async def main(url: str, sent: int) -> None:
    print(f"outbox claim on never-analysed PostgreSQL tables: {sent} sent rows, {PENDING} due, {PEOPLE} people")
    for label, revision in (
        ("before (0005 indexes, old query)", "0005"),
        ("after (0007 indexes, claim query)", "head"),
    ):
        milliseconds, fresh = await measure(url, revision, sent)
        note = "" if fresh else " (warning: the tables were analysed)"
        print(f"  {label}: median {milliseconds:.2f} ms per claim over {RUNS} runs{note}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="a scratch PostgreSQL database (its schema is dropped)")
    parser.add_argument("--sent", type=int, default=200_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.url, arguments.sent))
