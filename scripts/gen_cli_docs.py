#!/usr/bin/env python3
"""Write docs/cli.md, the command reference, from the click tree: each command's --help as the
tool prints it, so the reference cannot drift from the tool (tests/unit/test_cli_docs.py fails
when the committed file differs from what this script writes).

    python scripts/gen_cli_docs.py           # rewrite docs/cli.md
    python scripts/gen_cli_docs.py --check   # exit 1 if docs/cli.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import click  # noqa: E402

from tfdata.cli import cli, command_tree  # noqa: E402

TARGET = REPO / "docs" / "cli.md"
WIDTH = 100  # fixed, so the text does not depend on the terminal that runs the script

HEADER = """# tfdata command reference

Generated from the commands' `--help` by `python scripts/gen_cli_docs.py`; do not edit by hand
(a unit test fails when this file and the tool disagree). Exit codes, output formats and file
conventions: [README.md](../README.md#commands).
"""


def help_of(path: tuple[str, ...]) -> str:
    """``tfdata ... --help`` for ``path``, rendered through the same chain of contexts as a run."""
    ctx = None
    command: click.Command = cli
    for depth, name in enumerate(path):
        if depth:
            command = command.get_command(ctx, name)  # type: ignore[union-attr]
        ctx = click.Context(command, info_name=name, parent=ctx, terminal_width=WIDTH, max_content_width=WIDTH,
                            **command.context_settings)  # the root's -h
    return command.get_help(ctx)


def render() -> str:
    paths = [path for path, _ in command_tree()]
    contents = "\n".join(f"- [{' '.join(p)}](#{'-'.join(p)})" for p in paths)
    sections = [f"## {' '.join(p)}\n\n```text\n{help_of(p)}\n```\n" for p in paths]
    return "\n".join([HEADER, contents + "\n", *sections])


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        stale = not TARGET.is_file() or TARGET.read_text() != text
        print(f"{TARGET.relative_to(REPO)} is {'stale: run python scripts/gen_cli_docs.py' if stale else 'up to date'}")
        return 1 if stale else 0
    if argv[1:]:
        print("usage: python scripts/gen_cli_docs.py [--check]", file=sys.stderr)
        return 2
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(REPO)} ({text.count(chr(10) + '## ')} commands)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
