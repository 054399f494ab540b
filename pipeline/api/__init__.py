"""HTTP APIs served by wirefeed."""
