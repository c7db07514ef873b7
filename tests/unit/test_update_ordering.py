"""Updates of different chats run at the same time; one chat's run one after another, in arrival order."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.telegram.ordering import PerChatUpdateProcessor


def message_from(chat_id: int, update_id: int) -> Update:
    chat = {"id": chat_id, "type": "private", "first_name": "x"}
    payload = {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "chat": chat, "text": "hi"}}
    return Update.de_json(payload, None)


async def test_one_chats_updates_wait_for_each_other_and_other_chats_do_not() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=16)
    log: list[str] = []
    release_first = asyncio.Event()

    async def handle(name: str, wait: asyncio.Event | None = None) -> None:
        log.append(f"{name} start")
        if wait is not None:
            await wait.wait()
        log.append(f"{name} end")

    tasks = [
        asyncio.create_task(processor.process_update(message_from(1, 1), handle("a1", release_first))),
        asyncio.create_task(processor.process_update(message_from(1, 2), handle("a2"))),
        asyncio.create_task(processor.process_update(message_from(1, 3), handle("a3"))),
        asyncio.create_task(processor.process_update(message_from(2, 4), handle("b1"))),
    ]
    for _ in range(5):
        await asyncio.sleep(0)
    assert log == ["a1 start", "b1 start", "b1 end"], "chat 2 is not held up by chat 1's slow update"
    release_first.set()
    await asyncio.gather(*tasks)
    assert log[3:] == ["a1 end", "a2 start", "a2 end", "a3 start", "a3 end"]
    assert processor._locks == {}, "no lock is kept for an idle chat"
