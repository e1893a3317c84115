"""The database's stable name: the CNAME in the region's private zone the services read each
database by (components/database_endpoints.py), and how a recovery repoints it.

The stacks create the record and then leave it alone (``ignore_changes``), so operations own where
it points. Repointing is one UPSERT of the same name, type and TTL with the restored instance's
endpoint; Route 53 answers with a change that is PENDING until every Route 53 server has it, then
INSYNC (Route 53 API Reference, ChangeResourceRecordSets and GetChange). The services' resolvers
see the new value once the record's TTL has passed. Switching back is the same call with the old
value, which the report gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from operations.route53 import zone_id

INSYNC = "INSYNC"
# A recovery that finds no name (under backup-restore the DR stack creates none until it adopts the
# instance a failover restored) creates it with the TTL the stacks give every name they create
# (components/failover_dns.py, CNAME_TTL_SECONDS): services follow a change within a minute.
NEW_RECORD_TTL = 60


@dataclass(frozen=True)
class Cname:
    name: str
    value: str
    ttl: int


def _dns(name: str) -> str:
    return name.rstrip(".").lower()


def read_cname(route53: Any, hosted_zone_id: str, name: str) -> Cname | None:
    page = route53.list_resource_record_sets(
        HostedZoneId=zone_id(hosted_zone_id),
        StartRecordName=_dns(name) + ".",
        StartRecordType="CNAME",
        MaxItems="1",
    )
    for record in page.get("ResourceRecordSets") or []:
        if _dns(record["Name"]) == _dns(name) and record.get("Type") == "CNAME":
            values = [r["Value"] for r in record.get("ResourceRecords") or []]
            return Cname(_dns(name), _dns(values[0]) if values else "", int(record.get("TTL") or 0))
    return None


def repoint(route53: Any, hosted_zone_id: str, record: Cname, value: str, comment: str) -> str:
    """Point ``record`` at ``value`` (same name, type and TTL); the change's id."""
    answer = route53.change_resource_record_sets(
        HostedZoneId=zone_id(hosted_zone_id),
        ChangeBatch={
            "Comment": comment[:256],  # Route 53 takes comments of at most 256 characters
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": record.name,
                        "Type": "CNAME",
                        "TTL": record.ttl,
                        "ResourceRecords": [{"Value": value}],
                    },
                }
            ],
        },
    )
    return str(answer["ChangeInfo"]["Id"])


def change_status(route53: Any, change_id: str) -> str:
    return str(route53.get_change(Id=change_id)["ChangeInfo"]["Status"])


def switch_back_command(hosted_zone_id: str, record: Cname, value: str) -> str:
    change = {
        "Action": "UPSERT",
        "ResourceRecordSet": {
            "Name": record.name,
            "Type": "CNAME",
            "TTL": record.ttl,
            "ResourceRecords": [{"Value": value}],
        },
    }
    batch = json.dumps({"Changes": [change]}, separators=(",", ":"))
    return (
        f"aws route53 change-resource-record-sets --hosted-zone-id {zone_id(hosted_zone_id)} "
        f"--change-batch '{batch}'"
    )
