"""Encryption at rest: keys, tokens, rotation, the development key file, and how key settings are checked."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, create_engine
from typer.testing import CliRunner

from bot import crypto
from bot.cli import app
from bot.config import Settings, get_settings
from bot.crypto import keys as crypto_keys

TEXT = "小明这周一直哭，说想妈妈。"


@pytest.fixture
def restore_keys(encryption_key: str) -> Iterator[None]:
    """Put the run's key back for later tests after a test configures others."""
    yield
    crypto.use_keys([encryption_key])


def settings(monkeypatch: pytest.MonkeyPatch, keys: str | None) -> Settings:
    if keys is None:
        monkeypatch.delenv("SHOUHU_ENCRYPTION_KEYS", raising=False)
    else:
        monkeypatch.setenv("SHOUHU_ENCRYPTION_KEYS", keys)
    return Settings(_env_file=None)


def test_text_survives_a_round_trip_and_does_not_show_in_the_token():
    cipher = crypto.Cipher([crypto.generate_key()])
    token = cipher.encrypt(TEXT)
    assert TEXT not in token and "小明" not in token
    assert token.isascii()
    assert cipher.decrypt(token) == TEXT
    assert cipher.decrypt(cipher.encrypt("")) == ""


def test_every_encryption_makes_a_different_token():
    cipher = crypto.Cipher([crypto.generate_key()])
    assert len({cipher.encrypt(TEXT) for _ in range(5)}) == 5


def test_a_wrong_key_fails_with_a_clear_error():
    token = crypto.Cipher([crypto.generate_key()]).encrypt(TEXT)
    with pytest.raises(crypto.DecryptionError, match="SHOUHU_ENCRYPTION_KEYS") as caught:
        crypto.Cipher([crypto.generate_key()]).decrypt(token)
    assert TEXT not in str(caught.value)
    with pytest.raises(crypto.DecryptionError):
        crypto.Cipher([crypto.generate_key()]).decrypt("plain text that was never encrypted, 小明")


def test_old_tokens_decrypt_during_rotation_and_with_the_new_key_alone_afterwards():
    old, new = crypto.generate_key(), crypto.generate_key()
    token = crypto.Cipher([old]).encrypt(TEXT)
    during = crypto.Cipher([new, old])
    assert during.decrypt(token) == TEXT

    rotated = during.rotate(token)
    assert rotated is not None
    assert crypto.Cipher([new]).decrypt(rotated) == TEXT
    with pytest.raises(crypto.DecryptionError):
        crypto.Cipher([new]).decrypt(token)
    assert during.rotate(rotated) is None  # already under the newest key: nothing to do
    assert crypto.Cipher([new]).decrypt(during.encrypt(TEXT)) == TEXT  # the newest key encrypts


def test_the_development_key_file_is_created_once_private_and_reused(tmp_path: Path):
    path = tmp_path / "data" / "dev-encryption.key"
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: crypto_keys.dev_key(path), range(16)))
    assert len(keys) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto_keys.dev_key(path) == keys.pop()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left behind


def test_a_damaged_development_key_file_is_refused_without_showing_its_content(tmp_path: Path):
    path = tmp_path / "dev-encryption.key"
    path.write_text("not-a-key-but-maybe-secret\n")
    with pytest.raises(crypto.EncryptionKeyError, match="does not hold a Fernet key") as caught:
        crypto_keys.dev_key(path)
    assert "maybe-secret" not in str(caught.value)


def test_without_a_key_setting_the_development_key_is_used_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture, restore_keys: None
):
    path = tmp_path / "data" / "dev-encryption.key"
    monkeypatch.setattr(crypto_keys, "DEV_KEY_FILE", path)
    monkeypatch.setattr(crypto_keys, "_warned_about_dev_key", False)
    with caplog.at_level(logging.WARNING, logger="bot.crypto"):
        crypto.configure(settings(monkeypatch, None))
        crypto.configure(settings(monkeypatch, None))

    key = path.read_text().strip()
    assert crypto.Cipher([key]).decrypt(crypto.cipher().encrypt(TEXT)) == TEXT
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "SHOUHU_ENCRYPTION_KEYS is not set" in warnings[0] and str(path) in warnings[0]
    assert key not in caplog.text


def test_the_key_setting_lists_keys_newest_first(monkeypatch: pytest.MonkeyPatch, restore_keys: None):
    old, new = crypto.generate_key(), crypto.generate_key()
    old_token = crypto.Cipher([old]).encrypt(TEXT)
    crypto.configure(settings(monkeypatch, f" {new} , {old} "))
    assert crypto.cipher().decrypt(old_token) == TEXT
    assert crypto.Cipher([new]).decrypt(crypto.cipher().encrypt(TEXT)) == TEXT


@pytest.mark.parametrize("bad", ["not-a-key-secret123", "c2hvcnQ=", "@" * 44])
def test_a_malformed_key_setting_names_the_setting_and_not_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, bad: str
):
    monkeypatch.chdir(tmp_path)  # a developer's own .env must not leak in
    good = crypto.generate_key()
    with pytest.raises(ValidationError) as caught:
        settings(monkeypatch, f"{good},{bad}")
    message = str(caught.value)
    assert "SHOUHU_ENCRYPTION_KEYS" in message and "key 2 of 2 is not a Fernet key" in message
    assert bad not in message and good not in message

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["keys", "rotate"], env={"SHOUHU_ENCRYPTION_KEYS": f"{good},{bad}"})
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "SHOUHU_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet key" in result.output
    assert bad not in result.output and good not in result.output


def test_using_an_encrypted_column_before_configuration_says_what_to_do(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(crypto_keys, "_current", None)
    with pytest.raises(crypto.EncryptionNotConfigured, match=r"configure\(settings\)"):
        crypto.EncryptedText().process_bind_param(TEXT, dialect=None)


def test_keys_generate_prints_a_usable_key():
    result = CliRunner().invoke(app, ["keys", "generate"])
    assert result.exit_code == 0
    crypto.Cipher([result.stdout.strip()])


def test_migrations_render_the_column_by_a_plain_import_path():
    metadata = MetaData()
    Table("notes", metadata, Column("id", Integer, primary_key=True), Column("note", crypto.EncryptedText))
    with create_engine("sqlite://").connect() as connection:
        code = render_python_code(produce_migrations(MigrationContext.configure(connection), metadata).upgrade_ops)
    assert "sa.Column('note', bot.crypto.column.EncryptedText(), nullable=True)" in code
