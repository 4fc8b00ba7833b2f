"""--config and --issu-conf work before the subcommand and after it, also for sync's commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tfdata.cli import cli


@pytest.fixture
def bad_files(tmp_path):
    """Files that fail to parse, so the error names the file the command really read."""
    (tmp_path / "bad.toml").write_text("not = [toml\n")
    (tmp_path / "contrail-issu.conf").write_text("no section header\n")
    return tmp_path


def one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tfdata: error: "), result.output
    return lines[0]


COMMANDS = {
    "export": ["export", "old", "-o", "{d}/out.json", "--dry-run"],
    "sync verify": ["sync", "verify", "--no-zookeeper"],
    "audit": ["audit", "old"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("option, file, says", [
    ("--config", "bad.toml", "not valid TOML"),
    ("--issu-conf", "contrail-issu.conf", "not a valid INI file"),
])
@pytest.mark.parametrize("position", ["before", "after"])
def test_global_option_is_read_in_either_position(bad_files, command, option, file, says, position):
    args = [a.format(d=bad_files) for a in COMMANDS[command]]
    given = [option, str(bad_files / file)]
    line = one_line_error(given + args if position == "before" else args + given)
    assert f"{bad_files / file}: {says}" in line


def test_global_option_between_group_and_subcommand(bad_files):
    line = one_line_error(["sync", "--config", str(bad_files / "bad.toml"), "verify"])
    assert "bad.toml: not valid TOML" in line


def test_same_option_twice_with_different_files_is_refused(bad_files):
    line = one_line_error(["--config", "a.toml", "export", "old", "-o", "x.json", "--config", "b.toml"])
    assert line == "tfdata: error: --config given twice: 'a.toml' and 'b.toml'"


def test_same_option_twice_with_the_same_file_is_one(bad_files):
    bad = str(bad_files / "bad.toml")
    line = one_line_error(["--config", bad, "export", "old", "-o", "x.json", "--config", bad])
    assert "bad.toml: not valid TOML" in line


def test_without_the_option_the_local_profiles_are_used(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TFDATA_CONFIG", raising=False)
    line = one_line_error(["export", "nosuchprofile", "-o", "x.json", "--dry-run"])
    assert "unknown profile 'nosuchprofile' (known: new, old)" in line
