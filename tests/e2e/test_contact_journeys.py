"""Family contact end to end: relayed voice notes and photos, replies to both parents, a blocked grandmother,
a call plan across time zones with its reminders and follow-up, a lapse nudge, and summaries that follow consent.

Time is moved, never waited for. The family is set up through the domain services (onboarding has its own
journeys); everything after that goes through the emulator.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.checkins.models import Checkin, CheckinOrigin, CheckinStatus
from bot.contact.models import Call, CallOutcome, CallStatus, CheckinSummary, ContactEvent, ContactKind, Relay
from bot.families import service as families
from bot.families.models import ParentRelation
from tests import factories

GRANDMA, MUM, DAD = 7100, 7101, 7102
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def family(db, emulator, school, *, dad: bool = False):
    """Grandma (Chinese) cares for 小明; Mum (English), and Dad when asked, are linked parents."""
    now = db.clock()
    household = await factories.family(db, school.id, GRANDMA, now=now)
    child_id = household.child_ids[0]
    users = {"grandma": emulator.user(user_id=GRANDMA, first_name="奶奶", language_code="zh-hans")}
    for key, user_id, relation in (("mum", MUM, ParentRelation.MOTHER), ("dad", DAD, ParentRelation.FATHER)):
        if key == "dad" and not dad:
            continue
        person_id = await factories.person(db, user_id, language="en")
        async with db.session() as session:
            await families.link_parent(session, person_id=person_id, child_id=child_id, relation=relation, now=now)
        users[key] = emulator.user(user_id=user_id, first_name=key.title(), language_code="en")
    return child_id, users


def data_starting(message, prefix: str) -> str:
    return next(data for data in message.button_data() if data.startswith(prefix))


async def open_relay(user, child_id: int):
    user.send_text("📞 Calls")
    calls = await user.wait_for_message(lambda m: "Calls with your child" in m.text)
    user.press(calls, f"ct:m:{child_id}")
    return await user.wait_for_message(lambda m: "Send one message" in m.text)


async def count(db, model, *conditions) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def test_a_voice_note_and_a_photo_reach_grandma_and_her_reply_reaches_both_parents(
    bot, db, emulator, school
) -> None:
    child_id, users = await family(db, emulator, school, dad=True)
    grandma, mum, dad = users["grandma"], users["mum"], users["dad"]

    asked = await open_relay(mum, child_id)
    assert "Grandma" in asked.text
    mum.send_voice()
    assert "On its way to Grandma" in (await mum.wait_for_message()).text
    label = await grandma.wait_for_message(timeout=10)
    assert "小明" in label.text and label.button_data() == [data_starting(label, "ct:r:")]
    voice = await grandma.wait_for_message(timeout=10)
    assert voice.kind == "voice" and voice.copied_from[0] == MUM

    await open_relay(mum, child_id)
    mum.send_photo(caption="our new room")
    await mum.wait_for_message(lambda m: "On its way" in m.text)
    await grandma.wait_for_message(timeout=10)
    photo = await grandma.wait_for_message(timeout=10)
    assert photo.kind == "photo" and photo.text == "our new room"

    grandma.press(label, data_starting(label, "ct:r:"))
    await grandma.wait_for_message()  # "send one message …"
    grandma.send_text("小明考了一百分，很想你们")
    for parent in (mum, dad):
        told = await parent.wait_for_message(lambda m: "From Grandma, for" in m.text, timeout=10)
        assert "小明" in told.text
        words = await parent.wait_for_message(timeout=10)
        assert words.text == "小明考了一百分，很想你们" and words.copied_from is not None
    async with db.session() as session:
        relays = (await session.scalars(select(Relay))).all()
    assert len(relays) == 4  # two to grandma, one to each parent; no words stored
    assert await count(db, ContactEvent, ContactEvent.kind == ContactKind.MESSAGE) == 2


async def test_forged_relay_buttons_pass_nothing_on(bot, db, emulator, school) -> None:
    child_id, _users = await family(db, emulator, school)
    stranger = emulator.user(user_id=7199, first_name="Stranger", language_code="en")
    await factories.person(db, 7199, language="en")
    stranger.press_forged(1, f"ct:m:{child_id}")
    stranger.press_forged(1, "ct:r:1")
    answers = await stranger.wait_for_callback_answers(2)
    assert all("no longer active" in answer["text"] for answer in answers)
    stranger.send_voice()
    await asyncio.sleep(0.5)
    assert await count(db, Relay) == 0


async def test_a_parent_is_told_kindly_when_grandma_has_blocked_the_bot(bot, db, emulator, school) -> None:
    child_id, users = await family(db, emulator, school)
    grandma, mum = users["grandma"], users["mum"]
    emulator.block(grandma)

    await open_relay(mum, child_id)
    mum.send_text("Happy birthday, my little one!")
    await mum.wait_for_message(lambda m: "On its way" in m.text)
    notice = await mum.wait_for_message(lambda m: "could not reach" in m.text, timeout=10)
    assert "Grandma" in notice.text and "小明" in notice.text

    # Now that Shouhu knows, the next message is refused at once, kindly, and nothing is queued for her.
    await open_relay(mum, child_id)
    mum.send_voice()
    refused = await mum.wait_for_message()
    assert "cannot get messages" in refused.text
    assert await count(db, Relay) == 1


async def test_a_parent_abroad_plans_a_call_and_both_sides_are_reminded_at_their_own_local_times(
    bot, db, emulator, school, clock
) -> None:
    child_id, users = await family(db, emulator, school)
    grandma, mum = users["grandma"], users["mum"]

    mum.send_text("📞 Calls")
    calls = await mum.wait_for_message(lambda m: "Calls with your child" in m.text)
    mum.press(calls, f"ct:p:{child_id}")
    zones = await mum.wait_for_message()
    assert zones.button_texts()[0] == "Beijing time"
    mum.press_button(zones, "Central Europe time")
    days = await mum.wait_for_message()
    mum.press_button(days, "Saturday")
    times = await mum.wait_for_message()
    mum.press_button(times, "12:00")
    planned = await mum.wait_for_message()
    # Saturday 12:00 in Berlin is Saturday 19:00 at home in winter (and 18:00 in summer).
    assert "Saturday 12:00" in planned.text and "At home that is" in planned.text

    async with db.session() as session:
        call = await session.scalar(select(Call))
    berlin = call.at.astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.weekday(), berlin.hour, berlin.minute) == (5, 12, 0)
    home_time = call.at.astimezone(SHANGHAI).strftime("%H:%M")

    clock.move_to(call.at - timedelta(hours=1, minutes=5))
    await asyncio.sleep(1)
    assert not [m for m in grandma.messages if "📞" in m.text], "no reminder before its time"

    clock.move_to(call.at - timedelta(minutes=59))
    reminder = await grandma.wait_for_message(lambda m: "📞" in m.text, timeout=10)
    assert home_time in reminder.text and "小明" in reminder.text
    ideas = await mum.wait_for_message(lambda m: "in an hour" in m.text, timeout=10)
    assert "12:00" in ideas.text and ideas.text.count("•") in (2, 3)

    clock.move_to(call.at + timedelta(hours=1, minutes=1))
    question = await mum.wait_for_message(lambda m: "How did the call" in m.text, timeout=10)
    grandmas = await grandma.wait_for_message(lambda m: m.button_data() and "ct:o:" in m.button_data()[0], timeout=10)
    mum.press(question, data_starting(question, f"ct:o:{call.id}:t"))
    await mum.wait_for_message(lambda m: "Every call with" in m.text)
    grandma.press(grandmas, data_starting(grandmas, f"ct:o:{call.id}:u"))
    (late,) = await grandma.wait_for_callback_answers()
    assert late["text"]  # someone already answered: a short notice, nothing changes
    async with db.session() as session:
        done = await session.get(Call, call.id)
        assert (done.status, done.outcome) == (CallStatus.DONE, CallOutcome.TALKED)
        assert await session.scalar(select(func.count()).select_from(Call).where(Call.status == CallStatus.SCHEDULED))
    assert await count(db, ContactEvent, ContactEvent.kind == ContactKind.CALL) == 1


async def test_two_weeks_without_contact_bring_a_kind_nudge_with_a_one_tap_plan(bot, db, emulator, school, clock):
    child_id, users = await family(db, emulator, school)
    mum = users["mum"]
    morning = datetime.combine(clock().astimezone(SHANGHAI).date() + timedelta(days=15), datetime.min.time())
    clock.move_to(morning.replace(hour=10, tzinfo=SHANGHAI))
    nudge = await mum.wait_for_message(lambda m: "plan a call" in m.text, timeout=10)
    assert "小明" in nudge.text and "should" not in nudge.text
    mum.press(nudge, f"ct:p:{child_id}")
    assert "Which time zone" in (await mum.wait_for_message()).text
    await asyncio.sleep(1)
    assert len([m for m in mum.messages if "plan a call" in m.text]) == 1, "nudged once, not every tick"


async def test_the_weekly_summary_reaches_parents_only_with_grandmas_consent(bot, db, emulator, school, clock):
    child_id, users = await family(db, emulator, school)
    grandma, mum = users["grandma"], users["mum"]
    caregiver_id = await factories.person(db, GRANDMA)
    clock.move_to(
        datetime.combine(clock().astimezone(SHANGHAI).date() + timedelta(days=1), datetime.min.time()).replace(
            hour=10, tzinfo=SHANGHAI
        )
    )
    answers = {"mood": "sometimes", "sleep_eating": "no", "school": "often", "wish_to_die": "yes", "caregiver": "tired"}

    async def completed(days_ago: int) -> int:
        async with db.session() as session:
            checkin = Checkin(
                child_id=child_id,
                caregiver_id=caregiver_id,
                origin=CheckinOrigin.SCHEDULED,
                status=CheckinStatus.COMPLETED,
                due_at=clock() - timedelta(days=days_ago, hours=1),
                completed_at=clock(),
                answers=answers,
            )
            session.add(checkin)
            await session.flush()
            return checkin.id

    first = await completed(7)
    for _ in range(100):
        if await count(db, CheckinSummary, CheckinSummary.checkin_id == first):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    assert not [m for m in mum.messages if "week</b>" in m.text or "'s week" in m.text], "no consent, no summary"

    grandma.send_text("👨‍👩‍👧 家人")
    settings = await grandma.wait_for_message(lambda m: "ct:s:1" in m.button_data(), timeout=5)
    grandma.press(settings, "ct:s:1")
    await grandma.wait_for_message(lambda m: "小结" in m.text)
    await completed(0)
    summary = await mum.wait_for_message(lambda m: "'s week" in m.text, timeout=10)
    assert "Mood: a few harder days" in summary.text and "School: often hard this week" in summary.text
    assert "Grandma: a bit tired" in summary.text and "Idea for your next call" in summary.text
    assert "die" not in summary.text.lower()


async def test_a_parent_sets_the_birthday_and_is_reminded_a_week_ahead(bot, db, emulator, school, clock) -> None:
    child_id, users = await family(db, emulator, school)  # 小明 was born in March
    mum = users["mum"]
    mum.send_text("📞 Calls")
    calls = await mum.wait_for_message(lambda m: "Calls with your child" in m.text)
    mum.press(calls, f"ct:b:{child_id}")
    days = await mum.wait_for_message()
    assert "March" in days.text
    mum.press_button(days, "12")
    assert "March 12" in (await mum.wait_for_message()).text
    today = clock().astimezone(SHANGHAI).date()
    birthday = (
        today.replace(month=3, day=12)
        if (today.month, today.day) < (3, 5)
        else today.replace(year=today.year + 1, month=3, day=12)
    )
    clock.move_to(datetime.combine(birthday - timedelta(days=7), datetime.min.time()).replace(hour=10, tzinfo=SHANGHAI))
    reminder = await mum.wait_for_message(lambda m: "🎂 In a week" in m.text, timeout=10)
    assert "小明" in reminder.text and f"ct:m:{child_id}" in reminder.button_data()


async def test_grandma_proposes_another_time_and_mum_agrees(bot, db, emulator, school) -> None:
    child_id, users = await family(db, emulator, school)
    grandma, mum = users["grandma"], users["mum"]
    mum.send_text("/calls")
    calls = await mum.wait_for_message(lambda m: "Calls with your child" in m.text)
    mum.press(calls, f"ct:p:{child_id}")
    mum.press_button(await mum.wait_for_message(), "Beijing time")
    mum.press_button(await mum.wait_for_message(), "Saturday")
    mum.press_button(await mum.wait_for_message(), "19:00")
    await mum.wait_for_message(lambda m: "Planned" in m.text)
    async with db.session() as session:
        call = await session.scalar(select(Call))

    grandma.send_text("👨‍👩‍👧 家人")
    family_menu = await grandma.wait_for_message(lambda m: f"ct:v:{call.plan_id}" in m.button_data())
    grandma.press(family_menu, f"ct:v:{call.plan_id}")
    days = await grandma.wait_for_message()
    grandma.press(days, f"ct:v:{call.plan_id}:6")
    times = await grandma.wait_for_message()
    grandma.press(times, f"ct:v:{call.plan_id}:6:1080")
    await grandma.wait_for_message()  # "we asked Mum"
    proposal = await mum.wait_for_message(lambda m: "would like to move" in m.text, timeout=10)
    assert "Grandma" in proposal.text and "Sunday 18:00" in proposal.text
    mum.press_button(proposal, "Yes, that suits")
    assert "moves to the new time" in (await mum.wait_for_message()).text
    await grandma.wait_for_message(lambda m: "18:00" in m.text, timeout=10)
    async with db.session() as session:
        moved = await session.get(Call, call.id)
    local = moved.at.astimezone(SHANGHAI)
    assert (local.weekday(), local.hour) == (6, 18)
