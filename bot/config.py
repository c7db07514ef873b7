"""Settings, read from the environment or `.env` (pydantic-settings).

Every knob a deployer can turn lives here, with the name the README documents.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'shouhu.db'}"


class Settings(BaseSettings):
    # hide_input_in_errors: a refused value may be a secret, such as an encryption key.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True, hide_input_in_errors=True
    )

    telegram_bot_token: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_bot_username: str | None = Field(default=None, validation_alias="TELEGRAM_BOT_USERNAME")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", validation_alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    timezone: str = Field(default="Asia/Shanghai", validation_alias="SHOUHU_TIMEZONE")
    content_dir: Path = Field(default=PROJECT_ROOT / "content", validation_alias="SHOUHU_CONTENT_DIR")

    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_listen: str = Field(default="0.0.0.0", validation_alias="WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8080, validation_alias="WEBHOOK_PORT")
    webhook_secret_token: str | None = Field(default=None, validation_alias="WEBHOOK_SECRET_TOKEN")

    # The sender: Telegram allows about 30 messages/s overall and 1/s per chat.
    send_rate_per_second: float = Field(default=25.0, validation_alias="SHOUHU_SEND_RATE")
    sender_interval_seconds: float = Field(default=1.0, validation_alias="SHOUHU_SENDER_INTERVAL")
    # Outbox messages in flight at once (to different chats): with Telegram ~100 ms away, one at a time caps the
    # sender near 10 a second.
    send_concurrency: int = Field(default=8, ge=1, le=64, validation_alias="SHOUHU_SEND_CONCURRENCY")
    # How often to look for check-ins that fall due, need a reminder or are missed, and for case time limits.
    due_interval_seconds: float = Field(default=30.0, validation_alias="SHOUHU_DUE_INTERVAL")

    # Pruning (an hourly tick): handled updates keep only their id, to drop a late duplicate; finished outbox rows
    # keep their dedupe_key, which stops a message being enqueued twice, so keep them past every window a key guards.
    inbox_retention_days: float = Field(default=7.0, gt=0, validation_alias="SHOUHU_INBOX_RETENTION_DAYS")
    outbox_retention_days: float = Field(default=90.0, ge=14, validation_alias="SHOUHU_OUTBOX_RETENTION_DAYS")
    prune_interval_seconds: float = Field(default=3600.0, gt=0, validation_alias="SHOUHU_PRUNE_INTERVAL")

    # Time limits for taking a case (bot/cases/deadlines.py): urgent in wall-clock minutes, day and night; high in
    # school hours; routine in school days. School days are Monday to Friday, between these local times.
    take_urgent_minutes: int = Field(default=15, ge=1, validation_alias="SHOUHU_TAKE_URGENT_MINUTES")
    take_high_school_hours: float = Field(default=4.0, gt=0, validation_alias="SHOUHU_TAKE_HIGH_SCHOOL_HOURS")
    take_routine_school_days: int = Field(default=3, ge=1, validation_alias="SHOUHU_TAKE_ROUTINE_SCHOOL_DAYS")
    school_day_start: time = Field(default=time(8, 0), validation_alias="SHOUHU_SCHOOL_DAY_START")
    school_day_end: time = Field(default=time(17, 0), validation_alias="SHOUHU_SCHOOL_DAY_END")

    # Fernet keys for free text at rest, newest first; unset means a development key under data/ (bot/crypto).
    encryption_keys: SecretStr | None = Field(default=None, validation_alias="SHOUHU_ENCRYPTION_KEYS")
    # Lets `run` start without SHOUHU_ENCRYPTION_KEYS, on the development key; never for real families' data.
    development: bool = Field(default=False, validation_alias="SHOUHU_DEVELOPMENT")

    # Drills and tests only: the bot's clock starts at this moment (ISO 8601 with an offset) and runs on from there.
    clock_start: AwareDatetime | None = Field(default=None, validation_alias="SHOUHU_CLOCK_START")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("school_day_end")
    @classmethod
    def _school_day_ends_after_it_starts(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("school_day_start")
        if start is not None and value <= start:
            raise ValueError(f"the school day must end after it starts ({start:%H:%M})")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        from bot.crypto.keys import parse_keys  # imported here because bot.crypto imports this module

        if value is not None:
            parse_keys(value.get_secret_value())
        return value

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
