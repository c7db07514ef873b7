"""The whole content pack, loaded and checked together at start-up: a broken file stops the start, not a chat.

Separate from `pack.py` because the check-in and risk schemas build on `pack.py`'s types.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.checkins.questionnaire import CheckinContent, load_checkin_content
from bot.contact.starters import StarterContent, load_starters
from bot.content.pack import ContentPack, load_content_pack
from bot.guidance.content import GuidanceContent, load_guidance_content
from bot.risk import Scanner

LEXICON = Path("risk") / "lexicon.yaml"


@dataclass(frozen=True)
class Content:
    pack: ContentPack  # hotlines and consent texts
    checkins: CheckinContent  # the weekly questions, the "I'm worried" menu, the safety reply
    scanner: Scanner  # reads free text for risk, from the lexicon
    guidance: GuidanceContent  # parenting tips, their topics, and the check-in answers that call for them
    starters: StarterContent  # conversation starters for parents' calls


def load_content(directory: Path) -> Content:
    pack = load_content_pack(directory)
    checkins = load_checkin_content(directory)
    return Content(
        pack=pack,
        checkins=checkins,
        scanner=Scanner.from_file(directory / LEXICON),
        guidance=load_guidance_content(directory, checkins.weekly),
        starters=load_starters(directory),
    )
