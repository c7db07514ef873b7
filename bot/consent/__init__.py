"""What each person agreed to, in which words, and when."""
