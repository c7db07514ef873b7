"""Tips as rows that fall due: planned on the person's days, sent once, asked about once, chosen by check-ins."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from typer.testing import CliRunner

from bot.checkins.flow import SKIP, Checkins
from bot.checkins.models import Checkin, CheckinStatus
from bot.cli import app
from bot.config import PROJECT_ROOT, get_settings
from bot.db import Database
from bot.families.models import ParentRelation
from bot.families.service import link_parent
from bot.guidance.content import AgeBand, Track
from bot.guidance.due import run_guidance_due
from bot.guidance.models import DeliveryOrigin, DeliveryStatus, Feedback, GuidanceDelivery, Tried
from bot.guidance.service import Guidance
from bot.guidance.stats import tip_stats
from bot.outbox.models import OutboxMessage
from bot.people.models import Person
from tests import factories
from tests.clock import FixedClock

WEDNESDAY_NOON = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
FRIDAY_EVENING = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # Friday 19:00 in Shanghai, the first default slot
NEXT_TUESDAY = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
GUIDANCE = factories.CONTENT.guidance


async def deliveries(db) -> list[GuidanceDelivery]:
    async with db.session() as session:
        return list((await session.scalars(select(GuidanceDelivery).order_by(GuidanceDelivery.id))).all())


async def outbox(db, kind: str) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        return list(rows.all())


async def grandma_of_a_ten_year_old(db):
    school = await factories.school(db, "青山小学", now=WEDNESDAY_NOON)
    return await factories.family(db, school, 100, now=WEDNESDAY_NOON)  # born March 2015


async def as_person(session, person_id: int) -> Person:
    return await session.get(Person, person_id)


async def test_a_new_caregiver_gets_a_tip_on_friday_evening_once_and_the_next_one_is_planned(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)

    assert (await run_guidance_due(db, GUIDANCE, WEDNESDAY_NOON)).planned == 1
    assert (await run_guidance_due(db, GUIDANCE, WEDNESDAY_NOON)).planned == 0
    [planned] = await deliveries(db)
    assert planned.due_at == FRIDAY_EVENING and planned.status is DeliveryStatus.SCHEDULED

    assert (await run_guidance_due(db, GUIDANCE, FRIDAY_EVENING - timedelta(minutes=1))).sent == 0
    first = await run_guidance_due(db, GUIDANCE, FRIDAY_EVENING)
    again = await run_guidance_due(db, GUIDANCE, FRIDAY_EVENING + timedelta(seconds=30))
    assert (first.sent, again.sent) == (1, 0)
    [tip_message] = await outbox(db, "guidance_tip")
    assert tip_message.person_id == grandma.caregiver_id and tip_message.not_before == FRIDAY_EVENING
    sent, following = await deliveries(db)
    tip = GUIDANCE.tip(sent.tip_id)
    assert AgeBand.PRIMARY in tip.ages and GUIDANCE.track_of(tip) is Track.CAREGIVER
    assert following.status is DeliveryStatus.SCHEDULED and following.due_at == NEXT_TUESDAY


async def test_no_tip_repeats_and_a_late_tick_waits_for_the_morning(db) -> None:
    await grandma_of_a_ten_year_old(db)
    await run_guidance_due(db, GUIDANCE, WEDNESDAY_NOON)
    ten_pm = FRIDAY_EVENING + timedelta(hours=3)  # the service was down until 22:00: quiet hours
    await run_guidance_due(db, GUIDANCE, ten_pm)
    [held] = await outbox(db, "guidance_tip")
    assert held.not_before == datetime(2026, 11, 27, 23, 30, tzinfo=UTC)  # 07:30 the next morning

    now = ten_pm
    for _week in range(12):
        now += timedelta(days=4)
        await run_guidance_due(db, GUIDANCE, now)
    sent = [d.tip_id for d in await deliveries(db) if d.status is DeliveryStatus.SENT]
    assert len(sent) == 13 and len(set(sent)) == 13, "no tip twice while unsent ones remain"


async def test_did_you_try_it_is_asked_once_the_next_day_and_hard_brings_one_tip_on_the_theme(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    await run_guidance_due(db, GUIDANCE, WEDNESDAY_NOON)
    await run_guidance_due(db, GUIDANCE, FRIDAY_EVENING)
    [sent, _next] = await deliveries(db)
    tip = GUIDANCE.tip(sent.tip_id)
    assert tip.activity is not None and sent.ask_at == FRIDAY_EVENING + timedelta(days=1)

    assert (await run_guidance_due(db, GUIDANCE, sent.ask_at - timedelta(minutes=1))).asked == 0
    assert (await run_guidance_due(db, GUIDANCE, sent.ask_at)).asked == 1
    assert (await run_guidance_due(db, GUIDANCE, sent.ask_at + timedelta(hours=1))).asked == 0
    assert len(await outbox(db, "guidance_ask")) == 1

    guidance = Guidance(GUIDANCE, clock=lambda: sent.ask_at + timedelta(hours=2))
    async with db.session() as session:
        person = await as_person(session, grandma.caregiver_id)
        [saved] = await guidance.tried(session, person, sent.id, Tried.HARD)
        [again] = await guidance.tried(session, person, sent.id, Tried.WENT_WELL)
    assert type(saved).__name__ == "TriedSaved" and type(again).__name__ == "AlreadyTold"
    report = await run_guidance_due(db, GUIDANCE, sent.ask_at + timedelta(hours=2))
    assert report.sent == 1
    follow_up = next(d for d in await deliveries(db) if d.origin is DeliveryOrigin.FOLLOW_UP)
    assert follow_up.tip_id != tip.id and tip.topics[0] in GUIDANCE.tip(follow_up.tip_id).topics
    assert (await deliveries(db))[0].tried is Tried.HARD


async def test_a_delivery_of_someone_else_is_a_stale_button(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    other = await factories.person(db, 999)
    await run_guidance_due(db, GUIDANCE, WEDNESDAY_NOON)
    await run_guidance_due(db, GUIDANCE, FRIDAY_EVENING)
    [sent, _next] = await deliveries(db)
    guidance = Guidance(GUIDANCE, clock=lambda: FRIDAY_EVENING)
    async with db.session() as session:
        [stale] = await guidance.give_feedback(session, await as_person(session, other), sent.id, Feedback.HELPFUL)
        [saved] = await guidance.give_feedback(
            session, await as_person(session, grandma.caregiver_id), sent.id, Feedback.NOT_FOR_ME
        )
    assert type(stale).__name__ == "StaleButton" and type(saved).__name__ == "FeedbackSaved"
    assert (await deliveries(db))[0].feedback is Feedback.NOT_FOR_ME


async def answer_check_in(db, caregiver_id: int, child_id: int, now: datetime, **chosen: str) -> None:
    """A whole check-in through the real flow: "no" (or the first option) unless `chosen` says otherwise."""
    guidance = Guidance(GUIDANCE, clock=lambda: now)
    checkins = Checkins(
        factories.CONTENT.pack,
        factories.CONTENT.checkins,
        factories.CONTENT.scanner,
        clock=lambda: now,
        guidance=guidance,
    )
    questionnaire = factories.CONTENT.checkins.weekly
    async with db.session() as session:
        await checkins.begin(session, await as_person(session, caregiver_id), child_id)
    while True:
        async with db.session() as session:
            person = await as_person(session, caregiver_id)
            checkin = await session.scalar(select(Checkin).where(Checkin.status == CheckinStatus.OPEN))
            if checkin is None:
                return
            question = questionnaire.next_question(checkin.answers)
            if question.kind == "free_text":
                option = SKIP
            else:
                calm = "no" if "no" in {o.id for o in question.options} else question.options[0].id
                option = chosen.get(question.id, calm)
            await checkins.answer(session, person, checkin.id, question.id, option)


async def test_poor_sleep_in_a_check_in_brings_a_sleep_tip_for_the_childs_age(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    late_evening = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    await answer_check_in(db, grandma.caregiver_id, grandma.child_ids[0], late_evening, sleep_eating="often")

    [targeted] = [d for d in await deliveries(db) if d.origin is DeliveryOrigin.TARGETED]
    assert targeted.topic_id == "sleep_food" and targeted.child_id == grandma.child_ids[0]
    await run_guidance_due(db, GUIDANCE, late_evening)
    [message] = await outbox(db, "guidance_tip")
    tip = GUIDANCE.tip(message.params["tip_id"])
    assert "sleep_food" in tip.topics and AgeBand.PRIMARY in tip.ages
    assert message.not_before == datetime(2026, 11, 25, 23, 30, tzinfo=UTC), "held until 07:30"


async def test_a_check_in_with_nothing_of_note_plans_no_tip_and_no_tips_means_none(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    await answer_check_in(db, grandma.caregiver_id, grandma.child_ids[0], WEDNESDAY_NOON)
    assert not [d for d in await deliveries(db) if d.origin is DeliveryOrigin.TARGETED]

    guidance = Guidance(GUIDANCE, clock=lambda: WEDNESDAY_NOON)
    async with db.session() as session:
        person = await as_person(session, grandma.caregiver_id)
        [settings] = await guidance.set_frequency(session, person, 0)
    assert settings.weekdays == ()
    await run_guidance_due(db, GUIDANCE, NEXT_TUESDAY)
    assert not await outbox(db, "guidance_tip") and not await deliveries(db)


async def test_days_can_be_moved_but_never_more_than_three(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    guidance = Guidance(GUIDANCE, clock=lambda: WEDNESDAY_NOON)
    async with db.session() as session:
        person = await as_person(session, grandma.caregiver_id)
        await guidance.set_frequency(session, person, 3)  # Monday, Wednesday, Friday
        [too_many] = await guidance.toggle_day(session, person, 5)
        await guidance.toggle_day(session, person, 4)  # Friday off
        [settings] = await guidance.set_hour(session, person, 8)
    assert type(too_many).__name__ == "TooManyDays"
    assert (settings.weekdays, settings.hour) == ((0, 2), 8)
    [planned] = await deliveries(db)
    assert planned.due_at == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 08:00 in Shanghai


async def test_a_parent_gets_the_parents_track(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    mum = await factories.person(db, 200)
    async with db.session() as session:
        await link_parent(
            session, person_id=mum, child_id=grandma.child_ids[0], relation=ParentRelation.MOTHER, now=WEDNESDAY_NOON
        )
    await run_guidance_due(db, GUIDANCE, WEDNESDAY_NOON)
    await run_guidance_due(db, GUIDANCE, FRIDAY_EVENING)
    [for_mum] = [m for m in await outbox(db, "guidance_tip") if m.person_id == mum]
    assert GUIDANCE.track_of(GUIDANCE.tip(for_mum.params["tip_id"])) is Track.PARENT


async def rate_two_tips(db) -> None:
    grandma = await grandma_of_a_ten_year_old(db)
    guidance = Guidance(GUIDANCE, clock=lambda: WEDNESDAY_NOON)
    async with db.session() as session:
        person = await as_person(session, grandma.caregiver_id)
        [shown] = await guidance.view(session, person, "sleep_kid_1")
        [other] = await guidance.view(session, person, "talk_kid_1")
        await guidance.give_feedback(session, person, shown.delivery_id, Feedback.HELPFUL)
        await guidance.give_feedback(session, person, other.delivery_id, Feedback.NOT_FOR_ME)


async def test_feedback_is_counted_per_tip(db) -> None:
    await rate_two_tips(db)
    async with db.session() as session:
        stats = await tip_stats(session)
    assert [(item.tip_id, item.helpful, item.not_for_me) for item in stats] == [
        ("sleep_kid_1", 1, 0),
        ("talk_kid_1", 0, 1),
    ]


def test_content_stats_prints_the_most_and_least_helpful_tips(db, database_url, monkeypatch, tmp_path) -> None:
    async def setup() -> None:
        database = Database(database_url, clock=FixedClock())
        try:
            await rate_two_tips(database)
        finally:
            await database.dispose()

    asyncio.run(setup())
    monkeypatch.chdir(tmp_path)
    env = {"DATABASE_URL": database_url, "SHOUHU_CONTENT_DIR": str(PROJECT_ROOT / "content")}
    get_settings.cache_clear()
    stats = CliRunner().invoke(app, ["content", "stats", "--json"], env=env)
    assert stats.exit_code == 0, stats.output
    data = json.loads(stats.stdout)
    assert data["most_helpful"][0]["tip_id"] == "sleep_kid_1" and data["least_helpful"][0]["tip_id"] == "talk_kid_1"
    get_settings.cache_clear()
    text = CliRunner().invoke(app, ["content", "stats"], env=env)
    assert "Most helpful:" in text.stdout and "sleep_kid_1" in text.stdout
    get_settings.cache_clear()
    check = CliRunner().invoke(app, ["content", "check"], env=env)
    assert check.exit_code == 0 and "Content pack OK" in check.stdout
    get_settings.cache_clear()


def test_a_broken_tip_file_fails_content_check_and_start_up_naming_file_and_field(tmp_path, monkeypatch) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    tips = content / "guidance" / "tips" / "sleep_food.yaml"
    tips.write_text(tips.read_text(encoding="utf-8").replace("    topics: [sleep_food]", "    topics: [naps]", 1))
    monkeypatch.chdir(tmp_path)
    env = {"SHOUHU_CONTENT_DIR": str(content), "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN"}
    for command in (["content", "check"], ["run"]):
        get_settings.cache_clear()
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 2, command
        assert "sleep_food.yaml: tips.0 (sleep_toddler_1).topics: unknown topic(s) ['naps']" in result.stderr
    get_settings.cache_clear()
