"""A person's data through their whole lifecycle: what forgetting them pseudonymises, and what they can ask to see."""
