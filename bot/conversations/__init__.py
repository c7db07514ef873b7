"""Where each person is in a multi-step flow, kept in our own table so a restart resumes it."""
