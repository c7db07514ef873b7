"""Tips end to end: browsing by topic in both languages, feedback, the schedule screen, and a voice tip on Friday.

Time is moved, never waited for: the bot's clock jumps to the Friday evening the first tip falls due.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta

import yaml
from sqlalchemy import select

from bot.checkins.timing import next_slot
from bot.config import PROJECT_ROOT
from bot.content.bundle import load_content
from bot.guidance.content import AgeBand, Track, tips_for
from bot.guidance.models import DeliveryOrigin, Feedback, GuidanceDelivery, GuidanceSchedule
from bot.guidance.selection import interleaved
from bot.telegram.app import build_application, running
from tests.e2e.conftest import bot_settings
from tests.e2e.test_onboarding_journeys import walk_caregiver

NO_LONGER_ACTIVE = ("no longer active", "不能用了")


async def next_answer(user, seen: int, timeout: float = 5.0) -> dict:  # noqa: ASYNC109
    """The first callback answer after the `seen` ones."""
    for _ in range(int(timeout / 0.05)):
        if len(user.callback_answers) > seen:
            return user.callback_answers[seen]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no callback answer after {seen}")


def stale(answer: dict) -> bool:
    return any(words in answer["text"] for words in NO_LONGER_ACTIVE)


async def test_a_grandmother_browses_tips_in_chinese_and_says_one_helped(bot, db, emulator, school) -> None:
    grandma = emulator.user(user_id=7100, first_name="王奶奶", language_code="zh-hans")
    home = await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])
    grandma.send_text(home.reply_markup["keyboard"][1][1]["text"])  # the Tips button, whatever its translation
    menu = await grandma.wait_for_message()
    assert "🍚 睡觉和吃饭" in menu.button_texts() and "📞 打好每个电话" not in menu.button_texts()

    grandma.press_button(menu, "🍚 睡觉和吃饭")
    page = await grandma.wait_for_edit(menu.message_id)
    assert "睡够了，上课才有精神" in page.button_texts(), "tips for a ten-year-old"
    assert "睡前的小习惯" not in page.button_texts(), "not the toddlers' tips"
    grandma.press_button(page, "睡够了，上课才有精神")
    tip = await grandma.wait_for_message()
    assert "九到十二个小时" in tip.text and "<" not in tip.text

    seen = len(grandma.callback_answers)
    grandma.press(tip, next(data for data in tip.button_data() if data.endswith(":h")))
    await next_answer(grandma, seen)
    async with db.session() as session:
        delivery = await session.scalar(select(GuidanceDelivery).where(GuidanceDelivery.tip_id == "sleep_kid_1"))
    assert delivery.origin is DeliveryOrigin.BROWSED and delivery.feedback is Feedback.HELPFUL


async def test_a_grandfather_pages_through_tips_in_english_and_forged_buttons_do_nothing(bot, db, emulator, school):
    grandpa = emulator.user(user_id=7200, first_name="Grandpa", language_code="en")
    await walk_caregiver(grandpa, school.join_code, language_button="English", children=[("Ming", "2015", "3")])
    grandpa.send_text("🌱 Tips")
    menu = await grandpa.wait_for_message()
    grandpa.press_button(menu, "❤️ Feelings and temper")
    first = await grandpa.wait_for_edit(menu.message_id)
    assert "1/2" in first.text and "More ▶️" in first.button_texts()
    grandpa.press_button(first, "More ▶️")
    second = await grandpa.wait_for_edit(menu.message_id)
    assert "2/2" in second.text and "◀️ Back" in second.button_texts()

    seen = len(grandpa.callback_answers)
    grandpa.press_forged(menu.message_id, "gd:v:body_toddler_1")  # a real tip, but for toddlers
    assert stale(await next_answer(grandpa, seen))
    grandpa.press_forged(menu.message_id, "gd:f:999999:h")  # nobody's delivery
    assert stale(await next_answer(grandpa, seen + 1))
    grandpa.press_forged(menu.message_id, "gd:tp:feelings:7")
    assert stale(await next_answer(grandpa, seen + 2))

    grandpa.press_button(second, "⬅️ All topics")
    topics = await grandpa.wait_for_edit(menu.message_id)
    grandpa.press(topics, "gd:s")
    settings = await grandpa.wait_for_edit(menu.message_id)
    assert "2 times a week" in settings.text and "Tuesday" in settings.text and "19:00" in settings.text
    grandpa.press(settings, "gd:s:d:6")  # Sunday on
    changed = await grandpa.wait_for_edit(menu.message_id)
    assert "3 times a week" in changed.text and "Sunday" in changed.text
    async with db.session() as session:
        schedule = await session.scalar(select(GuidanceSchedule))
    assert schedule.weekdays == [1, 4, 6]


async def test_the_first_tip_comes_as_a_voice_message_when_the_pack_has_a_recording(
    db, database_url, emulator, school, clock, tmp_path
) -> None:
    copy = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", copy)
    # The first tip a ten-year-old's grandmother gets is the first 6-12 tip in pack order: give it a recording.
    first = interleaved(tips_for(load_content(copy).guidance, Track.CAREGIVER, [AgeBand.PRIMARY]))[0]
    (copy / "guidance" / "audio").mkdir()
    (copy / "guidance" / "audio" / "first.ogg").write_bytes(b"OggS" + bytes(2000))
    for tips in (copy / "guidance" / "tips").glob("*.yaml"):
        data = yaml.safe_load(tips.read_text(encoding="utf-8"))
        for tip in data["tips"]:
            if tip["id"] == first.id:
                tip["audio"] = {"zh_Hans": "audio/first.ogg"}
                tips.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    content = load_content(copy)

    grandma = emulator.user(user_id=7300, first_name="李奶奶", language_code="zh-hans")
    application = build_application(bot_settings(database_url, emulator), db, content)
    async with running(application, polling=True):
        await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小军", "2015", "3")])
        async with db.session() as session:
            for _ in range(100):  # the scheduler plans for newcomers on its next tick
                if await session.scalar(select(GuidanceSchedule)):
                    break
                await asyncio.sleep(0.05)
        friday = next_slot(clock(), weekday=4, minute_of_day=19 * 60, timezone="Asia/Shanghai")
        tuesday = next_slot(clock(), weekday=1, minute_of_day=19 * 60, timezone="Asia/Shanghai")
        clock.move_to(min(friday, tuesday) + timedelta(seconds=1))
        tip = await grandma.wait_for_message(lambda m: m.kind == "voice", timeout=10)
        assert first.title.zh_Hans in tip.text and first.activity.zh_Hans in tip.text, "the text is the caption"
        assert [data.split(":")[-1] for data in tip.button_data()] == ["h", "n"]
