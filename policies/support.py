"""What every policy of the pack shares: the plan it judges against, and how resources name plan items.

Each policy reads the plan path from its configuration (``plan``; a relative path is resolved
against the pack directory's parent, the repository root, whatever the working directory) and
loads it once through the repository's plan library, so the pack judges with exactly the numbers
the stacks were built from (``continuity.derive``). Resources name what they serve with
``continuity:*`` tags (see docs/policies.md), Kubernetes objects with the same as labels
(``continuity.data-item``); a resource without them is not the plan's, and a plan item without a
resource is reported by the ``*-require-coverage`` stack policies.

Values read from resource properties go through the SDK's unknown-checking proxy: reading a value
that is unknown during preview raises ``UnknownValueError``, which the SDK reports as an advisory
"can't run policy during preview". Nothing here catches it.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from continuity import tags as continuity_tags
from continuity.derive import BucketSettings, RdsSettings, ServiceSettings, Settings, derive
from continuity.durations import describe_timedelta
from continuity.plan import DataItem, Plan, PlanError, load_plan
from continuity.schedule import ScheduleError, longest_gap, longest_gap_kubernetes

# The tags the stacks put on what they create (continuity/tags.py), as the policies look them up.
TAG_SERVICE = continuity_tags.SERVICE
TAG_ROLE = continuity_tags.ROLE
TAG_DATA_ITEM = continuity_tags.DATA_ITEM
TAG_WORKLOAD = continuity_tags.WORKLOAD
# A stateful resource that belongs to no plan item on purpose says why in this tag (on Kubernetes
# objects an annotation, continuity.exempt: label values cannot hold free text). The policies that
# find unplanned state set such a resource aside with the reason after EXEMPT_NOTE, which is how
# reports list exemptions.
TAG_EXEMPT = "continuity:exempt"
EXEMPT_NOTE = "exempt: "

PACK_DIR = Path(__file__).resolve().parent
REPOSITORY = PACK_DIR.parent
DEFAULT_PLAN = "continuity-plan.yaml"

ROLES = ("primary", "dr")

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_BACKUP_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_SELECTION = "aws:backup/selection:Selection"
ROUTE53_RECORD = "aws:route53/record:Record"
ROUTE53_HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
KMS_KEYS = ("aws:kms/key:Key", "aws:kms/replicaKey:ReplicaKey", "aws:kms/alias:Alias")
ECS_SERVICE = "aws:ecs/service:Service"
# pulumi-aws 7 keeps the deprecated *V2 S3 resources as aliases of the current ones; a stack may
# still declare either, so each S3 kind lists both tokens (the current one first, for messages).
S3_BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
S3_VERSIONING = (
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketVersioningV2:BucketVersioningV2",
)
S3_OBJECT_LOCK = (
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
)
S3_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
S3_PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
S3_REPLICATION = ("aws:s3/bucketReplicationConfig:BucketReplicationConfig",)
S3_LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
# pulumi-kubernetes resources (autoscaling/v1 and v2 are both served; the stacks declare v2).
K8S_CRON_JOB = "kubernetes:batch/v1:CronJob"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_AUTOSCALER = (
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    "kubernetes:autoscaling/v1:HorizontalPodAutoscaler",
)
# What else holds state in a stack, which the plan cannot hold (no store for it) or holds only
# when tagged: each kind must belong to a plan item or say why not (the *-require-plan-item policies).
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
EFS_FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
EBS_VOLUME = "aws:ebs/volume:Volume"
K8S_PERSISTENT_VOLUME_CLAIM = "kubernetes:core/v1:PersistentVolumeClaim"
K8S_STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"


def label_key(tag: str) -> str:
    """A continuity tag as a Kubernetes label key: label keys take no colon, so the components
    write ``continuity:data-item`` as ``continuity.data-item``."""
    return tag.replace(":", ".")


def label_value(value: str) -> str:
    """A tag value as the components write it into a label: no colon, at most 63 characters."""
    return value.replace(":", ".")[:63]


LABEL_SERVICE = label_key(TAG_SERVICE)
LABEL_ROLE = label_key(TAG_ROLE)
LABEL_DATA_ITEM = label_key(TAG_DATA_ITEM)
ANNOTATION_EXEMPT = label_key(TAG_EXEMPT)
# Kubernetes services are named by the well-known name label (and their selector), not a workload tag.
LABEL_APP_NAME = "app.kubernetes.io/name"
# The environment variable that names the bucket a backup CronJob uploads its dumps to
# (components/kubernetes_backups.py): the upload command writes to s3://$BACKUP_BUCKET/<item>/.
BACKUP_BUCKET_ENV = "BACKUP_BUCKET"

# The resources that carry continuity:role, from which a stack policy learns which region's half
# of the plan it is looking at (Route 53 records and the S3/Backup side resources are untaggable).
ROLE_CARRIERS = frozenset(
    {RDS_INSTANCE, BACKUP_PLAN, BACKUP_VAULT, ECS_SERVICE, ROUTE53_HEALTH_CHECK, *S3_BUCKET}
)

PLAN_CONFIG = PolicyConfigSchema(
    properties={
        "plan": {
            "type": "string",
            "default": DEFAULT_PLAN,
            "description": "The continuity plan to judge against; a relative path is resolved "
            "against the repository (the policy pack directory's parent).",
        }
    }
)


def _help(validate: Callable[..., Any]) -> str:
    """A policy's explanation for reports: its module's docstring, after the summary line."""
    doc = inspect.getdoc(sys.modules.get(validate.__module__)) or ""
    return doc.partition("\n")[2].strip()


class ResourcePolicy(ResourceValidationPolicy):
    """A resource policy that judges resources of ``resource_types`` only. The CLI calls every
    resource policy for every resource; this one returns at once for other types, so the offline
    checker (offline/policy_check.py) need not call it for them, and counts only these types as
    what it judges. ``help`` is the module docstring, for reports."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Iterable[str],
        validate: Callable[[ResourceValidationArgs, ReportViolation], None],
        enforcement_level: EnforcementLevel,
        severity: Severity,
        config_schema: PolicyConfigSchema = PLAN_CONFIG,
    ) -> None:
        types = frozenset(resource_types)

        def validate_typed(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type in types:
                validate(args, report)

        super().__init__(
            name=name,
            description=description,
            validate=validate_typed,
            enforcement_level=enforcement_level,
            config_schema=config_schema,
            severity=severity,
        )
        self.resource_types = types
        self.help = _help(validate)


class StackPolicy(StackValidationPolicy):
    """A stack policy, with the resource types it judges (what the offline checker counts as
    passed or failed) and its module docstring as ``help``."""

    def __init__(
        self,
        *,
        name: str,
        description: str,
        resource_types: Iterable[str],
        validate: Callable[[StackValidationArgs, ReportViolation], None],
        enforcement_level: EnforcementLevel,
        severity: Severity,
        config_schema: PolicyConfigSchema = PLAN_CONFIG,
    ) -> None:
        super().__init__(
            name=name,
            description=description,
            validate=validate,
            enforcement_level=enforcement_level,
            config_schema=config_schema,
            severity=severity,
        )
        self.resource_types = frozenset(resource_types)
        self.help = _help(validate)


class PlanUnavailableError(Exception):
    """The configured plan cannot be read or is invalid: no policy can judge without it."""


@dataclass(frozen=True)
class PlanContext:
    """A loaded plan and everything derived from it, as the policies look things up."""

    path: Path
    plan: Plan
    settings: Settings

    def rds(self, item: str) -> RdsSettings | None:
        return next((s for s in self.settings.rds if s.data_item == item), None)

    def bucket(self, item: str) -> BucketSettings | None:
        return next((b for b in self.settings.buckets if b.data_item == item), None)

    def service(self, name: str) -> ServiceSettings | None:
        return next((s for s in self.settings.services if s.name == name), None)

    def other_region(self, role: str) -> str:
        return self.plan.regions.primary if role == "dr" else self.plan.regions.dr


@lru_cache(maxsize=16)
def _load(path: Path, _mtime_ns: int) -> PlanContext:
    try:
        plan = load_plan(path)
        return PlanContext(path=path, plan=plan, settings=derive(plan))
    except PlanError as err:
        raise PlanUnavailableError("; ".join(err.messages)) from None
    except ScheduleError as err:
        raise PlanUnavailableError(f"{path}: {err}") from None


def plan_path(config: Mapping[str, Any] | None) -> Path:
    """The plan file a policy's configuration names (relative to the repository unless absolute)."""
    raw = (config or {}).get("plan") or DEFAULT_PLAN
    path = Path(str(raw)).expanduser()
    return path if path.is_absolute() else REPOSITORY / path


def plan_for(config: Mapping[str, Any] | None) -> PlanContext:
    """The plan a policy's configuration names, loaded once per file version."""
    path = plan_path(config)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0  # load_plan reports the missing or unreadable file in its own words
    return _load(path, mtime)


def not_applicable(args: ResourceValidationArgs | StackValidationArgs, reason: str) -> NoReturn:
    args.not_applicable(reason)
    raise AssertionError("not_applicable always raises")


# ---------------------------------------------------------------------------------------------
# Reading properties (always through the SDK's proxies: unknowns raise, lists are Sequences)


def tags_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    tags = props.get("tags")
    return tags if isinstance(tags, Mapping) else {}


def labels_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Kubernetes object's ``metadata.labels`` (where it carries the continuity tags)."""
    metadata = props.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


def annotations_of(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Kubernetes object's ``metadata.annotations`` (where it carries its exemption)."""
    metadata = props.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def items(value: Any) -> list[Any]:
    """A list property as a list (the SDK hands lists over as read-only sequences)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [value[i] for i in range(len(value))]
    return []


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def show(value: Any) -> str:
    """A property value as messages quote it: numbers without a trailing .0, text in quotes."""
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def days(count: float) -> str:
    whole = int(count) if float(count).is_integer() else count
    return f"{whole} day" if whole == 1 else f"{whole} days"


def seen(prop: str, value: Any, unit: str = "") -> str:
    """``backupRetentionPeriod is 2 days`` / ``multiAz is not set``."""
    if value is None:
        return f"{prop} is not set"
    if unit == "days" and number(value) is not None:
        return f"{prop} is {days(float(value))}"
    return f"{prop} is {show(value)}"


def gap(delta: timedelta) -> str:
    return describe_timedelta(delta)


def data_label(name: str, item: DataItem) -> str:
    return f'plan data "{name}" (tier {item.tier})'


def service_label(name: str, tier: str) -> str:
    return f'plan service "{name}" (tier {tier})'


def arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


# ---------------------------------------------------------------------------------------------
# Resource policies: which plan item a resource serves


@dataclass(frozen=True)
class DataSubject:
    ctx: PlanContext
    name: str
    item: DataItem
    role: str | None

    @property
    def label(self) -> str:
        return data_label(self.name, self.item)


def data_subject(args: ResourceValidationArgs, stores: Sequence[str]) -> DataSubject:
    """The plan data item a resource is tagged with; not applicable to anything else."""
    tags = tags_of(args.props)
    name = tags.get(TAG_DATA_ITEM)
    if not isinstance(name, str):
        not_applicable(args, f"no {TAG_DATA_ITEM} tag: the resource holds no plan data")
    ctx = plan_for(args.get_config())
    if tags.get(TAG_SERVICE) != ctx.plan.service:
        not_applicable(
            args,
            f"{TAG_SERVICE} is {show(tags.get(TAG_SERVICE))}; the plan protects {show(ctx.plan.service)}",
        )
    item = ctx.plan.data.get(name)
    if item is None or item.store not in set(stores):
        # Tags that name no item (or one of another store) are reported once, by *-require-coverage.
        not_applicable(args, f"{TAG_DATA_ITEM} {show(name)} is no {'/'.join(stores)} item of the plan")
    role = tags.get(TAG_ROLE)
    return DataSubject(ctx, name, item, role if role in ROLES else None)


def cron_job_subject(args: ResourceValidationArgs) -> DataSubject:
    """The kubernetes data item a backup CronJob is labelled with (``continuity.data-item``);
    not applicable to any other CronJob. The backup CronJobs carry no service label: one that
    does must name the plan's service."""
    labels = labels_of(args.props)
    name = labels.get(LABEL_DATA_ITEM)
    if not isinstance(name, str):
        not_applicable(args, f"no {LABEL_DATA_ITEM} label: the CronJob backs up no plan data")
    ctx = plan_for(args.get_config())
    service = labels.get(LABEL_SERVICE)
    if service is not None and service != label_value(ctx.plan.service):
        not_applicable(
            args, f"{LABEL_SERVICE} is {show(service)}; the plan protects {show(ctx.plan.service)}"
        )
    item = ctx.plan.data.get(name)
    if item is None or item.store != "kubernetes":
        # Labels that name no item (or one of another store) are reported once, by the coverage policy.
        not_applicable(args, f"{LABEL_DATA_ITEM} {show(name)} is no kubernetes item of the plan")
    role = labels.get(LABEL_ROLE)
    return DataSubject(ctx, name, item, role if role in ROLES else None)


# ---------------------------------------------------------------------------------------------
# Membership: every stateful resource belongs to a plan item, or says why not


def _is_kubernetes(resource_type: str) -> bool:
    return resource_type.startswith("kubernetes:")


def plan_item_of(
    ctx: PlanContext, resource_type: str, marks: Mapping[str, Any], stores: Sequence[str]
) -> str | None:
    """The plan data item a resource's tags (Kubernetes: labels) put it in, if it is one of
    ``stores`` of the plan's own service; None otherwise. A Kubernetes object may leave out
    the service label, as the backup CronJobs do."""
    k8s = _is_kubernetes(resource_type)
    name = marks.get(LABEL_DATA_ITEM if k8s else TAG_DATA_ITEM)
    service = marks.get(LABEL_SERVICE if k8s else TAG_SERVICE)
    own = service in (label_value(ctx.plan.service), None) if k8s else service == ctx.plan.service
    item = ctx.plan.data.get(name) if isinstance(name, str) else None
    return name if own and item is not None and item.store in stores else None


def holder_label(args: ResourceValidationArgs, stores: Sequence[str]) -> str:
    """How a message names the resource a plan-independent (security) policy judges: its plan
    item when it belongs to one, else its name, marked as belonging to none."""
    ctx = plan_for(args.get_config())
    marks = labels_of(args.props) if _is_kubernetes(args.resource_type) else tags_of(args.props)
    name = plan_item_of(ctx, args.resource_type, marks, stores)
    if name is not None:
        return data_label(name, ctx.plan.data[name])
    return f'"{args.name}" (no plan item)'


def _store_list(stores: Sequence[str]) -> str:
    return " or ".join(stores)


def require_plan_item(args: ResourceValidationArgs, report: ReportViolation, stores: Sequence[str]) -> None:
    """Report a stateful resource that belongs to no plan item held in ``stores`` (none: a kind
    the plan has no store for), unless its continuity:exempt tag (Kubernetes: annotation) gives a
    reason, which sets it aside with that reason."""
    ctx = plan_for(args.get_config())
    plan = ctx.plan
    k8s = _is_kubernetes(args.resource_type)
    marks = labels_of(args.props) if k8s else tags_of(args.props)
    if plan_item_of(ctx, args.resource_type, marks, stores) is not None:
        return
    exempt_key = ANNOTATION_EXEMPT if k8s else TAG_EXEMPT
    reason = (annotations_of(args.props) if k8s else marks).get(exempt_key)
    if reason is not None:
        if isinstance(reason, str) and len(reason.split()) > 1:
            not_applicable(args, f"{EXEMPT_NOTE}{' '.join(reason.split())}")
        report(
            f"{exempt_key} is {show(reason)}, which gives no reason; write why this state needs no "
            f'plan item (e.g. {exempt_key}: "scratch copy rebuilt nightly from orders")',
            None,
        )
        return
    item_key, service_key = (LABEL_DATA_ITEM, LABEL_SERVICE) if k8s else (TAG_DATA_ITEM, TAG_SERVICE)
    name, service = marks.get(item_key), marks.get(service_key)
    way_out = f'or exempt it with {exempt_key}: "<why>"'
    if service is not None and service != (label_value(plan.service) if k8s else plan.service):
        report(
            f'{service_key} is {show(service)}; this stack is judged against plan "{plan.service}", '
            f"so its state belongs to no item of it: tag it for this plan, {way_out}",
            None,
        )
    elif isinstance(name, str) and name in plan.data:
        store = plan.data[name].store
        where = f"keeps in {store}, not on {args.resource_type}"
        report(f'{item_key} is "{name}", which plan "{plan.service}" {where}', None)
    elif name is not None:
        listed = ", ".join(plan.data) or "none"
        report(
            f'{item_key} is {show(name)}; plan "{plan.service}" has no such data item (data: {listed})', None
        )
    elif not stores:
        report(
            f"{item_key} is not set; this {args.resource_type} holds data no plan item covers, and the "
            f"plan keeps data only in rds, s3 and kubernetes stores: move the data into one, {way_out}",
            None,
        )
    else:
        fitting = [n for n, item in plan.data.items() if item.store in stores]
        choices = f"({', '.join(fitting)})" if fitting else "(it has none)"
        report(
            f"{item_key} is not set; this {args.resource_type} holds data no plan item covers: tag it "
            f'with a data item of plan "{plan.service}" kept in {_store_list(stores)} {choices}, {way_out}',
            None,
        )


# ---------------------------------------------------------------------------------------------
# Stack policies: resources joined on property dependencies


@dataclass
class StackView:
    """The stack as the stack policies query it: by type, by tag, and by property dependency.
    Lookups are computed once per policy run: a stack may hold thousands of resources."""

    ctx: PlanContext
    resources: list[PolicyResource]
    _by_type: dict[str, list[PolicyResource]] = field(default_factory=dict, repr=False)
    _tags: dict[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    _labels: dict[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    _dependents: dict[tuple[str, str], list[PolicyResource]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for resource in self.resources:
            self._by_type.setdefault(resource.resource_type, []).append(resource)

    def of_type(self, *types: str) -> list[PolicyResource]:
        return [r for t in dict.fromkeys(types) for r in self._by_type.get(t, [])]

    def tags(self, resource: PolicyResource) -> Mapping[str, Any]:
        if resource.urn not in self._tags:
            self._tags[resource.urn] = tags_of(resource.props)
        return self._tags[resource.urn]

    def tagged(self, *types: str) -> list[tuple[PolicyResource, Mapping[str, Any]]]:
        """Resources of these types tagged for this plan's service, with their tags (only these
        types' tags are read, so an unknown tag elsewhere cannot stop the policy)."""
        found = []
        for resource in self.of_type(*types):
            tags = self.tags(resource)
            if tags.get(TAG_SERVICE) == self.ctx.plan.service:
                found.append((resource, tags))
        return found

    def labelled(self, *types: str) -> list[tuple[PolicyResource, Mapping[str, Any]]]:
        """Kubernetes objects of these types labelled for this plan's service, or for no service
        (the backup CronJobs carry only their data item), with their labels."""
        found = []
        service = label_value(self.ctx.plan.service)
        for resource in self.of_type(*types):
            if resource.urn not in self._labels:
                self._labels[resource.urn] = labels_of(resource.props)
            labels = self._labels[resource.urn]
            if labels.get(LABEL_SERVICE) in (service, None):
                found.append((resource, labels))
        return found

    def roles(self) -> set[str]:
        """Which halves of the plan this stack deploys, from its resources' continuity:role tags;
        a stack whose resources carry none is judged as a primary (the stricter half)."""
        found = {str(tags.get(TAG_ROLE)) for _, tags in self.tagged(*ROLE_CARRIERS)}
        return (found & set(ROLES)) or {"primary"}

    def dependents(self, target: PolicyResource, prop: str, types: Iterable[str]) -> list[PolicyResource]:
        """Resources of ``types`` whose input ``prop`` depends on ``target``: the only join that
        holds during preview, when names and ARNs are still unknown."""
        if self._dependents is None:
            index: dict[tuple[str, str], list[PolicyResource]] = defaultdict(list)
            for resource in self.resources:
                for key, deps in resource.property_dependencies.items():
                    for dep in deps:
                        index[(dep.urn, key)].append(resource)
            self._dependents = index
        wanted = set(types)
        return [r for r in self._dependents.get((target.urn, prop), []) if r.resource_type in wanted]


def stack_view(args: StackValidationArgs) -> StackView:
    return StackView(plan_for(args.get_config()), list(args.resources))


def stack_role_label(role: str) -> str:
    return "the DR stack" if role == "dr" else "the primary stack"


@dataclass(frozen=True)
class DataBucket:
    """A bucket tagged with a plan item held in S3 (the item's objects, or in-cluster dumps)."""

    resource: PolicyResource
    name: str
    item: DataItem
    role: str | None

    @property
    def label(self) -> str:
        return data_label(self.name, self.item)


def data_buckets(view: StackView) -> list[DataBucket]:
    found = []
    for bucket, tags in view.tagged(*S3_BUCKET):
        name = tags.get(TAG_DATA_ITEM)
        item = view.ctx.plan.data.get(name) if isinstance(name, str) else None
        if item is not None and item.store in ("s3", "kubernetes"):
            role = tags.get(TAG_ROLE)
            found.append(DataBucket(bucket, str(name), item, role if role in ROLES else None))
    return found


def every_bucket(view: StackView) -> list[tuple[PolicyResource, str]]:
    """Every bucket of the stack, tagged or not, with how messages name it: its plan item when it
    holds one's data (s3 objects or kubernetes dumps), else its name, marked as belonging to none.
    For the policies that do not depend on the plan (public access, encryption)."""
    planned = {b.resource.urn: b.label for b in data_buckets(view)}
    return [(r, planned.get(r.urn, f'"{r.name}" (no plan item)')) for r in view.of_type(*S3_BUCKET)]


def depends_on_type(resource: PolicyResource, prop: str, types: Iterable[str]) -> bool:
    """Whether input ``prop`` is computed from a resource of one of ``types`` in this stack."""
    wanted = set(types)
    return any(dep.resource_type in wanted for dep in resource.property_dependencies.get(prop, []))


def has_key(value: Mapping[str, Any], key: str) -> bool:
    """Whether a property is present at all, without reading it (so an unknown one is not read)."""
    return key in set(value)


def kind(types: Sequence[str]) -> str:
    """The resource kind as messages name it: the current token."""
    return types[0]


# ---------------------------------------------------------------------------------------------
# Coverage: every plan item has its resources, and every tag names a plan item


def report_stray_tags(
    view: StackView,
    types: Sequence[str],
    tag: str,
    *,
    known: Mapping[str, str],
    accepted: Iterable[str],
    report: Callable[[str, str | None], None],
    found: Sequence[tuple[PolicyResource, Mapping[str, Any]]] | None = None,
) -> None:
    """Report resources of ``types`` whose ``tag`` names no plan entry, or one of a kind that
    such a resource cannot serve. ``known`` maps each plan entry to its kind (store, compute);
    ``found`` gives the resources with their tags (or labels) when not ``view.tagged(*types)``."""
    accepted = set(accepted)
    data = tag in (TAG_DATA_ITEM, LABEL_DATA_ITEM)
    section, placed = ("data", "keeps in") if data else ("services", "runs on")
    for resource, tags in view.tagged(*types) if found is None else found:
        name = tags.get(tag)
        if name is None:
            continue
        if name not in known:
            listed = ", ".join(known) or "none"
            report(f"{tag} is {show(name)}; the plan has no such entry ({section}: {listed})", resource.urn)
        elif known[name] not in accepted:
            report(
                f"{tag} is {show(name)}, which the plan {placed} {known[name]}, not on {kind(types)}",
                resource.urn,
            )


def covered(view: StackView, types: Sequence[str], tag: str, name: str, role: str) -> list[PolicyResource]:
    """Resources of ``types`` tagged for plan entry ``name`` in ``role`` (an untagged role counts
    for either: the role check is for the stack, not for each resource)."""
    return [
        resource
        for resource, tags in view.tagged(*types)
        if tags.get(tag) == name and tags.get(TAG_ROLE) in (role, None)
    ]


_UTC_NAMES = frozenset(
    {"UTC", "UCT", "GMT", "GMT0", "Greenwich", "Universal", "Zulu"}
    | {
        f"Etc/{name}"
        for name in ("UTC", "UCT", "GMT", "GMT0", "GMT+0", "GMT-0", "Greenwich", "Universal", "Zulu")
    }
)
_FIXED_OFFSET = re.compile(r"^Etc/GMT[+-][0-9]{1,2}$")


def schedule_gap(rule: Mapping[str, Any]) -> tuple[timedelta, str]:
    """The longest gap of a rule's schedule, and how to say it; raises ScheduleError when the
    schedule cannot be judged. AWS Backup runs crons in ``scheduleExpressionTimezone`` (UTC by
    default): across a daylight-saving change a run comes up to an hour late, so such a zone
    adds an hour."""
    return _in_zone(longest_gap(str(rule.get("schedule"))), rule.get("scheduleExpressionTimezone"))


def cron_job_gap(spec: Mapping[str, Any]) -> tuple[timedelta, str]:
    """The longest gap of a CronJob's ``schedule`` (five fields, as Kubernetes reads them) in its
    ``timeZone``, and how to say it; raises ScheduleError when the schedule cannot be judged.
    Without a ``timeZone`` the controller manager's zone applies: UTC on EKS, as the plan's
    schedules are written. A zone with daylight saving adds an hour, as for AWS Backup."""
    return _in_zone(longest_gap_kubernetes(str(spec.get("schedule"))), spec.get("timeZone"))


def _in_zone(delta: timedelta, zone: Any) -> tuple[timedelta, str]:
    if zone and _observes_daylight_saving(str(zone)):
        late = delta + timedelta(hours=1)
        return late, f"{gap(late)} (daylight saving in {zone})"
    return delta, gap(delta)


def _observes_daylight_saving(zone: str) -> bool:
    # UTC by its many names, and the fixed Etc/GMT offsets, are known without a zone database
    # (which a slim container may lack).
    if zone in _UTC_NAMES or _FIXED_OFFSET.match(zone):
        return False
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return True  # a zone this machine cannot resolve is judged the cautious way
    winter, summer = datetime(2026, 1, 15, tzinfo=tz), datetime(2026, 7, 15, tzinfo=tz)
    return winter.utcoffset() != summer.utcoffset()
