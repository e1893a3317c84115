"""Readiness: the live environment judged against the plan, read only (scripts/dr_readiness.py).

`checks` judges (pure: a reading and the plan's target in, pass, fail or unknown out), `probes`
reads AWS and turns each reading into a check, `run` reads every area at once, `report` writes
the lines, the JSON and the Markdown.
"""
