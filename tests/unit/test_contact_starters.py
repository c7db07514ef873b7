"""The conversation starters' schema and choice, the plain-words summary built from a check-in, and birthdays."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.config import PROJECT_ROOT
from bot.contact.due import next_birthday
from bot.contact.starters import Theme, choose_starters, load_starters, themes_from
from bot.contact.summaries import summary_params
from bot.content.pack import ContentError
from bot.guidance.content import AgeBand

PACK = load_starters(PROJECT_ROOT / "content")


def write(tmp_path: Path, starters: list[dict]) -> Path:
    (tmp_path / "contact").mkdir()
    (tmp_path / "contact" / "starters.yaml").write_text(
        yaml.safe_dump({"version": "1", "starters": starters}, allow_unicode=True), encoding="utf-8"
    )
    return tmp_path


def everyday(index: int, **changes) -> dict:
    starter = {
        "id": f"s{index}",
        "ages": [band.value for band in AgeBand],
        "theme": "everyday",
        "text": {"zh_Hans": "问问今天怎么样", "en": "Ask how today was"},
    }
    return {**starter, **changes}


def test_the_shipped_pack_has_three_everyday_starters_for_every_age() -> None:
    for band in AgeBand:
        assert len(choose_starters(PACK, band, [], turn=0)) == 3


@pytest.mark.parametrize(
    ("starters", "complaint"),
    [
        ([everyday(1), everyday(1), everyday(2)], "duplicate starter ids"),
        ([everyday(1), everyday(2)], "needs at least 3 everyday starters"),
        ([everyday(1), everyday(2), everyday(3, text={"zh_Hans": "<b>问</b>", "en": "x"})], "plain text only"),
        ([everyday(1), everyday(2), everyday(3, text={"zh_Hans": "问" * 161, "en": "x"})], "at most 160"),
        ([everyday(1), everyday(2), everyday(3, theme="worries")], "theme"),
        ([everyday(1), everyday(2), everyday(3, colour="red")], "colour"),
    ],
)
def test_a_broken_starters_file_names_the_problem(tmp_path: Path, starters: list[dict], complaint: str) -> None:
    with pytest.raises(ContentError, match=complaint):
        load_starters(write(tmp_path, starters))


def test_the_weeks_answers_bring_a_theme_forward_without_saying_why() -> None:
    assert themes_from(None) == []
    answers = {"mood": "no", "school": "often", "sleep_eating": "sometimes"}
    assert themes_from(answers) == [Theme.SCHOOL, Theme.SLEEP]
    chosen = choose_starters(PACK, AgeBand.PRIMARY, themes_from(answers), turn=1)
    assert [starter.theme for starter in chosen] == [Theme.SCHOOL, Theme.SLEEP, Theme.EVERYDAY]
    assert choose_starters(PACK, AgeBand.PRIMARY, [], turn=1) != choose_starters(PACK, AgeBand.PRIMARY, [], turn=2)


def test_a_summary_reads_only_the_everyday_answers() -> None:
    answers = {"mood": "no", "withdrawn": "often", "wish_to_die": "yes", "caregiver": "fine"}
    params = summary_params(answers, PACK, AgeBand.PRIMARY, turn=0)
    assert (params["mood"], params["sleep"], params["school"], params["coping"]) == (2, None, None, 0)
    assert params["suggestion"] in {starter.id for starter in PACK.starters if starter.theme is Theme.FEELINGS}


def test_a_leap_day_birthday_comes_on_the_28th_in_other_years() -> None:
    assert next_birthday(2, 29, date(2027, 1, 10)) == date(2027, 2, 28)
    assert next_birthday(2, 29, date(2027, 3, 1)) == date(2028, 2, 29)
    assert next_birthday(3, 12, date(2027, 3, 12)) == date(2027, 3, 12)
