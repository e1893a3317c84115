"""S3 conditional writes made atomic in moto, as S3 makes them.

Amazon S3 evaluates ``If-None-Match: *`` and ``If-Match: <ETag>`` on PutObject atomically: of two
writers racing for the same key, one succeeds and the other gets 412 PreconditionFailed (or 409
ConditionalRequestConflict) (Amazon S3 User Guide, "How to prevent object overwrites with
conditional writes"). moto 5.2.5 checks the condition and then writes, without a lock, so two
requests served by two threads of its server can both pass the check and both write. The
operations lock (operations/lock.py) relies on that atomicity; this patch serialises moto's
PutObject so that the emulator keeps S3's promise. Applied by the tests and emulators that run
writers at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from moto.s3 import responses as s3_responses

_WRITES = threading.Lock()


@contextlib.contextmanager
def atomic_conditional_writes() -> Iterator[None]:
    """Serialise moto's PutObject (condition check and write) for the duration; undone on exit."""
    # Typed Any: the patch replaces a method on moto's class, which mypy would refuse.
    response: Any = s3_responses.S3Response
    original = response.put_object

    def put_object(self: Any) -> Any:
        with _WRITES:
            return original(self)

    response.put_object = put_object
    try:
        yield
    finally:
        response.put_object = original
