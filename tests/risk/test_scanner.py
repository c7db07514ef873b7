"""The risk scanner's parts: normalisation, idioms, negation, the level rules and the lexicon's validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.content import ContentError
from bot.risk import RiskLevel, Scanner, ScanResult
from bot.risk.normalise import normalise_text

LEXICON = PROJECT_ROOT / "content" / "risk" / "lexicon.yaml"


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.from_file(LEXICON)


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("孩子說不想活了", "孩子说不想活了"),  # traditional
        ("她拿著繩子", "她拿着绳子"),  # the 著 variant people type
        ("ＨＥ　ＷＡＮＴＳ　ＴＯ　ＤＩＥ", "he wants to die"),  # full-width
        ("想 死", "想死"),
        ("不 想 活 了", "不想活了"),
        ("想.死", "想死"),
        ("想\u200b死", "想死"),  # a zero-width space
        ("他没吃饭 想死", "他没吃饭,想死"),  # a space between phrases is a comma, not filler
        ("He doesn’t want to live", "he doesnt want to live"),
        ("self-harm", "self harm"),
    ],
)
def test_normalisation_gives_one_form_for_what_people_type(typed, normalised):
    assert normalise_text(typed) == normalised


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("他吃了一把💊", "method:pills"),
        ("he took 💊💊", "method:pills"),
        ("她拿着🪢", "method:rope"),
        ("🔪", "method:knife"),
    ],
)
def test_emoji_become_words_in_the_language_around_them(scanner, text, signal):
    assert signal in scanner.scan(text).signals


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("孩子想自刹", "孩子想自杀"),  # a homophone typo from a pinyin keyboard
        ("他喝了农要", "他喝了农药"),
        ("佢话而家想死", "他话现在想死"),  # Cantonese
        ("ta shuo xiang si", "ta shuo 想死"),  # pinyin typed without characters
    ],
)
def test_other_spellings_are_read_as_the_word_they_stand_for(scanner, typed, meant):
    assert scanner.scan(typed) == scanner.scan(meant)
    assert scanner.scan(typed).level is not RiskLevel.NONE


def test_pinyin_spellings_match_whole_words_only(scanner):
    assert "suicidal_thought" not in scanner.scan("xiang sisters come home").signals


@pytest.mark.parametrize(
    "text",
    [
        "电视剧里那个女的跳河了",
        "他同学跳楼的传言是假的",
        "新闻说有个人喝农药死了",
        "the soap opera character took poison and grandma cried all night",
    ],
)
def test_a_story_or_rumour_switches_off_the_phrases_in_its_clause(scanner, text):
    result = scanner.scan(text)
    assert (result.level, "negated" in result.signals) == (RiskLevel.NONE, True)


def test_a_story_does_not_hide_the_childs_own_words_in_another_clause(scanner):
    assert scanner.scan("他看了电视剧里有人跳河，说他也不想活了").level is RiskLevel.CONCERN


def test_a_skull_reads_as_dying_and_meets_the_idiom_it_usually_is(scanner):
    # The learnt layer may make a first-person "我想死" urgent; what matters here is that the skull is read at all.
    assert "suicidal_thought" in scanner.scan("我想💀").signals
    assert scanner.scan("笑💀了").level is RiskLevel.NONE


@pytest.mark.parametrize(
    "text",
    ["累死了今天干了一天活", "热死了", "奶奶想死你了", "背课文不要死记硬背", "I'm dead tired", "dying to see you"],
)
def test_figures_of_speech_are_no_risk(scanner, text):
    result = scanner.scan(text)
    assert (result.level, result.signals) == (RiskLevel.NONE, ("idiom",))


def test_an_idiom_does_not_hide_a_real_risk_beside_it(scanner):
    assert scanner.scan("累死了，不想活了").level is RiskLevel.CONCERN


@pytest.mark.parametrize(
    "text",
    ["孩子没有说过想死", "他不是被打的", "没有人欺负他", "He never said he wanted to die", "she was not bullied"],
)
def test_a_negation_just_before_a_phrase_switches_it_off(scanner, text):
    assert scanner.scan(text) == ScanResult(RiskLevel.NONE, ("negated",))


@pytest.mark.parametrize("text", ["他不想活了", "活着没意思", "他没吃饭，说想死", "he is not eating and wants to die"])
def test_a_negation_inside_a_phrase_or_in_another_clause_does_not(scanner, text):
    assert scanner.scan(text).level is RiskLevel.CONCERN


@pytest.mark.parametrize(
    "text",
    ["他说他不会想不开", "她说她不会做傻事", "He says he won't kill himself", "He promised he will not kill himself"],
)
def test_a_childs_reassurance_once_the_topic_came_up_still_reaches_a_counsellor(scanner, text):
    result = scanner.scan(text)
    assert result.level is RiskLevel.CONCERN
    assert "reassured" not in result.signals and "negated" not in result.signals


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("他去年喝过农药，被救回来了", RiskLevel.CONCERN),
        ("孩子上周跑出去一晚，第二天自己回来了", RiskLevel.CONCERN),
        ("他昨天晚上喝了农药", RiskLevel.URGENT),
        ("孩子刚才割腕了", RiskLevel.URGENT),
    ],
)
def test_an_attempt_long_past_is_concern_and_one_just_now_is_urgent(scanner, text, level):
    assert scanner.scan(text).level is level


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("孩子说他打算死，日子都定好了", "plan"),
        ("孩子在网上搜怎么死不痛苦", "plan"),
        ("孩子偷偷攒了好多药片，藏在柜子里", "preparation"),
        ("孩子一夜没回家", "missing"),
        ("孙子晕过去了，没有反应", "unconscious"),
        ("他爸喝醉了拿刀要砍人", "danger"),
        ("孩子从楼上跳下来了", "attempt"),
    ],
)
def test_a_plan_preparation_missing_child_or_danger_now_is_urgent_on_its_own(scanner, text, signal):
    result = scanner.scan(text)
    assert result.level is RiskLevel.URGENT
    assert signal in result.signals


@pytest.mark.parametrize(
    "text",
    [
        "孩子说今晚就喝农药",
        "he already took the pills",
        "她拿着绳子说不想活了",
        "孩子说不想活了，现在找不到他",
        "我要跳楼",
        "孩子割腕了，流了好多血",
    ],
)
def test_a_risk_with_a_sign_of_acting_now_is_urgent(scanner, text):
    assert scanner.scan(text).level is RiskLevel.URGENT


def test_a_method_named_in_village_life_is_no_risk(scanner):
    for text in ("今天给地里打了农药", "爷爷拿着绳子去捆柴了", "刀放高了，孩子够不着", "we bought a new rope"):
        assert scanner.scan(text).level is RiskLevel.NONE, text


def test_signals_name_what_matched_in_reading_order(scanner):
    assert scanner.scan("孩子说今晚就喝农药").signals == ("urgency:tonight", "method:pesticide")


def lexicon_with(tmp_path: Path, change, examples: str | None = None) -> Path:
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "lexicon.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    original = (LEXICON.parent / data["model"]["examples"]).read_text(encoding="utf-8")
    (tmp_path / data["model"]["examples"]).write_text(original if examples is None else examples, encoding="utf-8")
    return path


def test_a_broken_lexicon_names_the_file_and_the_field(tmp_path):
    path = lexicon_with(tmp_path, lambda data: data["risks"]["plan"].pop("level"))
    with pytest.raises(ContentError, match=r"lexicon\.yaml: risks\.plan\.level: Field required"):
        Scanner.from_file(path)


def test_an_urgency_group_that_does_not_exist_is_refused(tmp_path):
    path = lexicon_with(tmp_path, lambda data: data["risks"]["abuse"]["urgent_with"].append("nwo"))
    with pytest.raises(ContentError, match=r"risks\.abuse\.urgent_with: no urgency group 'nwo'"):
        Scanner.from_file(path)


def test_a_bad_example_row_names_the_file_and_the_line(tmp_path):
    path = lexicon_with(tmp_path, lambda data: None, examples="# a comment\nurgent\t孩子说要跳河\nurgnet\t想死\n")
    with pytest.raises(ContentError, match=r"examples\.tsv:3: expected urgent, concern or none"):
        Scanner.from_file(path)


def test_the_learnt_layer_raises_a_level_by_its_two_scores_and_never_lowers_one(tmp_path):
    examples = (
        "urgent\t月亮掉进井里了\n" * 3
        + "concern\t星星在哭\n" * 3
        + "none\t今天吃了饺子\n" * 3
        + "none\t他被欺负了\n" * 3
    )
    scanner = Scanner.from_file(lexicon_with(tmp_path, lambda data: None, examples=examples))

    assert scanner.scan("月亮掉进井里了") == ScanResult(RiskLevel.URGENT, ("learnt:urgent",))
    assert scanner.scan("星星在哭") == ScanResult(RiskLevel.CONCERN, ("learnt:concern",))
    # Speaking of the past, a learnt urgent is a concern, as a phrase's would be.
    assert scanner.scan("去年月亮掉进井里了").level is RiskLevel.CONCERN
    assert scanner.scan("今天吃了饺子").level is RiskLevel.NONE
    assert scanner.scan("他被欺负了").level is RiskLevel.CONCERN  # the examples call it none; the phrase wins


def test_an_unknown_field_is_refused(tmp_path):
    path = lexicon_with(tmp_path, lambda data: data["negation"].update(reahc=3))
    with pytest.raises(ContentError, match=r"negation\.reahc: Extra inputs are not permitted"):
        Scanner.from_file(path)


def test_a_phrase_listed_twice_names_both_places(tmp_path):
    path = lexicon_with(tmp_path, lambda data: data["risks"]["abuse"]["phrases"].append("想死"))
    problem = r"risks\.\w+\.phrases\[\d+\]: '想死' is already listed under risks\.\w+\.phrases"
    with pytest.raises(ContentError, match=problem):
        Scanner.from_file(path)


def test_a_missing_lexicon_is_a_content_error(tmp_path):
    with pytest.raises(ContentError, match="file is missing"):
        Scanner.from_file(tmp_path / "lexicon.yaml")
