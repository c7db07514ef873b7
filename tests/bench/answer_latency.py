"""How long people wait for an answer: N caregivers each press M main-menu buttons, one after another, each
waiting for the answer before the next press, all at the same time, against the real bot and the emulator.
Prints figures; asserts nothing.

    .venv/bin/python -m tests.bench.answer_latency [--users 50] [--presses 20] [--round-trip 0.0] [--send-rate 25]
        [--database-url URL]

Telegram allows about 30 messages a second overall, so SHOUHU_SEND_RATE (25) bounds how fast answers go out when
everyone presses at once; a higher --send-rate shows what the bot itself takes.

Latency is from the press (the update queued at the emulator) to the first message of the answer.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bot.db import Database
from tests import factories
from tests.bench import harness
from tests.emulator import BotApiEmulator, SimUser

BUTTONS = ("🌱 Tips", "❓ Help", "👨‍👩‍👧 Family")  # the English labels of a caregiver's big buttons


async def caregivers(db: Database, emulator: BotApiEmulator, count: int) -> list[SimUser]:
    now = db.clock()
    school_id = await factories.school(db, "青山小学", now=now)
    users = []
    for n in range(count):
        user_id = 10_000 + n
        await factories.person(db, user_id, language="en")
        await factories.family(db, school_id, user_id, now=now)
        users.append(emulator.user(user_id=user_id, first_name=f"C{n}", language_code="en"))
    return users


async def press_in_turn(user: SimUser, presses: int, latencies: list[float]) -> None:
    for n in range(presses):
        seen = len(user.messages)
        pressed = time.monotonic()
        user.send_text(BUTTONS[n % len(BUTTONS)])
        await user.emulator._wait_until(
            lambda seen=seen: True if len(user.messages) > seen else None, 120, lambda: f"{user} got no answer"
        )
        latencies.append(user.messages[seen].at - pressed)
        # Let the rest of a multi-message answer arrive before the next press, as a person reads it first.
        await asyncio.sleep(0.05)


async def main(users: int, presses: int, round_trip: float, url: str | None, send_rate: float) -> None:
    async with harness.database(url) as (db, db_url), harness.emulator(round_trip) as emulator:
        people = await caregivers(db, emulator, users)
        async with harness.bot(db, db_url, emulator, SHOUHU_SEND_RATE=str(send_rate)):
            latencies: list[float] = []
            started = time.monotonic()
            await asyncio.gather(*(press_in_turn(user, presses, latencies) for user in people))
            elapsed = time.monotonic() - started
    backend = "PostgreSQL" if url and url.startswith("postgresql") else "SQLite"
    print(
        f"{users} users x {presses} presses, {round_trip * 1000:.0f} ms Telegram round trip, "
        f"SHOUHU_SEND_RATE {send_rate:g}/s, {backend}:"
    )
    print(f"  answer latency {harness.summary(latencies)}; {len(latencies)} answers in {elapsed:.1f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--presses", type=int, default=20)
    parser.add_argument("--round-trip", type=float, default=0.0, help="seconds each Bot API call takes")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--send-rate", type=float, default=25.0, help="SHOUHU_SEND_RATE: sends per second overall")
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.users, arguments.presses, arguments.round_trip, arguments.database_url, arguments.send_rate)
    )
