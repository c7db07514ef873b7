"""Safety help: the calm words and the numbers to call, from the content pack of the family's region."""
