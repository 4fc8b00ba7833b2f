"""restore's one way to confirm: plan by default, --yes acts on an empty target, --force replaces."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from click.testing import CliRunner

from tfdata.cli import cli
from tfdata.commands import restore as restore_command
from tfdata.ops.restore import RestorePlan, RestoreResult


@pytest.fixture
def calls(monkeypatch):
    """The library call each spelling makes; no cluster is touched."""
    seen: list[dict] = []

    @contextmanager
    def no_cluster(ctx, profile):
        yield object()

    def fake_restore(snapshot, target, **kwargs):
        seen.append(kwargs)
        acted = kwargs["yes"]
        return RestoreResult(RestorePlan(target_empty=False), acted=acted, verified=True if acted else None)

    monkeypatch.setattr(restore_command, "opened_cluster", no_cluster)
    monkeypatch.setattr(restore_command, "restore", fake_restore)
    return seen


def run(*args: str):
    return CliRunner().invoke(cli, ["restore", "s.tfsnap", "--to", "old", *args])


@pytest.mark.parametrize("args, act, replace", [
    ((), False, False),
    (("--dry-run",), False, False),
    (("--yes",), True, False),
    (("--force",), True, True),
    (("--yes", "--force"), True, True),
])
def test_each_spelling_means_one_thing(calls, args, act, replace):
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    assert (calls[0]["yes"], calls[0]["force"]) == (act, replace)
    assert json.loads(result.output)["acted"] is act


@pytest.mark.parametrize("other", ["--yes", "--force"])
def test_dry_run_with_a_confirmation_is_a_usage_error(calls, other):
    result = run("--dry-run", other)
    assert result.exit_code == 2 and not calls
    assert result.output == "tfdata: error: --dry-run only plans; it cannot be combined with --yes or --force\n"


def test_plan_of_a_target_holding_data_names_force(calls):
    result = run()
    assert result.exit_code == 0
    assert "run again with --force to replace the target's data" in result.output
