"""The weekly summary for parents, in plain words, from a completed check-in.

Only the everyday answers are read (mood, sleep, school, how the caregiver copes); the red-flag questions, the
free text and anything a counsellor wrote never reach a parent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.contact.starters import StarterContent, choose_starters, themes_from
from bot.guidance.content import AgeBand

# How often a sign showed in the last 7 days, as a level the renderer words: 0 fine, 1 some days, 2 often.
_SCORES = {"no": 0, "sometimes": 1, "often": 2}
_AREAS = {"mood": ("mood", "withdrawn", "temper"), "sleep": ("sleep_eating",), "school": ("school",)}
_COPING = {"fine": 0, "tired": 1, "cant_cope": 2}


def summary_params(answers: Mapping[str, Any], starters: StarterContent, band: AgeBand, turn: int) -> dict[str, Any]:
    """The outbox parameters of a summary: a level per area, the caregiver's coping, and one suggestion."""
    params: dict[str, Any] = {}
    for area, questions in _AREAS.items():
        scores = [_SCORES[answers[q]] for q in questions if answers.get(q) in _SCORES]
        params[area] = max(scores) if scores else None
    params["coping"] = _COPING.get(answers.get("caregiver"))
    suggestion = choose_starters(starters, band, themes_from(answers), turn)
    params["suggestion"] = suggestion[0].id if suggestion else None
    return params
