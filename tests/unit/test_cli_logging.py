"""Logging is set up once, by the CLI: warnings by default, -v info, -vv debug, on stderr, in
either position; no module sets levels when imported; secrets never reach the log."""

from __future__ import annotations

import logging
import re

import pytest
from click.testing import CliRunner

from tfdata.cli import cli, hide_secrets
from tfdata.commands import schema as schema_command

from ..helpers import REPO


@pytest.fixture
def logging_command(monkeypatch):
    """`tfdata schema list` logging one record per level (and what kazoo logs at DEBUG on connect)."""
    def list_releases():
        log = logging.getLogger("tfdata.example")
        log.debug("debug record")
        log.info("info record")
        log.warning("warning record, password=hunter2")
        logging.getLogger("kazoo.protocol.connection").debug(
            "Sending request(xid=1): Auth(auth_type=0, scheme='digest', auth='admin:hunter2')")
        logging.getLogger("cassandra.cluster").warning("driver record: [control connection] Error connecting")
        return []

    monkeypatch.setattr(schema_command, "list_releases", list_releases)
    yield
    from tfdata.cli import configure_logging

    configure_logging(0)


def stderr_of(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stderr


@pytest.mark.parametrize("args, shown, hidden", [
    (("schema", "list"), ["warning record"], ["info record", "debug record"]),
    (("-v", "schema", "list"), ["warning record", "info record"], ["debug record"]),
    (("schema", "list", "-v"), ["warning record", "info record"], ["debug record"]),
    (("-vv", "schema", "list"), ["warning record", "info record", "debug record"], []),
    (("-v", "schema", "list", "--verbose"), ["info record", "debug record"], []),
])
def test_verbosity_in_either_position(logging_command, args, shown, hidden):
    err = stderr_of(*args)
    for text in shown:
        assert f"tfdata.example: {text}" in err
    for text in hidden:
        assert text not in err


def test_library_records_wait_for_v(logging_command):
    """A refused connection is one tfdata error line; the driver's own warning (with its
    traceback) only with -v."""
    assert "driver record" not in stderr_of("schema", "list")
    assert "cassandra.cluster: driver record" in stderr_of("schema", "list", "-v")


def test_secrets_never_reach_the_log_even_at_debug(logging_command):
    err = stderr_of("-vv", "schema", "list")
    assert "hunter2" not in err
    assert "password=***" in err


def test_json_output_stays_clean_of_log_records(logging_command):
    result = CliRunner().invoke(cli, ["-vv", "schema", "list", "--format", "json"])
    assert result.stdout == "[]\n" and "info record" in result.stderr


@pytest.mark.parametrize("text, expected", [
    ("password=hunter2 host=h", "password=*** host=h"),
    ("Auth(scheme='digest', auth='admin:hunter2')", "Auth(scheme='digest', auth='***')"),
    ("amqp://guest:hunter2@10.0.0.1:5672/", "amqp://guest:***@10.0.0.1:5672/"),
    ('{"password": "hunter2"}', '{"password": "***"}'),
    ("auth_scheme=digest, 3 token ranges", "auth_scheme=digest, 3 token ranges"),
])
def test_hide_secrets(text, expected):
    assert hide_secrets(text) == expected


def test_no_module_sets_logging_levels_when_imported():
    """Only cli.py configures logging (sync's modules are their owner's: listed, to be removed there)."""
    pattern = re.compile(r"basicConfig\(|getLogger\([^)]*\)\.setLevel\(")
    offenders = [str(path.relative_to(REPO)) for path in (REPO / "tfdata").rglob("*.py")
                 if path.name != "cli.py" and pattern.search(path.read_text())]
    assert offenders == []
