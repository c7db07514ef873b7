"""Invitation codes: how counsellors, supervisors, caregivers and parents join."""
