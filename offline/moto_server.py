"""An AWS emulator on 127.0.0.1: moto's ThreadedMotoServer, with what the product needs switched on."""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer

# Fake credentials: whatever the machine has, nothing talks to a real account.
EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


# One botocore session for every client of the emulator in this process: a session parses each
# service's API model once, and a new session per client parsed them again for every stack run
# (seconds per deployment). Sessions are not thread-safe for making clients, hence the lock.
_SESSION = boto3.session.Session(
    aws_access_key_id=EMULATOR_CREDENTIALS["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=EMULATOR_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    aws_session_token=EMULATOR_CREDENTIALS["AWS_SESSION_TOKEN"],
)
_CLIENTS: dict[tuple[str, str, str], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def emulator_client(endpoint_url: str, service: str, region: str) -> Any:
    """A boto3 client of the emulator at ``endpoint_url`` (clients are thread-safe; shared)."""
    key = (endpoint_url, service, region)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = _SESSION.client(
                service,
                region_name=region,
                endpoint_url=endpoint_url,
                config=Config(retries={"total_max_attempts": 3}),
            )
        return _CLIENTS[key]


@dataclass(frozen=True)
class Emulator:
    endpoint_url: str

    def environment(self, region: str) -> dict[str, str]:
        """What a process needs to use the emulator through the standard AWS credential chain."""
        return {
            **EMULATOR_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }

    def client(self, service: str, region: str) -> Any:
        return emulator_client(self.endpoint_url, service, region)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")  # noqa: S310 - loopback
        # Resetting every backend takes seconds on a loaded machine: a generous bound, still finite.
        with urllib.request.urlopen(request, timeout=120):  # noqa: S310 - loopback
            pass


@contextmanager
def running_emulator() -> Iterator[Emulator]:
    """Start moto on a free loopback port; stop it on exit."""
    # The AWS managed policies the stacks attach (AWS Backup, ECS task execution) exist in moto
    # only when it is asked to load them.
    before = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    emulator = Emulator(f"http://{host}:{port}")
    try:
        # moto's backends live in this process and outlive a server: an IAM backend made earlier
        # (by mock_aws in the same test worker, say) holds no managed policies. Start from nothing.
        emulator.reset()
        yield emulator
    finally:
        server.stop()
        if before is None:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = before
