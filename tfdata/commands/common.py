"""Helpers shared by the click wrappers (never business logic)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import click

from ..stores.base import Source, Target
from ..stores.open import open_source

READERS_OPTION = click.option(
    "--readers", type=click.IntRange(1, 16), default=2, show_default=True,
    help="Live clusters: processes reading Cassandra at once (the per-cell work is CPU-bound).")


def renamed_option(old: str, new: str, why: str):
    """A hidden option under a retired spelling that fails with the new one (exit 2), so a script
    written for the old spelling stops with a pointer instead of click's bare 'No such option'."""
    def refuse(ctx: click.Context, param: click.Parameter, value: object) -> None:
        if value is not None and not ctx.resilient_parsing:
            raise click.UsageError(f"{old} is now {new} ({why})", ctx)

    return click.option(old, hidden=True, expose_value=False, callback=refuse, help=f"Retired: use {new}.")


@contextmanager
def opened(ctx: click.Context, spec: str, with_zookeeper: bool = True, defer_integrity: bool = False
           ) -> Iterator[Source]:
    obj = ctx.find_root().obj or {}
    source = open_source(spec, obj.get("config_path"), obj.get("issu_conf"), with_zookeeper=with_zookeeper,
                         defer_integrity=defer_integrity)
    try:
        yield source
    finally:
        source.close()


@contextmanager
def opened_cluster(ctx: click.Context, profile: str) -> Iterator[Target]:
    from ..stores.open import open_cluster

    obj = ctx.find_root().obj or {}
    store = open_cluster(profile, obj.get("config_path"), obj.get("issu_conf"))
    try:
        yield store
    finally:
        store.close()
