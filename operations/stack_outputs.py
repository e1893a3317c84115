"""The DR stack's outputs, from the Pulumi CLI or from a saved copy, and writing stack config.

At 3 a.m. the state backend may live in the failed region, so every script also reads a saved
copy of ``pulumi stack output --json --show-secrets`` (teams save one after each ``pulumi up``;
docs/failover.md). Whichever the source, the document is parsed by `continuity.outputs`, and
anything wrong with it is a `BadInput` naming the file and the field; the JSON itself is read
within `continuity.documents`' bounds, so a hostile file is refused before anything walks it.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from continuity import documents
from continuity.documents import DocumentError
from continuity.outputs import Inventory, OutputsError, Promotion, parse_inventory, parse_promotion
from operations.errors import BadInput

# The Pulumi project (Pulumi.yaml) is the repository root; the CLI runs there.
PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


class PulumiCli:
    """The few Pulumi CLI commands the scripts run; ``available`` is false when it is not installed."""

    def __init__(self, executable: str | None = None, cwd: Path = PROJECT_DIR, timeout: float = 120) -> None:
        self.executable = executable if executable is not None else shutil.which("pulumi")
        self.cwd = cwd
        self.timeout = timeout

    @property
    def available(self) -> bool:
        return self.executable is not None

    def run(self, args: list[str]) -> CliResult:
        if self.executable is None:
            raise BadInput("the Pulumi CLI is not on PATH")
        try:
            done = subprocess.run(
                [self.executable, *args],
                cwd=self.cwd,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return CliResult(124, "", f"timed out after {self.timeout:.0f}s")
        except OSError as exc:
            return CliResult(127, "", str(exc))
        return CliResult(done.returncode, done.stdout, done.stderr)

    def stack_outputs(self, stack: str) -> object:
        if not self.available:
            raise BadInput(
                "--stack needs the Pulumi CLI, which is not on PATH; "
                "use --outputs FILE with a saved `pulumi stack output --json --show-secrets`"
            )
        result = self.run(["stack", "output", "--json", "--show-secrets", "--stack", stack])
        if result.returncode != 0:
            raise BadInput(
                f"pulumi stack output --stack {stack} failed: {last_line(result.stderr)}; "
                "use --outputs FILE with a saved copy if the state backend is unreachable"
            )
        try:
            where = f"pulumi stack output --stack {stack}"
            return documents.parse_json(result.stdout, where, documents.OUTPUTS)
        except DocumentError as exc:
            raise BadInput(str(exc)) from None

    def config_set(self, stack: str, key: str, value: str) -> CliResult:
        return self.run(["config", "set", key, value, "--stack", stack])


def config_set_command(stack: str, key: str, value: str) -> str:
    """The exact command an operator runs when the script cannot."""
    return shlex.join(["pulumi", "config", "set", key, value, "--stack", stack])


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def read_outputs_file(path: str | Path) -> object:
    """A saved outputs document, read within continuity.documents' bounds (size, depth, numbers)."""
    try:
        return documents.read_json(path, documents.OUTPUTS, str(path))
    except DocumentError as exc:
        raise BadInput(str(exc)) from None


@dataclass(frozen=True)
class OutputsDocument:
    """The DR stack's outputs as read, and where from (for messages)."""

    document: object
    where: str

    def promotion(self) -> Promotion:
        try:
            return parse_promotion(self.document)
        except OutputsError as exc:
            raise BadInput(f"{self.where}: {exc}") from None

    def inventory(self) -> Inventory:
        try:
            return parse_inventory(self.document)
        except OutputsError as exc:
            raise BadInput(f"{self.where}: {exc}") from None


def load_outputs(*, stack: str | None, outputs_file: str | Path | None, pulumi: PulumiCli) -> OutputsDocument:
    """The DR stack's outputs document, from the CLI (``stack``) or a saved file."""
    if (stack is None) == (outputs_file is None):
        raise BadInput("give exactly one of --stack NAME or --outputs FILE")
    if outputs_file is not None:
        return OutputsDocument(read_outputs_file(outputs_file), str(outputs_file))
    assert stack is not None
    return OutputsDocument(pulumi.stack_outputs(stack), f"stack {stack}")


def load_promotion(*, stack: str | None, outputs_file: str | Path | None, pulumi: PulumiCli) -> Promotion:
    """The ``promotion`` output of the DR stack, from the CLI (``stack``) or a saved file."""
    return load_outputs(stack=stack, outputs_file=outputs_file, pulumi=pulumi).promotion()
