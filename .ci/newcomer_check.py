"""The newcomer's path, as CI checks it in its clean clone: `make run` with a bot token, and the bot answers.

A local Bot API emulator stands in for Telegram (unreachable here). Nothing but the token and the emulator's
address is set, so the defaults a newcomer gets (SQLite under data/, migrations, content) are what run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulator import BotApiEmulator  # noqa: E402

TOKEN = "123456:NEWCOMER-TOKEN"


async def main() -> int:
    fresh = not (ROOT / "data").exists()
    print(f"newcomer check: data/ {'does not exist yet (a fresh clone)' if fresh else 'exists already'}", flush=True)
    emulator = BotApiEmulator(token=TOKEN, bot_username="shouhu_newcomer_bot")
    await emulator.start()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "SHOUHU_"))}
    environment.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=emulator.base_url)
    log_path = ROOT / ".ci" / "newcomer.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            "make", "run", cwd=ROOT, env=environment, stdout=log, stderr=log, start_new_session=True
        )
        try:
            user = emulator.user(user_id=4242, first_name="Newcomer", language_code="zh-hans")
            user.send_text("/start")
            reply = await user.wait_for_message(timeout=180)
            print(f"newcomer check: `make run` answered /start with {len(reply.text)} characters", flush=True)
            answered = True
        except (AssertionError, TimeoutError) as exc:
            print(f"newcomer check FAILED: no answer to /start ({exc})", flush=True)
            answered = False
        finally:
            if process.returncode is None:
                os.killpg(process.pid, signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 30)
            await emulator.stop()
    if not answered:
        print(log_path.read_text(errors="replace")[-4000:], flush=True)
    return 0 if answered else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
