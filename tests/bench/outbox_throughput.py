"""How many outbox messages a second the running bot delivers when every Telegram call takes a round trip.
Prints figures; asserts nothing.

    .venv/bin/python -m tests.bench.outbox_throughput [--messages 300] [--round-trip 0.1] [--send-rate 25]
        [--database-url URL]

Each message goes to a different person, so the per-chat spacing (1 a second) plays no part; the overall
SHOUHU_SEND_RATE does.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bot.db import Database
from bot.outbox.enqueue import enqueue
from bot.telegram.services import Services
from tests import factories
from tests.bench import harness


async def enqueue_messages(db: Database, count: int) -> None:
    person_ids = [await factories.person(db, 20_000 + n, language="en") for n in range(count)]
    async with db.session() as session:
        for person_id in person_ids:
            await enqueue(session, person_id, "parent_joined", {"relation": "mother", "nickname": "小明"})


async def main(count: int, round_trip: float, send_rate: float, url: str | None) -> None:
    async with harness.database(url) as (db, db_url), harness.emulator(round_trip) as emulator:
        for n in range(count):
            emulator.user(user_id=20_000 + n, first_name=f"P{n}", language_code="en")
        async with harness.bot(db, db_url, emulator, SHOUHU_SEND_RATE=str(send_rate)) as application:
            await enqueue_messages(db, count)
            started = time.monotonic()
            services: Services = application.bot_data["services"]
            services.wake_sender()
            await emulator._wait_until(
                lambda: True if len([c for c in emulator.calls_to("sendMessage") if c.ok]) >= count else None,
                600,
                lambda: "the outbox did not deliver everything",
            )
            elapsed = time.monotonic() - started
    backend = "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"
    print(
        f"outbox: {count} messages to {count} people, {round_trip * 1000:.0f} ms Telegram round trip, "
        f"SHOUHU_SEND_RATE {send_rate:g}/s, {backend}:"
    )
    print(f"  {count / elapsed:.1f} messages/s ({elapsed:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--round-trip", type=float, default=0.1, help="seconds each Bot API call takes")
    parser.add_argument("--send-rate", type=float, default=25.0, help="SHOUHU_SEND_RATE: sends per second overall")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.round_trip, arguments.send_rate, arguments.database_url))
