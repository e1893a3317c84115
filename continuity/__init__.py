"""The plan library: the continuity plan, its validation, and everything derived from it."""

# The project's version, as pyproject.toml gives it (tests/test_version.py keeps the two equal).
__version__ = "0.1.0"
