"""The guidance pack: it validates, covers every age band and topic, and a broken file names its file and field."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content.bundle import load_content
from bot.content.pack import ContentError
from bot.guidance.content import AgeBand, Track, tips_for
from bot.guidance.selection import band_of, choose, interleaved

CONTENT = load_content(PROJECT_ROOT / "content")
GUIDANCE = CONTENT.guidance
CAREGIVER_TOPICS_NOT_FOR_TODDLERS = {"school", "bullying"}


def test_the_pack_holds_enough_tips_for_caregivers_and_parents() -> None:
    tracks = [GUIDANCE.track_of(tip) for tip in GUIDANCE.tips]
    assert tracks.count(Track.CAREGIVER) >= 80
    assert tracks.count(Track.PARENT) >= 12


def test_every_caregiver_topic_has_tips_for_every_age_band_where_it_makes_sense() -> None:
    for topic in GUIDANCE.topics:
        if topic.track is not Track.CAREGIVER:
            continue
        for band in AgeBand:
            if band is AgeBand.TODDLER and topic.id in CAREGIVER_TOPICS_NOT_FOR_TODDLERS:
                continue
            assert tips_for(GUIDANCE, Track.CAREGIVER, [band], topic.id), f"{topic.id} has no tip for {band}"


def test_every_check_in_rule_finds_a_tip_for_every_age() -> None:
    for rule in GUIDANCE.targeted:
        for band in AgeBand:
            if band is AgeBand.TODDLER and rule.topic in CAREGIVER_TOPICS_NOT_FOR_TODDLERS:
                continue  # nobody avoids school at two; no tip is then planned
            assert tips_for(GUIDANCE, Track.CAREGIVER, [band], rule.topic), (rule.topic, band)


def test_check_in_answers_pick_the_most_important_rule_first() -> None:
    assert GUIDANCE.rule_for({"temper": "often", "caregiver": "cant_cope"}).topic == "self_care"
    assert GUIDANCE.rule_for({"sleep_eating": "often"}).topic == "sleep_food"
    assert GUIDANCE.rule_for({"temper": "often"}).tips
    assert GUIDANCE.rule_for({"mood": "no", "temper": "no", "caregiver": "fine"}) is None


def test_ages_fall_into_bands_by_birth_month() -> None:
    today = date(2026, 11, 29)
    assert band_of(2024, 1, today) is AgeBand.TODDLER
    assert band_of(2023, 11, today) is AgeBand.PRESCHOOL  # three this month
    assert band_of(2023, 12, today) is AgeBand.TODDLER
    assert band_of(2015, None, today) is AgeBand.PRIMARY
    assert band_of(2012, 3, today) is AgeBand.TEEN
    assert band_of(2008, 3, today) is AgeBand.TEEN  # older teenagers get the oldest band


def test_selection_takes_topics_in_turn_and_repeats_nothing_until_every_tip_was_sent() -> None:
    candidates = tips_for(GUIDANCE, Track.CAREGIVER, [AgeBand.PRIMARY])
    first_round = interleaved(candidates)[: len({tip.topics[0] for tip in candidates})]
    assert len({tip.topics[0] for tip in first_round}) == len(first_round), "one tip of each topic first"

    sent: dict[str, datetime] = {}
    for day in range(len(candidates)):
        tip = choose(candidates, sent)
        assert tip.id not in sent
        assert AgeBand.PRIMARY in tip.ages
        sent[tip.id] = datetime(2026, 1, 1, tzinfo=UTC).replace(day=1 + day % 28, month=1 + day // 28)
    oldest = min(sent, key=sent.__getitem__)
    assert choose(candidates, sent).id == oldest, "once exhausted, the tip sent longest ago comes back"


def _broken_pack(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", copy)
    return copy


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: data["tips"][0]["text"].pop("en"), "tips.0.text.en: Field required"),
        (lambda data: data["tips"][0].update(topics=["cooking"]), "tips.0 (talk_toddler_1).topics: unknown topic"),
        (lambda data: data["tips"][1]["text"].update(en="A <b>bold</b> tip"), "tips.1.text: Value error, en: plain"),
        (lambda data: data["tips"][0]["title"].update(zh_Hans="很" * 30), "tips.0.title: Value error, zh_Hans: 30"),
        (lambda data: data["tips"][1].update(id="talk_toddler_1"), "tips.1 (talk_toddler_1).id: duplicate tip id"),
        (lambda data: data["tips"][0].update(ages=["2-5"]), "tips.0.ages.0: Input should be"),
        (
            lambda data: data["tips"][0].update(audio={"zh_Hans": "audio/missing.ogg"}),
            "tips.0 (talk_toddler_1).audio.zh_Hans: file",
        ),
    ],
)
def test_a_broken_tip_file_names_the_file_and_the_field(tmp_path, change, expected) -> None:
    content = _broken_pack(tmp_path)
    _edit(content / "guidance" / "tips" / "talk_play.yaml", change)
    with pytest.raises(ContentError) as caught:
        load_content(content)
    assert "talk_play.yaml" in str(caught.value) and expected in str(caught.value)


def test_a_rule_naming_an_unknown_answer_names_the_rule(tmp_path) -> None:
    content = _broken_pack(tmp_path)
    _edit(content / "guidance" / "topics.yaml", lambda data: data["targeted"][0].update(options=["exhausted"]))
    with pytest.raises(ContentError, match=r"topics\.yaml: targeted\.0\.options: \['exhausted'\]"):
        load_content(content)


def test_a_tip_with_audio_loads_when_the_file_exists(tmp_path) -> None:
    content = _broken_pack(tmp_path)
    (content / "guidance" / "audio").mkdir()
    (content / "guidance" / "audio" / "talk_toddler_1.ogg").write_bytes(b"OggS")
    _edit(
        content / "guidance" / "tips" / "talk_play.yaml",
        lambda data: data["tips"][0].update(audio={"zh_Hans": "audio/talk_toddler_1.ogg"}),
    )
    guidance = load_content(content).guidance
    tip = guidance.tip("talk_toddler_1")
    assert guidance.audio_path(tip, "zh_Hans").is_file() and guidance.audio_path(tip, "en") is None
