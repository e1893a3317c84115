"""Scheduled restore tests inside AWS: per item AWS Backup protects, a restore testing plan and its
selection, so AWS Backup restores one of the item's recovery points on the plan's cadence and
records how long it took (settings: continuity/restore_testing.py).

Each region tests the recovery points its own vault holds, picking resources exactly as its backup
selections do (service, data item, ``continuity:backup=active``; AWS Backup evaluates a restore
testing selection's tag conditions on the resource's latest recovery point in the vault, which
carries the item's tags): the primary's data from the start, the DR region's once a failover has
made it the data the business runs on, with no new resource at that moment. Restored resources go
away by themselves: AWS Backup deletes them once the test is over (AWS Backup Developer Guide,
"Restore testing", Data deletion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from continuity import tags as tag
from continuity.restore_testing import RestoreTestSettings

# Keys of RestoreMetadataOverrides (case-insensitive, AWS Backup Developer Guide, "Restore testing
# inferred metadata"). A restored RDS instance goes into the default VPC unless told otherwise, and
# the stacks' VPCs are not default ones ("Restore testing failure troubleshooting": override
# DBSubnetGroupName), so it is restored beside the instance it tests.
RDS_SUBNET_GROUP = "dbsubnetgroupname"


@dataclass
class RestoreTestingArgs:
    tests: list[RestoreTestSettings]
    service: str
    # The region's vault: only its recovery points are tested here.
    vault_arn: pulumi.Input[str]
    # A role AWS Backup assumes to restore (the vault's: it has the AWS managed restore policies
    # and grants on the region's keys).
    role_arn: pulumi.Input[str]
    # The subnet group each rds item's instance lives in, in this region.
    subnet_groups: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # per data item


class RestoreTesting(pulumi.ComponentResource):
    plan_names: dict[str, pulumi.Output[str]]
    plan_arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: RestoreTestingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("continuity:components:RestoreTesting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.plan_names, self.plan_arns = {}, {}
        for test in args.tests:
            item = test.data_item
            plan = aws.backup.RestoreTestingPlan(
                f"{name}-{item}",
                name=test.plan_name,
                schedule_expression=test.schedule,
                schedule_expression_timezone="Etc/UTC",
                start_window_hours=test.start_window_hours,
                recovery_point_selection={
                    "algorithm": test.algorithm,
                    "include_vaults": [args.vault_arn],
                    "recovery_point_types": test.recovery_point_types,
                    "selection_window_days": test.selection_window_days,
                },
                tags=args.tags.get(item, {}),
                opts=child,
            )
            overrides: dict[str, pulumi.Input[str]] = {}
            if test.store == "rds" and item in args.subnet_groups:
                overrides[RDS_SUBNET_GROUP] = args.subnet_groups[item]
            aws.backup.RestoreTestingSelection(
                f"{name}-{item}",
                name=test.selection_name,
                restore_testing_plan_name=plan.name,
                protected_resource_type=test.protected_resource_type,
                iam_role_arn=args.role_arn,
                # All resources of the type, narrowed by the tags AWS Backup selects them by (AWS
                # takes "*" with conditions, or specific ARNs, not both).
                protected_resource_arns=["*"],
                protected_resource_conditions={
                    "string_equals": [
                        {"key": f"aws:ResourceTag/{tag.SERVICE}", "value": args.service},
                        {"key": f"aws:ResourceTag/{tag.DATA_ITEM}", "value": item},
                        {"key": f"aws:ResourceTag/{tag.BACKUP}", "value": tag.BACKUP_ACTIVE},
                    ]
                },
                restore_metadata_overrides=overrides or None,
                # No validation window: nothing here validates a restored resource, so AWS Backup
                # deletes it as soon as the restore completed; the test is the restore and its time.
                opts=child,
            )
            self.plan_names[item] = plan.name
            self.plan_arns[item] = plan.arn
        self.register_outputs({"plan_names": self.plan_names, "plan_arns": self.plan_arns})
