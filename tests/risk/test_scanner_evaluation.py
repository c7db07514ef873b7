"""The scanner on labelled sets: prints its figures on each, holds the issue's targets on the tuning set and floors on
the held-out sets. Run with `-s` to see the figures.

The tuning set (`content/risk/examples.tsv`) is what the phrases were written against and what the n-gram layer learns
from, so its figures flatter the scanner. The held-out sets are never tuned on: only their figures are printed, not
their lines, so that nobody fixes a rule for one of them. A and B were each written before a round of tuning by the
engineer who tuned it; C to J were written blind, by writers who never saw the scanner, its lexicon or its examples:
C and D before the third round, E and F before the fourth, G before the fifth, H, I and J during the fifth and
sixth (H and J were scored only once the sixth ended). If a change drops a held-out figure below its floor, the
change generalises worse: rethink it rather than lower the floor.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT
from bot.risk import Scanner
from bot.risk.evaluation import CONCERN, NONE, TARGETS, URGENT, Targets, evaluate
from bot.risk.lexicon import load_examples

LEXICON = PROJECT_ROOT / "content" / "risk" / "lexicon.yaml"
TUNING_SET = PROJECT_ROOT / "content" / "risk" / "examples.tsv"
HELDOUT_SET = Path(__file__).with_name("heldout_set.tsv")
HELDOUT_SET_B = Path(__file__).with_name("heldout_set_b.tsv")
HELDOUT_SET_C = Path(__file__).with_name("heldout_set_c.tsv")
HELDOUT_SET_D = Path(__file__).with_name("heldout_set_d.tsv")
HELDOUT_SET_E = Path(__file__).with_name("heldout_set_e.tsv")
HELDOUT_SET_F = Path(__file__).with_name("heldout_set_f.tsv")
HELDOUT_SET_G = Path(__file__).with_name("heldout_set_g.tsv")
HELDOUT_SET_H = Path(__file__).with_name("heldout_set_h.tsv")
HELDOUT_SET_I = Path(__file__).with_name("heldout_set_i.tsv")
HELDOUT_SET_J = Path(__file__).with_name("heldout_set_j.tsv")


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    return Scanner.from_file(LEXICON)


def test_the_scanner_meets_the_targets_on_the_tuning_set(scanner):
    figures = evaluate(scanner, load_examples(TUNING_SET))
    print(
        "\nRisk scanner on the tuning set\n"
        + str(figures)
        + "\nlines with another level:\n"
        + "\n".join(f"  {want} -> {got}: {text}" for want, got, text in figures.wrong)
    )

    assert min(figures.lines[URGENT], figures.lines[CONCERN], figures.lines[NONE]) >= 150, figures
    assert figures.meets(TARGETS), figures


# Floors a little under the figures measured after the sixth round of tuning (see the README): any change to the
# examples moves a held-out figure by a line or two, hence the margin.
@pytest.mark.parametrize(
    ("path", "floors"),
    [
        pytest.param(HELDOUT_SET, Targets(flagged=0.97, urgent=0.96, false_urgent=0.06, everyday_flagged=0.09), id="A"),
        pytest.param(
            HELDOUT_SET_B, Targets(flagged=0.94, urgent=0.89, false_urgent=0.05, everyday_flagged=0.11), id="B"
        ),
        pytest.param(
            HELDOUT_SET_C, Targets(flagged=0.96, urgent=0.91, false_urgent=0.07, everyday_flagged=0.14), id="C"
        ),
        pytest.param(
            HELDOUT_SET_D, Targets(flagged=0.96, urgent=0.93, false_urgent=0.04, everyday_flagged=0.09), id="D"
        ),
        pytest.param(
            HELDOUT_SET_E, Targets(flagged=0.98, urgent=0.94, false_urgent=0.05, everyday_flagged=0.1), id="E"
        ),
        pytest.param(
            HELDOUT_SET_F, Targets(flagged=0.96, urgent=0.92, false_urgent=0.05, everyday_flagged=0.09), id="F"
        ),
        pytest.param(
            HELDOUT_SET_G, Targets(flagged=0.96, urgent=0.94, false_urgent=0.05, everyday_flagged=0.12), id="G"
        ),
        pytest.param(
            HELDOUT_SET_H, Targets(flagged=0.97, urgent=0.94, false_urgent=0.05, everyday_flagged=0.07), id="H"
        ),
        pytest.param(
            HELDOUT_SET_I, Targets(flagged=0.93, urgent=0.89, false_urgent=0.04, everyday_flagged=0.08), id="I"
        ),
        pytest.param(
            HELDOUT_SET_J, Targets(flagged=0.95, urgent=0.92, false_urgent=0.04, everyday_flagged=0.06), id="J"
        ),
    ],
)
def test_the_scanner_holds_floors_on_the_held_out_sets(scanner, path, floors):
    figures = evaluate(scanner, load_examples(path))
    print(f"\nRisk scanner on the held-out set {path.name} (never tuned on)\n" + str(figures))

    assert figures.lines.total() >= 300, figures
    assert min(figures.lines.values()) >= 90, figures
    assert figures.meets(floors), figures
