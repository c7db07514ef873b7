"""The statistical layer: logistic regression on character and word n-grams, learnt from the pack's labelled examples.

Phrases miss wordings nobody listed ("枕头底下一大把药片"); n-grams such as 药片 or 不醒 carry over to them. Two
models: does a line need a counsellor at all (flag), and is it urgent; each gives a probability. The urgent model learns
from every line, everyday ones too, because it may judge a line the phrases left at none (see `Scanner`).
Logistic regression rather than naive Bayes: in 5-fold cross-validation on the tuning set it flagged 65% of risk
lines where naive Bayes flagged 51%, at the same 5% of everyday lines (see the README). It is trained at start-up,
a few seconds for the pack's examples, and deterministic: the same examples give the same model. Scoring a line sums
plain Python floats from a table, which is faster than calling numpy for one short line.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

_EPOCHS = 5
_RATE = 0.5  # Adagrad's base step
_L2 = 1e-4
_WORD = re.compile(r"[a-z0-9]+")
_TOKEN = re.compile(r"[a-z0-9]+|[\u3400-\u9fff]")  # an English word or one Chinese character
_CLAUSE = re.compile(r"[,.!?;:。、]")
_SKIPS = (2, 3, 4)  # how far apart the tokens of a pair are


@lru_cache(maxsize=4)
def trained_model(examples: tuple[tuple[str, str], ...], n: int) -> NgramModel:
    """Training takes seconds and gives the same model for the same examples, so a process that loads the content
    more than once (the tests, the CLI) trains once."""
    return NgramModel(examples, n)


class NgramModel:
    def __init__(self, examples: Sequence[tuple[str, str]], n: int) -> None:
        """`examples` are (level, normalised text); levels are "urgent", "concern" or "none"."""
        self._n = n
        index: dict[str, int] = {}
        rows = [
            np.array([index.setdefault(g, len(index)) for g in sorted(self.grams(text))], dtype=np.intp)
            for _, text in examples
        ]
        labels = [(int(level != "none"), int(level == "urgent")) for level, _ in examples]
        weights, self._bias = _fit(rows, labels, len(index))
        self._weights = dict(zip(index, map(tuple, weights.tolist()), strict=True))

    def grams(self, text: str) -> set[str]:
        """Character n-grams, English words and word pairs, and pairs of tokens a few apart in one clause.

        Words carry English better than letters do ("kms", "end it"); pairs a few apart catch "想…死" and "going to …
        pills" whatever stands between. Each kind found about two points more risk lines from a writer the model never
        saw, at fewer false alarms (see the README).
        """
        padded = f" {text} "
        grams = {padded[i : i + k] for k in range(1, self._n + 1) for i in range(len(padded) - k + 1)} - {" "}
        words = _WORD.findall(text)
        grams.update(f"<{word}>" for word in words)
        grams.update(f"<{first} {second}>" for first, second in itertools.pairwise(words))
        for clause in _CLAUSE.split(text):
            tokens = _TOKEN.findall(clause)
            grams.update(
                f"{token}_{tokens[i + gap]}"
                for i, token in enumerate(tokens)
                for gap in _SKIPS
                if i + gap < len(tokens)
            )
        return grams

    def scores(self, text: str) -> tuple[float, float]:
        """(flag, urgent) probabilities: how likely the line needs a counsellor, and how likely that it is urgent."""
        grams = self.grams(text)
        known = [self._weights[gram] for gram in grams if gram in self._weights]
        scale = 1 / math.sqrt(len(grams) or 1)
        flag, urgent = (bias + scale * math.fsum(w[k] for w in known) for k, bias in enumerate(self._bias))
        return _sigmoid(flag), _sigmoid(urgent)


def _fit(rows: list[np.ndarray], labels: list[tuple[int, int]], size: int) -> tuple[np.ndarray, list[float]]:
    """Binary logistic regression over n-gram presence for both models at once (column 0 flag, column 1 urgent), the
    sum scaled by 1/sqrt(count) so long lines do not shout.

    Both classes weigh the same in training whatever their sizes, and Adagrad gives rare n-grams larger steps. Stopping
    after a few epochs regularises: on this data it generalised better than fitting to the optimum (scikit-learn's
    L2 logistic regression flagged about 2 points fewer risk lines in cross-validation at the same false alarms).
    """
    positives = [sum(column) for column in zip(*labels, strict=True)]
    count = len(rows)
    class_weights = [(count / (2 * max(count - p, 1)), count / (2 * max(p, 1))) for p in positives]
    weights = np.zeros((size, 2))
    squares = np.full((size, 2), 1e-8)
    bias = [0.0, 0.0]
    bias_squares = [1e-8, 1e-8]
    order = list(range(count))
    shuffle = random.Random(0).shuffle
    for _ in range(_EPOCHS):
        shuffle(order)
        for i in order:
            grams = rows[i]
            scale = 1 / math.sqrt(len(grams) or 1)
            own, own_squares = weights[grams], squares[grams]
            sums = own.sum(axis=0).tolist()
            error = [0.0, 0.0]
            for k in range(2):
                yes = labels[i][k]
                error[k] = (_sigmoid(bias[k] + scale * sums[k]) - yes) * class_weights[k][yes]
                bias_squares[k] += error[k] * error[k]
                bias[k] -= _RATE * error[k] / math.sqrt(bias_squares[k])
            step = np.array(error) * scale + _L2 * own
            own_squares += step * step
            squares[grams] = own_squares
            weights[grams] = own - _RATE * step / np.sqrt(own_squares)
    return weights, bias


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
