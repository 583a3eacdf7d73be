"""Store commands: ``ingest`` (files into the store), ``check`` (does it add up) and ``fetch``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotspots.cli._common import (
    ASB,
    COLUMN_ROLES,
    echo_table,
    progress_bar,
    scheduler_option,
    store_option,
)


def _open(store: str | None, *, create: bool = True):
    from hotspots._secrets import redact_address
    from hotspots.cli._common import resolve_store
    from hotspots.store.address import default_store
    from hotspots.store.store import open_store

    target = resolve_store(store) or default_store()
    opened = open_store(target, create=create)
    click.echo(f"store: {redact_address(target)} ({opened.backend.name})", err=True)
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
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: read and check the files on a Dask cluster, one task per file; this "
                   "process writes them, one transaction per batch (the same store).")  # fmt: skip
@scheduler_option
def ingest(inputs: tuple[Path, ...], store: str | None, wards_path: Path | None,
           wards_vintage: str | None, areas_path: Path | None, crime_types: tuple[str, ...],
           postcodes_path: Path | None, column_map: tuple[str, ...], date_format: str | None,
           tolerance_m: float | None, engine: str, scheduler: str | None) -> None:  # fmt: skip
    """Load incident files into the store: one batch per file, never twice.

    A police.uk file is one batch per force and month, a council export one
    batch per file name. Loading a batch again replaces it; the same file again
    changes nothing. Every file is read and checked before anything is written,
    and everything is written in one transaction: a refused file, an error or a
    killed process leaves the store as it was. Prints `read N, stored N,
    rejected N` per batch (rejected rows are kept in the store with their line
    and reason).

    With --engine dask the files are read and checked on a Dask cluster (one
    task per file) and written here one transaction per batch, in file order:
    the same batches, incidents and rejects. A refused file still stops
    everything before any write; a killed ingest leaves whole batches only, and
    running it again adds the rest.

    \b
    Examples:
      hotspots ingest ../shared/data/police-uk/west-mercia/2018-10-west-mercia-street.csv \\
          --wards ../shared/data/wards/redditch.geojson \\
          --areas boundaries/redditch_focus_areas.toml
      hotspots ingest new-month.csv                 # later months: the stored wards are used
      hotspots ingest cases.csv --store postgresql://me@dbhost/hotspots
      hotspots ingest /shared/police-uk/ --engine dask --scheduler tcp://10.0.0.5:8786
      hotspots clusters --store --season autumn     # analyse what is stored
    """
    from hotspots.read.council import CouncilColumns

    geocoder = None
    if postcodes_path:
        from hotspots.read.geocode import PostcodeDirectory

        geocoder = PostcodeDirectory.from_csv(postcodes_path)
    with _open(store) as opened:
        ingest_files = opened.ingest
        if engine == "dask":
            from hotspots.cli.dask_engine import ingest_on_dask

            ingest_files = ingest_on_dask(opened, scheduler)
        results = ingest_files(
            inputs,
            wards_path=wards_path,
            areas_path=areas_path,
            crime_types=None if "all" in crime_types else tuple(crime_types),
            columns=CouncilColumns.from_pairs(column_map),
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
    with _open(store, create=False) as opened:
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


def _fetch_options(func):
    options = [
        click.option("--cache-dir", type=click.Path(path_type=Path),
                     help="Where answers are cached [default: ~/.cache/hotspots/fetch]."),
        click.option("--refresh", is_flag=True, help="Ask again even for cached answers."),
        click.option("--retries", type=click.IntRange(0, 10), default=4, show_default=True,
                     help="Further tries after a network error, 429 or 5xx (back-off 1, 2, 4 s...)."),
        click.option("--pause-s", type=click.FloatRange(0), default=0.5, show_default=True,
                     help="At least this long between two requests."),
        click.option("--base-url", help="Another address for the service (a mirror or a test "
                                        "server) [default: the live service]."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _fetcher(cache_dir: Path | None, refresh: bool, retries: int, pause_s: float):
    from hotspots.read.fetch import Fetcher, default_cache_dir

    return Fetcher(cache_dir=cache_dir or default_cache_dir(), refresh=refresh, retries=retries,
                   min_interval_s=pause_s)  # fmt: skip


@click.group()
def fetch() -> None:
    """Download police.uk ASB and ONS ward boundaries (network; polite, retried, cached).

    Requests are spaced (--pause-s), retried with back-off, and answers cached,
    so running a fetch again costs the services nothing. Without a network
    connection you get a one-line error saying so.
    """


@fetch.command("police-uk")
@click.option("--force", required=True, help="police.uk force id, e.g. west-mercia.")
@click.option("--from", "first", required=True, metavar="YYYY-MM", help="First month.")
@click.option("--to", "last", required=True, metavar="YYYY-MM", help="Last month.")
@click.option("--wards", "wards_path", type=click.Path(exists=True, path_type=Path),
              help="Ward boundaries whose outline is the area asked for [default with --ingest "
                   "and no --poly: the store's wards].")
@click.option("--poly", help="The area as lat,lon:lat,lon:... (police.uk's poly parameter).")
@click.option("-o", "--out", "out_dir", type=click.Path(path_type=Path), default=Path("police-uk"),
              show_default=True, help="Folder for the CSVs (<month>-<force>-street.csv).")
@click.option("--ingest", "then_ingest", is_flag=True, help="Then ingest the files into the store.")
@store_option(read=False)
@_fetch_options
def fetch_police_uk(force: str, first: str, last: str, wards_path: Path | None, poly: str | None,
                    out_dir: Path, then_ingest: bool, store: str | None, base_url: str | None,
                    **kwargs) -> None:  # fmt: skip
    """Street-level anti-social behaviour for an area and months, in police.uk's CSV layout.

    Uses the police.uk API's crimes-street for a polygon (the outline of
    --wards, or --poly), one request per month, and writes one CSV per month as
    the police.uk downloads name and lay them out.

    \b
    Example:
      hotspots fetch police-uk --force west-mercia --from 2024-01 --to 2024-04 \\
          --wards ../shared/data/wards/redditch.geojson --ingest
    """
    from hotspots.read.fetch import POLICE_API, area_polygon, fetch_police_uk, months_between

    months = months_between(first, last)
    if poly:
        try:
            polygon = [tuple(float(v) for v in pt.split(",")) for pt in poly.split(":")]
        except ValueError:
            raise click.BadParameter("give lat,lon:lat,lon:... (at least 3 points)", param_hint="--poly") from None
        if len(polygon) < 3 or any(len(p) != 2 for p in polygon):
            raise click.BadParameter("give at least 3 lat,lon points", param_hint="--poly")
    elif wards_path:
        polygon = area_polygon(wards_path)
    elif then_ingest:
        with _open(store) as opened:
            stored = opened.wards()
        if stored is None:
            raise click.UsageError("the store has no wards yet: give --wards FILE or --poly")
        polygon = area_polygon(stored)
    else:
        raise click.UsageError("give --wards FILE (its outline is the area asked for) or --poly")
    files = fetch_police_uk(force=force, months=months, polygon=polygon, out_dir=out_dir,
                            fetcher=_fetcher(**kwargs), base_url=base_url or POLICE_API)  # fmt: skip
    for path in files:
        click.echo(f"wrote {path}")
    if then_ingest:
        with _open(store) as opened:
            has_wards = opened.wards() is not None
            for result in opened.ingest(files, wards_path=None if has_wards else wards_path):
                click.echo(result.line())


@fetch.command("boundaries")
@click.option("--lad", required=True, help="Local authority district code, e.g. E07000236 (Redditch).")
@click.option("--year", required=True, type=click.IntRange(2015, 2100),
              help="Boundary year (December release), e.g. 2023.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="GeoPackage to write [default: wards-<LAD>-<year>.gpkg].")
@_fetch_options
def fetch_boundaries(lad: str, year: int, output: Path | None, base_url: str | None,
                     **kwargs) -> None:  # fmt: skip
    """Ward boundaries of a district from the ONS Open Geography Portal, as GeoPackage.

    The layer keeps the service's columns (WDyyCD, WDyyNM, ...) and records the
    vintage and the service it came from; give it to --wards.

    \b
    Example:
      hotspots fetch boundaries --lad E07000236 --year 2023
    """
    from hotspots.read.fetch import ONS_API, fetch_ward_boundaries

    output = output or Path(f"wards-{lad}-{year}.gpkg")
    path = fetch_ward_boundaries(lad=lad, year=year, out_path=output, fetcher=_fetcher(**kwargs),
                                 base_url=base_url or ONS_API)  # fmt: skip
    click.echo(f"wrote {path} (wards of {lad}, vintage {year})")
