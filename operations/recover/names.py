"""What a recovery creates, and how it marks what it keeps: names and tags, pure.

Names are derived from the item and the recovered point, never from the clock of the run, so the
same command run again after a crash finds what the first run created instead of making another:
the restored instance ``<instance>-r<YYYYMMDDHHMMSS>`` (RDS identifiers: 1-63 letters, digits and
hyphens, no two hyphens in a row, RDS User Guide "Naming constraints"), the restore Job
``<item>-recover-<YYYYMMDDHHMMSS>`` (a Job's name becomes a label value, at most 63 characters).

Nothing is ever deleted. The corrupted instance stays where it is, under its own name, tagged with
what replaced it and when, for forensics and as the way back (the report gives the command that
points the database's name at it again).
"""

from __future__ import annotations

import re
from datetime import datetime

from operations.rds import IDENTIFIER_MAX

# Tags on what a recovery leaves behind (continuity/tags.py's namespace).
RECOVERED_FROM = "continuity:recovered-from"  # on the restored instance: the instance it was restored from
RECOVERED_TO = "continuity:recovered-to"  # the point it holds
SUPERSEDED_BY = "continuity:superseded-by"  # on the kept, corrupted instance: what serves instead
SUPERSEDED_AT = "continuity:superseded-at"
# Labels on a restore Job (Kubernetes label keys take no colon).
JOB_LABEL = "continuity.recovery"
JOB_NAME_MAX = 63
_HYPHENS = re.compile(r"-{2,}")


def stamp(point: datetime) -> str:
    return point.strftime("%Y%m%d%H%M%S")


def restored_identifier(base: str, point: datetime) -> str:
    """The instance a recovery to ``point`` restores into, named after the stack's instance."""
    suffix = f"-r{stamp(point)}"
    head = _HYPHENS.sub("-", base)[: IDENTIFIER_MAX - len(suffix)].rstrip("-")
    return head + suffix


def stack_base(identifier: str) -> str:
    """The stack's own instance name behind a restored one (a second recovery is named after it,
    not after the first recovery's instance)."""
    found = re.match(r"^(?P<base>.+)-r[0-9]{14}$", identifier)
    return found.group("base") if found else identifier


def restored_tags(item_tags: dict[str, str], source: str, point: datetime) -> dict[str, str]:
    """The item's own tags (so AWS Backup protects the restored instance as it did the old one),
    and where and when it came from."""
    return {**item_tags, RECOVERED_FROM: source, RECOVERED_TO: point.strftime("%Y-%m-%dT%H:%M:%SZ")}


def superseded_tags(by: str, at: datetime) -> dict[str, str]:
    return {SUPERSEDED_BY: by, SUPERSEDED_AT: at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def job_name(item: str, kind: str, moment: datetime) -> str:
    """``<item>-<kind>-<YYYYMMDDHHMMSS>``, within a label value's 63 characters."""
    suffix = f"-{kind}-{stamp(moment)}"
    return item[: JOB_NAME_MAX - len(suffix)].rstrip("-") + suffix
