"""The regional failover behind scripts/promote_dr.py (see run.py for the steps).

`checks` and `safety` decide (pure), `steps` acts on AWS, `run` orders the steps, `report`
writes down what happened. Failback (issue 6) is the same shape in reverse.
"""
