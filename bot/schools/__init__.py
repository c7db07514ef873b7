"""Schools, their counselling rooms, and the supervisors of a region."""
