"""The statistical layer: character n-gram naive Bayes learnt from the pack's labelled examples.

Phrases miss wordings nobody listed ("枕头底下一大把药片"); n-grams such as 药片 or 不醒 carry over to them. Two
models: does a line need a counsellor at all (flag), and, among those, is it urgent. Each gives a log-odds score.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

# A line shorter than this many n-grams is scored as if it had this many: two characters are no evidence.
_MIN_GRAMS = 8


class NgramModel:
    def __init__(self, examples: Sequence[tuple[str, str]], n: int, smoothing: float = 0.5) -> None:
        """`examples` are (level, normalised text); levels are "urgent", "concern" or "none"."""
        self._n = n
        flagged = [(level != "none", text) for level, text in examples]
        urgent = [(level == "urgent", text) for level, text in examples if level != "none"]
        self._flag = _Binary(((yes, self.grams(text)) for yes, text in flagged), smoothing)
        self._urgent = _Binary(((yes, self.grams(text)) for yes, text in urgent), smoothing)

    def grams(self, text: str) -> set[str]:
        padded = f" {text} "
        return {padded[i : i + k] for k in range(1, self._n + 1) for i in range(len(padded) - k + 1)} - {" "}

    def scores(self, text: str) -> tuple[float, float]:
        """(flag, urgent) mean log-odds per n-gram: above 0 leans towards a flag, towards urgent."""
        grams = self.grams(text)
        return self._flag.score(grams), self._urgent.score(grams)


class _Binary:
    """Bernoulli-style naive Bayes over n-gram presence, scored as a length-independent mean log-likelihood ratio."""

    def __init__(self, examples: Iterable[tuple[bool, set[str]]], smoothing: float) -> None:
        counts = {True: Counter[str](), False: Counter[str]()}
        lines = Counter[bool]()
        for yes, grams in examples:
            counts[yes].update(grams)
            lines[yes] += 1
        vocabulary = set(counts[True]) | set(counts[False])
        total = {side: counts[side].total() + smoothing * len(vocabulary) for side in (True, False)}
        self._ratio = {
            gram: math.log((counts[True][gram] + smoothing) / total[True])
            - math.log((counts[False][gram] + smoothing) / total[False])
            for gram in vocabulary
        }

    def score(self, grams: set[str]) -> float:
        known = [self._ratio[g] for g in grams if g in self._ratio]
        return sum(known) / max(len(known), _MIN_GRAMS)
