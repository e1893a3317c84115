"""Point-in-time recovery into production (scripts/recover.py): bring one data item back to its
state before a corruption, in the region that serves, keeping what was corrupted.

The decisions are pure and kept apart from the calls that act, as in every runbook here:
`points` (restore windows, which dump or version answers TIME, checksums), `rollback` (what an S3
roll-back copies forward and what it hides), `names` (what the recovery creates and how it marks
what it keeps); `run` is the runbook on the engine (operations.runbook), one store at a time.
"""
