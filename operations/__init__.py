"""The AWS side of the operational scripts: a small library, not a framework.

`scripts/promote_dr.py` is built from it today; readiness, restore tests, drills and failback
(issue 6) reuse the same parts:

- `aws`: boto3 sessions and regional clients with standard-mode retries (`AWS_ENDPOINT_URL` is
  honoured by boto3 itself), event hooks for tests and benchmarks, AWS error helpers.
- `stack_outputs`: the DR stack's outputs from the Pulumi CLI or a saved file, parsed by
  `continuity.outputs`; `pulumi config set` for recording what a script changed.
- `rds`, `ecs`, `route53`, `cloudwatch`: thin calls, each with the pure reading of its
  answer beside it (is this instance a promoted replica? is this service steady?).
- `clock` (time and polling), `tasks` (run independent work concurrently), `progress` (live
  on a terminal, plain lines otherwise), `report` (timed steps, JSON and Markdown reports).
- `errors`: typed errors and the exit codes the scripts share.
- `failover`: the regional failover itself (preflight, safety, promote, scale, route, record).

Every function takes a client or an `Aws` object; nothing creates a client at import.
"""
