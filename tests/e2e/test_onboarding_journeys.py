"""The three onboarding journeys through the real Application and the Bot API emulator, in both languages."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.contact.models import SummaryConsent
from bot.families.models import CaregiverLink, Child, ParentLink
from bot.i18n import gettext_for
from bot.schools.models import SchoolCounsellor
from tests.e2e.conftest import BOT_USERNAME

STALE = "这个按钮已经不能用了，什么都没有改变。"
CODE_IN_LINK = re.compile(rf"https://t\.me/{BOT_USERNAME}\?start=([0-9A-Z]{{12}})")


async def count(db, model) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def walk_caregiver(user, code: str, *, language_button: str, children: list[tuple[str, str, str]]):
    user.send_text(f"/start {code}")
    ask_language = await user.wait_for_message()
    user.press_button(ask_language, language_button)
    consent = await user.wait_for_message()
    user.press(consent, consent.button_data()[0])  # agree
    for index, (nickname, year, month) in enumerate(children):
        relation = await user.wait_for_message()
        user.press(relation, relation.button_data()[0])  # grandmother
        await user.wait_for_message()  # asks the nickname
        user.send_text(nickname)
        years = await user.wait_for_message()
        user.press_button(years, year)
        months = await user.wait_for_message()
        user.press(months, next(d for d in months.button_data() if d.endswith(f":{month}")))
        added = await user.wait_for_message()
        more = index < len(children) - 1
        user.press(added, added.button_data()[0 if more else 1])
    return await user.wait_for_message()


async def test_grandmother_joins_in_chinese_with_two_children(bot, db, emulator, school) -> None:
    grandma = emulator.user(user_id=2001, first_name="王奶奶", language_code="zh-hans")
    home = await walk_caregiver(
        grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3"), ("小红", "2019", "11")]
    )
    assert "🆘" in home.text
    keyboard = home.reply_markup["keyboard"]
    assert [button["text"] for row in keyboard for button in row] == [
        "📝 说说孩子这周",
        "🆘 我很担心",
        "👨‍👩‍👧 家人",
        gettext_for("zh_Hans")("🌱 Tips"),
        "🌐 语言",
        "❓ 帮助",
    ]
    texts = [m.text for m in grandma.messages]
    assert any("在开始之前" in t for t in texts), "the consent text is shown in Chinese"
    assert any("已添加 小明" in t for t in texts) and any("已添加 小红" in t for t in texts)
    async with db.session() as session:
        children = (await session.scalars(select(Child).order_by(Child.id))).all()
    assert [(c.nickname, c.birth_year, c.birth_month) for c in children] == [("小明", 2015, 3), ("小红", 2019, 11)]
    assert await count(db, CaregiverLink) == 2


async def test_counsellor_joins_in_english_and_gets_commands(bot, db, emulator, school) -> None:
    teacher = emulator.user(user_id=2002, first_name="Li", language_code="en")
    teacher.send_text(f"/start {await school.counsellor_code()}")
    ask_language = await teacher.wait_for_message()
    teacher.press_button(ask_language, "English")
    welcome = await teacher.wait_for_message()
    assert "You are now a counsellor of" in welcome.text and "青山小学" in welcome.text
    home = await teacher.wait_for_message()
    assert "counselling room" in home.text
    assert await count(db, SchoolCounsellor) == 1
    chat_commands = [cmds for (scope, _lang), cmds in emulator.commands.items() if "2002" in scope]
    assert chat_commands and {"menu", "language", "help"} <= {c["command"] for c in chat_commands[0]}
    default_languages = {lang for (scope, lang) in emulator.commands if "2002" not in scope}
    assert {"zh", "en"} <= default_languages


async def test_caregiver_invites_the_mother_who_joins_in_english(bot, db, emulator, school) -> None:
    grandma = emulator.user(user_id=2003, first_name="奶奶", language_code="zh-hans")
    await walk_caregiver(grandma, school.join_code, language_button="中文", children=[("小明", "2015", "3")])
    grandma.send_text("👨‍👩‍👧 家人")
    family = await grandma.wait_for_message()
    assert "小明" in family.text and "妈妈：还没加入" in family.text
    grandma.press_button(family, "邀请小明的妈妈")
    await grandma.wait_for_message()  # "please forward the next message"
    invitation = await grandma.wait_for_message()
    code = CODE_IN_LINK.search(invitation.text).group(1)

    mum = emulator.user(user_id=2004, first_name="Mum", language_code="en")
    mum.send_text(f"/start {code}")
    mum.press_button(await mum.wait_for_message(), "English")
    consent = await mum.wait_for_message()
    assert "Before we start" in consent.text
    mum.press_button(consent, "I agree")
    linked = await mum.wait_for_message()
    assert "linked to" in linked.text and "小明" in linked.text
    told = await grandma.wait_for_message(lambda m: "加入守护" in m.text, timeout=10)
    assert "小明的妈妈" in told.text
    grandma.press_button(told, "✅ 可以，发小结")  # the moment to ask whether parents may get summaries
    await grandma.wait_for_message()
    async with db.session() as session:
        assert (await session.scalar(select(ParentLink.relation))).value == "mother"
        assert (await session.scalar(select(SummaryConsent.share))) is True


async def test_bad_codes_stale_buttons_and_forged_data_change_nothing(bot, db, emulator, school) -> None:
    user = emulator.user(user_id=2005, first_name="张爷爷", language_code="zh-hans")
    user.send_text("/start ZZZZZZZZZZZZ")
    assert "用不了" in (await user.wait_for_message()).text
    user.send_text(f"/start {school.join_code}")
    ask_language = await user.wait_for_message()
    english = ask_language.button_data()[1]
    user.press_button(ask_language, "中文")
    consent = await user.wait_for_message()
    # The language question's button again, as an old phone screen might still show it.
    user.press_forged(ask_language.message_id, english)
    user.press_forged(consent.message_id, "ob:999:consent:yes")
    user.press_forged(consent.message_id, "fam:inv:1:mother")
    user.press_forged(consent.message_id, "x" * 64)
    answers = (await user.wait_for_callback_answers(5))[1:]  # after the real press of 中文
    assert [a["text"] for a in answers] == [STALE] * 4, answers
    assert await count(db, CaregiverLink) == 0
    user.press(consent, consent.button_data()[0])
    assert "什么人" in (await user.wait_for_message()).text


async def test_a_repeated_update_is_handled_once(bot, emulator, school) -> None:
    user = emulator.user(user_id=2006, first_name="A", language_code="en")
    update_id = user.send_text(f"/start {school.join_code}")
    await user.wait_for_message()
    emulator.repeat_update(update_id)
    user.send_text("/help")
    reply = await user.wait_for_message()
    assert "Shouhu" in reply.text, "the repeated /start was dropped: the next reply answers /help"
