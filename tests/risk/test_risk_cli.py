"""`python -m bot risk scan`: lines in, one JSON object a line out; a broken lexicon exits 2 and says where.
`python -m bot risk evaluate`: a deployer's labelled lines in, the four figures out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import PROJECT_ROOT, get_settings


@pytest.fixture
def scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)  # a developer's own .env must not leak in

    def invoke(lines: str, content_dir: Path = PROJECT_ROOT / "content"):
        return run_cli(["risk", "scan"], lines, content_dir)

    yield invoke
    get_settings.cache_clear()


def run_cli(args: list[str], stdin: str = "", content_dir: Path = PROJECT_ROOT / "content"):
    get_settings.cache_clear()
    env = {"SHOUHU_CONTENT_DIR": str(content_dir), "TELEGRAM_BOT_TOKEN": ""}
    return CliRunner().invoke(app, args, input=stdin.encode("utf-8"), env=env)


def test_risk_scan_prints_one_json_object_per_line(scan):
    result = scan("孩子说今晚就喝农药\n今天太热了，热死了\nHe says he wants to die.\n")

    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"level": "urgent", "signals": ["urgency:tonight", "method:pesticide"]},
        {"level": "none", "signals": ["idiom"]},
        {"level": "concern", "signals": ["suicidal_thought"]},
    ]
    assert "农药" not in result.stdout  # signals are names, the text itself is not echoed


def test_risk_scan_exits_2_naming_the_broken_lexicon_field(scan, tmp_path):
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", content)
    lexicon = content / "risk" / "lexicon.yaml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8").replace("version: 1", "version: 2"), encoding="utf-8")

    result = scan("想死\n", content)

    assert result.exit_code == 2
    assert f"{lexicon}: version: Input should be 1" in result.stderr


def test_risk_evaluate_prints_the_figures_and_only_with_wrong_the_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    labelled = tmp_path / "region.tsv"
    labelled.write_text(
        "# a deployer's own lines\n"
        "urgent\t孩子说今晚就喝农药\n"
        "concern\t他说活着没意思\n"
        "none\t今天太热了，热死了\n"
        "urgent\t今天天气很好\n",  # mislabelled on purpose: the scanner reads it as everyday
        encoding="utf-8",
    )

    quiet = run_cli(["risk", "evaluate", str(labelled)])
    loud = run_cli(["risk", "evaluate", str(labelled), "--wrong"])

    assert quiet.exit_code == 0, quiet.output
    assert "4 lines (2 urgent, 1 concern, 1 everyday)" in quiet.stdout
    assert "needing a counsellor, flagged: 66.7%" in quiet.stdout
    assert "urgent lines urgent:           50.0%" in quiet.stdout
    assert "everyday lines flagged:        0.0%" in quiet.stdout
    assert "今天" not in quiet.stdout  # the lines themselves only with --wrong
    assert "urgent -> none: 今天天气很好" in loud.stdout
    assert "农药" not in loud.stdout


def test_risk_evaluate_names_the_bad_line_and_exits_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    labelled = tmp_path / "region.tsv"
    labelled.write_text("urgent\t孩子说今晚就喝农药\nworried\t他不吃饭\n", encoding="utf-8")

    result = run_cli(["risk", "evaluate", str(labelled)])

    assert result.exit_code == 2
    assert f"{labelled}:2: expected urgent, concern or none" in result.stderr
