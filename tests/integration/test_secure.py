"""tfdata through the secure cluster: Cassandra passwords and required TLS, ZooKeeper TLS with digest
ACLs, RabbitMQ over TLS with its own user. Wrong credentials and missing TLS settings must end in
one line, exit 2, with nothing written; no password may reach any log or output."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from tfdata.config import get_profile
from tfdata.stores.cassandra import connect as cql_connect

from ..helpers import REPO

SMALL = REPO / "fixtures" / "small-dump.json"
SECURE_DIR = REPO / ".services" / "secure"
WRONG = {"cassandra": "wrong-cassandra-Pw-1", "rabbitmq": "wrong-rabbit-Pw-2", "zookeeper": "wrong-zk-Pw-3"}


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """One directory for every file the CLI runs of this module write (snapshots, checkpoints, output)."""
    return tmp_path_factory.mktemp("secure")


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))


def base_profile() -> dict:
    with open(SECURE_DIR / "tfdata.toml", "rb") as fp:
        return tomllib.load(fp)["profiles"]["secure"]


def passwords() -> list[str]:
    base = base_profile()
    return [base[s]["password"] for s in ("cassandra", "zookeeper", "rabbitmq")] + list(WRONG.values())


def write_profiles(path: Path, variants: dict[str, dict]) -> str:
    """A tfdata.toml (mode 0600, as required for inline passwords) with one profile per variant."""
    lines = []
    for name, body in variants.items():
        if body.get("prefix"):
            lines += [f"[profiles.{name}]", f"prefix = {_toml(body['prefix'])}"]
        for service in ("cassandra", "zookeeper", "rabbitmq"):
            lines.append(f"[profiles.{name}.{service}]")
            lines += [f"{k} = {_toml(v)}" for k, v in body[service].items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return str(path)


def variant(prefix: str | None = None, **changes) -> dict:
    """The generated profile with changes like cassandra_password='x' or cassandra_tls=None (removed)."""
    body = base_profile()
    body["prefix"] = prefix
    for key, value in changes.items():
        service, _, field = key.partition("_")
        if value is None:
            body[service].pop(field, None)
        else:
            body[service][field] = value
    return body


def tfdata(work: Path, config: str, *args: str) -> subprocess.CompletedProcess:
    """The real command in its own process (stdin not a terminal); output kept for the log check."""
    proc = subprocess.run([sys.executable, "-m", "tfdata.cli", "--config", config, *args], cwd=work,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600)
    with open(work / "cli-output.log", "a") as log:
        log.write(f"$ tfdata {' '.join(args)}\n{proc.stdout}{proc.stderr}exit {proc.returncode}\n")
    return proc


def one_line_error(proc: subprocess.CompletedProcess, *phrases: str) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(lines) == 1 and lines[0].startswith("tfdata: error: "), proc.stderr
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    for secret in passwords():
        assert secret not in proc.stdout + proc.stderr
    return lines[0]


def keyspaces(profile) -> set[str]:
    cluster, session = cql_connect(profile.cassandra)
    try:
        return {r.keyspace_name for r in session.execute("SELECT keyspace_name FROM system_schema.keyspaces")
                if not r.keyspace_name.startswith("system")}
    finally:
        cluster.shutdown()


# ------------------------------------------------------------------------------------ the happy path

def test_load_snapshot_diff_through_passwords_and_tls(secure, work):
    config = write_profiles(work / "main.toml", {"secure": variant()})
    assert tfdata(work, config, "load", str(SMALL), "--to", "secure").returncode == 0
    assert "config_db_uuid" in keyspaces(secure)

    # the trees were created with digest ACLs: an unauthenticated client on the plain port cannot read them
    from kazoo.client import KazooClient
    from kazoo.exceptions import NoAuthError

    anonymous = KazooClient("127.0.0.1:2183")
    anonymous.start(timeout=10)
    try:
        assert "fq-name-to-uuid" in anonymous.get_children("/")
        with pytest.raises(NoAuthError):
            anonymous.get("/fq-name-to-uuid")
    finally:
        anonymous.stop()
        anonymous.close()

    snap = work / "secure.tfsnap"
    done = tfdata(work, config, "snapshot", "secure", "-o", str(snap), "--consistent", "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["mode"] == "consistent" and summary["counts"]["objects"] > 0, summary
    assert summary["counts"]["znodes"] > 0, summary
    same = tfdata(work, config, "diff", str(snap), "secure")
    assert same.returncode == 0, same.stdout + same.stderr


def test_sync_between_two_prefixes_on_the_secure_cluster(secure, work):
    """The ISSU odb_prefix/ndb_prefix case: both sides live on one cluster under different prefixes."""
    config = write_profiles(work / "issu.toml", {"odb": variant("odb"), "ndb": variant("ndb")})
    assert tfdata(work, config, "load", str(SMALL), "--to", "odb").returncode == 0
    steps = [("pre", "--restart"), ("run", "--until-idle", "1", "--delete-queue"), ("zk",), ("verify", "--settle", "0")]
    for step, *extra in steps:
        proc = tfdata(work, config, "sync", step, "--from", "odb", "--to", "ndb", *extra)
        assert proc.returncode == 0, f"sync {step}: {proc.stdout}{proc.stderr}"
    names = keyspaces(secure)
    assert {"odb_config_db_uuid", "ndb_config_db_uuid"} <= names
    differ = tfdata(work, config, "diff", "odb", "ndb")
    assert differ.returncode == 0, differ.stdout + differ.stderr


# ------------------------------------------------------------------------------------ refusals

CASES = {
    # name: (profile changes, phrases of the one-line error)
    "cassandra-wrong-password": ({"cassandra_password": WRONG["cassandra"]},
                                 ("cassandra of profile 'bad'", "authentication failed")),
    "cassandra-tls-required": ({"cassandra_tls": None}, ("cassandra of profile 'bad'", "require TLS")),
    "cassandra-no-ca": ({"cassandra_tls": {"enabled": True}},
                        ("cassandra of profile 'bad'", "certificate verification failed", "tls.ca_file")),
    "cassandra-closed-port": ({"cassandra_port": 9999}, ("cassandra of profile 'bad'", "connection refused")),
    "zookeeper-wrong-digest": ({"zookeeper_password": WRONG["zookeeper"]},
                               ("zookeeper of profile 'bad'", "not authorized to read", "digest")),
    "zookeeper-no-auth": ({"zookeeper_auth_scheme": None}, ("zookeeper of profile 'bad'", "not authorized")),
    "rabbitmq-wrong-password": ({"rabbitmq_password": WRONG["rabbitmq"]},
                                ("rabbitmq of profile 'bad'", "authentication failed")),
    "rabbitmq-tls-required": ({"rabbitmq_tls": None}, ("rabbitmq of profile 'bad'", "expect TLS")),
    "rabbitmq-no-ca": ({"rabbitmq_tls": {"enabled": True}},
                       ("rabbitmq of profile 'bad'", "certificate verification failed")),
}


@pytest.fixture(scope="module")
def loaded(secure_up, work):
    """The secure cluster holding the small dump, and a snapshot of it to prove nothing changed."""
    from ..helpers import wipe_cluster

    profile = get_profile("secure", str(secure_up))
    wipe_cluster(profile)
    config = write_profiles(work / "loaded.toml", {"secure": variant()})
    assert tfdata(work, config, "load", str(SMALL), "--to", "secure").returncode == 0
    before = work / "before.tfsnap"
    assert tfdata(work, config, "snapshot", "secure", "-o", str(before)).returncode == 0
    return config, before


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_credentials_and_tls_settings_are_one_line_refusals(case, loaded, work):
    config, before = loaded
    changes, phrases = CASES[case]
    bad = write_profiles(work / f"{case}.toml", {"bad": variant(**changes)})
    if case.startswith("rabbitmq"):
        # rabbitmq is used by consistent snapshots and sync: the file must not appear
        out = work / f"{case}.tfsnap"
        one_line_error(tfdata(work, bad, "snapshot", "bad", "--consistent", "-o", str(out)), *phrases)
        assert not out.exists()
    else:
        # load --force would replace everything: the refusal must come before any write
        one_line_error(tfdata(work, bad, "load", str(SMALL), "--to", "bad", "--force"), *phrases)
    unchanged = tfdata(work, config, "diff", str(before), "secure", "--writetimes")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr


def test_password_prompt_refuses_without_a_terminal(secure_up, work):
    config = write_profiles(work / "prompt.toml", {"secure": variant(cassandra_password=None,
                                                                     cassandra_password_prompt=True)})
    one_line_error(tfdata(work, config, "snapshot", "secure", "-o", str(work / "p.tfsnap")),
                   "profiles.secure.cassandra.password_prompt", "not a terminal")
    assert not (work / "p.tfsnap").exists()


def test_password_prompt_reads_hidden_input_on_a_terminal(loaded, work):
    config = write_profiles(work / "prompt-tty.toml", {"secure": variant(cassandra_password=None,
                                                                         cassandra_password_prompt=True)})
    out = work / "prompted.tfsnap"
    pid, fd = pty.fork()
    if pid == 0:  # child: a session with the pty as its controlling terminal
        os.chdir(work)
        os.execv(sys.executable, [sys.executable, "-m", "tfdata.cli", "--config", config,
                                  "snapshot", "secure", "-o", str(out)])
    transcript = b""
    typed = False
    deadline = time.time() + 120
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        transcript += chunk
        if not typed and b"password" in transcript:
            os.write(fd, base_profile()["cassandra"]["password"].encode() + b"\n")
            typed = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = transcript.decode(errors="replace")
    with open(work / "cli-output.log", "a") as log:
        log.write(f"$ tfdata snapshot secure (password typed at the prompt)\n{text}\n")
    assert typed and os.waitstatus_to_exitcode(status) == 0, text
    assert "profiles.secure.cassandra.password" in text and out.exists()
    assert all(secret not in text for secret in passwords())  # hidden input: not echoed


# ------------------------------------------------------------------------------------ no password anywhere

def _log_files() -> list[Path]:
    """The secure services' logs (not their data, keys or the generated profile, which hold secrets by design)."""
    found = []
    for service_logs in ("zk/log", "rabbitmq/log", "cassandra/logs"):
        found += [p for p in (SECURE_DIR / service_logs).rglob("*") if p.is_file()]
    return found


def test_no_password_in_any_log_output_or_snapshot(work):
    """Runs last in this module: everything above has written its logs, outputs and snapshots."""
    produced = [p for p in work.rglob("*") if p.is_file() and p.suffix != ".toml"]
    assert any(p.suffix == ".tfsnap" for p in produced) and (work / "cli-output.log").exists()
    logs = _log_files()
    assert any(p.name == "system.log" for p in logs) and any(p.name == "zookeeper.log" for p in logs)
    secrets = [s.encode() for s in passwords()]
    leaks = [f"{path}" for path in produced + logs for secret in secrets if secret in path.read_bytes()]
    assert not leaks, leaks
