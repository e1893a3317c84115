"""Network layout: subnet CIDRs for a VPC, decided before any resource exists."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

# Two AZs at least, so a zone outage is not a regional outage; three where the region has them
# (more adds cost, not resilience, for services of this size).
MIN_AZS = 2
MAX_AZS = 3


class NetworkError(ValueError):
    pass


@dataclass(frozen=True)
class SubnetPair:
    availability_zone: str
    public_cidr: str
    private_cidr: str


def subnet_layout(vpc_cidr: str, availability_zones: Sequence[str]) -> list[SubnetPair]:
    """One public and one private subnet per AZ: the VPC split in 16, publics first."""
    zones = sorted(availability_zones)[:MAX_AZS]
    if len(zones) < MIN_AZS:
        raise NetworkError(
            f"the region offers {len(zones)} availability zone(s); a resilient VPC needs {MIN_AZS}"
        )
    network = ipaddress.ip_network(vpc_cidr)
    blocks = list(network.subnets(new_prefix=network.prefixlen + 4))
    return [SubnetPair(zone, str(blocks[i]), str(blocks[MAX_AZS + i])) for i, zone in enumerate(zones)]


def overlaps(first: str, second: str) -> bool:
    return ipaddress.ip_network(first).overlaps(ipaddress.ip_network(second))
