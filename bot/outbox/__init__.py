"""The outbox: every message the system decides to send is a row first, then the sender delivers it."""
