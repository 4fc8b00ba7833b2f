"""Pre-upgrade audit of a TF config store: every check of upstream db_manage.py (including those
it only shows in clean/heal dry runs) and the invariants nobody upstream checks.

    from tfdata.audit import audit
    result = audit(source)            # release guessed from the data
    result.findings, result.summary()

Families: objects (row level), links, index (fq-name and shared tables), zookeeper (fq-name locks,
ID allocators), route_targets, addresses (subnets, IP locks), schema (release whitelist), cluster
(live servers). upgrade_check: what moving this data to another release means.
"""

from .findings import CATALOGUE, ERROR, INFO, SEVERITIES, WARNING, Finding
from .runner import AuditResult, audit, check_ids, check_release
from .upgrade import UpgradeResult, upgrade_check

__all__ = ["CATALOGUE", "ERROR", "INFO", "SEVERITIES", "WARNING", "AuditResult", "Finding", "UpgradeResult",
           "audit", "check_ids", "check_release", "upgrade_check"]
