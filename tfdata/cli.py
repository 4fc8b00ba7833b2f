"""The `tfdata` command: thin click wrappers over the library functions."""

from __future__ import annotations

import logging
import re
import sys
from typing import Iterator, TextIO

import click

from . import __version__
from .errors import TfdataError
from .outfile import Terminated
from .output import example


class OneLineUsageError(click.UsageError):
    """click prints usage errors over four lines; the convention is one line, exit 2."""

    def show(self, file=None) -> None:
        click.echo(f"tfdata: error: {self.format_message()}", err=True)


def _one_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, (OneLineUsageError, click.exceptions.NoArgsIsHelpError)):
        return exc  # bare `tfdata` / `tfdata sync` still prints the help
    return OneLineUsageError(exc.format_message(), exc.ctx)


# Libraries that log what tfdata already reports in one line (kazoo: every failed connection
# attempt with the host list; pika: every failed connection; the Cassandra driver: each refused
# connection with its traceback) or, at DEBUG, secrets (kazoo logs its Auth packet with the
# digest password): their level for each -v count.
LIBRARY_LEVELS = {
    "kazoo": (logging.ERROR, logging.WARNING, logging.INFO),
    "pika": (logging.CRITICAL, logging.WARNING, logging.INFO),
    "cassandra": (logging.CRITICAL, logging.WARNING, logging.INFO),
}
TFDATA_LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)

_SECRET = re.compile(r"""(?P<key>(?:password|passwd|secret|auth|credentials?)['"]?\s*[=:]\s*)(?P<q>['"]?)"""
                     r"""[^\s'",)}]+""", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.IGNORECASE)


def hide_secrets(text: str) -> str:
    """``password=x``, ``auth='user:x'``, ``amqp://user:x@host`` with the secret replaced by ***."""
    text = _SECRET.sub(lambda m: f"{m['key']}{m['q']}***", text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}***@", text)


class _HideSecrets(logging.Filter):
    """On tfdata's handler, so no record reaches stderr with a secret in its text, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = hide_secrets(record.getMessage()), None
        return True


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record comes (click's test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(verbosity: int) -> None:
    """The one place logging is set up: warnings to stderr by default, -v info, -vv debug for
    tfdata's own loggers; the chatty libraries stay quieter (never at DEBUG, which logs secrets)."""
    step = min(max(verbosity, 0), 2)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("tfdata: %(levelname)s: %(name)s: %(message)s"))
    handler.addFilter(_HideSecrets())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("tfdata").setLevel(TFDATA_LEVELS[step])
    for name, levels in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(levels[step])


def _count_verbosity(ctx: click.Context, param: click.Parameter, value: int) -> None:
    """-v adds up wherever it stands (`tfdata -v sync run -v` is -vv); logging follows at once."""
    if not value or ctx.resilient_parsing:
        return
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    root.obj["verbosity"] = root.obj.get("verbosity", 0) + value
    configure_logging(root.obj["verbosity"])


def _store_global(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """Keep a global option in the root context's obj, wherever it stood on the command line (the
    commands read it from there); given twice with different values is a usage error, not a guess."""
    if value is None or ctx.resilient_parsing:
        return
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {}
    earlier = root.obj.get(param.name)
    if earlier is not None and earlier != value:
        raise click.UsageError(f"{param.opts[0]} given twice: {earlier!r} and {value!r}", ctx)
    root.obj[param.name] = value


def global_options() -> list[click.Option]:
    """Options every command accepts before or after its name (`tfdata --config f.toml load ...`
    and `tfdata load ... --config f.toml`); new instances for each command that gets them."""
    return [
        click.Option(["--config", "config_path"], type=click.Path(dir_okay=False), default=None,
                     expose_value=False, callback=_store_global,
                     help="tfdata.toml with cluster profiles (default: ./tfdata.toml or $TFDATA_CONFIG)."),
        click.Option(["--issu-conf", "issu_conf"], type=click.Path(dir_okay=False), default=None,
                     expose_value=False, callback=_store_global,
                     help="Read profiles 'old' and 'new' from an existing contrail-issu.conf."),
        click.Option(["-v", "--verbose", "verbosity"], count=True, expose_value=False, callback=_count_verbosity,
                     help="More log on stderr: -v info, -vv debug (default: warnings only)."),
    ]


def add_global_options(command: click.Command) -> None:
    """Give ``command``, and every subcommand of a group, the global options (once)."""
    names = {param.name for param in command.params}
    command.params.extend(option for option in global_options() if option.name not in names)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)


class TfdataGroup(click.Group):
    """Turns library and usage errors into one-line messages and the documented exit codes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, int]] = {}  # name -> (module, issue), imported on first use

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self.commands and name in self.lazy:
            from .commands import load_command

            command = load_command(self.lazy[name][0], name, self.lazy[name][1])
            add_global_options(command)  # group-level: also for commands whose module does not know them
            self.add_command(command, name)
        return super().get_command(ctx, name)

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context):  # noqa: D401
        try:
            return super().invoke(ctx)
        except TfdataError as exc:
            click.echo(f"tfdata: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except click.UsageError as exc:
            raise _one_line(exc) from None
        except KeyboardInterrupt:  # click would print "Aborted!" and exit 1; abort() removed unfinished outputs
            click.echo("tfdata: error: interrupted by SIGINT", err=True)
            ctx.exit(130)
        except Terminated as exc:  # SIGTERM/SIGHUP while writing (tfdata.outfile): 128 + signal number
            click.echo(f"tfdata: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=TfdataGroup, context_settings={"help_option_names": ["-h", "--help"]},
             epilog=example("tfdata snapshot old -o snapshots/old-before-issu.tfsnap",
                            "tfdata diff snapshots/old-before-issu.tfsnap new --ignore id_perms.last_modified"))
@click.version_option(__version__, prog_name="tfdata")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Snapshot, diff, audit and migrate the Tungsten Fabric configuration store."""
    ctx.ensure_object(dict)
    configure_logging(ctx.obj.get("verbosity", 0))  # -v after the subcommand raises it again


add_global_options(cli)


def _register() -> None:
    from .commands import register_all

    register_all(cli)


_register()


def command_tree(command: click.Command | None = None, path: tuple[str, ...] = ("tfdata",)
                 ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and subcommand with its path, ``("tfdata", "sync", "pre")``, parents first and
    names sorted (loading lazy ones): what the help test and docs/cli.md walk."""
    command = cli if command is None else command
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from command_tree(sub, (*path, name))


def main() -> None:
    try:
        cli(obj={})
    except TfdataError as exc:  # raised outside a command invocation
        click.echo(f"tfdata: error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
