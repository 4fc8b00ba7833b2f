"""The `tfdata` command: thin click wrappers over the library functions."""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import TfdataError
from .outfile import Terminated


class OneLineUsageError(click.UsageError):
    """click prints usage errors over four lines; the convention is one line, exit 2."""

    def show(self, file=None) -> None:
        click.echo(f"tfdata: error: {self.format_message()}", err=True)


def _one_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, (OneLineUsageError, click.exceptions.NoArgsIsHelpError)):
        return exc  # bare `tfdata` / `tfdata sync` still prints the help
    return OneLineUsageError(exc.format_message(), exc.ctx)


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

            self.add_command(load_command(self.lazy[name][0], name, self.lazy[name][1]), name)
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


@click.group(cls=TfdataGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tfdata")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="tfdata.toml with cluster profiles (default: ./tfdata.toml or $TFDATA_CONFIG).")
@click.option("--issu-conf", "issu_conf", type=click.Path(dir_okay=False), default=None,
              help="Read profiles 'old' and 'new' from an existing contrail-issu.conf.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, issu_conf: str | None) -> None:
    """Snapshot, diff, audit and migrate the Tungsten Fabric configuration store."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["issu_conf"] = issu_conf


def _register() -> None:
    from .commands import register_all

    register_all(cli)


_register()


def main() -> None:
    try:
        cli(obj={})
    except TfdataError as exc:  # raised outside a command invocation
        click.echo(f"tfdata: error: {exc}", err=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
