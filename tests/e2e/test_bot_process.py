"""The real `python -m bot run` process, polling or serving webhooks, against the Bot API emulator.

These start the bot exactly as `make run` does (a separate process, settings from the environment), so they
prove the wiring the in-process tests take for granted: settings, content loading, asking Telegram for the bot's
username, commands, the sender loop, and a clean stop on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.clock import Clock
from bot.config import PROJECT_ROOT
from bot.schools.models import SchoolCounsellor
from bot.telegram.webhook import SECRET_HEADER
from tests.e2e.conftest import BOT_USERNAME, TOKEN

SECRET = "e2e-secret_token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def bot_process(
    tmp_path: Path, env: dict[str, str], clock: Clock, *args: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot run …` in an empty directory (so no stray .env is read), its clock set to the test's; stopped
    with SIGTERM at the end, unless the test killed it."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "WEBHOOK_"))}
    environment.update(env, PYTHONPATH=str(PROJECT_ROOT), SHOUHU_CLOCK_START=clock().isoformat())
    log = (tmp_path / "bot.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", *args, cwd=tmp_path, env=environment, stdout=log, stderr=log
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
        log.close()
    output = (tmp_path / "bot.log").read_text()
    assert TOKEN not in output, "the bot token leaked into the log"
    if process.returncode == -signal.SIGKILL:
        return
    assert process.returncode == 0, f"the bot did not stop cleanly on SIGTERM:\n{output}"


async def test_the_bot_process_polls_and_onboards_a_counsellor(
    db, database_url, emulator, school, clock, tmp_path
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url, "DATABASE_URL": database_url}
    async with bot_process(tmp_path, env, clock):
        teacher = emulator.user(user_id=3001, first_name="Chen", language_code="zh-hans")
        teacher.send_text(f"/start {await school.counsellor_code()}")
        ask_language = await teacher.wait_for_message(timeout=30)
        teacher.press_button(ask_language, "中文")
        welcome = await teacher.wait_for_message()
        assert "青山小学" in welcome.text
    # The username was asked of Telegram (getMe), since TELEGRAM_BOT_USERNAME was not set.
    assert emulator.calls_to("getMe")
    async with db.session() as session:
        assert (await session.scalar(select(SchoolCounsellor.school_id))) == school.id


async def test_the_bot_process_serves_webhooks_behind_its_secret(
    db, database_url, emulator, school, clock, tmp_path
) -> None:
    port = free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "DATABASE_URL": database_url,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
        "WEBHOOK_SECRET_TOKEN": SECRET,
    }
    async with bot_process(tmp_path, env, clock, "--webhook"):
        grandpa = emulator.user(user_id=3002, first_name="Grandpa", language_code="en")
        grandpa.send_text(f"/start {school.join_code}")
        ask_language = await grandpa.wait_for_message(timeout=30)
        assert emulator.webhook_url == f"http://127.0.0.1:{port}/telegram"
        assert "English" in ask_language.button_texts()

        base = f"http://127.0.0.1:{port}"
        forged = {
            "update_id": 999_999,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 3002, "type": "private"}},
        }
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{base}/telegram", json=forged) as response:
                assert response.status == 403, "an update without the secret header is refused"
            async with http.post(f"{base}/telegram", json=forged, headers={SECRET_HEADER: "wrong"}) as response:
                assert response.status == 403
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200 and (await response.json())["ok"] is True

        grandpa.press_button(ask_language, "English")
        consent = await grandpa.wait_for_message()
        assert "Before we start" in consent.text
    assert [status for _update, status in emulator.webhook_deliveries] == [200, 200]
