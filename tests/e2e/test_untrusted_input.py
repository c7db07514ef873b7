"""What a person sends is never trusted to be well-formed: forged button data and edited messages.

Callback data comes from the client, so a modified one can send anything; an edited message arrives as an update
of its own, with words that may be new.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cases.models import Case, CaseEvent
from tests.e2e.test_case_journeys import STALE_ZH
from tests.e2e.test_checkin_journeys import add_counsellor
from tests.e2e.test_onboarding_journeys import walk_caregiver

# Numbers no button of ours carries: Unicode digits that str.isdigit() accepts, and ids beyond the columns' range.
FORGED = [
    "cs:²:take",
    "cs:٣:open",
    "cs:99999999999999999999:take",
    "cs:4294967296:open",
    "cq:mine:²",
    "cr:²:done",
    "cf:99999999999:x",
    "ci:²:q1:a",
    "cn:99999999999",
    "wr:²",
    "wr:99999999999:missing",
    "fam:inv:²:mother",
    "fam:inv:99999999999:mother",
    "gd:f:²:h",
    "gd:tp:sleep:99999999999",
    "ct:o:²:ok",
    "ct:m:99999999999",
    "rp:²",
    "ob:²:x:y",
    "sch:²:480",
]


@pytest.mark.parametrize("data", FORGED)
async def test_a_button_with_a_number_we_never_wrote_is_answered_as_stale(bot, emulator, school, data) -> None:
    grandma = emulator.user(user_id=7100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])

    grandma.skip_callback_answers()
    grandma.press_forged(1, data)

    [answer] = await grandma.wait_for_callback_answers(1, timeout=10)
    assert answer.get("text") == STALE_ZH


async def test_an_edited_message_is_read_for_risk_and_reaches_the_counsellor(bot, db, emulator, school) -> None:
    teacher = await add_counsellor(db, emulator, school, 7200)
    grandma = emulator.user(user_id=7201, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])
    grandma.send_text("今天天气不错")
    await grandma.wait_for_message()  # pointed home: nothing worrying

    grandma.edit_last_text("他说不想活了，晚上要去跳河")

    safety = await grandma.wait_for_message(timeout=10)
    assert "小明" in safety.text
    alert = await teacher.wait_for_message(timeout=10)
    assert "小明" in alert.text
    async with db.session() as session:
        case = await session.scalar(select(Case))
        assert case is not None
        assert await session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id)) is not None


async def test_editing_a_command_or_an_answer_changes_nothing_and_crashes_nothing(bot, db, emulator, school) -> None:
    grandma = emulator.user(user_id=7300, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])
    grandma.send_text("/menu")
    await grandma.wait_for_message()
    heard = len(grandma.messages)

    grandma.edit_last_text("/start AAAA")
    grandma.send_text("/help")

    await grandma.wait_for_message(timeout=10)  # the help text: the bot kept serving
    assert len(grandma.messages) == heard + 1, "an edited command is not run again"
    async with db.session() as session:
        assert await session.scalar(select(Case)) is None
