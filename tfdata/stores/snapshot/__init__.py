"""Snapshots: one SQLite file holding every cell and znode of a config store, plus a manifest."""
