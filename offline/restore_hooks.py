"""What the emulator does with the data of a point-in-time restore, which moto does not restore.

moto creates the instance a RestoreDBInstanceToPointInTime asks for but holds no data, so the
rehearsal keeps each database's rows in a stand-in (a SQLite file per instance) and must give the
restored instance the rows its source held at the point asked for, as RDS would from its backups and
transaction logs. ``rds_restores`` calls back after each such restore moto serves (in this process,
where a ThreadedMotoServer keeps its backends), with the source, the new instance and the point.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from moto.rds import models as rds_models

OnRestore = Callable[[str, str, datetime | None], None]


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


@contextlib.contextmanager
def rds_restores(on_restore: OnRestore) -> Iterator[None]:
    """While the block runs, ``on_restore(source, target, point)`` follows every restore from a
    source instance (``point`` None: its latest restorable time); undone on exit."""
    # Typed Any: the patch replaces a method on moto's class, which mypy would refuse.
    backend: Any = rds_models.RDSBackend
    original = backend.restore_db_instance_to_point_in_time

    def restore(
        self: Any, source_db_identifier: str | None, target_db_identifier: str, overrides: dict[str, Any]
    ) -> Any:
        database = original(self, source_db_identifier, target_db_identifier, overrides)
        if source_db_identifier:
            on_restore(source_db_identifier, target_db_identifier, _moment(overrides.get("restore_time")))
        return database

    backend.restore_db_instance_to_point_in_time = restore
    try:
        yield
    finally:
        backend.restore_db_instance_to_point_in_time = original
