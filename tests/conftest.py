"""Fixtures: integration tests use the real OLD/NEW services started by scripts/test.sh."""

from __future__ import annotations

import socket

import pytest

from tfdata.config import local_profiles

from .helpers import wipe_cluster, wipe_queues

SERVICE_PORTS = {
    "old": [("127.0.0.1", 9042), ("127.0.0.1", 2181), ("127.0.0.1", 5673)],
    "new": [("127.0.0.2", 9043), ("127.0.0.1", 2182), ("127.0.0.1", 5674)],
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def services_up():
    down = [f"{h}:{p}" for side in SERVICE_PORTS.values() for h, p in side if not _reachable(h, p)]
    if down:
        pytest.fail("local services are not running (" + ", ".join(down) + "); run the suite with "
                    "`bash scripts/test.sh`, which installs and starts them", pytrace=False)
    return local_profiles()


def _clean(profile):
    wipe_cluster(profile)
    wipe_queues(profile)
    return profile


@pytest.fixture
def old(services_up):
    """The OLD cluster, emptied: no keyspaces, no znodes, no test queues."""
    return _clean(services_up["old"])


@pytest.fixture
def new(services_up):
    """The NEW cluster, emptied likewise."""
    return _clean(services_up["new"])
