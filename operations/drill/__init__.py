"""The quarterly drill behind scripts/dr_drill.py: readiness, then a forced failover, measured
against the plan from a declared failure time, written up with a timeline and what to improve.

`measure` decides (pure: achieved RTO and RPO per tier, the Gantt chart, the improvements), `run`
orders the steps, `report` writes the JSON and the Markdown.
"""
