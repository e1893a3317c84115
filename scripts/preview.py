#!/usr/bin/env python3
"""Show what a stack would create, without the Pulumi CLI or an AWS account.

    python scripts/preview.py --stack primary|dr [--plan FILE] [--config KEY=VALUE ...] [--json]

Runs the real program (`__main__.py`) under Pulumi mocks, with the stack's config from Pulumi.yaml
and Pulumi.<stack>.yaml plus any --config (the DR stack is fed the primary's outputs), and prints
the tree of components and resources with their key settings and the plan item each comes from,
then the stack's outputs. With --json, the resources (URN, type, parent, settings) and the outputs
as JSON, alone on stdout.

Exit status:
  0    previewed
  2    bad input: unknown stack, invalid plan, bad config (one line on stderr)

Example:
  python scripts/preview.py --stack dr
  python scripts/preview.py --stack primary --plan examples/plans/vapora.yaml --config eksClusterName=vapora
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from continuity.derive import derive
from continuity.plan import PlanError, load_plan
from offline.explain import explain, short_type, tree
from offline.program import OfflineError, RecordedResource, StackRun, run_program
from offline.stack_state import InputError, config_overrides
from operations.cli import add_config_argument, run_script, script_parser


def _value(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def render(run: StackRun, plan_path: str) -> str:
    plan = load_plan(plan_path)
    settings = derive(plan)
    role = run.config.get(f"{run.project}:role", "")
    children = tree(run)
    count = len([r for r in run.resources if r.custom])
    lines = [f"{run.project}/{run.stack} ({role}, {run.region}): {count} resources"]

    def walk(resource: RecordedResource, prefix: str, last: bool) -> None:
        branch = "└─ " if last else "├─ "
        lines.append(f"{prefix}{branch}{short_type(resource.type)} {resource.name}")
        inner = prefix + ("   " if last else "│  ")
        kids = children.get(resource.urn, [])
        for setting in explain(resource, run, plan, settings, role):
            source = f"   ← {setting.source}" if setting.source else ""
            lines.append(f"{inner}{'│  ' if kids else '   '}{setting.name} = {_value(setting.value)}{source}")
        for index, kid in enumerate(kids):
            walk(kid, inner, index == len(kids) - 1)

    top = children.get(run.stack_urn, [])
    for index, resource in enumerate(top):
        walk(resource, "", index == len(top) - 1)
    lines.append("")
    lines.append("Outputs: " + ", ".join(sorted(run.outputs)))
    return "\n".join(lines)


def as_data(run: StackRun, plan_path: str) -> dict[str, Any]:
    plan = load_plan(plan_path)
    settings = derive(plan)
    role = run.config.get(f"{run.project}:role", "")
    return {
        "project": run.project,
        "stack": run.stack,
        "region": run.region,
        "resources": [
            {
                "urn": r.urn,
                "type": r.type,
                "name": r.name,
                "parent": r.parent,
                "settings": [
                    {"name": s.name, "value": s.value, "source": s.source}
                    for s in explain(r, run, plan, settings, role)
                ],
            }
            for r in run.resources
        ],
        "outputs": run.outputs,
    }


def main(argv: list[str] | None = None) -> int:
    parser = script_parser("preview.py", __doc__)
    parser.add_argument("--stack", required=True, help="the stack to preview (primary or dr)")
    parser.add_argument("--plan", help="a continuity plan other than the stack's configured one")
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the resources and outputs as JSON")
    args = parser.parse_args(argv)
    try:
        run = run_program(args.stack, args.plan, config_overrides=config_overrides(args.config))
        plan_path = run.config.get(f"{run.project}:plan", "continuity-plan.yaml")
        if not Path(plan_path).is_absolute():
            plan_path = str(Path(__file__).resolve().parent.parent / plan_path)
        print(json.dumps(as_data(run, plan_path), indent=2) if args.json else render(run, plan_path))
    except (OfflineError, PlanError, InputError) as err:
        print(f"preview: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    run_script(main)
