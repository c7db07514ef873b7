"""Weekly check-ins: the questionnaire, its scoring and routing, the "I'm worried" menu and the safety reply."""
