"""Cases: what the school's counselling room follows up about a child, opened and raised by flags."""
