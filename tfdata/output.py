"""One place that decides how results reach the user: rich text on a terminal, JSON for machines."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import click

FORMAT_OPTION = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people, json for scripts (quiet, no progress).",
)


def example(*command_lines: str) -> str:
    """A command's help epilog: 'Example:' and one or two command lines, kept as written (the
    \\b stops click from re-wrapping them); docs/cli.md and test_cli_help read it."""
    return "\b\nExample:\n" + "\n".join(f"  {line}" for line in command_lines)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class Progress:
    """Progress bar with ETA on a terminal; silent otherwise or with --format json."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and stderr_is_terminal()
        self._progress = None

    def __enter__(self) -> "Progress":
        if self.enabled:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress as RichProgress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.console import Console

            self._progress = RichProgress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def task(self, description: str, total: int | None = None) -> "ProgressTask":
        if self._progress is None:
            return ProgressTask(None, None)
        return ProgressTask(self._progress, self._progress.add_task(description, total=total))


class ProgressTask:
    def __init__(self, progress: Any, task_id: Any) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, n: int = 1) -> None:
        if self._progress is not None:
            self._progress.advance(self._task_id, n)

    def set_total(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task_id, total=total)


@contextmanager
def no_progress() -> Iterator[Progress]:
    yield Progress(False)
