"""The whole content pack, loaded and checked together at start-up: a broken file stops the start, not a chat.

Separate from `pack.py` because the check-in and risk schemas build on `pack.py`'s types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.checkins.questionnaire import CheckinContent, load_checkin_content
from bot.content.pack import ContentPack, load_content_pack
from bot.risk import Scanner

LEXICON = Path("risk") / "lexicon.yaml"


@dataclass(frozen=True)
class Content:
    pack: ContentPack  # hotlines and consent texts
    checkins: CheckinContent  # the weekly questions, the "I'm worried" menu, the safety reply
    scanner: Scanner  # reads free text for risk, from the lexicon


def load_content(directory: Path) -> Content:
    return Content(
        pack=load_content_pack(directory),
        checkins=load_checkin_content(directory),
        scanner=Scanner.from_file(directory / LEXICON),
    )
