"""The sync steps' pure parts: options checks, default checkpoint names, what a copy step asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tfdata.errors import InputError
from tfdata.model.keyspaces import TF_KEYSPACES
from tfdata.stores.base import opened_pair
from tfdata.sync.steps import (
    BulkCopyOptions,
    PostSyncOptions,
    PreSyncOptions,
    RunSyncOptions,
    VerifyOptions,
    checkpoint_path,
    copy_options,
)


def test_checkpoint_is_named_for_the_keyspaces_and_both_profiles():
    assert checkpoint_path(["useragent", "dm_keyspace"], "old", "new") == Path(
        ".tfdata/sync-useragent-dm_keyspace-old-new.ckpt")
    assert checkpoint_path(["a"], "x", "y", Path("/var/tmp")) == Path("/var/tmp/sync-a-x-y.ckpt")


def test_checkpoint_names_stay_short_and_differ_per_pair_of_clusters():
    every = checkpoint_path(TF_KEYSPACES, "old", "new")
    assert every.name == f"sync-{'-'.join(TF_KEYSPACES)[:40]}-old-new.ckpt"
    assert every != checkpoint_path(TF_KEYSPACES, "old", "staging")


def test_copy_options_name_a_checkpoint_unless_one_is_given():
    options = copy_options(PreSyncOptions(ranges=8, workers=2, rate=100.0, clock_skew=None), ["useragent"], "o", "n")
    assert options.keyspaces == ["useragent"] and options.checkpoint == checkpoint_path(["useragent"], "o", "n")
    assert (options.ranges, options.workers, options.rate, options.clock_skew) == (8, 2, 100.0, None)
    given = copy_options(PostSyncOptions(checkpoint=Path("mine.ckpt"), dry_run=True), ["useragent"], "o", "n")
    assert given.checkpoint == Path("mine.ckpt") and given.dry_run


@pytest.mark.parametrize("kib", [0, 49])
def test_batch_size_outside_what_cassandra_takes_is_an_input_error(kib):
    with pytest.raises(InputError, match="batch size"):
        BulkCopyOptions(batch_kib=kib).check()


def test_batch_size_limits_are_accepted():
    BulkCopyOptions(batch_kib=1).check()
    BulkCopyOptions(batch_kib=48).check()


def test_verify_dry_run_needs_repair():
    with pytest.raises(InputError, match="--repair"):
        VerifyOptions(dry_run=True).check()
    VerifyOptions(dry_run=True, repair=True).check()


def test_verify_refuses_an_ignore_pattern_that_matches_nothing():
    with pytest.raises(InputError):
        VerifyOptions(ignore=["props..x"]).check()


class Store:
    def __init__(self, name, log, fail=False):
        if fail:
            raise ConnectionError(name)
        self.name, self.log = name, log

    def close(self):
        self.log.append(self.name)


def test_pair_closes_new_then_old():
    log = []
    with opened_pair(lambda name: Store(name, log), "old", "new") as (old, new):
        assert (old.name, new.name) == ("old", "new")
    assert log == ["new", "old"]


def test_pair_closes_old_when_new_cannot_be_opened():
    log = []
    with pytest.raises(ConnectionError):
        with opened_pair(lambda name: Store(name, log, fail=name == "new"), "old", "new"):
            pass
    assert log == ["old"]


@pytest.mark.parametrize("options", [BulkCopyOptions(ranges=0), BulkCopyOptions(workers=0),
                                     BulkCopyOptions(rate=0.0), RunSyncOptions(prefetch=0),
                                     RunSyncOptions(workers=0), VerifyOptions(settle=-1), VerifyOptions(readers=0)])
def test_values_that_cannot_work_are_input_errors(options):
    with pytest.raises(InputError):
        options.check()


def test_defaults_pass_their_checks():
    for options in (PreSyncOptions(), PostSyncOptions(), RunSyncOptions(), VerifyOptions()):
        options.check()
