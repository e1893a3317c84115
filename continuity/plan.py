"""The continuity plan: a team's business-continuity plan as a typed, validated, immutable object.

``load_plan(path)`` reads ``continuity-plan.yaml`` (the format is documented in docs/plan.md) and
either returns a ``Plan`` or raises ``PlanError`` carrying every problem at once, each naming the
file and the field path. Structure and types are pydantic's job; the rules that relate fields to
each other (a backup less frequent than its tier's RPO, say) are checked here, on every part that
parsed, so one bad field does not hide another. Once every field is sound, the plan is derived and
each data item's worst-case loss judged against its RPO (continuity/feasibility.py): what no
protection AWS allows can keep is an error too. Warnings (promises the architecture cannot keep)
are not errors: ``continuity.feasibility.plan_warnings(plan)`` returns them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    StrictBool,
    StrictInt,
    ValidationError,
)

from continuity import documents
from continuity.documents import DocumentError, check_yaml
from continuity.durations import Duration, DurationError, parse_duration, parse_frequency
from continuity.exposure import RDS_LOG_UPLOAD
from continuity.exposure import S3_REPLICATION_TIME as S3_RTC
from continuity.outputs import ECS_TASKS_MAX, KUBERNETES_PODS_MAX
from continuity.schedule import AWS_BACKUP_MIN_INTERVAL, ScheduleError, StartTime

SUPPORTED_VERSION = 1

# AWS Backup keeps continuous backups (point-in-time recovery) for 1 to 35 days, and RDS keeps
# automated backups for at most 35 days: longer retention has to come from scheduled snapshots.
CONTINUOUS_RETENTION_MAX_DAYS = 35
# Point-in-time recovery promises no better RPO than RDS's 5-minute log uploads, and S3 replication
# no better than Replication Time Control's 15 minutes (sources in continuity/exposure.py).
RDS_PITR_RPO = RDS_LOG_UPLOAD
S3_REPLICATION_TIME = S3_RTC
# S3 Object Lock default retention and AWS Backup vault locks count in whole days, at least one.
LOCK_MIN_DAYS = 1
# S3 Object Lock default retention: at most 100 years (36,500 days).
OBJECT_LOCK_MAX_DAYS = 36_500
# Objects moved to S3 Glacier Flexible Retrieval are billed for 90 days at least.
COLD_STORAGE_MIN_DAYS = 90

STRATEGIES = ("backup-restore", "pilot-light", "warm-standby")
# Names end up in AWS names with a service prefix and a region or role suffix: an ALB or target
# group name is at most 32 characters, so the parts are kept short.
_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_REGION = re.compile(
    r"^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9]$"
)
_TIME = re.compile(r"^(?:(sun|mon|tue|wed|thu|fri|sat)\s+)?([01]?[0-9]|2[0-3]):([0-5][0-9])$")


# What an in-cluster dump may be allowed to read, and the API group each kind lives in: the
# backup job's Role grants get/list on exactly these, in its namespace.
KUBERNETES_READABLE = {
    "configmaps": "",
    "secrets": "",
    "services": "",
    "persistentvolumeclaims": "",
    "deployments": "apps",
    "statefulsets": "apps",
    "daemonsets": "apps",
    "cronjobs": "batch",
    "ingresses": "networking.k8s.io",
}
# What the restore identity may do with those kinds in the namespace it restores into: what
# `kubectl apply` reads, creates or patches (docs/recovery.md).
KUBERNETES_RESTORE_VERBS = ["get", "list", "create", "update", "patch"]


@dataclass(frozen=True)
class StoreTraits:
    """What a store can do, and by which AWS mechanism."""

    worm: str | None  # how its data can be made write-once (None: it cannot)
    continuous: bool  # whether a continuous (point-in-time) backup exists for it
    cold_storage: bool  # whether its backups can move to cold storage


STORES: dict[str, StoreTraits] = {
    # A live database is not write-once; its AWS Backup recovery points are locked by the
    # vault lock whatever the plan says, so "immutable" would promise nothing more.
    "rds": StoreTraits(worm=None, continuous=True, cold_storage=False),
    # S3 Object Lock (COMPLIANCE) on the item's bucket; AWS Backup for S3 has no cold tier.
    "s3": StoreTraits(worm="S3 Object Lock", continuous=True, cold_storage=False),
    # In-cluster data is dumped by a CronJob into an S3 bucket: Object Lock and lifecycle
    # transitions apply to the dumps; a CronJob cannot back up continuously.
    "kubernetes": StoreTraits(worm="S3 Object Lock", continuous=False, cold_storage=True),
}


def _q(value: object) -> str:
    """A value as messages show it: text in double quotes, anything else as Python writes it."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


class PlanError(Exception):
    """A plan that cannot be used; ``messages`` lists every problem, one line each."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("\n".join(messages))


# ---------------------------------------------------------------------------------------------
# Field types


def _duration(value: object) -> Duration:
    try:
        return parse_duration(value)
    except DurationError as err:
        raise ValueError(str(err)) from None


def _frequency(value: object) -> Duration:
    try:
        return parse_frequency(value)
    except DurationError as err:
        raise ValueError(str(err)) from None


def _start_time(value: object) -> StartTime:
    if isinstance(value, StartTime):
        return value
    match = _TIME.match(value.strip().lower()) if isinstance(value, str) else None
    if not match:
        raise ValueError(
            f"{_q(value)} is not a start time; write HH:MM (UTC), or sun 02:00 for weekly backups"
        )
    weekday = match.group(1).upper() if match.group(1) else None
    return StartTime(int(match.group(2)), int(match.group(3)), weekday)


def _name(kind: str) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str) or not _NAME.match(value) or len(value) > 24:
            raise ValueError(
                f"{_q(value)} is not a valid {kind} name; use 2-24 lowercase letters, digits and "
                "hyphens, starting with a letter (it becomes part of AWS resource names)"
            )
        return value

    return check


DurationField = Annotated[Duration, BeforeValidator(_duration), PlainSerializer(str)]
FrequencyField = Annotated[Duration, BeforeValidator(_frequency), PlainSerializer(str)]
StartField = Annotated[StartTime, BeforeValidator(_start_time), PlainSerializer(str)]


def _region(value: object) -> str:
    if not isinstance(value, str) or not _REGION.match(value):
        raise ValueError(f"{_q(value)} is not an AWS region name (like us-east-1)")
    return value


RegionField = Annotated[str, BeforeValidator(_region)]


def _health_path(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/") or " " in value:
        raise ValueError(f"{_q(value)} is not an HTTP path; it must start with /")
    return value


# ---------------------------------------------------------------------------------------------
# The model


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Regions(_Strict):
    primary: RegionField
    dr: RegionField


class Tier(_Strict):
    """Recovery objectives of a tier. A tier without an RPO holds no data (a seed's "N/A")."""

    rto: DurationField
    rpo: DurationField | None = None


class Archive(_Strict):
    """Long-term copies beside the item's own schedule (a weekly full backup kept a year)."""

    frequency: DurationField
    retention: DurationField
    at: StartField | None = None


class DataItem(_Strict):
    """One row of the backup schedule table."""

    tier: str
    store: Literal["rds", "s3", "kubernetes"]
    frequency: FrequencyField
    retention: DurationField
    immutable: StrictBool = False
    copy_to_dr: StrictBool = False
    at: StartField | None = None
    cold_after: DurationField | None = None
    archive: Archive | None = None
    namespace: Annotated[str, BeforeValidator(_name("namespace"))] | None = None
    image: str | None = None
    command: str | None = None
    reads: list[str] = Field(default_factory=list)
    # What brings a dump back (store kubernetes): a shell command run in ``image`` with the dump at
    # $DUMP_FILE and on stdin (docs/recovery.md). Optional, so plans written before it still load;
    # without it the item is backed up but neither recovered nor restore-tested by the scripts.
    restore_command: str | None = None

    @property
    def continuous(self) -> bool:
        """Backed up continuously: AWS Backup schedules jobs at most hourly, so more often than that
        means point-in-time recovery (a CronJob, which runs every minute if asked, never is)."""
        if self.store == "kubernetes":
            return self.frequency.continuous
        return self.frequency.continuous or self.frequency.timedelta < AWS_BACKUP_MIN_INTERVAL


class Capacity(_Strict):
    primary: StrictInt
    dr: StrictInt


class ServiceSpec(_Strict):
    tier: str
    port: Annotated[StrictInt, Field(ge=1, le=65535)]
    health_check: Annotated[str, BeforeValidator(_health_path)]
    capacity: Capacity
    compute: Literal["ecs", "kubernetes"] = "ecs"
    namespace: Annotated[str, BeforeValidator(_name("namespace"))] | None = None


class Testing(_Strict):
    restore_test: DurationField
    failover_drill: DurationField


# ---------------------------------------------------------------------------------------------
# notify: who hears that the plan is no longer met (SNS subscriptions on the alarm topics);
# failover: whether AWS (the ARC Region switch plan) fails over without waiting for a person

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: object) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise ValueError(f"{_q(value)} is not an email address")
    return value


def _webhook(value: object) -> str:
    url = urlsplit(value) if isinstance(value, str) and not any(c.isspace() for c in value) else None
    # SNS also delivers to http://, but an alert names the failing resources: only TLS endpoints.
    if url is None or url.scheme != "https" or not url.hostname:
        raise ValueError(f"{_q(value)} is not an https:// URL")
    return str(value)


def _listed(kind: str) -> Any:
    def check(value: object) -> object:
        if not isinstance(value, list):
            raise ValueError(f"{_q(value)} is not a list of {kind}")
        return value

    return check


class Notify(_Strict):
    """Endpoints subscribed to the alarm topics: email addresses, and HTTPS endpoints (chat or
    paging) that confirm SNS subscriptions."""

    email: Annotated[
        list[Annotated[str, BeforeValidator(_email)]], BeforeValidator(_listed("email addresses"))
    ] = Field(default_factory=list)
    webhooks: Annotated[
        list[Annotated[str, BeforeValidator(_webhook)]], BeforeValidator(_listed("https:// URLs"))
    ] = Field(default_factory=list)


class Plan(_Strict):
    version: Literal[1]
    service: Annotated[str, BeforeValidator(_name("service"))]
    regions: Regions
    strategy: Literal["backup-restore", "pilot-light", "warm-standby"]
    tiers: dict[Annotated[str, BeforeValidator(_name("tier"))], Tier]
    data: dict[Annotated[str, BeforeValidator(_name("data item"))], DataItem] = Field(default_factory=dict)
    services: dict[Annotated[str, BeforeValidator(_name("service"))], ServiceSpec] = Field(
        default_factory=dict
    )
    testing: Testing
    notify: Notify = Field(default_factory=Notify)
    failover: Literal["manual", "automatic"] = "manual"
    _source: str = PrivateAttr(default="")

    @property
    def source(self) -> str:
        """Where the plan was read from, as the user named it."""
        return self._source

    def tier_of(self, item: DataItem | ServiceSpec) -> Tier:
        return self.tiers[item.tier]

    def rpo_of(self, item: DataItem) -> Duration:
        rpo = self.tiers[item.tier].rpo
        assert rpo is not None, "validated: data items name tiers with an RPO"
        return rpo

    @property
    def automatic_failover(self) -> bool:
        """Whether the primary's failing health check starts the Region switch plan by itself."""
        return self.failover == "automatic"

    @property
    def replicated_database(self) -> bool:
        """Whether the DR region keeps a live replica (pilot light and warm standby do)."""
        return self.strategy != "backup-restore"

    def digest(self) -> dict[str, Any]:
        """The plan as plain data (durations as written), for reports and --json."""
        return self.model_dump(mode="json")


# ---------------------------------------------------------------------------------------------
# Loading


class _PlanLoader(yaml.SafeLoader):
    """YAML 1.1 without its traps: no duplicate keys, and 12:30 stays a string (not 750)."""


def _construct_mapping(loader: _PlanLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {_q(key)} (first at line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_PlanLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# PyYAML's own patterns minus the base-60 forms (1:30 as 90) that YAML 1.2 dropped.
_PlanLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_PlanLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _read_yaml(text: str, where: str) -> object:
    """The plan's YAML, bounded first (continuity.documents: size, depth, alias expansion, numbers),
    then loaded with the plan's own rules (no duplicate keys, 12:30 stays text)."""
    try:
        check_yaml(text, where, _PlanLoader, documents.PLAN)
    except DocumentError as err:
        raise PlanError([str(err)]) from None
    try:
        return yaml.load(text, Loader=_PlanLoader)  # noqa: S506 - _PlanLoader is a SafeLoader
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        position = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = err.problem or err.context or "invalid YAML"
        raise PlanError([f"{where}: {position}{problem}"]) from None
    except yaml.YAMLError as err:
        raise PlanError([f"{where}: {err}"]) from None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan; raise PlanError with every problem found."""
    where = str(path)
    try:
        text = documents.read_text(path, documents.PLAN, where)
    except DocumentError as err:
        raise PlanError([str(err)]) from None
    return parse_plan(_read_yaml(text, where), where)


def parse_plan(document: object, where: str = "<plan>") -> Plan:
    """Validate an already-parsed document (a mapping) as a plan."""
    if not isinstance(document, Mapping):
        raise PlanError([f"{where}: the plan must be a mapping of keys (version, service, ...)"])
    messages = [f"{where}: {m}" for m in _structural_errors(document)]
    plan: Plan | None = None
    if not messages:
        plan = Plan.model_validate(document)
        plan._source = where
    messages += [f"{where}: {m}" for m in _rule_errors(document)]
    if not messages:
        assert plan is not None
        messages += [f"{where}: {m}" for m in _exposure_errors(plan)]
    if messages:
        raise PlanError(_unique(messages))
    assert plan is not None
    return plan


def _exposure_errors(plan: Plan) -> list[str]:
    """What the plan's protection would lose beyond its RPOs, once every field is sound: the
    judgement needs the whole plan derived (continuity/feasibility.py)."""
    # Imported here, not at the top: both read this module's Plan, so importing them first would
    # be a cycle.
    from continuity.derive import derive  # noqa: PLC0415
    from continuity.feasibility import exposure_errors  # noqa: PLC0415

    try:
        return exposure_errors(derive(plan))
    except ScheduleError as err:
        return [str(err)]


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


# ---------------------------------------------------------------------------------------------
# Structural errors, in the plan's own words


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-")) or "(top)"


def _describe(error: Mapping[str, Any], model: type[BaseModel] | None) -> str:
    kind = error["type"]
    message = str(error["msg"])
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields) if model else ""
        return f"unknown key (allowed: {allowed})" if allowed else "unknown key"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{_q(error['input'])} is not one of {expected}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{_q(error['input'])} is not a whole number"
    if kind == "bool_type":
        return f"{_q(error['input'])} is not true or false"
    if kind in ("dict_type", "model_type"):
        return f"{_q(error['input'])} is not a mapping"
    if kind in ("string_type",):
        return f"{_q(error['input'])} is not text"
    if kind.startswith("greater_than") or kind.startswith("less_than"):
        return f"{_q(error['input'])} is out of range ({message.lower()})"
    return message.removeprefix("Value error, ")


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose keys an error location refers to (to list the allowed keys)."""
    model: type[BaseModel] | None = Plan
    i = 0
    while model is not None and i < len(loc) - 1:
        field = model.model_fields.get(str(loc[i]))
        if field is None:
            return None
        annotation = field.annotation
        if str(loc[i]) in ("tiers", "data", "services"):
            i += 1  # skip the item's name
            collections: dict[str, type[BaseModel]] = {
                "tiers": Tier,
                "data": DataItem,
                "services": ServiceSpec,
            }
            model = collections[str(loc[i - 1])]
        else:
            model = next((t for t in _model_types(annotation)), None)
        i += 1
    return model


def _model_types(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _model_types(arg)


def _structural_errors(document: Mapping[str, Any]) -> list[str]:
    messages: list[str] = []
    version = document.get("version")
    if "version" in document and version != SUPPORTED_VERSION:
        messages.append(f"version: unsupported version {_q(version)} (this release reads version 1)")
    try:
        Plan.model_validate({**document, "version": SUPPORTED_VERSION} if messages else document)
    except ValidationError as err:
        for error in err.errors():
            loc = tuple(error["loc"])
            if loc and loc[-1] == "[key]":
                messages.append(f"{_path(loc[:-1])}: {_describe(error, None)}")
                continue
            messages.append(f"{_path(loc)}: {_describe(error, _model_at(loc))}")
    return messages


# ---------------------------------------------------------------------------------------------
# Rules across fields, run on every part that parses on its own


def _parsed(model: type[BaseModel], value: object) -> Any:
    """The part as a model if it can be one once unknown keys and broken optional fields are
    set aside (they are reported as structural errors already); None otherwise."""
    if not isinstance(value, Mapping):
        return None
    fields = {k: v for k, v in value.items() if k in model.model_fields}
    for _ in range(len(fields) + 1):
        try:
            return model.model_validate(fields)
        except ValidationError as err:
            broken = {str(e["loc"][0]) for e in err.errors() if e["loc"]}
            optional = {k for k in broken if k in fields and not model.model_fields[k].is_required()}
            if not optional:
                return None
            fields = {k: v for k, v in fields.items() if k not in optional}
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _rule_errors(document: Mapping[str, Any]) -> list[str]:
    messages: list[str] = []
    regions = _parsed(Regions, document.get("regions"))
    if regions is not None and regions.primary == regions.dr:
        messages.append(
            f"regions: primary and dr are both {regions.primary}; a regional outage would take both"
        )
    raw_tiers = _mapping(document.get("tiers"))
    tiers: dict[str, Tier | None] = {str(n): _parsed(Tier, t) for n, t in raw_tiers.items()}
    strategy = document.get("strategy")

    for name, raw in _mapping(document.get("data")).items():
        messages += _data_item_rules(f"data.{name}", raw, tiers, strategy)
    messages += _notify_rules(document.get("notify"))
    if document.get("failover") == "automatic" and not _mapping(document.get("services")):
        messages.append("failover: automatic needs a service: the primary's health check is what triggers it")
    for name, raw in _mapping(document.get("services")).items():
        where = f"services.{name}"
        tier = _mapping(raw).get("tier")
        if tier is not None and str(tier) not in tiers:
            messages.append(f"{where}.tier: unknown tier {_q(tier)} (tiers: {', '.join(tiers)})")
        capacity = _parsed(Capacity, _mapping(raw).get("capacity"))
        if capacity is None:
            continue
        if capacity.primary < 1:
            messages.append(f"{where}.capacity.primary: {capacity.primary} is not a positive number")
        if capacity.dr < 0:
            messages.append(f"{where}.capacity.dr: {capacity.dr} is not zero or a positive number")
        elif capacity.dr == 0 and strategy == "warm-standby":
            messages.append(
                f"{where}.capacity.dr: 0 under warm-standby; a warm standby runs at least one "
                "task (0 is what pilot-light means)"
            )
        elif capacity.dr > 0 and strategy in ("pilot-light", "backup-restore"):
            messages.append(
                f"{where}.capacity.dr: {capacity.dr} under {strategy}; {strategy} keeps no "
                "service running in the DR region (use warm-standby)"
            )
        compute = str(_mapping(raw).get("compute", "ecs"))
        most, why = (
            (KUBERNETES_PODS_MAX, "Kubernetes supports at most 150,000 pods in a cluster")
            if compute == "kubernetes"
            else (ECS_TASKS_MAX, "Amazon ECS runs at most 5,000 tasks per service")
        )
        if capacity.primary > most:
            messages.append(f"{where}.capacity.primary: {capacity.primary} is more than {most:,} ({why})")
        if capacity.dr > capacity.primary >= 1:
            messages.append(
                f"{where}.capacity.dr: {capacity.dr} is more than capacity.primary {capacity.primary}"
            )
    return messages


def _notify_rules(raw: object) -> list[str]:
    """Each endpoint once: SNS keeps one subscription per endpoint and protocol, so a repeat
    is a typo for another address."""
    messages: list[str] = []
    for key in ("email", "webhooks"):
        values = _mapping(raw).get(key)
        if not isinstance(values, list):
            continue
        seen: set[str] = set()
        for value in values:
            if isinstance(value, str) and value in seen:
                messages.append(f"notify.{key}: {_q(value)} is listed twice")
            seen.add(str(value))
    return messages


def _data_item_rules(
    where: str, raw: object, tiers: Mapping[str, Tier | None], strategy: object
) -> list[str]:
    messages: list[str] = []
    fields = _mapping(raw)
    tier_name = fields.get("tier")
    tier = None
    if tier_name is not None:
        if str(tier_name) not in tiers:
            messages.append(f"{where}.tier: unknown tier {_q(tier_name)} (tiers: {', '.join(tiers)})")
        else:
            tier = tiers[str(tier_name)]
            if tier is not None and tier.rpo is None:
                messages.append(f"{where}.tier: tier {_q(tier_name)} has no RPO, so it cannot hold data")
    item = _parsed(DataItem, raw)
    if item is None:
        return messages
    traits = STORES[item.store]
    frequency, retention = item.frequency, item.retention
    if tier is not None and tier.rpo is not None and frequency > tier.rpo:
        messages.append(f"{where}.frequency: {frequency} is longer than tier {_q(item.tier)} RPO {tier.rpo}")
    if retention < frequency:
        messages.append(f"{where}.retention: {retention} is shorter than frequency {frequency}")
    if (
        item.store == "rds"
        and strategy == "backup-restore"
        and tier is not None
        and tier.rpo is not None
        and tier.rpo.timedelta < RDS_PITR_RPO
    ):
        messages.append(
            f"{where}.tier: tier {_q(item.tier)} RPO {tier.rpo} is under the 5 minutes "
            "point-in-time recovery can promise, and backup-restore keeps no replica "
            "(use pilot-light or warm-standby)"
        )
    if (
        item.copy_to_dr
        and item.store != "rds"
        and tier is not None
        and tier.rpo is not None
        and tier.rpo.timedelta < S3_REPLICATION_TIME
    ):
        messages.append(
            f"{where}.copy_to_dr: tier {_q(item.tier)} RPO {tier.rpo} is under the 15 minutes S3 "
            "replication commits to (Replication Time Control)"
        )
    if item.continuous and not traits.continuous:
        messages.append(
            f"{where}.frequency: {frequency} needs continuous backup, which store "
            f"{_q(item.store)} cannot do (its backups are CronJob dumps, once a minute at most often)"
        )
    if item.store == "rds" and item.continuous and retention.days_ceil() > CONTINUOUS_RETENTION_MAX_DAYS:
        messages.append(
            f"{where}.retention: {retention} is longer than the {CONTINUOUS_RETENTION_MAX_DAYS} "
            f"days AWS keeps continuous backups (frequency {frequency}); keep "
            f"{CONTINUOUS_RETENTION_MAX_DAYS}d or less here and add archive: {{frequency, retention}} "
            "for longer copies"
        )
    if item.immutable:
        if traits.worm is None:
            messages.append(
                f"{where}.immutable: store {_q(item.store)} cannot be immutable (a live database "
                "is not write-once; its AWS Backup recovery points are locked by the vault lock)"
            )
        elif retention.days_ceil() > OBJECT_LOCK_MAX_DAYS:
            messages.append(
                f"{where}.retention: {retention} is longer than the 100 years S3 Object Lock can hold"
            )
    if item.at is not None:
        if item.continuous or frequency.timedelta < AWS_BACKUP_MIN_INTERVAL:
            messages.append(f"{where}.at: a start time needs an hourly or longer frequency, not {frequency}")
        elif item.at.weekday and frequency.timedelta.days < 7:
            messages.append(
                f"{where}.at: a weekday only applies to weekly or longer frequencies, not {frequency}"
            )
    if item.cold_after is not None:
        if not traits.cold_storage:
            messages.append(
                f"{where}.cold_after: backups of store {_q(item.store)} cannot move to cold storage "
                "(AWS Backup has no cold tier for RDS or S3)"
            )
        elif retention.days_ceil() < item.cold_after.days_ceil() + COLD_STORAGE_MIN_DAYS:
            messages.append(
                f"{where}.retention: {retention} ends less than {COLD_STORAGE_MIN_DAYS} days after "
                f"cold_after {item.cold_after} (cold storage keeps objects {COLD_STORAGE_MIN_DAYS} days "
                "at least)"
            )
    if item.archive is not None:
        archive = item.archive
        if archive.frequency.timedelta < AWS_BACKUP_MIN_INTERVAL:
            messages.append(
                f"{where}.archive.frequency: {archive.frequency} is more often than AWS Backup "
                "schedules (hourly at most)"
            )
        if archive.retention < archive.frequency:
            messages.append(
                f"{where}.archive.retention: {archive.retention} is shorter than archive.frequency "
                f"{archive.frequency}"
            )
        if archive.retention <= retention:
            messages.append(
                f"{where}.archive.retention: {archive.retention} is not longer than retention "
                f"{retention}; an archive exists to keep copies longer"
            )
        if archive.at is not None and archive.at.weekday and archive.frequency.timedelta.days < 7:
            messages.append(
                f"{where}.archive.at: a weekday only applies to weekly or longer frequencies, "
                f"not {archive.frequency}"
            )
    unknown_kinds = [kind for kind in item.reads if kind not in KUBERNETES_READABLE]
    if unknown_kinds:
        messages.append(
            f"{where}.reads: {', '.join(map(_q, unknown_kinds))} not among the kinds a backup job may read "
            f"({', '.join(KUBERNETES_READABLE)})"
        )
    if item.reads and item.store != "kubernetes":
        messages.append(f'{where}.reads: only store "kubernetes" takes reads')
    in_cluster = ("namespace", "image", "command")
    if item.store != "kubernetes":
        messages += [
            f'{where}.{key}: only store "kubernetes" takes {key}'
            for key in in_cluster
            if getattr(item, key) is not None
        ]
    else:
        messages += [
            f'{where}.{key}: is required for store "kubernetes" (what the backup job runs)'
            for key in in_cluster
            if getattr(item, key) is None
        ]
    messages += _restore_command_rules(where, item)
    return messages


def _restore_command_rules(where: str, item: DataItem) -> list[str]:
    """``restore_command``: only for in-cluster data, and a command a shell can run."""
    command = item.restore_command
    if command is None:
        return []
    if item.store != "kubernetes":
        return [
            f'{where}.restore_command: only store "kubernetes" takes restore_command '
            f"({item.store} data is restored by AWS: scripts/recover.py)"
        ]
    if not command.strip():
        return [f"{where}.restore_command: is empty; write the command that loads the dump at $DUMP_FILE"]
    if "\x00" in command:
        # A container's command is passed to exec(2) as C strings, which end at the first NUL.
        return [f"{where}.restore_command: contains a NUL character, which no container command can hold"]
    return []
