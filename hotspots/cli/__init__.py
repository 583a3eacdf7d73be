"""The ``hotspots`` command: a thin layer over the library.

The CLI owns the terminal: progress bars, summary lines and tables. Every
command reads its inputs the same way (:mod:`hotspots.cli._common`: the shared
options and :func:`~hotspots.cli._common.load_prepared`, which calls the
library's one loader), so ``clusters``, ``wards``, the reports and the web app
agree on what "the incidents" are.

Commands live in topic modules and are imported only when used
(:data:`COMMANDS`), so ``hotspots --help`` answers at once. To add a command,
write it in a module of this package and add one line to :data:`COMMANDS`.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from hotspots import __version__

#: Command name -> "module:attribute", in the order ``--help`` lists them.
COMMANDS: dict[str, str] = {
    "clusters": "hotspots.cli.analysis:clusters",
    "wards": "hotspots.cli.analysis:wards",
    "evaluate": "hotspots.cli.evaluate:evaluate",
    "tune": "hotspots.cli.evaluate:tune",
    "patterns": "hotspots.cli.evaluate:patterns",
    "tasking": "hotspots.cli.reports:tasking",
    "map": "hotspots.cli.reports:map_command",
    "export": "hotspots.cli.reports:export",
    "serve": "hotspots.cli.web:serve",
    "users": "hotspots.cli.web:users",
    "report": "hotspots.cli.deck:report",
    "demo": "hotspots.cli.analysis:demo",
    "ingest": "hotspots.cli.store:ingest",
    "check": "hotspots.cli.store:check",
    "fetch": "hotspots.cli.store:fetch",
}


def first_sentence(text: str) -> str:
    """A command's first sentence, for the command list (click would cut it at the width).

    Examples
    --------
    >>> first_sentence("Count incidents per ward, in the council's format. Columns: ward, ...")
    "Count incidents per ward, in the council's format."
    """
    para = " ".join(text.strip().split("\n\n")[0].split())
    end = para.find(". ")
    return para if end < 0 else para[: end + 1]


def repeated_options(command: click.Command, args: list[str]) -> dict[str, list[str]]:
    """Single-value options given more than once in ``args`` (click would keep the last silently).

    Examples
    --------
    >>> cmd = click.Command("c", params=[click.Option(["--wards"]), click.Option(["--data"], multiple=True)])
    >>> repeated_options(cmd, ["a.csv", "--wards", "A.geojson", "--wards=B.geojson", "--data", "x"])
    {'--wards': ['A.geojson', 'B.geojson']}
    >>> repeated_options(cmd, ["--data", "x", "--data", "y"])
    {}
    """
    single = {}
    for param in command.params:
        if isinstance(param, click.Option) and not (param.multiple or param.count or param.is_flag):
            for opt in param.opts:
                single[opt] = param.name
    seen: dict[str, list[tuple[str, str]]] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break
        opt, eq, value = token.partition("=")
        if opt in single:
            if not eq:
                value = args[i + 1] if i + 1 < len(args) else ""
                i += 1
            seen.setdefault(single[opt], []).append((opt, value))
        i += 1
    return {uses[0][0]: [v for _, v in uses] for uses in seen.values() if len(uses) > 1}


#: What to say when an option that takes one value is given twice.
_REPEAT_HINTS = {
    "--wards": " To analyse several districts together, make one boundary file of their wards "
    "(for example with `ogr2ogr -append`); `hotspots report` takes --wards once per "
    "district for the partnership deck.",
}


class _Group(click.Group):
    """Commands loaded on first use; the project's user errors as one-line messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *(n for n in super().list_commands(ctx) if n not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            module, _, attr = COMMANDS[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            if command.short_help is None:  # the listing shows the whole first sentence
                command.short_help = first_sentence(command.help or "")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["hotspots_args"] = list(args)  # for the error messages' secrets (below)
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        """Refuse a single-value option given twice, instead of silently keeping the last."""
        from hotspots._secrets import redact_address

        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, click.Group):
            for opt, values in repeated_options(command, rest).items():
                shown = ", ".join(
                    repr(redact_address(v)) for v in values
                )  # a --store URL's password
                raise click.UsageError(
                    f"{opt} was given {len(values)} times ({shown}) but takes "
                    f"one value; give it once.{_REPEAT_HINTS.get(opt, '')}",
                    ctx,
                )
        return name, command, rest

    def invoke(self, ctx: click.Context):
        from hotspots._errors import HotspotsError

        try:
            return super().invoke(ctx)
        except HotspotsError as exc:
            raise click.ClickException(_no_secrets(ctx, str(exc))) from None
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            raise click.ClickException(f"{exc.strerror}: {exc.filename}") from None


def _no_secrets(ctx: click.Context, message: str) -> str:
    """``message`` with any password of a store address given (argument or environment) masked."""
    import os

    from hotspots._secrets import redact_text

    given = [*ctx.meta.get("hotspots_args", ()),
             *(os.environ.get(k) for k in ("HOTSPOTS_STORE", "HOTSPOTS_DATABASE_URL"))]  # fmt: skip
    return redact_text(message, *given)


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="hotspots")
@click.option("-v", "--verbose", count=True, help="Say more (-v: steps, -vv: debug).")
@click.pass_context
def main(ctx: click.Context, verbose: int) -> None:
    """Anti-social behaviour hotspots from police.uk and council incident data.

    \b
    Start here (no files needed: the embedded demo borough):
      hotspots demo            # maps, tasking sheet and report pack in out/demo
      hotspots serve           # the web app on http://127.0.0.1:5000

    \b
    Your own data, one borough and one season:
      hotspots clusters ../shared/data/police-uk/west-mercia/2018-1*.csv \\
          --wards ../shared/data/wards/redditch.geojson --season autumn --fy 2018-19 \\
          -o clusters.geojson
      hotspots wards ../shared/data/police-uk/west-mercia/*.csv \\
          --wards ../shared/data/wards/redditch.geojson -o ward_table.csv

    With no INPUT files, commands run on the embedded demo borough (approximate
    boundaries, incidents made by the project). Distances are worked out on
    British National Grid (EPSG:27700, metres); GeoJSON is written in EPSG:4326.
    Run `hotspots COMMAND --help` for a command's options and an example.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if ctx.invoked_subcommand != "serve":  # a command that runs and exits
        from hotspots.cli._common import batch_collector

        batch_collector()
