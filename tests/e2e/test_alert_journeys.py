"""Alerts that always reach a person, one message per case, about the child the words are about.

A counsellor who blocked the bot: the supervisor gets the urgent alert in the sender's same run, not at the
30-minute escalation. A worry raised again: the counsellor's alert is edited, not repeated. A grandmother of two
who chooses one child under 🆘 and then writes: only that child is flagged.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.cases.models import Case, Flag
from bot.families.models import Child
from tests.e2e.test_case_journeys import add_supervisor
from tests.e2e.test_checkin_journeys import add_counsellor
from tests.e2e.test_onboarding_journeys import walk_caregiver


async def worry(grandma, choice: str, child: str | None = None):
    """🆘, the child when asked, a choice; returns the safety reply."""
    grandma.send_text("🆘 我很担心")
    asked = await grandma.wait_for_message()
    if child is not None:
        grandma.press_button(asked, child)
        asked = await grandma.wait_for_message()
    grandma.press_button(asked, choice)
    return await grandma.wait_for_message()


async def test_a_counsellor_who_blocked_the_bot_leaves_the_urgent_alert_to_the_supervisor(
    bot, db, emulator, school
) -> None:
    li = await add_counsellor(db, emulator, school, 6001)
    zhou = await add_supervisor(db, emulator, "云阳县", 6004)
    emulator.block(li)
    grandma = emulator.user(user_id=6100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小红", "2014", "1")])

    reply = await worry(grandma, "🔎 找不到孩子")

    alert = await zhou.wait_for_message(timeout=10)
    assert "🔴" in alert.text and "小红" in alert.text and "missing" in alert.text
    assert "110" in reply.text and "老师" in reply.text
    to_li = [call for call in emulator.calls_to("sendMessage") if str(call.params["chat_id"]) == str(li.chat_id)]
    assert [call.cause for call in to_li] == ["blocked"], "tried once, then never again"


async def test_a_worry_raised_again_edits_the_one_alert(bot, db, emulator, school) -> None:
    li = await add_counsellor(db, emulator, school, 6001)
    grandma = emulator.user(user_id=6100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小红", "2014", "1")])
    await worry(grandma, "💬 说想死")
    alert = await li.wait_for_message(timeout=10)

    await worry(grandma, "🩹 伤害自己")
    edited = await li.wait_for_edit(alert.message_id, timeout=10)
    await worry(grandma, "🔎 找不到孩子")
    edited = await li.wait_for_edit(alert.message_id, timeout=10)

    assert "找不到孩子" in edited.text and "2条新的报告" in edited.text and "🔴" in edited.text
    assert [m.message_id for m in li.messages] == [alert.message_id], "one message for one case"


async def test_words_after_choosing_one_of_two_children_flag_only_that_child(bot, db, emulator, school) -> None:
    li = await add_counsellor(db, emulator, school, 6001)
    grandma = emulator.user(user_id=6100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(
        grandma, school.join_code, language_button="中文", children=[("小明", "2012", "3"), ("小红", "2014", "1")]
    )
    grandma.send_text("🆘 我很担心")
    grandma.press_button(await grandma.wait_for_message(), "小红")
    await grandma.wait_for_message()  # what is happening with 小红?

    grandma.send_text("她哭着说活着没意思，想死了算了")  # typed instead of choosing

    reply, thanks = await grandma.wait_for_message(), await grandma.wait_for_message()
    assert "小红" in reply.text and "小明" not in reply.text and "小红" in thanks.text
    alert = await li.wait_for_message(timeout=10)
    assert "小红" in alert.text and "想死了算了" in alert.text
    # And words after a choice belong to the same child.
    await worry(grandma, "💬 说想死", child="小红")
    grandma.send_text("她说今晚不想活了")
    await grandma.wait_for_message(lambda m: "小红" in m.text and "✅" in m.text)
    async with db.session() as session:
        flagged = (await session.scalars(select(Child.nickname).join(Case, Case.child_id == Child.id).distinct())).all()
        notes = (await session.scalars(select(Flag.note).where(Flag.note.is_not(None)))).all()
    assert flagged == ["小红"]
    assert sorted(notes) == ["她哭着说活着没意思，想死了算了", "她说今晚不想活了"]
