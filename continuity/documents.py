"""Bounded readers for the documents the project reads from outside: plans (YAML), stack outputs,
stack exports and preview documents (JSON).

Each of these may come from a hand-edited file, a copy pasted into a ticket, or an attacker. A
reader that trusts them can be made to hang (a YAML alias bomb expands to billions of nodes),
to crash with a traceback (nesting deeper than Python's recursion limit, 5,000-digit integers
beyond Python's int-from-text limit, NaN or Infinity where a count belongs), or to read without
end (a FIFO, /dev/zero). Here every document is read within limits checked *before* the usual
parser builds anything, and anything outside them is a `DocumentError` whose message is one
line naming the file (and the line and column where it can), which every script turns into exit
status 2:

- size: at most ``max_bytes`` read from a regular file (never a device, FIFO or directory);
- depth: nesting at most ``max_depth`` levels, far deeper than any real document and far below
  Python's recursion limit (1,000), which deep structures would otherwise hit in the parser or
  in any code that walks them;
- YAML aliases: the document as expanded (each alias counted as the nodes it stands for) has at
  most ``max_nodes`` nodes, so a few hundred bytes cannot stand for a billion nodes;
- numbers: whole numbers of at most 20 digits (a 64-bit integer has 19; nothing the project reads
  is larger), and only finite decimals (JSON's NaN and Infinity, YAML's .nan and .inf, and
  overflowing literals such as 1e999 are refused).

What each value may be (a retention within RDS's 1-35 days, a task count within ECS's quota) is
the business of the reader of that document (continuity/plan.py, continuity/outputs.py); this
module only makes sure they get a document small, shallow and finite enough to judge.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

KIB = 1024
MIB = 1024 * KIB
# Nesting no real document comes near (a plan is 5 levels deep, a Pulumi state with IAM policy
# documents inside resource inputs about 15), and well below Python's recursion limit of 1,000.
MAX_DEPTH = 64
# Whole numbers: a signed 64-bit integer has at most 19 digits; 20 leaves room for an unsigned one.
MAX_DIGITS = 20


@dataclass(frozen=True)
class Limits:
    """What one kind of document may be."""

    max_bytes: int
    max_depth: int = MAX_DEPTH
    max_nodes: int = 100_000  # YAML only: nodes after expanding aliases


# The largest example plan is 4 KiB; a plan 250 times that is still read.
PLAN = Limits(max_bytes=1 * MIB, max_nodes=100_000)
# `pulumi stack output --json`: the two contract outputs grow with a plan's items (a few KiB each).
OUTPUTS = Limits(max_bytes=8 * MIB)
# `pulumi stack export` and `pulumi preview --json` grow with the resources of a stack: the offline
# policy check is sized for 50,000 resources, a few KiB of state each.
STATE = Limits(max_bytes=512 * MIB)
# A small JSON record the scripts write themselves (the operations lock).
RECORD = Limits(max_bytes=64 * KIB)


class DocumentError(ValueError):
    """A document the project refuses to read; the message is one line and names the document.
    ``syntax`` is (line, column, what) when the text is not JSON at all, for readers that word it
    their own way."""

    def __init__(self, message: str, syntax: tuple[int, int, str] | None = None) -> None:
        super().__init__(message)
        self.syntax = syntax


def _size(count: int) -> str:
    return f"{count // MIB} MiB" if count >= MIB and count % MIB == 0 else f"{count:,} bytes"


def read_text(path: str | Path, limits: Limits, where: str | None = None) -> str:
    """A regular file's text, UTF-8, refusing more than ``limits.max_bytes`` without reading it all."""
    name = where or str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise DocumentError(f"{name}: no such file") from None
    except OSError as exc:
        raise DocumentError(f"{name}: cannot be read ({exc.__class__.__name__})") from None
    if stat.S_ISDIR(info.st_mode):
        raise DocumentError(f"{name}: is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO would block until someone writes to it, a device like /dev/zero never ends.
        raise DocumentError(f"{name}: not a regular file")
    if info.st_size > limits.max_bytes:
        raise DocumentError(f"{name}: {_size(info.st_size)}, more than the {_size(limits.max_bytes)} allowed")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise DocumentError(f"{name}: cannot be read ({exc.__class__.__name__})") from None
    if len(data) > limits.max_bytes:  # grew since stat
        raise DocumentError(f"{name}: more than the {_size(limits.max_bytes)} allowed")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DocumentError(f"{name}: cannot be read (UnicodeDecodeError)") from None


# ---------------------------------------------------------------------------------------------
# JSON

# A JSON string, escapes included: removed before brackets are counted.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """Whether the brackets of ``text`` nest deeper than ``max_depth`` (strings ignored).

    Each round removes every innermost ``[]`` and ``{}`` pair, which is one level of nesting, at
    the speed of ``str.replace``; a document still shrinking after ``max_depth`` rounds is deeper.
    Malformed bracketing stops shrinking and is left to the parser to report.
    """
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    for _ in range(max_depth):
        if not brackets:
            return False
        shorter = brackets.replace("[]", "").replace("{}", "")
        if shorter == brackets:
            return False
        brackets = shorter
    return bool(brackets) and brackets.replace("[]", "").replace("{}", "") != brackets


class _Refused(Exception):
    """Raised from inside json.loads by a number or key it must not build."""


def _whole(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"a {len(text.lstrip('-')):,}-digit number (at most {MAX_DIGITS} digits)")
    return int(text)


def _decimal(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"{text[:40]} is not a finite number")
    return value


def _constant(text: str) -> float:
    raise _Refused(f"{text} is not a number JSON allows")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _Refused(f"duplicate key {json.dumps(key)[:80]}")
        found[key] = value
    return found


def parse_json(text: str, where: str, limits: Limits) -> Any:
    """``text`` as JSON within ``limits``, or DocumentError naming ``where``."""
    if len(text) > limits.max_bytes:
        raise DocumentError(f"{where}: more than the {_size(limits.max_bytes)} allowed")
    if json_depth_exceeds(text, limits.max_depth):
        raise DocumentError(f"{where}: nested deeper than {limits.max_depth} levels")
    try:
        return json.loads(
            text,
            parse_int=_whole,
            parse_float=_decimal,
            parse_constant=_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"{where}: line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg})",
            (exc.lineno, exc.colno, exc.msg),
        ) from None
    except _Refused as exc:
        raise DocumentError(f"{where}: {exc}") from None
    except RecursionError:  # only if max_depth is set above what the interpreter allows
        raise DocumentError(f"{where}: nested too deeply to read") from None


def read_json(path: str | Path, limits: Limits, where: str | None = None) -> Any:
    name = where or str(path)
    return parse_json(read_text(path, limits, name), name, limits)


# ---------------------------------------------------------------------------------------------
# YAML

_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"


def _at(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def _scalar_problem(loader: yaml.SafeLoader, event: yaml.ScalarEvent) -> str | None:
    """Why a plain scalar that the loader would turn into a number must not be turned into one."""
    if not event.implicit[0]:
        return None
    tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    text = event.value.replace("_", "")
    if tag == _INT_TAG:
        digits = text.lstrip("+-")
        if digits.lower().startswith(("0x", "0b")):
            digits = digits[2:]
        if len(digits) > MAX_DIGITS:
            return f"a {len(digits):,}-digit number (at most {MAX_DIGITS} digits)"
    elif tag == _FLOAT_TAG:
        lowered = text.lower()
        if "inf" in lowered or "nan" in lowered:
            return f"{event.value} is not a finite number"
        try:
            value = float(text)
        except ValueError:
            return None  # a form the constructor reads its own way; it reports its own errors
        if not math.isfinite(value):
            return f"{event.value[:40]} is not a finite number"
    return None


def check_yaml(text: str, where: str, loader: type[yaml.SafeLoader], limits: Limits) -> None:
    """Refuse a YAML text that is too large, too deep, expands too far or holds numbers out of
    range, reading only its events (PyYAML's parser is iterative; its composer recurses)."""
    if len(text) > limits.max_bytes:
        raise DocumentError(f"{where}: more than the {_size(limits.max_bytes)} allowed")
    resolver = loader("")
    anchors: dict[str, int] = {}
    # One frame per open collection: [nodes so far, anchor or None].
    frames: list[list[Any]] = [[0, None]]
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                if len(frames) > limits.max_depth:
                    where_at = f"{where}: {_at(event.start_mark)}"
                    raise DocumentError(f"{where_at}nested deeper than {limits.max_depth} levels")
                frames.append([1, event.anchor])
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                size, anchor = frames.pop()
                if anchor is not None:
                    anchors[anchor] = size
                frames[-1][0] += size
            elif isinstance(event, yaml.ScalarEvent):
                problem = _scalar_problem(resolver, event)
                if problem is not None:
                    raise DocumentError(f"{where}: {_at(event.start_mark)}{problem}")
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                frames[-1][0] += 1
            elif isinstance(event, yaml.AliasEvent):
                # An unknown anchor is the composer's error to report, with its own words.
                frames[-1][0] += anchors.get(event.anchor or "", 1)
            else:
                continue
            if sum(frame[0] for frame in frames) > limits.max_nodes:
                raise DocumentError(
                    f"{where}: {_at(event.start_mark)}expands to more than {limits.max_nodes:,} "
                    "values (aliases repeat what they point to)"
                )
    except yaml.MarkedYAMLError:
        return  # malformed YAML: the loader reports it, with its own position and words
    except yaml.YAMLError:
        return
