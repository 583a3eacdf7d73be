"""Store commands: ``ingest`` (files into the store), ``check`` (does it add up) and ``fetch``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotspots.cli._common import ASB, COLUMN_ROLES, echo_table, progress_bar, store_option


def _open(store: str | None):
    from hotspots.cli._common import resolve_store
    from hotspots.store import default_store, describe, open_store

    target = resolve_store(store) or default_store()
    opened = open_store(target)
    click.echo(f"store: {describe(target)} ({opened.backend.name})", err=True)
    return opened


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option(read=False)
@click.option("--wards", "wards_path", type=click.Path(path_type=Path),
              help="Ward boundaries. Needed the first time (they are stored with their vintage "
                   "and used for every later batch); a different file later is refused.")
@click.option("--wards-vintage", metavar="YEAR",
              help="The boundaries' vintage, e.g. 2023 [default: from an ONS WDyyCD column].")
@click.option("--areas", "areas_path", type=click.Path(path_type=Path),
              help="Focus areas (TOML or polygons), stored with the wards the first time.")
@click.option("--crime-type", "crime_types", multiple=True, default=[ASB], show_default=True,
              help="police.uk Crime type to keep (repeat for several; 'all' keeps every type).")
@click.option("--postcodes", "postcodes_path", type=click.Path(path_type=Path),
              help="Postcode directory for council rows with a postcode but no coordinates.")
@click.option("--column", "column_map", multiple=True, metavar="ROLE=NAME",
              help=f"Name a council export's column (ROLE: {', '.join(COLUMN_ROLES)}).")
@click.option("--date-format", metavar="FORMAT", help="Force the council date format.")
@click.option("--tolerance-m", type=float, default=None,
              help="Ward tolerance in metres, fixed when the wards are stored [default: 100].")
def ingest(inputs: tuple[Path, ...], store: str | None, wards_path: Path | None,
           wards_vintage: str | None, areas_path: Path | None, crime_types: tuple[str, ...],
           postcodes_path: Path | None, column_map: tuple[str, ...], date_format: str | None,
           tolerance_m: float | None) -> None:  # fmt: skip
    """Load incident files into the store: one batch per file, never twice.

    A police.uk file is one batch per force and month, a council export one
    batch per file name. Loading a batch again replaces it; the same file again
    changes nothing. Every file is read and checked before anything is written,
    and everything is written in one transaction: a refused file, an error or a
    killed process leaves the store as it was. Prints `read N, stored N,
    rejected N` per batch (rejected rows are kept in the store with their line
    and reason).

    \b
    Examples:
      hotspots ingest ../shared/data/police-uk/west-mercia/2018-10-west-mercia-street.csv \\
          --wards ../shared/data/wards/redditch.geojson \\
          --areas boundaries/redditch_focus_areas.toml
      hotspots ingest new-month.csv                 # later months: the stored wards are used
      hotspots ingest cases.csv --store postgresql://me@dbhost/hotspots
      hotspots clusters --store --season autumn     # analyse what is stored
    """
    from hotspots.cli._common import council_columns

    geocoder = None
    if postcodes_path:
        from hotspots.geocode import PostcodeDirectory

        geocoder = PostcodeDirectory.from_csv(postcodes_path)
    with _open(store) as opened:
        results = opened.ingest(
            inputs,
            wards_path=wards_path,
            areas_path=areas_path,
            crime_types=None if "all" in crime_types else tuple(crime_types),
            columns=council_columns(column_map),
            geocoder=geocoder,
            tolerance_m=tolerance_m,
            wards_vintage=wards_vintage,
            date_format=date_format,
            progress=progress_bar,
        )
        for result in results:
            click.echo(result.line())
        batches = opened.batches()
        click.echo(
            f"the store holds {len(batches):,} batch(es), {int(batches['rows_stored'].sum()):,} "
            f"incidents (version {opened.version()})"
        )


@click.command()
@store_option(read=False)
def check(store: str | None) -> None:
    """Check the store: per batch, read = stored + rejected, and every incident has a batch.

    Prints one row per batch; exits with status 1 when anything does not add up.
    """
    with _open(store) as opened:
        result = opened.check()
    if len(result.batches):
        echo_table(result.batches)
    else:
        click.echo("the store holds no batches yet")
    for problem in result.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if not result.ok:
        sys.exit(1)
    click.echo(f"check passed: {len(result.batches):,} batch(es) add up")
