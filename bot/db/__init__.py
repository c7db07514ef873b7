"""Database access: the declarative base, column types, engine and session factory."""

from bot.db.base import Base, UTCDateTime, clock_default
from bot.db.engine import Database

__all__ = ["Base", "Database", "UTCDateTime", "clock_default"]
