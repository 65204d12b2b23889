"""Test settings: Hypothesis draws the same examples on every run and keeps no database, so
the suite passes or fails the same way each time (and in two copies at once)."""

from hypothesis import settings

settings.register_profile("derive", derandomize=True, database=None, deadline=None)
settings.load_profile("derive")
