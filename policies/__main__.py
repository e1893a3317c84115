"""The continuity policy pack: refuses stacks that fall short of the continuity plan.

Run by the Pulumi CLI (``pulumi preview --policy-pack policies``) and, offline, by
offline/policy_check.py (``scripts/check_policies.py``), which loads this very file. It only
assembles the pack; each policy lives in its own module, named for what it enforces, with its
severity and description beside it. docs/policies.md lists them.
"""

import sys
from pathlib import Path

# The CLI runs this file from policies/ with the pack's own virtualenv, so neither the repository's
# plan library (continuity/) nor these modules (policies.*) are importable until the repository
# root is on the path. A published pack has no repository around it: vendor continuity/ into it.
_REPOSITORY = str(Path(__file__).resolve().parent.parent)
if _REPOSITORY not in sys.path:
    sys.path.insert(0, _REPOSITORY)

from pulumi_policy import EnforcementLevel, PolicyPack

from policies import (
    arcregionswitch_plan_require_failover_steps,
    backup_framework_require_controls,
    backup_plan_require_coverage,
    backup_plan_require_dr_copy,
    backup_plan_require_frequency,
    backup_plan_require_retention,
    backup_restoretesting_require_coverage,
    backup_restoretesting_require_frequency,
    backup_vault_require_compliance_lock,
    cloudwatch_alarm_require_exposure_thresholds,
    dynamodb_table_require_plan_item,
    ebs_volume_require_encryption,
    ebs_volume_require_plan_item,
    ecs_service_require_capacity,
    ecs_service_require_coverage,
    efs_filesystem_require_encryption,
    efs_filesystem_require_plan_item,
    kubernetes_cronjob_disallow_concurrent_runs,
    kubernetes_cronjob_require_coverage,
    kubernetes_cronjob_require_frequency,
    kubernetes_cronjob_require_target_bucket,
    kubernetes_deployment_require_capacity,
    kubernetes_pvc_require_plan_item,
    rds_cluster_require_encryption,
    rds_cluster_require_plan_item,
    rds_instance_disallow_public_access,
    rds_instance_enable_deletion_protection,
    rds_instance_enable_multi_az,
    rds_instance_require_backup_replication,
    rds_instance_require_backup_retention,
    rds_instance_require_coverage,
    rds_instance_require_customer_key,
    rds_instance_require_final_snapshot,
    rds_instance_require_plan_item,
    resiliencehub_policy_require_objectives,
    route53_record_require_health_check,
    s3_bucket_disallow_public_access,
    s3_bucket_enable_versioning,
    s3_bucket_require_coverage,
    s3_bucket_require_dr_replication,
    s3_bucket_require_kms_encryption,
    s3_bucket_require_object_lock,
    s3_bucket_require_plan_item,
    s3_bucket_require_version_retention,
)

PolicyPack(
    name="continuity",
    description="Stops changes that would leave the continuity plan (continuity-plan.yaml) unmet.",
    # Each policy sets its own level; this default only covers a policy that forgets to.
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        rds_instance_require_backup_retention.POLICY,
        rds_instance_enable_multi_az.POLICY,
        rds_instance_enable_deletion_protection.POLICY,
        rds_instance_require_customer_key.POLICY,
        rds_instance_disallow_public_access.POLICY,
        rds_instance_require_final_snapshot.POLICY,
        rds_instance_require_backup_replication.POLICY,
        rds_instance_require_coverage.POLICY,
        rds_instance_require_plan_item.POLICY,
        rds_cluster_require_plan_item.POLICY,
        rds_cluster_require_encryption.POLICY,
        backup_plan_require_frequency.POLICY,
        backup_plan_require_retention.POLICY,
        backup_plan_require_dr_copy.POLICY,
        backup_plan_require_coverage.POLICY,
        backup_restoretesting_require_coverage.POLICY,
        backup_restoretesting_require_frequency.POLICY,
        backup_vault_require_compliance_lock.POLICY,
        s3_bucket_enable_versioning.POLICY,
        s3_bucket_require_object_lock.POLICY,
        s3_bucket_require_kms_encryption.POLICY,
        s3_bucket_disallow_public_access.POLICY,
        s3_bucket_require_dr_replication.POLICY,
        s3_bucket_require_version_retention.POLICY,
        s3_bucket_require_coverage.POLICY,
        s3_bucket_require_plan_item.POLICY,
        dynamodb_table_require_plan_item.POLICY,
        efs_filesystem_require_plan_item.POLICY,
        efs_filesystem_require_encryption.POLICY,
        ebs_volume_require_plan_item.POLICY,
        ebs_volume_require_encryption.POLICY,
        route53_record_require_health_check.POLICY,
        ecs_service_require_capacity.POLICY,
        ecs_service_require_coverage.POLICY,
        kubernetes_cronjob_require_frequency.POLICY,
        kubernetes_cronjob_require_target_bucket.POLICY,
        kubernetes_cronjob_disallow_concurrent_runs.POLICY,
        kubernetes_cronjob_require_coverage.POLICY,
        kubernetes_deployment_require_capacity.POLICY,
        kubernetes_pvc_require_plan_item.POLICY,
        backup_framework_require_controls.POLICY,
        resiliencehub_policy_require_objectives.POLICY,
        arcregionswitch_plan_require_failover_steps.POLICY,
        cloudwatch_alarm_require_exposure_thresholds.POLICY,
    ],
)
