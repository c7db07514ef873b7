"""Alerts that always reach a person, one message per case, about the child the words are about.

A counsellor who blocked the bot: the supervisor gets the urgent alert in the sender's same run, not at the
30-minute escalation. A worry raised again: the counsellor's alert is edited, not repeated. A grandmother of two
who chooses one child under 🆘 and then writes: only that child is flagged. A check-in that reaches nobody never
says staff were told. Words added after a worry appear in the alert. A counsellor who took a case and then blocked
the bot leaves it to the rest of the room.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.cases.models import Case, Flag
from bot.families.models import Child
from bot.people.models import Person
from tests.e2e.test_case_journeys import add_supervisor
from tests.e2e.test_checkin_journeys import add_counsellor, answer
from tests.e2e.test_onboarding_journeys import walk_caregiver


async def worry(grandma, choice: str, child: str | None = None):
    """🆘, the child when asked, a choice; returns the safety reply (the "老师会听" prompt follows it)."""
    grandma.send_text("🆘 我很担心")
    asked = await grandma.wait_for_message()
    if child is not None:
        grandma.press_button(asked, child)
        asked = await grandma.wait_for_message()
    grandma.press_button(asked, choice)
    reply = await grandma.wait_for_message()
    await grandma.wait_for_message()  # words or a voice note next will join the flag
    return reply


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


async def test_a_check_in_that_reaches_nobody_does_not_say_staff_were_told(bot, db, emulator, school) -> None:
    li = await add_counsellor(db, emulator, school, 6001)  # the school's only counsellor; the region has no supervisor
    async with db.session() as session:  # found earlier to have blocked the bot
        await session.execute(
            update(Person).where(Person.telegram_user_id == li.user_id).values(unreachable_since=db.clock())
        )
    grandma = emulator.user(user_id=6100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小红", "2014", "1")])

    grandma.send_text("📝 说说孩子这周")
    # 6: phones, asked at her age; 8: said they want to die; then: not now.
    for option in ("sometimes", "no", "no", "no", "no", "no", "some", "yes", "no"):
        await answer(grandma, option)
    safety = await grandma.wait_for_message()

    assert "联系不上" in safety.text and "12356" in safety.text and "已经知道" not in safety.text
    assert not li.messages


async def test_words_added_after_a_worry_appear_in_the_counsellors_alert(bot, db, emulator, school) -> None:
    li = await add_counsellor(db, emulator, school, 6001)
    grandma = emulator.user(user_id=6100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小红", "2014", "1")])
    await worry(grandma, "❓ 别的事")  # and it asks for a few words
    alert = await li.wait_for_message(timeout=10)

    grandma.send_text("她最近总是一个人发呆，不爱说话")

    edited = await li.wait_for_edit(alert.message_id, timeout=10)
    assert "她最近总是一个人发呆" in edited.text and "新的报告" not in edited.text
    assert [m.message_id for m in li.messages] == [alert.message_id], "an edit, not a new message"


async def test_a_counsellor_who_took_a_case_then_blocked_the_bot_leaves_it_to_the_room(bot, db, emulator, school):
    li = await add_counsellor(db, emulator, school, 6001)
    wang = await add_counsellor(db, emulator, school, 6002)
    grandma = emulator.user(user_id=6100, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小红", "2014", "1")])
    await worry(grandma, "❓ 别的事")  # and it asks for a few words
    alert_li, alert_wang = await li.wait_for_message(timeout=10), await wang.wait_for_message(timeout=10)
    li.press_button(alert_li, "🙋 接手")
    await wang.wait_for_edit(alert_wang.message_id)  # taken by 李
    emulator.block(li)

    grandma.send_text("她最近总是一个人发呆，不爱说话")  # the update to 李's alert finds them gone

    returned = await wang.wait_for_message(lambda m: "联系不上" in m.text, timeout=10)
    assert "未接手" in returned.text
    edited = await wang.wait_for_edit(alert_wang.message_id, timeout=10)
    while "🙋 接手" not in edited.button_texts():  # the words may come in an edit of their own, before this one
        edited = await wang.wait_for_edit(alert_wang.message_id, timeout=10)
    assert "已接手" not in edited.text and "她最近总是一个人发呆" in edited.text
    wang.press_button(edited, "🙋 接手")
    taken = await wang.wait_for_message()
    case_id = int(alert_wang.button_data()[0].split(":")[1])
    assert f"#{case_id}" in taken.text
    async with db.session() as session:
        assert (await session.get(Case, case_id)).assigned_to_id == (
            await session.scalar(select(Person.id).where(Person.telegram_user_id == wang.user_id))
        )
