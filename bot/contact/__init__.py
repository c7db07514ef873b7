"""Family contact: call plans and their reminders, the message relay, lapses, and summaries for parents."""
