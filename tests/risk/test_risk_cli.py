"""`python -m bot risk scan`: lines in, one JSON object a line out; a broken lexicon exits 2 and says where."""

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
        get_settings.cache_clear()
        env = {"SHOUHU_CONTENT_DIR": str(content_dir), "TELEGRAM_BOT_TOKEN": ""}
        return CliRunner().invoke(app, ["risk", "scan"], input=lines.encode("utf-8"), env=env)

    yield invoke
    get_settings.cache_clear()


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
