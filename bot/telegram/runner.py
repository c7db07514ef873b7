"""`python -m bot run`: poll for updates, or serve webhooks, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from aiohttp import web

from bot import crypto
from bot.clock import clock_for
from bot.config import Settings
from bot.content.bundle import load_content
from bot.db import Database
from bot.telegram.app import build_application, running
from bot.telegram.webhook import WEBHOOK_PATH, webhook_app

log = logging.getLogger(__name__)


class WebhookNotConfigured(Exception):
    """Webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN."""


def run(settings: Settings, *, webhook: bool = False) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL, and those contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # APScheduler logs every wake-up of the sender loop; that is noise, not news.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if webhook and not (settings.webhook_url and settings.webhook_secret_token):
        raise WebhookNotConfigured("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN")
    crypto.configure(settings)
    asyncio.run(_serve(settings, webhook=webhook))


async def _serve(settings: Settings, *, webhook: bool) -> None:
    content = load_content(settings.content_dir)
    db = Database(settings.database_url, clock=clock_for(settings.clock_start))
    application = build_application(settings, db, content)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with running(application, polling=not webhook):
            if webhook:
                await _serve_webhook(application, settings, stop)
            else:
                log.info("polling for updates")
                await stop.wait()
    finally:
        await db.dispose()


async def _serve_webhook(application, settings: Settings, stop: asyncio.Event) -> None:
    runner = web.AppRunner(webhook_app(application, settings.webhook_secret_token))
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
    url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
    await application.bot.set_webhook(url, secret_token=settings.webhook_secret_token)
    log.info("serving webhooks on port %d", settings.webhook_port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
