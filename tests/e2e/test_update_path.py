"""The update path under load and faults, through the real Application and the emulator: replies that meet a
429 or a 5xx still arrive, and the command list is set only when it changes."""

from __future__ import annotations

import logging

import pytest


async def join_as_counsellor(teacher, school) -> None:
    teacher.send_text(f"/start {await school.counsellor_code()}")
    teacher.press_button(await teacher.wait_for_message(), "English")
    await teacher.wait_for_message()  # welcome
    await teacher.wait_for_message()  # home


def commands_set_for(emulator, chat_id: int) -> int:
    return sum(1 for call in emulator.calls_to("setMyCommands") if str(chat_id) in str(call.params.get("scope")))


async def test_the_command_list_is_set_again_only_when_roles_or_language_change(bot, emulator, school) -> None:
    teacher = emulator.user(user_id=2002, first_name="Li", language_code="en")
    await join_as_counsellor(teacher, school)
    assert commands_set_for(emulator, 2002) == 1
    for _ in range(3):
        teacher.send_text("/menu")
        await teacher.wait_for_message()
    assert commands_set_for(emulator, 2002) == 1, "showing the menu again changes nothing"
    teacher.send_text("/language")
    teacher.press_button(await teacher.wait_for_message(), "中文")
    await teacher.wait_for_message()
    assert commands_set_for(emulator, 2002) == 2, "a new language needs the list in that language"


@pytest.mark.parametrize("status", [429, 500, 502])
async def test_a_reply_that_meets_a_429_or_5xx_still_arrives(bot, emulator, status, caplog) -> None:
    grandpa = emulator.user(user_id=3003, first_name="Grandpa", language_code="en")
    emulator.fail_next("sendMessage", chat_id=3003, status=status, retry_after=1)
    with caplog.at_level(logging.ERROR):
        grandpa.send_text("/start")
        reply = await grandpa.wait_for_message(timeout=10)
    assert "Shouhu" in reply.text
    assert [c.status for c in emulator.calls_to("sendMessage")] == [status, 200]
    assert "error while handling update" not in caplog.text
