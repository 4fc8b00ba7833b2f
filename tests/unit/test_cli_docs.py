"""docs/cli.md is what scripts/gen_cli_docs.py writes from the click tree today."""

from __future__ import annotations

import importlib.util

from ..helpers import REPO


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_docs", REPO / "scripts" / "gen_cli_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_up_to_date():
    generator = load_generator()
    committed = (REPO / "docs" / "cli.md").read_text()
    assert committed == generator.render(), "docs/cli.md is stale: run python scripts/gen_cli_docs.py"


def test_cli_reference_holds_every_command_with_its_example():
    text = load_generator().render()
    for section in ("## tfdata restore", "## tfdata schema check", "## tfdata sync pre"):
        assert section in text
    assert "tfdata schema check old --from-release R2011 --to-release R21.4" in text
    assert "Act, on an empty target (a target holding data needs --force)." in text
