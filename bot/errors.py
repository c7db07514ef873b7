"""Errors the domain raises for input it refuses; adapters turn `code` into a kind message."""

from __future__ import annotations


class InvalidInput(ValueError):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
