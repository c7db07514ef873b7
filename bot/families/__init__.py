"""Households, children, and the caregivers and parents linked to them."""
