"""Scratch instances: how a restore test names, tags and recognises the one instance it may delete.

The test deletes only an instance that carries its own run's tag, ``continuity:scratch =
restore-test-<time>-<random>``: a value no other run, stack or person produces. The dr-operator
policy allows ``rds:DeleteDBInstance`` only on instances tagged ``continuity:scratch``
(continuity/operator_policy.py), so even a bug here could not delete a database of the stacks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import datetime

from continuity import tags
from operations.rds import IDENTIFIER_MAX, InstanceView

SCRATCH_TAG = "continuity:scratch"
SCRATCH_PREFIX = "restore-test-"
CREATED_BY = "continuity:created-by"
# RDS identifiers have no two hyphens in a row and do not end with one.
_HYPHENS = re.compile(r"-{2,}")


def run_token(started_at: datetime) -> str:
    """This run's tag value: when it started, and randomness no other run shares."""
    return f"{SCRATCH_PREFIX}{started_at.strftime('%Y%m%dT%H%M%SZ').lower()}-{secrets.token_hex(3)}"


def scratch_identifier(service: str, data_item: str, started_at: datetime) -> str:
    """``<service>-<item>-rt-<yyyymmddhhmmss>``, shortened to RDS's 63 characters."""
    suffix = f"-rt-{started_at.strftime('%Y%m%d%H%M%S')}"
    base = _HYPHENS.sub("-", f"{service}-{data_item}")[: IDENTIFIER_MAX - len(suffix)].rstrip("-")
    return base + suffix


def scratch_tags(service: str, data_item: str, token: str) -> dict[str, str]:
    return {
        SCRATCH_TAG: token,
        tags.SERVICE: service,
        tags.DATA_ITEM: data_item,
        CREATED_BY: "restore_test",
    }


def is_ours(view: InstanceView, token: str) -> bool:
    """Whether this run created the instance (and so may delete it)."""
    return view.tags.get(SCRATCH_TAG) == token


def leftovers(views: list[InstanceView], service: str, token: str) -> list[InstanceView]:
    """Scratch instances of this service that earlier restore tests did not delete (killed
    before their cleanup ran): reported, never deleted by another run."""
    return [
        v
        for v in views
        if v.tags.get(SCRATCH_TAG, "").startswith(SCRATCH_PREFIX)
        and v.tags.get(SCRATCH_TAG) != token
        and v.tags.get(tags.SERVICE) == service
    ]


def delete_command(identifier: str, region: str) -> str:
    return (
        f"aws rds delete-db-instance --region {region} --db-instance-identifier {identifier} "
        "--skip-final-snapshot --delete-automated-backups"
    )


def verification_environment(
    view: InstanceView, *, data_item: str, region: str, point: datetime | None
) -> Mapping[str, str]:
    """What the --verify command sees: where the scratch instance answers, and what it holds.
    The usual client variables are set too, so ``psql -c 'select 1'`` works as written."""
    env = {
        "RESTORE_ENDPOINT": view.endpoint_address or "",
        "RESTORE_PORT": str(view.endpoint_port or ""),
        "RESTORE_DB_INSTANCE": view.identifier,
        "RESTORE_ENGINE": view.engine or "",
        "RESTORE_REGION": region,
        "RESTORE_DATA_ITEM": data_item,
        "RESTORE_POINT": point.isoformat() if point else "",
    }
    engine = view.engine or ""
    if engine.startswith("postgres") or engine == "aurora-postgresql":
        env.update(PGHOST=env["RESTORE_ENDPOINT"], PGPORT=env["RESTORE_PORT"])
    elif engine in ("mysql", "mariadb") or engine.startswith("aurora-mysql"):
        env.update(MYSQL_HOST=env["RESTORE_ENDPOINT"], MYSQL_TCP_PORT=env["RESTORE_PORT"])
    return env


def scratch_bucket(service: str, token: str) -> str:
    """A restore test's scratch bucket: ``<service>-<token>`` (``restore-test-<time>-<random>``), lower
    case and within S3's 63 characters (24 + 1 + 36); bucket names are global, hence the random
    part, and the dr-operator role may create and delete only buckets named so."""
    return f"{service}-{token}"


def scratch_namespace(namespace: str, started_at: datetime) -> str:
    """A restore test's scratch namespace: ``<namespace>-rt-<yyyymmddhhmmss>`` (a DNS label: at most
    63 characters)."""
    return f"{namespace}-rt-{started_at.strftime('%Y%m%d%H%M%S')}"
