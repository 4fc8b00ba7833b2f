"""The bad-input corpus harness for cases that need no cluster.

Every case runs the real `tfdata` command in a subprocess (so a traceback, an exit code or a
stray file cannot hide) inside a scratch directory, with the network cut off (offline_cli.py: a
case that reaches for a service fails, so none can write to one), and checks the contract every
command keeps with bad input: exactly one stderr line ``tfdata: error: ...`` naming the thing at
fault, exit 2 (or the verdict's code), no traceback, nothing on stdout and nothing written beside
the inputs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
OFFLINE_CLI = Path(__file__).resolve().parent / "offline_cli.py"


@dataclass
class Case:
    id: str
    args: list[str]  # {c} = tests/corpus; files made by `make` are in the working directory
    needles: tuple[str, ...]  # all in the one stderr line
    exit: int = 2
    make: Callable[[Path], None] | None = None
    stdin: bytes | None = None


def command_line(args: list[str]) -> list[str]:
    """``tfdata ARGS`` run offline."""
    return [sys.executable, str(OFFLINE_CLI), *args]


def environment() -> dict[str, str]:
    """This checkout's tfdata, and no $TFDATA_CONFIG from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if k != "TFDATA_CONFIG"}
    env["PYTHONPATH"] = str(REPO)
    return env


def tfdata(args: list[str], cwd: Path, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command_line(args), cwd=cwd, env=environment(), capture_output=True, input=stdin,
                          timeout=timeout)


def dir_state(path: Path) -> dict[str, str]:
    """Every entry under ``path`` (hidden ones too) with a hash of its bytes; FIFOs and devices by kind."""
    out = {}
    for p in sorted(path.rglob("*")):
        name = str(p.relative_to(path))
        if p.is_symlink():
            out[name] = "symlink:" + os.readlink(p)
        elif p.is_fifo():
            out[name] = "fifo"
        elif p.is_file():
            out[name] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[name] = "dir"
    return out


def run_case(case: Case, tmp: Path) -> str:
    """Run one case and assert the contract; returns the one stderr line."""
    if case.make:
        case.make(tmp)
    before = dir_state(tmp)
    args = [a.replace("{c}", str(CORPUS)) for a in case.args]
    result = tfdata(args, tmp, case.stdin)
    stderr = result.stderr.decode("utf-8", "replace")
    stdout = result.stdout.decode("utf-8", "replace")
    assert "Traceback" not in stderr + stdout, stderr
    assert result.returncode == case.exit, (result.returncode, stderr, stdout)
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfdata: error: "), stderr
    for needle in case.needles:
        assert needle in lines[0], (needle, lines[0])
    assert stdout == "", stdout
    assert dir_state(tmp) == before, "the command wrote or changed files"
    return lines[0]
