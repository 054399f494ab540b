"""Hostile-caller tests: what one key (or none) must not be able to read, write or break."""
