"""The free-text risk scanner: lexicon phrases found in normalised text give a level, an n-gram layer backs them up.

How phrases combine into `urgent`, `concern` or `none` is explained at the top of `content/risk/lexicon.yaml`, where a
deployer audits the words; this module keeps those rules and the matching machinery. The n-gram layer
(`bot/risk/ngrams.py`, learnt from the pack's examples) may only raise a level, never lower one: a missed risk is
worse than a false alarm.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.content.pack import ContentError
from bot.risk.lexicon import Lexicon, load_examples, load_lexicon
from bot.risk.ngrams import trained_model
from bot.risk.normalise import CJK, Normaliser, normalise_text

_CLAUSE_END = re.compile(r"[,.!?;:。、\n]")
_UNITS = re.compile(f"[{CJK}]|[a-z0-9]+")  # a negation or intent reaches this many Chinese characters or words
_ALNUM_EDGE = re.compile(r"[a-z0-9]")


class RiskLevel(StrEnum):
    URGENT = "urgent"
    CONCERN = "concern"
    NONE = "none"


@dataclass(frozen=True)
class ScanResult:
    level: RiskLevel
    signals: tuple[str, ...]


class _Kind(StrEnum):
    RISK = "risk"  # a family of `risks`: suicidal thought, plan, self-harm, abuse, missing ...
    USE = "use"  # using a method: a risk on its own
    NAME = "name"  # a method's name: only counts next to another sign
    INTENT = "intent"
    URGENCY = "urgency"
    TAKEN = "taken"
    NEGATION = "negation"
    REASSURANCE = "reassurance"
    FICTION = "fiction"
    PAST = "past"
    STOP = "stop"


# Each group is one regex: phrases of one group overlap freely with those of another ("喝了" and "喝...农药").
_GROUPS = (
    (_Kind.RISK, _Kind.USE),
    (_Kind.NAME,),
    (_Kind.INTENT,),
    (_Kind.URGENCY, _Kind.TAKEN),
    (_Kind.NEGATION, _Kind.REASSURANCE, _Kind.FICTION),
    (_Kind.PAST,),
)


@dataclass(frozen=True)
class _Entry:
    kind: _Kind | None  # None: a not-risk phrase, removed before matching
    signal: str
    field: str
    phrase: str


@dataclass(frozen=True)
class _Hit:
    entry: _Entry
    start: int
    end: int
    clause: int


class Scanner:
    """Scans one message at a time; build it once, it holds only compiled patterns."""

    def __init__(self, lexicon: Lexicon, examples: list[tuple[str, str]], source: str = "lexicon") -> None:
        self._families = lexicon.risks
        for name, family in lexicon.risks.items():
            _check_groups(f"{source}: risks.{name}.urgent_with", family.urgent_with, lexicon)
        _check_groups(f"{source}: past.unless", lexicon.past.unless, lexicon)
        self._past_unless = set(lexicon.past.unless)
        self._normalise = Normaliser(
            {key: (words.zh_Hans, words.en) for key, words in lexicon.emoji.items()}, lexicon.spellings
        )
        self._negation_reach = lexicon.negation.reach
        self._intent_reach = lexicon.intent.reach
        entries = list(_entries(lexicon))
        self._gap = lexicon.gap
        seen: dict[str, str] = {}
        for entry in entries:
            if not all(entry.phrase.split("...")):
                raise ContentError(f"{source}: {entry.field}: needs words on both sides of `...`")
            other = seen.setdefault(entry.phrase, entry.field)
            if other != entry.field:
                raise ContentError(f"{source}: {entry.field}: {entry.phrase!r} is already listed under {other}")
        self._not_risk = self._compile([e for e in entries if e.kind is None])
        self._stops = self._compile([e for e in entries if e.kind is _Kind.STOP])
        self._groups = [self._compile([e for e in entries if e.kind in kinds]) for kinds in _GROUPS]
        self._settings = lexicon.model
        learnt_from = tuple((level, self._cut_idioms(text)[0]) for level, text in examples)
        self._model = trained_model(learnt_from, lexicon.model.ngrams)

    @classmethod
    def from_file(cls, path: Path) -> Scanner:
        lexicon = load_lexicon(path)
        return cls(lexicon, load_examples(path.parent / lexicon.model.examples), source=str(path))

    def _cut_idioms(self, text: str) -> tuple[str, bool]:
        """Figures of speech and everyday phrases go first, each replaced by a clause break: nothing matches across."""
        norm = self._normalise(text)
        idioms = list(self._not_risk.find(norm, overlapping=False))
        for _, start, end in reversed(idioms):
            norm = f"{norm[:start]},{norm[end:]}"
        return norm, bool(idioms)

    def scan(self, text: str) -> ScanResult:
        norm, idioms = self._cut_idioms(text)
        stops = [start for _, start, _ in self._stops.find(norm, overlapping=False)]
        breaks = sorted([m.start() for m in _CLAUSE_END.finditer(norm)] + stops)
        by_kind: dict[_Kind | None, list[_Hit]] = {kind: [] for kind in _Kind}
        found = sorted((hit for group in self._groups for hit in group.find(norm, overlapping=True)), key=_start)
        for entry, start, end in found:
            by_kind[entry.kind].append(_Hit(entry, start, end, bisect_left(breaks, start)))

        phrases = by_kind[_Kind.RISK] + by_kind[_Kind.USE]
        # "没" inside "活着没意思" belongs to the phrase and negates nothing, nor does "not" inside "will not".
        reassurances = by_kind[_Kind.REASSURANCE]
        negations = [n for n in by_kind[_Kind.NEGATION] if not any(_inside(n, h) for h in phrases + reassurances)]
        # "电视剧里那个女的跳河了", "跳楼的传言是假的": a story or rumour anywhere in the phrase's clause.
        fictions = {f.clause for f in by_kind[_Kind.FICTION]}
        negated = [h for h in phrases if self._negated(h, negations, norm) or h.clause in fictions]
        # "他说他不会想不开": the topic came up, so a counsellor still reads it, but not as urgent.
        reassured = [h for h in phrases if h not in negated and self._negated(h, reassurances, norm)]
        risks = [h for h in by_kind[_Kind.RISK] if h not in negated and h not in reassured]
        uses = [h for h in by_kind[_Kind.USE] if h not in negated and h not in reassured]
        # A method named in a story's clause is the story's ("剧里的人喝了毒药"), as its phrases are.
        names = [n for n in by_kind[_Kind.NAME] if n.clause not in fictions]
        named_in_story = len(names) < len(by_kind[_Kind.NAME])
        urgency = by_kind[_Kind.URGENCY]
        intents = [i for i in by_kind[_Kind.INTENT] if any(self._leads_to(i, h, norm) for h in uses + names)]
        taken = [t for t in by_kind[_Kind.TAKEN] if any(t.clause == h.clause for h in uses + names)]

        families = [self._families[h.entry.signal] for h in risks]
        with_method = any(f.urgent_with_method for f in families)
        # Two signs, of one family or two ("分给别人" and "说他用不着了"), or one beside a method.
        with_risk = any(f.urgent_with_risk for f in families) and (len({h.entry.phrase for h in risks}) > 1 or uses)
        signs = [h for h, f in zip(risks, families, strict=True) if f.level != "none"]
        names_in_context = [n for n in names if any(self._leads_to(i, n, norm) for i in intents)] or (
            names if taken else []
        )
        groups = {h.entry.signal.removeprefix("urgency:") for h in urgency}
        urgent = (
            any(f.level == "urgent" or groups.intersection(f.urgent_with) for f in families)
            or bool((uses or names_in_context) and urgency)
            or bool(taken)
            or (with_method and bool(names or uses))
            or with_risk
            or any(self._leads_to(i, u, norm) for i in intents for u in uses)
        )
        # "他去年喝过农药" or "后来找到了": it happened, and is over; a counsellor should still know.
        past = bool(by_kind[_Kind.PAST]) and not groups & self._past_unless
        if urgent and not past:
            level = RiskLevel.URGENT
        elif urgent or signs or uses or names_in_context or reassured:
            level = RiskLevel.CONCERN
        else:
            level = RiskLevel.NONE

        found = sorted(risks + reassured + uses + names + intents + urgency + taken, key=lambda h: h.start)
        signals = [h.entry.signal for h in found]
        signals += ["negated"] * bool(negated or named_in_story) + ["past"] * past + ["idiom"] * idioms
        level, learnt = self._raise_by_model(
            level, norm, past, denied=bool(negated) and level is RiskLevel.NONE, reassured=bool(reassured)
        )
        return ScanResult(level=level, signals=tuple(dict.fromkeys(signals + learnt)))

    def _raise_by_model(
        self, level: RiskLevel, norm: str, past: bool, denied: bool, reassured: bool
    ) -> tuple[RiskLevel, list[str]]:
        """The n-gram layer raises a level when its scores pass the pack's bars: the flag score makes none concern,
        and the urgent score then makes it urgent, unless the message speaks of the past or the child's reassurance
        ("他说他不会想不开": a counsellor reads it, but not as an emergency the n-grams made up).

        Hints name no listed phrase ("他说他在山顶上，往下看好高，不想下来了"), so a line the phrases leave at none may
        become urgent when both scores pass: on the tuning set's cross-validation that found 1.6 points more urgent
        lines for 1 point more false urgent, and on a fresh batch of hints 45% of urgent lines where it found 15%.
        It stays silent where the writer denied the one risk the phrases found ("没有人欺负他"): the words are there,
        and n-grams cannot read the denial.
        """
        if level is RiskLevel.URGENT or denied:
            return level, []
        flag, urgent = self._model.scores(norm)
        if level is RiskLevel.NONE and flag < self._settings.concern_above:
            return level, []
        if urgent >= self._settings.urgent_above and not past and not reassured:
            return RiskLevel.URGENT, ["learnt:urgent"]
        if level is RiskLevel.NONE:
            return RiskLevel.CONCERN, ["learnt:concern"]
        return level, []

    def _negated(self, hit: _Hit, negations: list[_Hit], norm: str) -> bool:
        """A negation counts only just before the phrase, in its clause ("没有说过想死"), never inside it ("不想活")."""
        return any(
            n.clause == hit.clause and n.start < hit.start and _units(norm[n.end : hit.start]) <= self._negation_reach
            for n in negations
        )

    def _leads_to(self, intent: _Hit, hit: _Hit, norm: str) -> bool:
        return (
            intent.clause == hit.clause
            and intent.start < hit.start
            and _units(norm[intent.end : hit.start]) <= self._intent_reach
        )

    def _compile(self, entries: list[_Entry]) -> _PhraseSet:
        by_first: dict[str, list[_Entry]] = {}
        for entry in entries:
            by_first.setdefault(entry.phrase[0], []).append(entry)
        return _PhraseSet({first: self._alternation(group) for first, group in by_first.items()})

    def _alternation(self, entries: list[_Entry]) -> tuple[re.Pattern[str], list[_Entry]]:
        # Longest phrase first: at one position the regex takes the first alternative that matches.
        entries.sort(key=lambda e: len(e.phrase.replace("...", "")), reverse=True)
        return re.compile("|".join(f"({self._pattern(e.phrase)})" for e in entries)), entries

    def _pattern(self, phrase: str) -> str:
        parts = [part.strip() for part in phrase.split("...")]
        pieces = []
        for i, part in enumerate(parts):
            words = re.escape(part).replace(r"\*", r"\w*")  # "suicid*" matches suicide and suicidal
            if _ALNUM_EDGE.fullmatch(part[:1]):
                words = r"(?<![a-z0-9])" + words
            if _ALNUM_EDGE.fullmatch(part[-1:]) or part.endswith("*"):
                words += r"(?![a-z0-9])"
            if i:
                latin = _ALNUM_EDGE.fullmatch(part[:1]) or _ALNUM_EDGE.fullmatch(parts[i - 1][-1:])
                gap = self._gap.latin if latin else self._gap.cjk
                pieces.append(f"[^,.!?;:。、\\n]{{0,{gap}}}?")
            pieces.append(words)
        return "".join(pieces)


class _PhraseSet:
    """Phrases grouped by their first character: a regex runs only where one may start, found by one C-level search.

    One big alternation tried at every position was a hundred times slower.
    """

    def __init__(self, by_first: dict[str, tuple[re.Pattern[str], list[_Entry]]]) -> None:
        self._by_first = by_first
        self._starts = re.compile(f"[{''.join(map(re.escape, by_first))}]" if by_first else r"(?!)")

    def find(self, text: str, *, overlapping: bool) -> Iterator[tuple[_Entry, int, int]]:
        """(entry, start, end) of the longest phrase at each position; without overlap, a search resumes after one."""
        resume = 0
        for start in self._starts.finditer(text):
            position = start.start()
            if position < resume:
                continue
            pattern, entries = self._by_first[text[position]]
            match = pattern.match(text, position)
            if match is None or match.lastindex is None:
                continue
            yield entries[match.lastindex - 1], match.start(), match.end()
            if not overlapping:
                resume = match.end()


def _check_groups(where: str, groups: list[str], lexicon: Lexicon) -> None:
    for group in groups:
        if group not in lexicon.urgency:
            raise ContentError(f"{where}: no urgency group {group!r}")


def _start(found: tuple[_Entry, int, int]) -> int:
    return found[1]


def _inside(inner: _Hit, outer: _Hit) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


def _units(text: str) -> int:
    return len(_UNITS.findall(text))


def _entries(lexicon: Lexicon) -> Iterable[_Entry]:
    def each(kind: _Kind | None, signal: str, field: str, phrases: list[str]) -> Iterator[_Entry]:
        for i, phrase in enumerate(phrases):
            # Each side of a `...` gap on its own: the normaliser would otherwise read the dots as filler.
            text = "...".join(normalise_text(part) for part in phrase.split("..."))
            yield _Entry(kind, signal, f"{field}[{i}]", text)

    yield from each(None, "idiom", "not_risk", lexicon.not_risk)
    yield from each(_Kind.NEGATION, "negated", "negation.words", lexicon.negation.words)
    yield from each(_Kind.REASSURANCE, "reassured", "negation.reassurance", lexicon.negation.reassurance)
    yield from each(_Kind.FICTION, "fiction", "negation.fiction", lexicon.negation.fiction)
    yield from each(_Kind.PAST, "past", "past.words", lexicon.past.words)
    yield from each(_Kind.STOP, "stop", "negation.stops", lexicon.negation.stops)
    yield from each(_Kind.INTENT, "intent", "intent.phrases", lexicon.intent.phrases)
    for name, family in lexicon.risks.items():
        yield from each(_Kind.RISK, name, f"risks.{name}.phrases", family.phrases)
    for name, method in lexicon.methods.items():
        yield from each(_Kind.USE, f"method:{name}", f"methods.{name}.use", method.use)
        yield from each(_Kind.NAME, f"method:{name}", f"methods.{name}.names", method.names)
    for name, phrases in lexicon.urgency.items():
        yield from each(_Kind.URGENCY, f"urgency:{name}", f"urgency.{name}", phrases)
    yield from each(_Kind.TAKEN, "urgency:taken", "taking", lexicon.taking)
