"""Stack configuration: what `Pulumi.<stack>.yaml` sets, read, typed and checked against the plan.

Every key the program reads is declared in Pulumi.yaml's `config:` block (type, description,
default); this module is the one place that reads them, so a misspelt value fails at the start of
`pulumi up` with one line naming the key, before any resource is touched.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import yaml

from continuity.plan import Plan

Role = Literal["primary", "dr"]

# The Fargate task sizes AWS accepts: CPU units, and the memory (MiB) each allows.
FARGATE_MEMORY: dict[int, range] = {
    256: range(512, 2049, 512),
    512: range(1024, 4097, 1024),
    1024: range(2048, 8193, 1024),
    2048: range(4096, 16385, 1024),
    4096: range(8192, 30721, 1024),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$")


# Every project key the program reads; Pulumi.yaml declares each with its type, default and meaning.
CONFIG_KEYS = (
    "plan",
    "role",
    "primaryStack",
    "promoted",
    "hostedZone",
    "recordName",
    "vpcCidr",
    "alarmEmails",
    "image",
    "taskCpu",
    "taskMemory",
    "services",
    "certificateArn",
    "dbEngine",
    "dbEngineVersion",
    "dbInstanceClass",
    "dbAllocatedStorage",
    "operatorPrincipals",
    "drillHistory",
    "kubeconfig",
    "eksClusterName",
    "backupUploadImage",
)
# The AWS CLI image that uploads in-cluster dumps; a versioned tag (AWS publishes one per release),
# so a backup job never changes under the team's feet.
DEFAULT_UPLOAD_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.22.0"
# Until a team sets its own image, every service runs this one, made to answer the plan's health
# check on the plan's port (busybox httpd serving one file), so a first deploy is healthy for what
# it is and says so: the program warns, and the image is no application. Docker's official images
# are mirrored on ECR Public, which Fargate pulls without Docker Hub's rate limits.
PLACEHOLDER_IMAGE = "public.ecr.aws/docker/library/busybox:1.37"

# The defaults Pulumi.yaml declares for keys with one (tests/components/test_config_defaults.py
# keeps the two equal): the program sees them even where the CLI does not apply them (a test).
DEFAULTS: dict[str, str] = {
    "plan": "continuity-plan.yaml",
    "image": PLACEHOLDER_IMAGE,
    "taskCpu": "256",
    "taskMemory": "512",
    "dbEngine": "postgres",
    # A major version: RDS upgrades minor versions itself (auto_minor_version_upgrade), and a pinned
    # minor would make the next `pulumi up` after such an upgrade plan a downgrade.
    "dbEngineVersion": "16",
    "dbInstanceClass": "db.t4g.medium",
    "dbAllocatedStorage": "20",
    "backupUploadImage": DEFAULT_UPLOAD_IMAGE,
    "drillHistory": "reports/continuity-history.jsonl",
}
# What a major version looks like per engine (RDS's own numbering): PostgreSQL counts majors
# from 10 as one number (16), MySQL and MariaDB as two (8.0, 10.11).
ENGINE_MAJOR = {
    "postgres": re.compile(r"^[1-9][0-9]*$"),
    "mysql": re.compile(r"^[0-9]+\.[0-9]+$"),
    "mariadb": re.compile(r"^[0-9]+\.[0-9]+$"),
}


class ConfigError(ValueError):
    """Stack configuration the program cannot run with; one line naming the key."""


@dataclass(frozen=True)
class ServiceRuntime:
    image: str
    cpu: int
    memory: int

    @property
    def placeholder(self) -> bool:
        """Whether the service runs the placeholder (no image of the team's own yet)."""
        return self.image == PLACEHOLDER_IMAGE


@dataclass(frozen=True)
class StackConfig:
    role: Role
    region: str
    plan_path: str
    primary_stack: str | None  # dr only: the stack it reads through a StackReference
    promoted: bool  # dr only: the replica has been promoted (docs/outputs.md)
    hosted_zone: str  # the Route 53 public zone's domain
    record_name: str  # the name clients use, inside the zone
    vpc_cidr: str
    alarm_emails: list[str]
    db_engine: str
    db_engine_version: str
    db_instance_class: str
    db_allocated_storage: int
    services: dict[str, ServiceRuntime] = field(default_factory=dict)
    certificate_arn: str | None = None
    operator_principals: list[str] = field(default_factory=list)
    drill_history: str = ""
    # The Kubernetes cluster, for plans with compute: kubernetes services or store: kubernetes data:
    # a kubeconfig (a secret), or an EKS cluster the provider and IRSA are built from.
    kubeconfig_set: bool = False
    eks_cluster_name: str | None = None
    # The kubeconfig's current-context: what the operations scripts select in the operator's own
    # kubeconfig (an EKS cluster's context is its ARN, as `aws eks update-kubeconfig` names it).
    kube_context: str | None = None
    backup_upload_image: str = DEFAULT_UPLOAD_IMAGE

    @property
    def uses_kubernetes(self) -> bool:
        return self.kubeconfig_set or self.eks_cluster_name is not None

    @property
    def is_dr(self) -> bool:
        return self.role == "dr"


def _text(values: Mapping[str, str | None], key: str, default: str | None = None) -> str:
    value = values.get(key)
    if value in (None, ""):
        default = DEFAULTS.get(key, default)
        if default is None:
            raise ConfigError(f"config {key}: required (set it with `pulumi config set {key} ...`)")
        return default
    assert value is not None
    return value


def _int(values: Mapping[str, str | None], key: str) -> int:
    raw = values.get(key)
    if raw in (None, ""):
        raw = DEFAULTS[key]
    try:
        return int(str(raw))
    except ValueError:
        raise ConfigError(f"config {key}: {raw!r} is not a whole number") from None


def _bool(values: Mapping[str, str | None], key: str) -> bool:
    raw = (values.get(key) or "false").strip().lower()
    if raw not in ("true", "false"):
        raise ConfigError(f"config {key}: {values.get(key)!r} is not true or false")
    return raw == "true"


def _json(
    values: Mapping[str, str | None], key: str, default: object, check: Callable[[object], bool]
) -> object:
    raw = values.get(key)
    if raw in (None, ""):
        return default
    assert raw is not None
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"config {key}: {raw!r} is not valid JSON") from None
    if not check(parsed):
        raise ConfigError(f"config {key}: {raw!r} has the wrong shape (see Pulumi.yaml)")
    return parsed


def _service_runtime(plan: Plan, values: Mapping[str, str | None]) -> dict[str, ServiceRuntime]:
    image = _text(values, "image")
    cpu = _int(values, "taskCpu")
    memory = _int(values, "taskMemory")
    overrides = _json(
        values,
        "services",
        {},
        lambda v: isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()),
    )
    assert isinstance(overrides, dict)
    unknown = sorted(set(overrides) - set(plan.services))
    if unknown:
        raise ConfigError(
            f"config services: {', '.join(unknown)} not in the plan's services ({', '.join(plan.services)})"
        )
    runtime = {}
    for name in plan.services:
        own = overrides.get(name, {})
        unknown_keys = sorted(set(own) - {"image", "cpu", "memory"})
        if unknown_keys:
            raise ConfigError(
                f"config services.{name}: unknown keys {', '.join(unknown_keys)} (image, cpu, memory)"
            )
        this = ServiceRuntime(
            image=str(own.get("image", image)),
            cpu=int(own.get("cpu", cpu)),
            memory=int(own.get("memory", memory)),
        )
        if this.cpu not in FARGATE_MEMORY or this.memory not in FARGATE_MEMORY[this.cpu]:
            raise ConfigError(
                f"config services.{name}: cpu {this.cpu} with memory {this.memory} is not a Fargate task "
                f"size (cpu {', '.join(map(str, FARGATE_MEMORY))})"
            )
        runtime[name] = this
    return runtime


def read_stack_config(values: Mapping[str, str | None], region: str, plan: Plan) -> StackConfig:
    """Typed configuration from raw config values (project keys without the project prefix)."""
    role = _text(values, "role", "")
    if role not in ("primary", "dr"):
        raise ConfigError(f"config role: {role!r} is neither primary nor dr")
    expected = plan.regions.primary if role == "primary" else plan.regions.dr
    if region != expected:
        raise ConfigError(
            f"config aws:region: {region} but the plan ({plan.source}) puts the {role} region in {expected}"
        )
    primary_stack = values.get("primaryStack") or None
    if role == "dr" and primary_stack is None:
        raise ConfigError(
            "config primaryStack: required for the dr stack (the primary stack it replicates, "
            "e.g. organization/continuity/primary)"
        )
    promoted = _bool(values, "promoted")
    if promoted and role != "dr":
        raise ConfigError("config promoted: only the dr stack can be promoted")
    hosted_zone = _text(values, "hostedZone").rstrip(".").lower()
    if not _DOMAIN.match(hosted_zone):
        raise ConfigError(f"config hostedZone: {hosted_zone!r} is not a domain name")
    record_name = _text(values, "recordName", f"{plan.service}.{hosted_zone}").rstrip(".").lower()
    if not (record_name == hosted_zone or record_name.endswith("." + hosted_zone)):
        raise ConfigError(f"config recordName: {record_name!r} is not inside hostedZone {hosted_zone!r}")
    cidr = _text(values, "vpcCidr", "10.10.0.0/16" if role == "primary" else "10.20.0.0/16")
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        raise ConfigError(f"config vpcCidr: {cidr!r} is not a CIDR block") from None
    if not network.is_private or network.version != 4 or not 16 <= network.prefixlen <= 20:
        raise ConfigError(
            f"config vpcCidr: {cidr} must be a private IPv4 block from /16 to /20 (room for six subnets)"
        )
    emails = _json(
        values,
        "alarmEmails",
        [],
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    )
    assert isinstance(emails, list)
    for email in emails:
        if not _EMAIL.match(email):
            raise ConfigError(f"config alarmEmails: {email!r} is not an email address")
    certificate = values.get("certificateArn") or None
    if certificate is not None and not certificate.startswith(f"arn:aws:acm:{region}:"):
        raise ConfigError(f"config certificateArn: {certificate!r} is not an ACM certificate in {region}")
    principals = _json(
        values,
        "operatorPrincipals",
        [],
        lambda v: (
            isinstance(v, list) and all(isinstance(x, str) and x.startswith("arn:aws:iam::") for x in v)
        ),
    )
    assert isinstance(principals, list)
    kubeconfig_set = bool(values.get("kubeconfig"))
    kube_context = _current_context(values["kubeconfig"]) if kubeconfig_set else None
    eks_cluster = values.get("eksClusterName") or None
    in_cluster = [name for name, s in plan.services.items() if s.compute == "kubernetes"]
    in_cluster_data = [name for name, d in plan.data.items() if d.store == "kubernetes"]
    if kubeconfig_set and eks_cluster:
        raise ConfigError("config kubeconfig and eksClusterName: set one, not both")
    if (in_cluster or in_cluster_data) and not (kubeconfig_set or eks_cluster):
        raise ConfigError(
            f"config eksClusterName (or kubeconfig): required, the plan runs "
            f"{', '.join(in_cluster + in_cluster_data)} in Kubernetes"
        )
    if in_cluster_data and not eks_cluster:
        raise ConfigError(
            f"config eksClusterName: required for {', '.join(in_cluster_data)}: backup jobs upload "
            "through an IAM role for their service account (IRSA), which needs the EKS cluster's "
            "OIDC provider"
        )
    engine = _text(values, "dbEngine")
    if engine not in ENGINE_MAJOR:
        raise ConfigError(f"config dbEngine: {engine!r} is not one of {', '.join(ENGINE_MAJOR)}")
    return StackConfig(
        role="primary" if role == "primary" else "dr",
        region=region,
        plan_path=_text(values, "plan"),
        primary_stack=primary_stack,
        promoted=promoted,
        hosted_zone=hosted_zone,
        record_name=record_name,
        vpc_cidr=str(network),
        alarm_emails=[str(e) for e in emails],
        db_engine=engine,
        db_engine_version=_engine_version(values, engine),
        db_instance_class=_text(values, "dbInstanceClass"),
        db_allocated_storage=_int(values, "dbAllocatedStorage"),
        services=_service_runtime(plan, values),
        certificate_arn=certificate,
        operator_principals=[str(p) for p in principals],
        kubeconfig_set=kubeconfig_set,
        kube_context=kube_context,
        eks_cluster_name=eks_cluster,
        backup_upload_image=_text(values, "backupUploadImage"),
        drill_history=_text(values, "drillHistory"),
    )


def _engine_version(values: Mapping[str, str | None], engine: str) -> str:
    version = _text(values, "dbEngineVersion")
    if not ENGINE_MAJOR[engine].match(version):
        major = ".".join(version.split(".")[: 1 if engine == "postgres" else 2])
        raise ConfigError(
            f"config dbEngineVersion: {version} is not a major version of {engine}; RDS upgrades minor "
            f"versions itself (auto minor version upgrade), after which a pinned minor makes `pulumi up` "
            f"plan a downgrade: give the major version ({major})"
        )
    return version


def _current_context(text: str | None) -> str:
    try:
        document = yaml.safe_load(text or "")
    except yaml.YAMLError:
        document = None
    context = document.get("current-context") if isinstance(document, dict) else None
    if not isinstance(context, str) or not context:
        raise ConfigError("config kubeconfig: not a kubeconfig with a current-context (YAML or JSON)")
    return context
