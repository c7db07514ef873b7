"""Parenting guidance: the tip pack, per-person schedules, delivery, feedback and tips chosen by check-ins."""
