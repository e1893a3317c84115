"""The rehearsal's corruption scenario: what a ransomware attack or a bad migration does to the data,
done in the open to the emulated estate, and what must be true once scripts/recover.py has run.

- A database: rows of its stand-in (a SQLite file per instance, offline/rehearsal.py) overwritten and
  deleted, each change journalled with its time, as the transaction log would hold it; a restore to
  a point gives the new instance's stand-in the rows as they were then (``restore_standin``, called
  by offline/restore_hooks.py when moto serves the restore).
- A write-once bucket: objects overwritten and a ransom note added (new versions: Object Lock keeps
  every old one); the recovery must make every key read as it did before.
- In-cluster data: the backup jobs' dumps (with their checksums) written to the item's bucket, the
  newest after the corruption; the recovery must load the one taken before it, in the item's
  namespace (offline/restore_jobs.py judges the restore Job).
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

Connect = Callable[[str], sqlite3.Connection]  # a stand-in by instance identifier
CORRUPTED = "CORRUPTED"
RANSOM_NOTE = "README-RANSOM.txt"
CORRUPTED_ROWS = 10
DELETED_ROWS = 5
OBJECTS_OVERWRITTEN = 2


def rows(connect: Connect, identifier: str) -> set[tuple[int, str]]:
    with connect(identifier) as db:
        return {(int(i), str(w)) for i, w in db.execute("SELECT id, written_at FROM orders")}


def _journal(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS journal (at TEXT NOT NULL, id INTEGER NOT NULL, before TEXT)")


def corrupt_rows(connect: Connect, identifier: str, at: datetime) -> dict[str, int]:
    """Overwrite some rows and delete others, journalling what each held before."""
    with connect(identifier) as db:
        _journal(db)
        found = [
            (int(i), str(w)) for i, w in db.execute("SELECT id, written_at FROM orders ORDER BY id DESC")
        ]
        overwritten = found[:CORRUPTED_ROWS]
        deleted = found[CORRUPTED_ROWS : CORRUPTED_ROWS + DELETED_ROWS]
        stamp = at.isoformat()
        for row_id, before in overwritten:
            db.execute("INSERT INTO journal VALUES (?, ?, ?)", (stamp, row_id, before))
            db.execute("UPDATE orders SET written_at = ? WHERE id = ?", (CORRUPTED, row_id))
        for row_id, before in deleted:
            db.execute("INSERT INTO journal VALUES (?, ?, ?)", (stamp, row_id, before))
            db.execute("DELETE FROM orders WHERE id = ?", (row_id,))
    return {"overwritten": len(overwritten), "deleted": len(deleted)}


def restore_standin(work: Path, connect: Connect, source: str, target: str, point: datetime | None) -> None:
    """The target's stand-in: the source's, with every journalled change after ``point`` undone
    (the newest first), as a restore from backups and logs to that point would hold it."""
    data = work / "data"
    shutil.copyfile(data / f"{source}.sqlite", data / f"{target}.sqlite")
    with connect(target) as db:
        _journal(db)
        later = (
            list(
                db.execute(
                    "SELECT rowid, id, before FROM journal WHERE at > ? ORDER BY rowid DESC",
                    (point.isoformat(),),
                )
            )
            if point is not None
            else []
        )
        for _, row_id, before in later:
            if before is None:
                db.execute("DELETE FROM orders WHERE id = ?", (row_id,))
            else:
                db.execute("INSERT OR REPLACE INTO orders VALUES (?, ?)", (row_id, before))
        db.execute("DELETE FROM journal WHERE at > ?", (point.isoformat() if point else "",))


def bucket_contents(s3: Any, bucket: str) -> dict[str, bytes]:
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents") or []]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def version_count(s3: Any, bucket: str) -> int:
    page = s3.list_object_versions(Bucket=bucket)
    return len(page.get("Versions") or []) + len(page.get("DeleteMarkers") or [])


def corrupt_bucket(s3: Any, bucket: str) -> dict[str, int]:
    """Overwrite the first objects with garbage and drop a ransom note beside them."""
    keys = sorted(bucket_contents(s3, bucket))[:OBJECTS_OVERWRITTEN]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"ENCRYPTED BY RANSOMWARE")
    s3.put_object(Bucket=bucket, Key=RANSOM_NOTE, Body=b"send bitcoin")
    return {"overwritten": len(keys), "added": 1}


def write_dumps(s3: Any, bucket: str, item: str, point: datetime) -> dict[str, str]:
    """What the item's hourly backup job uploaded: dumps 50 and 110 minutes before ``point``, and one
    just after the corruption (already corrupt), each with its SHA-256 first, as the job uploads them."""
    written = {}
    for label, moment, body in (
        ("older", point - timedelta(minutes=110), b"DEFINE TABLE orders; -- the hour before\n"),
        (
            "good",
            point - timedelta(minutes=50),
            b"DEFINE TABLE orders; CREATE orders:1; -- the last one before\n",
        ),
        ("corrupt", point + timedelta(minutes=5), b"REMOVE TABLE orders; -- after the corruption\n"),
    ):
        key = f"{item}/{moment.strftime('%Y%m%dT%H%M%SZ')}.dump"
        s3.put_object(
            Bucket=bucket, Key=key + ".sha256", Body=hashlib.sha256(body).hexdigest().encode() + b"\n"
        )
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        written[label] = key
    return written


ROW_CHECK = """\
import os, sqlite3, sys
db = sqlite3.connect(os.path.join("data", os.environ["RESTORE_DB_INSTANCE"] + ".sqlite"))
good = db.execute("SELECT COUNT(*) FROM orders WHERE written_at != ?", (sys.argv[2],)).fetchone()[0]
print(good, "good rows; expected", sys.argv[1])
sys.exit(0 if good == int(sys.argv[1]) else 1)
"""


def row_check(work: Path, python: str, expected: int) -> str:
    """A --verify command a team would write (count the rows that should be there), against the
    restored instance's stand-in: exit 0 only with exactly ``expected`` good rows."""
    script = work / "check_rows.py"
    script.write_text(ROW_CHECK)
    return f"{python} {script} {expected} {CORRUPTED}"


def cname_values(route53: Any, zone_id: str, name: str) -> list[str]:
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [
        r["ResourceRecords"][0]["Value"]
        for r in records
        if r["Type"] == "CNAME" and r["Name"].rstrip(".") == name.rstrip(".")
    ]
