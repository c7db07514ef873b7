"""A phone number typed after 🆘 is recognised as a grandparent types it, and nothing else is taken for one."""

from __future__ import annotations

import pytest

from bot.safety.phones import as_phone_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138-0013-8000", "8613800138000"),
        ("023-6812 3456", "02368123456"),
        ("（023）68123456", "02368123456"),
        ("孩子不见了", None),
        ("12356", None),
        ("我的电话13800138000", None),
    ],
)
def test_only_a_message_that_is_a_phone_number_is_taken_as_one(text: str, number: str | None) -> None:
    assert as_phone_number(text) == number
