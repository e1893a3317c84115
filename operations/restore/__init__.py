"""The restore test behind scripts/restore_test.py: restore a database's newest recovery point (or a
point in time) into a scratch instance, verify it, time it against the tier's RTO, delete it.

`scratch` decides (pure: names, tags, what may be deleted, the verification's environment), `run`
acts on AWS in timed steps, `report` writes down what happened.
"""
