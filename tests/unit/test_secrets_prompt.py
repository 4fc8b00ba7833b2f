"""Password prompts: asked only for the profile in use, refused without a terminal (no hang)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tfdata.config import get_profile
from tfdata.errors import InputError

TOML = """
[profiles.asks.cassandra]
user = "admin"
password_prompt = true
[profiles.plain.cassandra]
user = "admin"
password_env = "TFDATA_TEST_PLAIN_PW"
"""


def test_other_profiles_prompt_is_never_triggered(tmp_path, monkeypatch):
    path = tmp_path / "tfdata.toml"
    path.write_text(TOML)
    monkeypatch.setenv("TFDATA_TEST_PLAIN_PW", "from-env")
    assert get_profile("plain", str(path)).cassandra.password == "from-env"


def test_prompt_without_terminal_is_an_input_error(tmp_path, monkeypatch):
    path = tmp_path / "tfdata.toml"
    path.write_text(TOML)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(InputError, match=r"profiles\.asks\.cassandra\.password_prompt is set but stdin is not a terminal"):
        get_profile("asks", str(path))


def test_cli_prompt_without_terminal_exits_2_in_one_line(tmp_path):
    path = tmp_path / "tfdata.toml"
    path.write_text(TOML)
    proc = subprocess.run([sys.executable, "-m", "tfdata.cli", "--config", str(path), "export", "asks",
                           "-o", str(tmp_path / "out.json")], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "not a terminal" in proc.stderr and not (tmp_path / "out.json").exists()
