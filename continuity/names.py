"""AWS names derived from the plan, always within AWS's limits.

Plan names (service, data items, services) are up to 24 characters each, so a name built from two
of them can outgrow what AWS accepts. A name that fits is used as it is (so no deployed resource
is ever renamed); one that does not keeps as much of its beginning as fits and ends with a short
hash of the whole, so it stays stable and distinct from its siblings.
"""

from __future__ import annotations

import hashlib

# S3 bucket names are at most 63 characters and the provider appends a 26-character unique
# suffix to a bucket_prefix, so a prefix is at most 37 (pulumi-aws s3.Bucket, bucket_prefix).
BUCKET_PREFIX_MAX = 37
# AWS Backup: BackupPlanName and SelectionName are 1-50 characters ([a-zA-Z0-9-_.]).
BACKUP_NAME_MAX = 50
# Elastic Load Balancing: load balancer and target group names are at most 32 characters.
ELB_NAME_MAX = 32
# IAM role names are at most 64 characters.
IAM_ROLE_NAME_MAX = 64
# RDS DB instance identifiers are 1-63 characters.
RDS_IDENTIFIER_MAX = 63
# Pulumi's auto-naming appends "-" and 7 random characters to a resource's logical name.
AUTONAME_SUFFIX = 8

_HASH = 6  # characters of the digest: 16.7 million values among a handful of siblings


def fit(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters; otherwise its beginning and a hash of it."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH]
    head = name[: limit - _HASH - 1].rstrip("-")
    return f"{head}-{digest}"


def fit_prefix(prefix: str, limit: int) -> str:
    """A prefix (ending in "-", as AWS appends to it) that fits in ``limit`` characters."""
    return fit(prefix.rstrip("-"), limit - 1) + "-"


def autonamed(logical_name: str, limit: int) -> str:
    """A logical name whose Pulumi auto-name (name plus suffix) fits in ``limit`` characters."""
    return fit(logical_name, limit - AUTONAME_SUFFIX)


def bucket_prefix(service: str, item: str, role: str) -> str:
    return fit_prefix(f"{service}-{item}-{role}-", BUCKET_PREFIX_MAX)


def backup_plan_name(vault_name: str, item: str) -> str:
    return fit(f"{vault_name}-{item}", BACKUP_NAME_MAX)
