"""Small column helpers shared by the models."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def str_enum(enum_cls: type[StrEnum], length: int = 24) -> Enum:
    """Store a StrEnum by value as plain text, so adding a member needs no database type change."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )
