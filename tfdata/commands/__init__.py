"""Each module here defines one click command or group named `command`; the CLI registers them.

A command whose issue has not landed is registered as a placeholder that says so and exits 2.
"""

from __future__ import annotations

import importlib

import click

from ..errors import NotImplementedYet

# (module, name, issue that implements it)
COMMANDS = [
    ("snapshot", "snapshot", 4),
    ("snapshots", "snapshots", 4),
    ("export", "export", 3),
    ("load", "load", 3),
    ("restore", "restore", 4),
    ("diff", "diff", 5),
    ("audit", "audit", 6),
    ("schema", "schema", 6),
    ("sync", "sync", 7),
]


def register_all(group: click.Group) -> None:
    """A group with a ``lazy`` table imports a command's module only when it is used (one
    command's imports, not every command's, before `tfdata diff` starts working)."""
    if hasattr(group, "lazy"):
        group.lazy.update({name: (module_name, issue) for module_name, name, issue in COMMANDS})
        return
    for module_name, name, issue in COMMANDS:
        group.add_command(load_command(module_name, name, issue), name)


def load_command(module_name: str, name: str, issue: int) -> click.Command:
    try:
        module = importlib.import_module(f"{__name__}.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{module_name}":
            raise
        return not_implemented(name, issue)
    return module.command


def not_implemented(name: str, issue: int) -> click.Command:
    @click.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def _cmd() -> None:
        raise NotImplementedYet(f"'{name}' is not implemented yet (issue {issue}); nothing was done")

    _cmd.help = f"(not implemented yet: issue {issue})"
    return _cmd
