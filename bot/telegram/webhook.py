"""The webhook server: stores each update before answering 200, checks Telegram's secret header, and /healthz."""

from __future__ import annotations

import hmac
import json

from aiohttp import web
from sqlalchemy import text
from telegram import Update

from bot.telegram.inbox import InboxApplication

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram"


def webhook_app(application: InboxApplication, secret_token: str) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret_token):
            return web.Response(status=403)
        try:
            payload = json.loads(await request.read())
            update_id = int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        # Answer 2xx only once the update is safely stored; Telegram retries anything else.
        if await application.inbox.store(update_id, payload):
            await application.update_queue.put(Update.de_json(payload, application.bot))
        return web.Response(status=200)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with application.bot_data["services"].db.session() as session:
                await session.execute(text("SELECT 1"))
        except Exception:
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, receive)
    app.router.add_get("/healthz", healthz)
    return app
