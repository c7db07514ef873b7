"""The safety loop end to end: a scheduled check-in arrives, a red flag is answered, help and alerts go out.

Time is moved, never waited for: the bot's clock jumps to the Sunday evening the check-in falls due.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.cases.models import Case, Flag
from bot.checkins.models import Checkin, CheckinStatus
from bot.checkins.timing import next_slot
from bot.people import service as people
from bot.schools import service as schools
from tests.e2e.conftest import School, bot_running
from tests.e2e.test_onboarding_journeys import walk_caregiver


async def add_counsellor(db, emulator, school: School, user_id: int, language_code: str = "zh-hans"):
    user = emulator.user(user_id=user_id, first_name=f"老师{user_id}", language_code=language_code)
    async with db.session() as session:
        person = await people.get_or_create(session, telegram_user_id=user_id, chat_id=user_id, display_name="t")
        person.language = "en" if language_code == "en" else "zh_Hans"
        await schools.add_counsellor(session, school.id, person.id, db.clock())
    return user


def press_option(user, message, option_id: str) -> None:
    matching = [data for data in message.button_data() if data.endswith(f":{option_id}")]
    assert matching, f"expected a question with the answer {option_id!r}, got: {message.describe()}"
    user.press(message, matching[0])


def not_a_tip(message) -> bool:
    """A parenting tip falls due too when a test moves the clock days ahead; it may arrive between questions."""
    return not any(data.startswith("gd:") for data in message.button_data())


async def answer(user, option_id: str):
    """Answer the question just asked, and return the next message."""
    question = await user.wait_for_message(not_a_tip)
    press_option(user, question, option_id)
    return question


async def test_a_red_flag_reaches_every_counsellor_of_the_school_and_survives_a_restart(
    db, database_url, emulator, school, clock
) -> None:
    other_school = await School(db).create(name="河边小学")
    teachers = [
        await add_counsellor(db, emulator, school, 5001),
        await add_counsellor(db, emulator, school, 5002, "en"),
    ]
    elsewhere = await add_counsellor(db, emulator, other_school, 5003)
    grandma = emulator.user(user_id=5100, first_name="王奶奶", language_code="zh-hans")

    async with bot_running(db, database_url, emulator):
        await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])
        sunday_evening = next_slot(clock(), weekday=6, minute_of_day=19 * 60, timezone="Asia/Shanghai")
        clock.move_to(sunday_evening)
        invite = await grandma.wait_for_message(lambda m: "这周过得怎么样" in m.text, timeout=10)
        grandma.press_button(invite, "▶️ 开始")
        first = await answer(grandma, "no")
        assert "小明" in first.text and "1/12" in first.text
        for option in ("no", "no", "no", "no", "no", "often"):  # 2-6, and 7: parents
            await answer(grandma, option)
        await answer(grandma, "yes")  # 8: said they want to die
        danger = await answer(grandma, "no")  # follow-up: no sign of acting now
        assert "现在有危险吗" in danger.text
        safety = await grandma.wait_for_message(not_a_tip)
        assert "12356" in safety.text and "010-82951332" in safety.text and "一个工作日内" in safety.text
        go_on = await grandma.wait_for_message(not_a_tip)
        assert "▶️ 继续" in go_on.button_texts()

        alerts = [await teacher.wait_for_message(timeout=10) for teacher in teachers]
        assert "🟠" in alerts[0].text and "小明" in alerts[0].text and "说过想死" in alerts[0].text
        assert "High concern" in alerts[1].text and "said they want to die" in alerts[1].text

    # A restart in the middle of the check-in: nothing answered is lost, and it goes on at question 9.
    async with bot_running(db, database_url, emulator):
        grandma.press_button(go_on, "▶️ 继续")
        eighth = await answer(grandma, "no")
        assert "9/12" in eighth.text
        await answer(grandma, "no")  # 10
        await answer(grandma, "fine")  # 11
        note = await grandma.wait_for_message(not_a_tip)
        grandma.press_button(note, "⏭️ 跳过")
        thanks = await grandma.wait_for_message(not_a_tip)
        assert "谢谢您" in thanks.text and "12356" not in thanks.text, "the advice is not repeated at the end"

    assert not elsewhere.messages, "a counsellor of another school hears nothing"
    async with db.session() as session:
        [checkin] = (await session.scalars(select(Checkin).where(Checkin.status == CheckinStatus.COMPLETED))).all()
        [case] = (await session.scalars(select(Case))).all()
        [flag] = (await session.scalars(select(Flag))).all()
    assert checkin.answers["wish_to_die"] == "yes" and checkin.symptom_score == 0
    assert (case.severity.value, flag.level.value) == ("high", "high")


async def test_an_interrupted_check_in_resumes_from_the_menu_and_old_buttons_answer_nothing(bot, emulator, school):
    grandpa = emulator.user(user_id=5200, first_name="Grandpa", language_code="en")
    await walk_caregiver(grandpa, school.join_code, language_button="English", children=[("Ming", "2016", "5")])
    grandpa.send_text("📝 Check-in")
    first = await grandpa.wait_for_message()
    old_button = next(data for data in first.button_data() if data.endswith(":often"))
    press_option(grandpa, first, "sometimes")
    second = await grandpa.wait_for_message()
    assert "2/12" in second.text
    grandpa.press_forged(first.message_id, old_button)  # the first question's button, from an old screen
    notice = (await grandpa.wait_for_callback_answers(8))[-1]  # 6 presses to join, 1 answer, the old one
    assert "already answered" in notice["text"]
    grandpa.send_text("📝 Check-in")  # walked away; comes back through the menu
    resumed = await grandpa.wait_for_message()
    assert "2/12" in resumed.text, "the check-in resumes at the question it stopped at"


async def test_im_worried_flags_at_once_and_shows_help(bot, db, emulator, school) -> None:
    teacher = await add_counsellor(db, emulator, school, 5301)
    grandma = emulator.user(user_id=5300, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小红", "2014", "1")])
    grandma.send_text("🆘 我很担心")
    choices = await grandma.wait_for_message()
    grandma.press_button(choices, "🔎 找不到孩子")
    safety = await grandma.wait_for_message()
    assert "110" in safety.text and "今天会尽快" in safety.text
    alert = await teacher.wait_for_message(timeout=10)
    assert "🔴" in alert.text and "找不到孩子" in alert.text
    async with db.session() as session:
        assert (await session.scalar(select(Case.severity))).value == "urgent"


async def test_words_of_risk_sent_outside_any_question_raise_an_urgent_flag(bot, db, emulator, school) -> None:
    teacher = await add_counsellor(db, emulator, school, 5401)
    grandma = emulator.user(user_id=5400, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小军", "2013", "6")])
    grandma.send_text("孩子说今晚就喝农药")
    safety = await grandma.wait_for_message()
    assert "120" in safety.text
    alert = await teacher.wait_for_message(timeout=10)
    assert "🔴" in alert.text and "孩子说今晚就喝农药" in alert.text
    grandma.send_text("累死了，今天干了一天活")
    home = await grandma.wait_for_message()
    assert "12356" not in home.text, "a figure of speech is not a flag"
    async with db.session() as session:
        assert len((await session.scalars(select(Flag))).all()) == 1


async def test_a_caregiver_moves_the_weekly_check_in_and_forged_slots_change_nothing(bot, db, emulator, school):
    grandpa = emulator.user(user_id=5500, first_name="Grandpa", language_code="en")
    await walk_caregiver(grandpa, school.join_code, language_button="English", children=[("Ming", "2016", "5")])
    grandpa.send_text("👨‍👩‍👧 Family")
    family = await grandpa.wait_for_message()
    grandpa.press_button(family, "⏰ Check-in day and time")
    days = await grandpa.wait_for_message()
    assert "every Sunday at 19:00" in days.text
    grandpa.press_forged(days.message_id, "sch:9:480")
    grandpa.press_forged(days.message_id, "sch:2:485")
    forged = (await grandpa.wait_for_callback_answers(9))[-2:]  # after 6 presses to join and 1 to open this
    assert [answer["text"] for answer in forged] == ["That button is no longer active. Nothing was changed."] * 2
    grandpa.press_button(days, "Wednesday")
    times = await grandpa.wait_for_message()
    grandpa.press_button(times, "08:00")
    done = await grandpa.wait_for_message()
    assert "every Wednesday at 08:00" in done.text
    async with db.session() as session:
        [planned] = (await session.scalars(select(Checkin).where(Checkin.status == CheckinStatus.SCHEDULED))).all()
    local = planned.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert (local.weekday(), local.hour, local.minute) == (2, 8, 0)


async def test_three_missed_check_ins_open_a_routine_case(bot, db, emulator, school, clock) -> None:
    teacher = await add_counsellor(db, emulator, school, 5601, language_code="en")
    grandma = emulator.user(user_id=5600, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])
    slot = next_slot(clock(), weekday=6, minute_of_day=19 * 60, timezone="Asia/Shanghai")
    for week in range(3):
        clock.move_to(slot + timedelta(weeks=week))
        await grandma.wait_for_message(lambda m: "这周过得怎么样" in m.text, timeout=10)
        clock.move_to(slot + timedelta(weeks=week, hours=72))
        await eventually(db, lambda statuses, n=week + 1: statuses.count(CheckinStatus.MISSED) == n)
    alert = await teacher.wait_for_message(timeout=10)
    assert "🟡" in alert.text and "3" in alert.text and "小明" in alert.text
    async with db.session() as session:
        assert (await session.scalar(select(Case.severity))).value == "routine"


async def eventually(db, check, seconds: float = 10.0) -> None:
    """Wait until the check-ins' statuses satisfy `check`: the scheduler moves them on its own tick."""
    for _ in range(int(seconds / 0.1)):
        async with db.session() as session:
            statuses = list((await session.scalars(select(Checkin.status))).all())
        if check(statuses):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"check-ins never reached the expected state: {statuses}")
