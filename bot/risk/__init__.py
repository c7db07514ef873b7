"""Free-text risk scanning: lexicon phrases from the content pack, matched in normalised text, give a risk level."""

from __future__ import annotations

from bot.risk.scanner import RiskLevel, Scanner, ScanResult

__all__ = ["RiskLevel", "ScanResult", "Scanner"]
