"""Tags on everything the stacks create: how resources are found, selected and judged.

AWS Backup selections pick resources by these tags, the policy pack maps resources back to plan
items with them, and the scripts use them to tell their own scratch resources from everything else.
"""

from __future__ import annotations

from continuity.plan import Plan

SERVICE = "continuity:service"
ROLE = "continuity:role"
PLAN_VERSION = "continuity:plan-version"
TIER = "continuity:tier"
DATA_ITEM = "continuity:data-item"
WORKLOAD = "continuity:workload"
# AWS Backup protects resources tagged active; DR copies stay standby until a failover.
BACKUP = "continuity:backup"
BACKUP_ACTIVE = "active"
BACKUP_STANDBY = "standby"
# A stateful resource that belongs to no plan item says why (the policy pack lists it): AWS tag
# values take letters, digits, spaces and _ . : / = + - @ only.
EXEMPT = "continuity:exempt"


def base_tags(plan: Plan, role: str) -> dict[str, str]:
    return {SERVICE: plan.service, ROLE: role, PLAN_VERSION: str(plan.version)}


def data_tags(plan: Plan, role: str, item: str, *, active: bool) -> dict[str, str]:
    return {
        **base_tags(plan, role),
        DATA_ITEM: item,
        TIER: plan.data[item].tier,
        BACKUP: BACKUP_ACTIVE if active else BACKUP_STANDBY,
    }


def workload_tags(plan: Plan, role: str, workload: str) -> dict[str, str]:
    return {**base_tags(plan, role), WORKLOAD: workload, TIER: plan.services[workload].tier}
