"""Cluster profiles: where a cluster's Cassandra, ZooKeeper and RabbitMQ are and how to log in.

Sources, first match wins: ``--issu-conf`` (an existing contrail-issu.conf: profiles ``old`` and
``new``), ``--config``, ``$TFDATA_CONFIG``, ``./tfdata.toml``; without any of them the profiles
``old`` and ``new`` point at the local services that scripts/services.sh runs.

Secrets never come from argv: a profile names an environment variable (``password_env``), holds
the password in a file that only its owner can read, or asks for it (``password_prompt = true``,
hidden input, only when stdin is a terminal).
"""

from __future__ import annotations

import codecs
import configparser
import os
import stat
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .outfile import check_input

CQL_DEFAULT_PORT = 9042
THRIFT_PORTS = (9160, 9161)


@dataclass
class Tls:
    enabled: bool = False
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    verify: bool = True


@dataclass
class CassandraConfig:
    hosts: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    port: int = CQL_DEFAULT_PORT
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    consistency: str | None = None  # None: QUORUM on multi-node clusters, ONE on a single node
    tls: Tls = field(default_factory=Tls)
    connect_timeout: float = 10.0

    def redacted(self) -> dict[str, Any]:
        return {"hosts": self.hosts, "port": self.port, "user": self.user,
                "password": "***" if self.password else None, "tls": self.tls.enabled}


@dataclass
class ZookeeperConfig:
    hosts: str = "127.0.0.1:2181"
    auth_scheme: str | None = None  # "digest"
    auth_credential: str | None = field(default=None, repr=False)  # "user:password"
    tls: Tls = field(default_factory=Tls)
    timeout: float = 10.0

    def redacted(self) -> dict[str, Any]:
        return {"hosts": self.hosts, "auth": self.auth_scheme, "tls": self.tls.enabled}


@dataclass
class RabbitConfig:
    hosts: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    port: int = 5672
    vhost: str = "/"
    user: str = "guest"
    password: str | None = field(default="guest", repr=False)
    tls: Tls = field(default_factory=Tls)
    exchange: str = "vnc_config.object-update"

    def redacted(self) -> dict[str, Any]:
        return {"hosts": self.hosts, "port": self.port, "vhost": self.vhost, "user": self.user,
                "password": "***" if self.password else None, "tls": self.tls.enabled}


@dataclass
class Profile:
    name: str
    cassandra: CassandraConfig
    zookeeper: ZookeeperConfig
    rabbitmq: RabbitConfig
    prefix: str | None = None  # TF cluster_id / ISSU db prefix
    nodes: dict[str, list[str]] = field(default_factory=dict)  # role (control, config, ...) -> addresses
    kube_cluster_name: str = "k8s"  # kube-manager's cluster_name: its election path

    def redacted(self) -> dict[str, Any]:
        return {"name": self.name, "prefix": self.prefix, "cassandra": self.cassandra.redacted(),
                "zookeeper": self.zookeeper.redacted(), "rabbitmq": self.rabbitmq.redacted()}


def local_profiles() -> dict[str, Profile]:
    """The OLD and NEW clusters of scripts/services.sh (loopback, no auth)."""
    return {
        "old": Profile("old", CassandraConfig(["127.0.0.1"], 9042), ZookeeperConfig("127.0.0.1:2181"),
                       RabbitConfig(["127.0.0.1"], 5673)),
        "new": Profile("new", CassandraConfig(["127.0.0.2"], 9043), ZookeeperConfig("127.0.0.1:2182"),
                       RabbitConfig(["127.0.0.1"], 5674)),
    }


# ------------------------------------------------------------------------------ secrets

def _check_private(path: Path) -> None:
    """A file that holds a password must not be readable by group or others."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"{path}: holds a password but is readable by group/others "
                         f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}")


_PROMPTED: dict[tuple[str, str], str] = {}  # one prompt per secret and process


def _prompt(path: Path, where: str, key: str) -> str:
    """Ask on the terminal; a job without one gets an error instead of hanging on a read."""
    label = f"{where}.{key}"
    cached = _PROMPTED.get((str(path), label))
    if cached is not None:
        return cached
    if not sys.stdin.isatty():
        raise InputError(f"{path}: {label}_prompt is set but stdin is not a terminal; "
                         f"use {key}_env or {key} in a chmod 600 file instead")
    import click

    value = click.prompt(f"{label} ({path})", hide_input=True, err=True)
    _PROMPTED[(str(path), label)] = value
    return value


def _secret(section: dict[str, Any], key: str, path: Path, where: str) -> str | None:
    if section.get(f"{key}_prompt"):
        return _prompt(path, where, key)
    env_name = section.get(f"{key}_env")
    if env_name:
        value = os.environ.get(env_name)
        if value is None:
            raise InputError(f"{path}: {where}.{key}_env names ${env_name}, which is not set")
        return value
    if key in section and section[key] is not None:
        _check_private(path)
        return str(section[key])
    return None


def _tls(section: dict[str, Any] | None) -> Tls:
    if not section:
        return Tls()
    if isinstance(section, bool):
        return Tls(enabled=section)
    return Tls(enabled=bool(section.get("enabled", True)), ca_file=section.get("ca_file"),
               cert_file=section.get("cert_file"), key_file=section.get("key_file"),
               verify=bool(section.get("verify", True)))


# ------------------------------------------------------------------------------ reading files

def _read_text(path: Path) -> str:
    """Both files are UTF-8 text. A BOM or a binary file would otherwise give a traceback or a
    puzzling syntax error at line 1, so each gets a message that says what it is."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if raw.startswith(codecs.BOM_UTF8):
        raise InputError(f"{path}: starts with a UTF-8 byte order mark (BOM); save the file without it")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start}); "
                         "a binary file?") from None


# ------------------------------------------------------------------------------ tfdata.toml

def _profile_from_toml(name: str, data: dict[str, Any], path: Path) -> Profile:
    base = local_profiles().get(name) or local_profiles()["old"]
    where = f"profiles.{name}"
    cas = data.get("cassandra", {})
    zk = data.get("zookeeper", {})
    rmq = data.get("rabbitmq", {})
    try:
        cassandra = CassandraConfig(
            hosts=list(cas.get("hosts", base.cassandra.hosts)),
            port=int(cas.get("port", base.cassandra.port)),
            user=cas.get("user"),
            password=_secret(cas, "password", path, f"{where}.cassandra"),
            consistency=cas.get("consistency"),
            tls=_tls(cas.get("tls")),
            connect_timeout=float(cas.get("connect_timeout", 10.0)),
        )
        credential = None
        if zk.get("auth_scheme"):
            user = zk.get("user", "")
            password = _secret(zk, "password", path, f"{where}.zookeeper") or ""
            credential = f"{user}:{password}"
        zookeeper = ZookeeperConfig(
            hosts=str(zk.get("hosts", base.zookeeper.hosts)),
            auth_scheme=zk.get("auth_scheme"),
            auth_credential=credential,
            tls=_tls(zk.get("tls")),
        )
        rabbitmq = RabbitConfig(
            hosts=list(rmq.get("hosts", base.rabbitmq.hosts)),
            port=int(rmq.get("port", base.rabbitmq.port)),
            vhost=rmq.get("vhost", "/"),
            user=rmq.get("user", "guest"),
            password=_secret(rmq, "password", path, f"{where}.rabbitmq") or ("guest" if "user" not in rmq else None),
            tls=_tls(rmq.get("tls")),
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"{path}: bad value in [{where}]: {exc}") from None
    nodes = _nodes(data.get("nodes", {}), f"{path}: [{where}.nodes]")
    kube = data.get("kube_cluster_name", "k8s")
    if not isinstance(kube, str) or not kube:
        raise InputError(f"{path}: bad value in [{where}]: kube_cluster_name must be a non-empty string")
    return Profile(name, cassandra, zookeeper, rabbitmq, data.get("prefix") or None, nodes, kube)


NODE_ROLES = ("control", "config", "database", "analytics")


def _nodes(section: Any, where: str) -> dict[str, list[str]]:
    """{role: addresses} of the cluster's own nodes, which the ISSU stage checks look for."""
    if not isinstance(section, dict):
        raise InputError(f"{where}: expected a table of role = [addresses]")
    unknown = sorted(set(section) - set(NODE_ROLES))
    if unknown:
        raise InputError(f"{where}: unknown role(s) {', '.join(unknown)} (known: {', '.join(NODE_ROLES)})")
    out = {}
    for role, addresses in section.items():
        if not isinstance(addresses, list) or not all(isinstance(a, str) and a for a in addresses):
            raise InputError(f"{where}: {role} must be a list of addresses")
        out[role] = list(addresses)
    return out


def load_toml(path: Path, only: str | None = None) -> dict[str, Profile]:
    """All profiles of the file, or just ``only`` (so other profiles' passwords are never asked for)."""
    check_input(path)  # a FIFO would hang, a directory would be a traceback
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        raise InputError(f"{path}: no [profiles.<name>] section")
    if only is not None and only not in profiles:
        raise InputError(f"unknown profile {only!r} (known: {', '.join(sorted(profiles))})")
    return {name: _profile_from_toml(name, body, path) for name, body in profiles.items()
            if only is None or name == only}


# ------------------------------------------------------------------------------ contrail-issu.conf

def _split_hosts(value: str) -> list[tuple[str, int | None]]:
    out = []
    for item in value.replace(",", " ").split():
        host, sep, port = item.rpartition(":")
        if sep and port.isdigit():
            out.append((host, int(port)))
        else:
            out.append((item, None))
    return out


def _api_info_hosts(value: str, path: Path) -> list[str]:
    """The addresses of new_api_info ({"<ip>": [ssh user, ssh password]}): only its keys are kept,
    so the passwords in it go nowhere."""
    import ast

    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        raise InputError(f"{path}: new_api_info is not a Python dict literal") from None
    if not isinstance(parsed, dict) or not all(isinstance(k, str) for k in parsed):
        raise InputError(f"{path}: new_api_info is not a dict of addresses")
    return sorted(parsed)


def load_issu_conf(path: Path) -> dict[str, Profile]:
    """Profiles 'old' and 'new' from contrail-issu.conf ([DEFAULTS] old_*/new_* keys).

    Its Cassandra lists name Thrift endpoints (port 9160/9161); tfdata speaks CQL, so those ports
    become 9042 unless ``<side>_cassandra_cql_port`` says otherwise.
    """
    parser = configparser.RawConfigParser()
    check_input(path)
    text = _read_text(path)
    try:
        parser.read_string(text, str(path))
    except configparser.Error as exc:
        raise InputError(f"{path}: not a valid INI file ({exc.__class__.__name__})") from None
    if not parser.has_section("DEFAULTS"):
        raise InputError(f"{path}: no [DEFAULTS] section (expected contrail-issu.conf)")
    conf = dict(parser.items("DEFAULTS"))
    if conf.get("new_api_info") or any(conf.get(f"{side}_{kind}_password") for side in ("old", "new")
                                       for kind in ("cassandra", "rabbit")):
        _check_private(path)  # new_api_info holds ssh passwords
    profiles = {}
    for side in ("old", "new"):
        def get(key: str, default: Any = None, side: str = side) -> Any:  # this side's, bound now
            return conf.get(f"{side}_{key}", default)

        missing = [f"{side}_{k}" for k in ("cassandra_address_list", "zookeeper_address_list", "rabbit_address_list")
                   if not get(k)]
        if missing:
            raise InputError(f"{path}: missing key(s) {', '.join(missing)} in [DEFAULTS]")
        cas_hosts = _split_hosts(get("cassandra_address_list"))
        cql_port = get("cassandra_cql_port")
        ports = {p for _, p in cas_hosts if p}
        if cql_port:
            port = int(cql_port)
        elif ports and not ports & set(THRIFT_PORTS):
            port = ports.pop()
        else:
            port = CQL_DEFAULT_PORT
        truthy = ("true", "yes", "1", "on")
        cassandra = CassandraConfig(
            hosts=[h for h, _ in cas_hosts], port=port, user=get("cassandra_user"),
            password=get("cassandra_password"),
            tls=Tls(enabled=str(get("cassandra_use_ssl", "false")).lower() in truthy,
                    ca_file=get("cassandra_ca_certs")),
        )
        zookeeper = ZookeeperConfig(hosts=",".join(h if p is None else f"{h}:{p}"
                                                     for h, p in _split_hosts(get("zookeeper_address_list"))))
        rabbitmq = RabbitConfig(
            hosts=[h for h, _ in _split_hosts(get("rabbit_address_list"))],
            port=int(get("rabbit_port", 5672)), vhost=get("rabbit_vhost", "/") or "/",
            user=get("rabbit_user", "guest"), password=get("rabbit_password", "guest"),
            tls=Tls(enabled=str(get("rabbit_use_ssl", "false")).lower() in truthy, ca_file=get("rabbit_ssl_ca_certs"),
                    cert_file=get("rabbit_ssl_certfile"), key_file=get("rabbit_ssl_keyfile")),
        )
        prefix = conf.get("odb_prefix" if side == "old" else "ndb_prefix") or None
        nodes = {role: [h for h, _ in _split_hosts(get(f"{role}_list"))] for role in NODE_ROLES if get(f"{role}_list")}
        if side == "new" and "config" not in nodes and conf.get("new_api_info"):
            nodes["config"] = _api_info_hosts(conf["new_api_info"], path)
        profiles[side] = Profile(side, cassandra, zookeeper, rabbitmq, prefix, nodes)
    return profiles


def load_profiles(config_path: str | None = None, issu_conf: str | None = None,
                  only: str | None = None) -> dict[str, Profile]:
    if issu_conf:
        return load_issu_conf(Path(issu_conf))
    path = config_path or os.environ.get("TFDATA_CONFIG")
    if path:
        return load_toml(Path(path), only)
    if Path("tfdata.toml").is_file():
        return load_toml(Path("tfdata.toml"), only)
    return local_profiles()


def get_profile(name: str, config_path: str | None = None, issu_conf: str | None = None) -> Profile:
    profiles = load_profiles(config_path, issu_conf, only=name)
    if name not in profiles:
        raise InputError(f"unknown profile {name!r} (known: {', '.join(sorted(profiles))})")
    return profiles[name]
