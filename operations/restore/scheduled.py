"""What AWS Backup restore testing did: the newest completed restore job of an item's restore
testing plan (components/restore_testing.py declares one per item AWS Backup protects).

Readiness counts it as a restore test beside the drill history's, whichever is newer: a restore
that AWS Backup ran on the plan's schedule proves as much as one an engineer ran. Read only
(ListRestoreJobs, filtered by the plan and by status, AWS Backup API Reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

COMPLETED = "COMPLETED"
# ValidationStatus of a restore whose validation (not run here) reported it broken.
VALIDATION_FAILED = "FAILED"


@dataclass(frozen=True)
class ScheduledRestore:
    job_id: str
    created_at: datetime
    completed_at: datetime
    resource: str  # the protected resource restored
    validation: str | None

    @property
    def seconds(self) -> float:
        return (self.completed_at - self.created_at).total_seconds()

    def as_entry(self, service: str, data_item: str, rto_seconds: int) -> dict[str, Any]:
        """The job as a drill-history restore test, so readiness judges both alike."""
        return {
            "kind": "restore_test",
            "at": self.completed_at.isoformat(),
            "ok": True,
            "service": service,
            "data_item": data_item,
            "source": f"AWS Backup restore testing, job {self.job_id} ({self.resource})",
            "restore_seconds": round(self.seconds, 3),
            "rto_met": self.seconds <= rto_seconds,
        }


def latest_completed(backup: Any, plan_arn: str, since: datetime) -> ScheduledRestore | None:
    """The newest restore job of the restore testing plan that completed after ``since`` and whose
    validation, if any ran, did not fail."""
    found: list[ScheduledRestore] = []
    params: dict[str, Any] = {
        "ByRestoreTestingPlanArn": plan_arn,
        "ByStatus": COMPLETED,
        "ByCompleteAfter": since,
    }
    while True:
        page = backup.list_restore_jobs(**params)
        for job in page.get("RestoreJobs") or []:
            completed = job.get("CompletionDate")
            if completed is None or job.get("ValidationStatus") == VALIDATION_FAILED:
                continue
            found.append(
                ScheduledRestore(
                    job_id=str(job.get("RestoreJobId", "")),
                    created_at=job.get("CreationDate") or completed,
                    completed_at=completed,
                    resource=str(job.get("SourceResourceArn") or job.get("RecoveryPointArn") or ""),
                    validation=job.get("ValidationStatus"),
                )
            )
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    return max(found, key=lambda j: j.completed_at, default=None)
