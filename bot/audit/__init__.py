"""The audit log: who did what, kept without personal data."""
