"""Every command and subcommand explains itself: help text, help on every option, and an example
at the end of its --help that really is a command line for it."""

from __future__ import annotations

import shlex

import click
import pytest
from click.testing import CliRunner

from tfdata.cli import cli, command_tree

TREE = dict(command_tree())


def name(path) -> str:
    return " ".join(path)


def help_text(path) -> str:
    result = CliRunner().invoke(cli, [*path[1:], "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def example_lines(path) -> list[str]:
    """The lines under the last 'Example:' of the help, if it ends with one."""
    lines = help_text(path).rstrip("\n").splitlines()
    if "  Example:" not in lines:
        return []
    tail = lines[len(lines) - lines[::-1].index("  Example:"):]
    return [line.strip() for line in tail]


def options_without_help(command: click.Command) -> list[str]:
    return [param.opts[0] for param in command.params
            if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()]


@pytest.mark.parametrize("path", TREE, ids=name)
def test_command_has_help_text(path):
    command = TREE[path]
    assert (command.help or "").strip(), f"{name(path)} has no help text"
    assert "not implemented" not in command.help


@pytest.mark.parametrize("path", TREE, ids=name)
def test_every_option_has_help(path):
    missing = options_without_help(TREE[path])
    assert missing == [], f"{name(path)}: options without help: {missing}"


@pytest.mark.parametrize("path", TREE, ids=name)
def test_help_ends_with_an_example_of_this_command(path):
    lines = example_lines(path)
    assert 1 <= len(lines) <= 2, f"{name(path)} --help should end with 'Example:' and one or two lines"
    for line in lines:
        words = shlex.split(line)
        assert words[0] == "tfdata", line
        parse_as(path, words[1:])


def parse_as(path, args: list[str]) -> None:
    """The example names ``path`` (a group's may go on to one of its subcommands) and click
    parses its options and arguments for that command without running anything."""
    command, rest, walked = cli, list(args), ["tfdata"]
    ctx = click.Context(cli, info_name="tfdata")
    while isinstance(command, click.Group) and rest and rest[0] in command.list_commands(ctx):
        walked.append(rest.pop(0))
        command = command.get_command(ctx, walked[-1])
        ctx = click.Context(command, parent=ctx, info_name=walked[-1])
    assert tuple(walked[:len(path)]) == path, f"example {args} is not an example of {name(path)}"
    command.make_context(walked[-1], rest, parent=ctx.parent)


def test_an_example_with_a_wrong_option_fails_to_parse():
    with pytest.raises(click.UsageError):
        parse_as(("tfdata", "schema", "check"), ["schema", "check", "old", "--from-releas", "R2011"])


def test_the_tree_holds_every_command():
    assert {name(p) for p in TREE} >= {
        "tfdata", "tfdata audit", "tfdata diff", "tfdata export", "tfdata load", "tfdata restore",
        "tfdata schema check", "tfdata schema diff", "tfdata schema list", "tfdata schema show",
        "tfdata snapshot", "tfdata snapshots list", "tfdata snapshots show", "tfdata snapshots verify",
        "tfdata sync pre", "tfdata sync run", "tfdata sync post", "tfdata sync zk", "tfdata sync verify"}
