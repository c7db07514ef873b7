"""Voice and words are never a dead end, tried as a grandmother and a migrant parent would: a voice note after 🆘
reaches the case and the counsellor plays it; a parent's voice sent without ✉️ is offered on with one tap; a voice
note mid check-in is kept and the question asked again; a fever question gets a pointer to the village doctor;
a long message reaches the counsellor; and a case with a long history still opens.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.cases.models import Case, EventKind, Flag
from bot.cases.severity import Level
from bot.cases.timeline import add_event
from bot.checkins.models import Checkin, CheckinStatus
from bot.checkins.questionnaire import LEFT_OUT
from bot.checkins.timing import next_slot
from bot.contact.models import Relay
from tests import factories
from tests.e2e.test_case_journeys import add_supervisor, urgent_case
from tests.e2e.test_checkin_journeys import add_counsellor, answer
from tests.e2e.test_contact_journeys import GRANDMA, MUM, family

LISTEN = "老师会听"


async def count(db, model, *conditions) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def test_a_voice_note_after_sos_reaches_the_case_and_the_counsellor_plays_it(bot, db, emulator, school):
    teacher = await add_counsellor(db, emulator, school, 8001)
    grandma = await urgent_case(emulator, school, 8100)
    assert any(LISTEN in m.text for m in grandma.messages), "after 🆘 she is told she can speak"
    alert = await teacher.wait_for_message(lambda m: "🔴" in m.text, timeout=10)

    assert any("电话号码" in m.text for m in grandma.messages), "she is asked for a number the counsellor can call"
    grandma.send_text("138 0013 8000")
    assert "记下了" in (await grandma.wait_for_message()).text
    grandma.send_voice()
    assert "老师会听" in (await grandma.wait_for_message()).text
    told = await teacher.wait_for_edit(alert.message_id, timeout=10)
    assert "小红" in told.text and "🎤" in told.text, "the counsellor's alert shows at once that a voice note came"
    grandma.send_voice()  # and later, once more: it joins the open case too
    assert "已发给" in (await grandma.wait_for_message()).text
    assert "🎤" in (await teacher.wait_for_message(lambda m: "🎤" in m.text, timeout=10)).text

    teacher.press_button(alert, "📂")
    card = await teacher.wait_for_message(lambda m: "依据" in m.text)
    assert "☎️ 13800138000" in card.text and "🎤" in card.text
    teacher.press_button(card, "🎤")
    played = [await teacher.wait_for_message(lambda m: m.kind == "voice") for _ in range(2)]
    assert len({voice.media["file_id"] for voice in played}) == 2, "both voice notes play from the case card"

    # The region's supervisor sees the case, but the family's number is for the school's counsellors only.
    supervisor = await add_supervisor(db, emulator, "云阳县", 8002)
    supervisor.send_text("/cases")
    queue = await supervisor.wait_for_message(lambda m: "#1" in " ".join(m.button_texts()))
    supervisor.press_button(queue, "#1")
    assert "☎️" not in (await supervisor.wait_for_message(lambda m: "Evidence" in m.text)).text


def sounded(emulator, method: str, chat_id: int) -> list[bool]:
    """For each `method` call to the chat: whether it rang (no disable_notification)."""
    calls = [
        call for call in emulator.calls if call.method == method and str(call.params.get("chat_id")) == str(chat_id)
    ]
    return [str(call.params.get("disable_notification", "false")).lower() != "true" for call in calls]


async def test_a_parents_unprompted_voice_is_offered_on_with_one_tap_and_arrives_silently_at_night(
    bot, db, emulator, school, clock
) -> None:
    _child_id, users = await family(db, emulator, school)
    grandma, mum = users["grandma"], users["mum"]
    night = next_slot(clock(), weekday=0, minute_of_day=23 * 60, timezone="Asia/Shanghai")  # 23:00 in the village
    clock.move_to(night)

    mum.send_voice()  # no ✉️ pressed first
    offer = await mum.wait_for_message()
    assert "Send this to Grandma?" in offer.text and await count(db, Relay) == 0
    tap = offer.button_data()[0]
    mum.press_button(offer, "Send to Grandma")
    assert "On its way to Grandma" in (await mum.wait_for_message()).text
    label = await grandma.wait_for_message(timeout=10)
    voice = await grandma.wait_for_message(timeout=10)
    assert "小明" in label.text and voice.kind == "voice" and voice.copied_from[0] == MUM

    # A second tap on the same offer, from a screen not yet updated, sends nothing twice.
    mum.press_forged(offer.message_id, tap)
    await mum.wait_for_callback_answers(2)
    assert await count(db, Relay) == 1

    assert sounded(emulator, "copyMessage", GRANDMA) == [False], "a message at night does not wake grandma"

    clock.move_to(night + timedelta(hours=11))  # 10:00 in the village
    mum.send_text("Tell him I miss him")
    offer = await mum.wait_for_message()
    assert "Send this to Grandma?" in offer.text
    mum.press_button(offer, "Send to Grandma")
    await grandma.wait_for_message(lambda m: m.text == "Tell him I miss him", timeout=10)
    assert sounded(emulator, "copyMessage", GRANDMA) == [False, True], "by day it rings as usual"


async def test_a_voice_note_mid_check_in_is_kept_and_the_question_asked_again(bot, db, emulator, school, clock):
    await factories.family(db, school.id, GRANDMA, now=clock())
    grandma = emulator.user(user_id=GRANDMA, first_name="奶奶", language_code="zh-hans")
    grandma.send_text("📝 说说孩子这周")
    first = await answer(grandma, "sometimes")
    assert "一共12个问题" in first.text and "1/12" in first.text, "the intro says the true length"
    second = await grandma.wait_for_message()
    grandma.send_voice()
    kept = await grandma.wait_for_message()
    again = await grandma.wait_for_message()
    assert "老师能看到" in kept.text
    assert again.text.split("\n")[0] == second.text.split("\n")[0], "the same question, asked again"
    async with db.session() as session:
        checkin = await session.scalar(select(Checkin).where(Checkin.status == CheckinStatus.OPEN))
    assert checkin.voice_file_id is not None and checkin.answers == {"fears": LEFT_OUT, "mood": "sometimes"}


async def test_a_voice_note_at_the_nickname_prompt_gets_a_kind_hint(bot, emulator, school) -> None:
    grandma = emulator.user(user_id=8300, first_name="奶奶", language_code="zh-hans")
    grandma.send_text(f"/start {school.join_code}")
    grandma.press_button(await grandma.wait_for_message(), "中文")
    consent = await grandma.wait_for_message()
    grandma.press(consent, consent.button_data()[0])
    relation = await grandma.wait_for_message()
    grandma.press(relation, relation.button_data()[0])
    await grandma.wait_for_message()  # the nickname, please
    grandma.send_voice()
    assert "打字" in (await grandma.wait_for_message()).text
    grandma.send_text("小花")
    years = await grandma.wait_for_message()
    assert "2015" in years.button_texts(), "onboarding goes on at the same step"


async def test_a_fever_question_gets_a_pointer_and_a_long_message_reaches_the_counsellor(
    bot, db, emulator, school, clock
):
    await add_counsellor(db, emulator, school, 8401)
    await factories.family(db, school.id, 8400, ("小军",), now=clock())
    grandma = emulator.user(user_id=8400, first_name="奶奶", language_code="zh-hans")

    grandma.send_text("孩子发烧怎么办")
    pointer = await grandma.wait_for_message()
    assert "村医" in pointer.text and "120" in pointer.text
    assert await count(db, Flag) == 0, "an everyday question is not a case"

    grandma.send_text("老师您好，小军这几天放学回来总是一个人坐着，不说话，饭也吃得少，我有点担心。")
    assert "老师会听" in (await grandma.wait_for_message()).text
    async with db.session() as session:
        flag = await session.scalar(select(Flag))
    assert flag.reasons == ["for_counsellor"] and "放学回来" in flag.note


async def test_a_case_with_a_long_history_still_opens(bot, db, emulator, school, clock) -> None:
    teacher = await add_counsellor(db, emulator, school, 8501)
    household = await factories.family(db, school.id, 8500, now=clock())
    for _ in range(20):
        case_id = await factories.flag(db, household.child_ids[0], Level.HIGH, clock())
    async with db.session() as session:
        case = await session.get(Case, case_id)
        for number, flag in enumerate((await session.scalars(select(Flag).order_by(Flag.id))).all()):
            flag.note = f"第{number}条 " + "<b>爷爷说</b> & " * 40  # words like markup must never break the card
        for number in range(20):
            text = f"第{number}次记录 <i>" + "孩子今天在学校还好。" * 20
            add_event(session, case, EventKind.NOTE, actor_id=None, now=clock(), text=text)
    teacher.send_text("/cases")
    queue = await teacher.wait_for_message(lambda m: f"#{case_id}" in " ".join(m.button_texts()))
    teacher.press_button(queue, f"#{case_id}")
    card = await teacher.wait_for_message(lambda m: "依据" in m.text, timeout=10)
    assert len(card.text) <= 4096
    assert "第19次记录" in card.text and "第19条" in card.text, "the newest events and evidence are kept"
    assert "第0条" not in card.text and "较早的记录没有显示" in card.text
    assert "<b>爷爷说</b>" in card.text, "a family's words are shown as they wrote them, escaped"
