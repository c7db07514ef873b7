"""The weekly check-in walks its questions, scores and routes answers by the content pack's rules, and refuses
broken content with a message that names the file and the field."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from bot.checkins.questionnaire import (
    ANSWERED,
    LEFT_OUT,
    SKIPPED,
    Assessment,
    CheckinContent,
    History,
    Level,
    assess,
    assess_missed,
    load_checkin_content,
    most_severe,
)
from bot.config import PROJECT_ROOT
from bot.content.pack import ContentError, Localised
from bot.i18n import SUPPORTED_LANGUAGES

CONTENT_DIR = PROJECT_ROOT / "content"
MAIN_IDS = [
    "mood",
    "withdrawn",
    "sleep_eating",
    "temper",
    "school",
    "fears",
    "phone_use",
    "parents",
    "wish_to_die",
    "self_harm",
    "hurt_by_others",
    "caregiver",
    "anything_else",
]
NO_HISTORY = History(recent_symptom_scores=(), parent_contact_none_last_week=False)


@pytest.fixture(scope="module")
def content() -> CheckinContent:
    return load_checkin_content(CONTENT_DIR)


def calm_week(**changes: str) -> dict[str, str]:
    """A complete check-in with nothing worrying in it, changed where a test says."""
    answers = dict.fromkeys(MAIN_IDS[:6], "no")
    answers.update(
        phone_use=LEFT_OUT, parents="often", wish_to_die="no", self_harm="no", hurt_by_others="no", caregiver="fine"
    )
    answers["anything_else"] = SKIPPED
    answers.update(changes)
    return answers


def asked_in_order(content: CheckinContent, answer_with: dict[str, str], opening: dict | None = None) -> list[str]:
    """Answers each question as it comes, the way a caregiver would, and records what was asked."""
    answers: dict[str, str] = dict(opening or {})
    asked = []
    while (question := content.weekly.next_question(answers)) is not None:
        asked.append(question.id)
        answers[question.id] = answer_with.get(question.id, ANSWERED if question.kind == "free_text" else "no")
    return asked


# The flow


def test_the_ten_questions_come_in_order_with_free_text_last(content: CheckinContent) -> None:
    assert asked_in_order(content, {"parents": "often", "caregiver": "fine"}) == MAIN_IDS
    assert content.weekly.question("anything_else").kind == "free_text"
    assert content.weekly.next_question(calm_week()) is None


def test_a_follow_up_comes_straight_after_the_answer_that_asks_for_it(content: CheckinContent) -> None:
    asked = asked_in_order(content, {"parents": "often", "caregiver": "fine", "wish_to_die": "yes"})
    assert asked[8:11] == ["wish_to_die", "die_danger_now", "self_harm"]

    asked = asked_in_order(content, {"parents": "often", "caregiver": "fine", "hurt_by_others": "not_sure"})
    assert asked[10:13] == ["hurt_by_others", "hurt_unsure", "caregiver"]


def test_being_unsure_then_seeing_signs_leads_to_the_danger_question(content: CheckinContent) -> None:
    answers = {"parents": "often", "caregiver": "fine", "self_harm": "not_sure", "harm_unsure": "yes"}
    asked = asked_in_order(content, answers)
    assert asked[9:13] == ["self_harm", "harm_unsure", "harm_danger_now", "hurt_by_others"]


def test_progress_counts_main_questions_and_a_follow_up_shares_its_number(content: CheckinContent) -> None:
    weekly = content.weekly
    assert weekly.progress({}) == (1, 13)
    answers = {question_id: calm_week()[question_id] for question_id in MAIN_IDS[:7]}
    assert weekly.progress(answers) == (7, 12), "a question left out is not counted"
    assert weekly.progress({**answers, "wish_to_die": "yes"}) == (7, 12)
    assert weekly.progress(calm_week()) == (12, 12)


@pytest.mark.parametrize(("age", "asked", "left_out"), [(7, "fears", "phone_use"), (12, "phone_use", "fears")])
def test_a_check_in_asks_what_fits_the_childs_age(content: CheckinContent, age: int, asked: str, left_out: str) -> None:
    opening = content.weekly.left_out(age, asked_lately=())
    assert opening == {left_out: LEFT_OUT}
    assert asked in asked_in_order(content, {"parents": "often", "caregiver": "fine"}, opening)
    assert left_out not in asked_in_order(content, {"parents": "often", "caregiver": "fine"}, opening)
    assert content.weekly.length(opening) == 12


def test_the_caregivers_own_coping_is_left_out_when_asked_lately(content: CheckinContent) -> None:
    opening = content.weekly.left_out(12, asked_lately={"caregiver"})
    assert opening["caregiver"] == LEFT_OUT and content.weekly.length(opening) == 11
    assert "caregiver" not in asked_in_order(content, {"parents": "often"}, opening)


def test_an_unknown_answer_is_refused_rather_than_ignored(content: CheckinContent) -> None:
    with pytest.raises(KeyError):
        assess(content.weekly, calm_week(wish_to_die="maybe"), NO_HISTORY)
    with pytest.raises(ValueError):
        content.weekly.next_question(calm_week(anything_else="hello"))


# Scoring and routing


def test_a_calm_week_needs_nobody(content: CheckinContent) -> None:
    assert assess(content.weekly, calm_week(), NO_HISTORY) == Assessment(Level.NONE, 0, ())


def test_symptom_score_adds_items_one_to_five_and_five_is_routine(content: CheckinContent) -> None:
    four = assess(content.weekly, calm_week(mood="often", withdrawn="sometimes", temper="sometimes"), NO_HISTORY)
    assert (four.level, four.symptom_score, four.reasons) == (Level.NONE, 4, ())

    five = assess(content.weekly, calm_week(mood="often", withdrawn="often", school="sometimes"), NO_HISTORY)
    assert (five.level, five.symptom_score, five.reasons) == (Level.ROUTINE, 5, ("symptom_score",))
    assert content.reason_labels(five, "en") == ["symptom score 5/10"]


def test_a_rise_of_three_over_the_four_week_average_is_routine(content: CheckinContent) -> None:
    answers = calm_week(mood="often", sleep_eating="sometimes", temper="sometimes")  # 4
    history = History(recent_symptom_scores=(1, 1, 0, 2, 9), parent_contact_none_last_week=False)
    risen = assess(content.weekly, answers, history)
    assert (risen.level, risen.reasons, risen.average) == (Level.ROUTINE, ("symptom_rise",), 1.0)
    assert content.reason_labels(risen, "en") == ["rose by 3 over the recent average of 1"]
    assert content.reason_labels(risen, "zh_Hans") == ["比前几周平均分（1）高了 3 分"]

    steady = History(recent_symptom_scores=(2, 2, 1, 2), parent_contact_none_last_week=False)
    assert assess(content.weekly, answers, steady).level is Level.NONE


def test_without_earlier_weeks_there_is_no_rise(content: CheckinContent) -> None:
    answers = calm_week(mood="often", sleep_eating="sometimes", temper="sometimes")
    assessment = assess(content.weekly, answers, NO_HISTORY)
    assert (assessment.level, assessment.average) == (Level.NONE, None)


def test_no_parent_contact_two_weeks_running_is_routine(content: CheckinContent) -> None:
    last_week_too = History(recent_symptom_scores=(0,), parent_contact_none_last_week=True)
    both = assess(content.weekly, calm_week(parents="none"), last_week_too)
    assert (both.level, both.reasons) == (Level.ROUTINE, ("no_parent_contact",))
    assert content.reason_labels(both, "en") == ["no contact with parents for 2 weeks"]

    assert assess(content.weekly, calm_week(parents="none"), NO_HISTORY).level is Level.NONE
    assert assess(content.weekly, calm_week(parents="some"), last_week_too).level is Level.NONE


@pytest.mark.parametrize(
    ("question_id", "reason"),
    [("wish_to_die", "said_want_to_die"), ("self_harm", "self_harm_signs"), ("hurt_by_others", "hurt_by_others")],
)
def test_yes_on_a_red_flag_is_high(content: CheckinContent, question_id: str, reason: str) -> None:
    answers = calm_week(**{question_id: "yes", "die_danger_now": "no", "harm_danger_now": "no"})
    assessment = assess(content.weekly, answers, NO_HISTORY)
    assert (assessment.level, assessment.reasons) == (Level.HIGH, (reason,))


def test_yes_with_a_sign_of_acting_now_is_urgent(content: CheckinContent) -> None:
    answers = calm_week(mood="often", withdrawn="often", school="often", wish_to_die="yes", die_danger_now="yes")
    assessment = assess(content.weekly, answers, NO_HISTORY)
    assert assessment.level is Level.URGENT
    assert assessment.reasons == ("danger_now", "said_want_to_die", "symptom_score")

    self_harm = assess(content.weekly, calm_week(self_harm="yes", harm_danger_now="yes"), NO_HISTORY)
    assert (self_harm.level, self_harm.reasons) == (Level.URGENT, ("danger_now", "self_harm_signs"))


def test_a_red_flag_counts_before_the_check_in_is_finished(content: CheckinContent) -> None:
    answers = {key: value for key, value in calm_week().items() if key in MAIN_IDS[:8]}
    assert assess(content.weekly, {**answers, "wish_to_die": "yes"}, NO_HISTORY).level is Level.HIGH
    more = {**answers, "wish_to_die": "yes", "die_danger_now": "yes"}
    assert assess(content.weekly, more, NO_HISTORY).level is Level.URGENT


@pytest.mark.parametrize(
    ("question_id", "follow_up", "reason"),
    [
        ("wish_to_die", "die_unsure", "die_unsure_twice"),
        ("self_harm", "harm_unsure", "harm_unsure_twice"),
        ("hurt_by_others", "hurt_unsure", "hurt_unsure_twice"),
    ],
)
def test_not_sure_twice_is_high_and_not_sure_then_no_is_not(
    content: CheckinContent, question_id: str, follow_up: str, reason: str
) -> None:
    twice = assess(content.weekly, calm_week(**{question_id: "not_sure", follow_up: "not_sure"}), NO_HISTORY)
    assert (twice.level, twice.reasons) == (Level.HIGH, (reason,))
    settled = assess(content.weekly, calm_week(**{question_id: "not_sure", follow_up: "no"}), NO_HISTORY)
    assert settled.level is Level.NONE


def test_unsure_then_signs_seen_is_high_and_can_become_urgent(content: CheckinContent) -> None:
    seen = calm_week(wish_to_die="not_sure", die_unsure="yes", die_danger_now="no")
    assert assess(content.weekly, seen, NO_HISTORY).reasons == ("die_signs_seen",)
    acting = calm_week(wish_to_die="not_sure", die_unsure="yes", die_danger_now="yes")
    assert assess(content.weekly, acting, NO_HISTORY).level is Level.URGENT


def test_an_answer_left_over_from_a_changed_path_raises_nothing(content: CheckinContent) -> None:
    stale = calm_week(wish_to_die="no", die_danger_now="yes")
    assert assess(content.weekly, stale, NO_HISTORY).level is Level.NONE


def test_a_caregiver_who_cannot_cope_is_high(content: CheckinContent) -> None:
    assessment = assess(content.weekly, calm_week(caregiver="cant_cope"), NO_HISTORY)
    assert (assessment.level, assessment.reasons) == (Level.HIGH, ("caregiver_cant_cope",))
    assert assess(content.weekly, calm_week(caregiver="tired"), NO_HISTORY).level is Level.NONE


def test_the_free_text_scanner_result_raises_the_level(content: CheckinContent) -> None:
    answers = calm_week(anything_else=ANSWERED, caregiver="cant_cope")
    urgent = assess(content.weekly, answers, NO_HISTORY, free_text_level=Level.URGENT)
    assert (urgent.level, urgent.reasons) == (Level.URGENT, ("free_text_urgent", "caregiver_cant_cope"))
    concern = assess(content.weekly, calm_week(anything_else=ANSWERED), NO_HISTORY, free_text_level=Level.HIGH)
    assert (concern.level, concern.reasons) == (Level.HIGH, ("free_text_concern",))


def test_a_level_from_another_enum_with_the_same_values_is_understood(content: CheckinContent) -> None:
    class ScanLevel(StrEnum):
        URGENT = "urgent"
        NONE = "none"

    calm = assess(content.weekly, calm_week(), NO_HISTORY, free_text_level=ScanLevel.NONE)  # type: ignore[arg-type]
    assert calm.reasons == ()
    urgent = assess(content.weekly, calm_week(), NO_HISTORY, free_text_level=ScanLevel.URGENT)  # type: ignore[arg-type]
    assert (urgent.level, urgent.reasons) == (Level.URGENT, ("free_text_urgent",))


def test_three_missed_check_ins_in_a_row_are_routine(content: CheckinContent) -> None:
    assert assess_missed(content.weekly, 2).level is Level.NONE
    missed = assess_missed(content.weekly, 3)
    assert (missed.level, missed.reasons) == (Level.ROUTINE, ("missed_checkins",))
    assert content.reason_labels(missed, "en") == ["3 check-ins missed in a row"]
    assert content.reason_labels(missed, "zh_Hans") == ["连续 3 次没有完成每周问答"]


def test_levels_order_by_severity() -> None:
    assert most_severe(Level.ROUTINE, Level.URGENT, Level.HIGH) is Level.URGENT
    assert most_severe() is Level.NONE
    assert sorted(Level, key=lambda level: level.rank) == [Level.NONE, Level.ROUTINE, Level.HIGH, Level.URGENT]


# "I'm worried" and the safety reply


def test_worried_choices_flag_urgent_or_high(content: CheckinContent) -> None:
    worried = content.worried
    levels = {choice.id: choice.level for choice in worried.choices}
    assert levels == {
        "dying": Level.URGENT,
        "self_harm": Level.URGENT,
        "hurt": Level.HIGH,
        "missing": Level.URGENT,
        "other": Level.HIGH,
    }
    assert worried.choice("other").ask_details is not None
    missing = worried.assess("missing")
    assert (missing.level, missing.reasons) == (Level.URGENT, ("worried_missing",))
    assert content.reason_labels(missing, "en") == ['"I\'m worried": the child is missing']


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_safety_reply_gives_hotlines_and_when_to_expect_contact(content: CheckinContent, language: str) -> None:
    safety = content.safety
    hotlines, emergency = "• 010-82951332\n• 12356", "120 / 110"
    for level in (Level.URGENT, Level.HIGH):
        reply = safety.reply(level, language, hotlines=hotlines, emergency=emergency, child="小花")
        assert hotlines in reply and emergency in reply
        assert getattr(safety.expect, level.value).get(language) in reply
        assert "小花" in reply
        assert "{" not in reply
        # The line to call comes before the steps, and there are three steps, each said once.
        assert reply.index(hotlines) < reply.index("1️⃣") < reply.index("2️⃣") < reply.index("3️⃣")
        assert "4️⃣" not in reply and reply.count(emergency) == 1
    for level in (Level.ROUTINE, Level.NONE):
        assert "{" not in safety.reply(level, language, hotlines=hotlines, emergency=emergency, child="小花")


def test_the_chinese_safety_reply_fits_a_small_screen(content: CheckinContent) -> None:
    """Without the phone numbers, which differ by region, the urgent reply is a short read."""
    reply = content.safety.reply(Level.URGENT, "zh_Hans", hotlines="", emergency="", child="小花")
    assert len(reply) <= 150


@pytest.mark.parametrize(
    ("text", "pointer"), [("孩子发烧怎么办", "illness"), ("小明摔了一跤", "illness"), ("今天天气好", None)]
)
def test_an_everyday_question_gets_a_pointer_from_the_pack(content: CheckinContent, text: str, pointer) -> None:
    found = content.safety.pointer_for(text)
    assert (found.id if found else None) == pointer
    if found is not None:
        assert "120" in found.reply.get("zh_Hans") and "村医" in found.reply.get("zh_Hans")


def test_urgent_and_high_replies_say_different_things(content: CheckinContent) -> None:
    replies = content.safety.replies
    assert replies.urgent != replies.high
    assert content.safety.expect.urgent.get("en") == "today, as soon as they can"
    assert content.safety.expect.high.get("en") == "within one working day"


# The content files


def localised_texts(model: BaseModel, path: str = "") -> list[tuple[str, Localised]]:
    found = []
    for name in type(model).model_fields:
        found += _texts_in(getattr(model, name), f"{path}.{name}")
    return found


def _texts_in(value: Any, path: str) -> list[tuple[str, Localised]]:
    if isinstance(value, Localised):
        return [(path, value)]
    if isinstance(value, BaseModel):
        return localised_texts(value, path)
    if isinstance(value, list):
        return [text for index, item in enumerate(value) for text in _texts_in(item, f"{path}[{index}]")]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in _texts_in(item, f"{path}.{key}")]
    return []


def test_the_real_content_loads_with_every_text_in_both_languages(content: CheckinContent) -> None:
    texts = [
        *localised_texts(content.weekly, "weekly"),
        *localised_texts(content.worried, "worried"),
        *localised_texts(content.safety, "safety"),
    ]
    assert len(texts) > 80
    for path, text in texts:
        for language in SUPPORTED_LANGUAGES:
            assert text.get(language).strip(), f"{path} has no {language} text"
    assert len(content.weekly.questions) == 13


def content_with(tmp_path: Path, relative: str, change: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the real content pack with one file changed."""
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    path = directory / relative
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return directory


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


@pytest.mark.parametrize(
    ("relative", "change", "named"),
    [
        (
            "checkins/weekly.yaml",
            _set("questions.11.options.2.label.en", "😣 I really cannot cope any more"),
            ["weekly.yaml", "questions.11.options.2.label", "at most 30"],
        ),
        (
            "checkins/weekly.yaml",
            _set("questions.8.options.0.follow_up", "nowhere"),
            ["weekly.yaml", "'nowhere'", "follow_up"],
        ),
        (
            "checkins/weekly.yaml",
            _set("questions.1.text.zh_Hans", "{name}这7天怎么样？"),
            ["weekly.yaml", "questions.1.text", "unknown placeholder(s) ['name']"],
        ),
        (
            "checkins/weekly.yaml",
            _set("questions.11.options.2.reason", "unlabelled"),
            ["weekly.yaml", "no label for 'unlabelled' (question 'caregiver' option 'cant_cope')"],
        ),
        (
            "checkins/weekly.yaml",
            _set("follow_ups.0.options.0.follow_up", "die_unsure"),
            ["weekly.yaml", "die_danger_now -> die_unsure -> die_danger_now goes round in a circle"],
        ),
        ("checkins/weekly.yaml", _set("questions.2.id", "mood"), ["weekly.yaml", "duplicate question", "mood"]),
        ("checkins/weekly.yaml", _set("questions.0.every_weeks", 4), ["weekly.yaml", "'mood' is scored"]),
        ("checkins/weekly.yaml", _set("scoring.symptom_max", 12), ["weekly.yaml", "scoring.symptom_max"]),
        (
            "checkins/weekly.yaml",
            _set("thresholds.weeks_without_parent_contact", 3),
            ["weekly.yaml", "thresholds.weeks_without_parent_contact"],
        ),
        ("checkins/weekly.yaml", _set("questions.8.options.0.flag", "routine"), ["weekly.yaml", "questions.8"]),
        ("checkins/worried.yaml", _set("choices.0.level", "none"), ["worried.yaml", "choices.0.level"]),
        (
            "safety.yaml",
            _set("replies.urgent.en", "Stay with {child}. A counsellor will call {expect}."),
            ["safety.yaml", "replies.urgent", "{hotlines}"],
        ),
    ],
)
def test_broken_content_names_the_file_and_the_field(
    tmp_path: Path, relative: str, change: Callable[[dict[str, Any]], None], named: list[str]
) -> None:
    with pytest.raises(ContentError) as error:
        load_checkin_content(content_with(tmp_path, relative, change))
    for part in named:
        assert part in str(error.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    directory = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, directory)
    (directory / "safety.yaml").unlink()
    with pytest.raises(ContentError, match=r"safety\.yaml: file is missing"):
        load_checkin_content(directory)


def test_words_left_for_the_counsellor_reach_them_even_in_a_calm_week(content: CheckinContent) -> None:
    calm = assess(content.weekly, calm_week(anything_else=ANSWERED), NO_HISTORY, for_counsellor=True)
    assert (calm.level, calm.reasons) == (Level.ROUTINE, ("for_counsellor",))
    worrying = assess(content.weekly, calm_week(), NO_HISTORY, free_text_level=Level.HIGH, for_counsellor=True)
    assert worrying.reasons == ("free_text_concern",), "words that read as risk say so, once"
