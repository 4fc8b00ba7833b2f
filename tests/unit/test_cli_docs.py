"""docs/cli.md is what scripts/gen_cli_docs.py writes from the click tree today."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

from ..helpers import REPO


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date():
    """In a fresh interpreter, as a person runs the script: tests that invoked commands in this
    process may have loaded and decorated the lazy commands already (help then differs)."""
    check = subprocess.run([sys.executable, str(REPO / "scripts" / "gen_cli_docs.py"), "--check"], cwd=REPO,
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert check.returncode == 0, check.stdout + check.stderr


def test_cli_reference_holds_every_command_with_its_example():
    text = load_generator().render()
    for section in ("## tfdata restore", "## tfdata schema check", "## tfdata sync pre"):
        assert section in text
    assert "tfdata schema check old --from-release R2011 --to-release R21.4" in text
    assert "Act, on an empty target (a target holding data needs --force)." in text
