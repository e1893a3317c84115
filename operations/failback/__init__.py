"""The way back after an outage (scripts/failback.py): the failover in reverse.

`checks` and `safety` decide (pure), `steps` acts on AWS, `run` orders the steps, `report` writes
down what happened. The database promotion itself is the failover's own step
(`operations.failover.steps.promote_database`), pointed at the primary region.
"""
