"""The counselling room's side: an alert, taking a case, acting on it, and closing it with a supervisor's approval.

Two schools with their own counsellors: what happens at one is never seen, or reachable, from the other.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.cases.alerts import UPDATES
from bot.cases.flags import ALERTS_PER_PERSON
from bot.cases.models import Case, CaseEvent, CaseStatus, EventKind, Flag, Referral
from bot.outbox.models import OutboxMessage
from bot.people import service as people
from bot.schools import service as schools
from tests.e2e.conftest import School
from tests.e2e.test_checkin_journeys import add_counsellor
from tests.e2e.test_onboarding_journeys import walk_caregiver

STALE_ZH = "这个按钮已经不能用了，什么都没有改变。"


async def add_supervisor(db, emulator, region: str, user_id: int):
    user = emulator.user(user_id=user_id, first_name="Supervisor", language_code="en")
    async with db.session() as session:
        person = await people.get_or_create(session, telegram_user_id=user_id, chat_id=user_id, display_name="Zhou")
        person.language = "en"
        await schools.add_supervisor(session, region, person.id, db.clock())
    return user


async def urgent_case(emulator, school: School, user_id: int, nickname: str = "小红"):
    grandma = emulator.user(user_id=user_id, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[(nickname, "2014", "1")])
    grandma.send_text("🆘 我很担心")
    grandma.press_button(await grandma.wait_for_message(), "🔎 找不到孩子")
    await grandma.wait_for_message()  # the safety reply
    await grandma.wait_for_message()  # "a voice note or words sent next reach the counsellor"
    return grandma


async def test_a_case_from_alert_to_approved_closure(bot, db, emulator, school) -> None:
    other = await School(db).create(name="河边小学")
    li = await add_counsellor(db, emulator, school, 6001)
    wang = await add_counsellor(db, emulator, school, 6002, language_code="en")
    stranger = await add_counsellor(db, emulator, other, 6003)
    zhou = await add_supervisor(db, emulator, "云阳县", 6004)
    grandma = await urgent_case(emulator, school, 6100)

    alert_li, alert_wang = await li.wait_for_message(timeout=10), await wang.wait_for_message(timeout=10)
    case_id = int(alert_li.button_data()[0].split(":")[1])
    assert (
        "🔴" in alert_li.text and "小红" in alert_li.text and alert_wang.button_texts() == ["🙋 Take case", "📂 Open"]
    )

    # A counsellor of the other school forges buttons for this case: nothing opens, nothing changes.
    stranger.press_forged(alert_li.message_id, f"cs:{case_id}:open")
    stranger.press_forged(alert_li.message_id, f"cs:{case_id}:take")
    assert [a["text"] for a in await stranger.wait_for_callback_answers(2)] == [
        "这个按钮已经不能用了，什么都没有改变。"
    ] * 2

    li.press_button(alert_li, "🙋 接手")
    taken = await li.wait_for_message()
    assert f"#{case_id}" in taken.text
    card = await li.wait_for_message()
    assert "小红" in card.text and "王奶奶" not in card.text
    edited = await wang.wait_for_edit(alert_wang.message_id)
    assert "Taken by 老师6001" in edited.edits[-1]["text"] and "🙋 Take case" not in str(edited.edits[-1])
    wang.press_forged(alert_wang.message_id, f"cs:{case_id}:take")  # the old button, from a screen not yet updated
    assert "already taken" in (await wang.wait_for_callback_answers(1))[0]["text"]

    li.press_button(card, "📝 记录")
    await li.wait_for_message()
    li.send_text("奶奶说孩子在同学家找到了")
    assert "已保存" in (await li.wait_for_message()).text

    li.press_button(card, "💬 给家人发消息")
    await li.wait_for_message()
    li.send_text("奶奶您好，明天上午我来家里看看小红。")
    await li.wait_for_message()
    message = await grandma.wait_for_message(lambda m: "心理辅导室" in m.text, timeout=10)
    assert "明天上午我来家里" in message.text
    grandma.press_button(message, "✍️ 回复")
    await grandma.wait_for_message()
    grandma.send_text("好的，谢谢老师")
    assert "已发给" in (await grandma.wait_for_message()).text
    reply = await li.wait_for_message(lambda m: "回复" in m.text, timeout=10)
    assert "好的，谢谢老师" in reply.text

    li.press_button(card, "🏥 转介")
    li.press_button(await li.wait_for_message(), "心理健康服务")
    await li.wait_for_message()

    # The region asks for approval before urgent cases close.
    zhou.send_text("/cases")
    queue = await zhou.wait_for_message()
    zhou.press_button(queue, "⚙️ Closure approval: off")
    assert "needs a supervisor's approval" in (await zhou.wait_for_message()).text

    li.press_button(card, "✅ 结案")
    li.press_button(await li.wait_for_message(), "已解决")
    await li.wait_for_message()
    li.send_text("孩子已找到，家里已联系。")
    assert "督导批准" in (await li.wait_for_message()).text
    approval = await zhou.wait_for_message(lambda m: "ready to close" in m.text, timeout=10)
    zhou.press_button(approval, "👍 Approve closure")
    assert "closed" in (await zhou.wait_for_message()).text

    async with db.session() as session:
        case = await session.get(Case, case_id)
        kinds = (await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case_id))).all()
        referral = await session.scalar(select(Referral.kind))
    assert case.status is CaseStatus.CLOSED and case.outcome.value == "resolved"
    assert referral.value == "mental_health"
    for kind in (EventKind.TAKEN, EventKind.NOTE, EventKind.MESSAGE_TO_CAREGIVER, EventKind.CAREGIVER_REPLY):
        assert kind in kinds
    assert kinds[-1] is EventKind.CLOSED and EventKind.CLOSURE_REQUESTED in kinds
    assert not stranger.messages, "the other school's counsellor never heard of this child"


async def test_an_untaken_urgent_case_reminds_then_escalates_to_the_supervisor(bot, db, emulator, school, clock):
    li = await add_counsellor(db, emulator, school, 6201)
    zhou = await add_supervisor(db, emulator, "云阳县", 6202)
    elsewhere = await add_supervisor(db, emulator, "别的县", 6203)
    await urgent_case(emulator, school, 6300, nickname="小军")
    await li.wait_for_message(timeout=10)  # the alert
    flagged_at = clock()

    clock.move_to(flagged_at + timedelta(minutes=16))  # past the 15-minute limit for urgent cases
    reminder = await li.wait_for_message(timeout=10)
    assert "还没有人接手" in reminder.text and "小军" in reminder.text
    assert not zhou.messages, "the supervisor is told only at twice the limit"

    clock.move_to(flagged_at + timedelta(minutes=31))
    escalation = await zhou.wait_for_message(timeout=10)
    assert "twice its time limit" in escalation.text and "小军" in escalation.text
    assert not elsewhere.messages, "a supervisor of another region hears nothing"
    assert len(li.messages) == 2, "the reminder came once"


async def test_a_follow_up_reminds_its_counsellor_on_time(bot, db, emulator, school, clock) -> None:
    li = await add_counsellor(db, emulator, school, 6401)
    await urgent_case(emulator, school, 6400, nickname="小兰")
    alert = await li.wait_for_message(timeout=10)
    li.press_button(alert, "🙋 接手")
    await li.wait_for_message()
    card = await li.wait_for_message()
    li.press_button(card, "⏰ 随访")
    li.press_button(await li.wait_for_message(), "明天 09:00")
    assert "会提醒您" in (await li.wait_for_message()).text
    shanghai = ZoneInfo("Asia/Shanghai")
    tomorrow = (clock().astimezone(shanghai) + timedelta(days=1)).date()
    nine = datetime.combine(tomorrow, time(9, 0), tzinfo=shanghai)
    clock.move_to(nine + timedelta(seconds=30))
    reminder = await li.wait_for_message(lambda m: "📅" in m.text, timeout=10)
    assert "小兰" in reminder.text
    li.press_button(card, "📈 趋势")
    chart = await li.wait_for_message()
    assert chart.kind == "photo" and "小兰" in chart.text and "最近8周" in chart.text


async def test_a_linked_school_group_gets_one_line_without_the_childs_details(bot, db, emulator, school) -> None:
    li = await add_counsellor(db, emulator, school, 6501)
    outsider = emulator.user(user_id=6502, first_name="Visitor", language_code="en")
    room = emulator.group(-1006500, "青山小学心理组")
    room.send_text_as(outsider, "/linkgroup")
    assert "Only a school counsellor" in (await room.wait_for_message()).text
    room.send_text_as(li, "/linkgroup")
    assert "青山小学" in (await room.wait_for_message()).text

    await urgent_case(emulator, school, 6600, nickname="小芳")
    alert = await li.wait_for_message(timeout=10)
    assert "小芳" in alert.text, "the counsellor's private alert has the details"
    line = await room.wait_for_message(timeout=10)
    assert "紧急" in line.text and "Urgent" in line.text and "#" in line.text
    assert "小芳" not in line.text and "找不到" not in line.text, "never a child's details in the group"
    async with db.session() as session:
        li_person = await people.find_by_telegram_id(session, 6501)
    assert li_person.chat_id == 6501, "writing in the group did not take over the counsellor's private chat"


async def test_words_typed_after_leaving_for_the_menu_are_not_saved_as_a_note(bot, db, emulator, school) -> None:
    li = await add_counsellor(db, emulator, school, 6701)
    await urgent_case(emulator, school, 6700, nickname="小东")
    alert = await li.wait_for_message(timeout=10)
    li.press_button(alert, "📂 打开")
    card = await li.wait_for_message()
    li.press_button(card, "📝 记录")
    assert "请输入记录" in (await li.wait_for_message()).text
    li.send_text("📂 个案")  # changed their mind: went to the queue instead
    await li.wait_for_message()
    li.send_text("下午开会")
    await li.wait_for_message()
    async with db.session() as session:
        notes = (await session.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.NOTE))).all()
    assert notes == []


async def test_presses_past_the_limit_join_the_case_quietly_and_case_alerts_cannot_be_forwarded(
    bot, db, emulator, school
) -> None:
    li = await add_counsellor(db, emulator, school, 6001)
    grandma = await urgent_case(emulator, school, 6100)
    for _ in range(ALERTS_PER_PERSON):
        grandma.send_text("🆘 我很担心")
        grandma.press_button(await grandma.wait_for_message(lambda m: "🔎 找不到孩子" in m.button_texts()), "🔎")
        reply = await grandma.wait_for_message(lambda m: "12356" in m.text)
    held_back = await grandma.wait_for_message(lambda m: "都记下了" in m.text)
    assert grandma.messages.index(reply) < grandma.messages.index(held_back), "the safety reply still comes first"

    async with db.session() as session:
        flags = await session.scalar(select(func.count()).select_from(Flag))
        alerts = (await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_alert"))).all()
    # The counsellor's one alert counts the reports it was updated with: every press but the one past the limit.
    assert flags == ALERTS_PER_PERSON + 1
    assert max(alert.params.get(UPDATES, 0) for alert in alerts) == ALERTS_PER_PERSON - 1
    await li.wait_for_message(timeout=10)
    to_li = [call for call in emulator.calls_to("sendMessage") if str(call.params.get("chat_id")) == str(li.user_id)]
    assert to_li and all(call.params.get("protect_content") in (True, "true") for call in to_li)
