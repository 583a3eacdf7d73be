"""Store commands: ``ingest`` (files into the store), ``check`` (does it add up) and ``fetch``."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from hotspots.cli._common import (
    column_option,
    crime_type_option,
    date_format_option,
    echo_table,
    postcodes_option,
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


@contextlib.contextmanager
def _writing(store: str | None):
    """The store to write to; a GeoPackage this command made is removed again if it fails empty.

    A failed first ingest (no --wards, a refused file, Ctrl-C) then leaves no
    empty ``.gpkg`` behind to be mistaken for a store. Never while another
    command writes there (:func:`_writers`): two first ingests into one new
    file, one failing, would otherwise remove the other's store under it.
    """
    from hotspots.cli._common import resolve_store
    from hotspots.store.address import default_store, is_database_url

    target = resolve_store(store) or default_store()
    path = None if is_database_url(target) else Path(target)
    with _writers(path) as alone:
        new = path is not None and not path.exists()
        opened = _open(store)
        try:
            with opened:
                yield opened
        except BaseException:
            if new and path.exists() and alone():
                _remove_if_empty(path)
            raise


@contextlib.contextmanager
def _writers(path: Path | None):
    """A shared lock on the GeoPackage's folder while this command writes there.

    Yields ``alone()``: True when no other command holds the lock (this one
    then holds it alone until it ends). The folder is made first (the store
    would make it), so that every command locks the same one. Where the
    system or the file system has no ``flock`` (Windows, some network
    shares), or for a database, ``alone()`` is always True.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None
    fd = None
    if fcntl is not None and path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path.parent, os.O_RDONLY)
            fcntl.flock(fd, fcntl.LOCK_SH)
        except OSError:  # no folder to lock (the store's own error follows) or no flock there
            if fd is not None:
                os.close(fd)
            fd = None
    if fd is None:
        yield lambda: True
        return

    def alone() -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    try:
        yield alone
    finally:
        os.close(fd)  # releases the lock


def _remove_if_empty(path: Path) -> None:
    from hotspots.store.address import StoreError
    from hotspots.store.store import open_store

    try:
        with open_store(path, create=False) as store:
            empty = len(store.batches()) == 0
    except StoreError:
        return
    if empty:
        for leftover in (
            path,
            *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm")),
        ):
            leftover.unlink(missing_ok=True)


@click.command()
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path))
@store_option(read=False)
@click.option(
    "--wards",
    "wards_path",
    type=click.Path(path_type=Path),
    help="Ward boundaries. Needed the first time (they are stored with their vintage "
    "and used for every later batch); a different file later is refused.",
)
@click.option(
    "--wards-vintage",
    metavar="YEAR",
    help="The boundaries' vintage, e.g. 2023 [default: from an ONS WDyyCD column].",
)
@click.option(
    "--areas",
    "areas_path",
    type=click.Path(path_type=Path),
    help="Focus areas (TOML or polygons), stored with the wards the first time.",
)
@crime_type_option
@postcodes_option
@column_option
@date_format_option
@click.option(
    "--tolerance-m",
    type=float,
    default=None,
    help="Ward tolerance in metres, fixed when the wards are stored [default: 100].",
)
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: read and check the files on a Dask cluster, one task per file; this "
                   "process writes them, one transaction per batch (the same store).")  # fmt: skip
@click.option(
    "--replace",
    is_flag=True,
    help="Let a batch replace a stored one even when it holds far fewer incidents, or fewer "
    "from a file that ends inside a row (refused otherwise: a truncated copy, most likely).",
)
@scheduler_option
@click.option(
    "--roads",
    "roads_path",
    type=click.Path(exists=True, path_type=Path),
    help="Streets kept with the boundaries and drawn, with their names, by serve, "
    "map, tasking, export and report with no option: an OpenStreetMap extract "
    "(.osm.pbf), OS Open Roads (GeoPackage or shapefile) or 'hotspots fetch "
    "streets' output; only those near the wards are kept. Replaces any stored.",
)
@click.option(
    "--results/--no-results",
    "keep_results",
    default=True,
    show_default=True,
    envvar="HOTSPOTS_INGEST_RESULTS",
    help="Then compute every period's map (each financial year and season, the whole "
    "area, default settings, with trend, chance test and place patterns) in worker "
    "processes and keep them in the store, so that `serve --store` has them ready. "
    "Also HOTSPOTS_INGEST_RESULTS=off.",
)
def ingest(inputs: tuple[Path, ...], store: str | None, wards_path: Path | None,
           wards_vintage: str | None, areas_path: Path | None, crime_types: tuple[str, ...],
           postcodes_path: Path | None, column_map: tuple[str, ...], date_format: str | None,
           tolerance_m: float | None, engine: str, replace: bool, scheduler: str | None,
           roads_path: Path | None, keep_results: bool) -> None:  # fmt: skip
    """Load incident files into the store: one batch per file, never twice.

    A police.uk file is one batch per force and month, a council export one
    batch per file name. Loading a batch again replaces it; the same file again
    changes nothing. A batch with far fewer incidents than the stored one (more
    than 5% fewer: a truncated copy?) is refused unless --replace; a file with
    no usable rows (a header only, no rows of the crime types) adds no batch.
    Every file is read and checked before anything is written, and everything
    is written in one transaction: a refused file, an error or a
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
      hotspots ingest --roads worcestershire-latest.osm.pbf   # streets for every map
      hotspots clusters --store --season autumn     # analyse what is stored
    """
    from hotspots.read.council import CouncilColumns

    if not inputs and roads_path is None:
        raise click.UsageError("give INPUT files to load (or --roads FILE to store streets)")

    geocoder = None
    if postcodes_path:
        from hotspots.read.geocode import PostcodeDirectory

        geocoder = PostcodeDirectory.from_csv(postcodes_path)
    with _writing(store) as opened:
        if not inputs:
            _store_streets(opened, roads_path)
            if keep_results and len(opened.batches()):
                _precompute(opened, crime_types)
            return
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
            replace=replace,
        )
        for result in results:
            click.echo(result.line())
        batches = opened.batches()
        click.echo(
            f"the store holds {len(batches):,} batch(es), {int(batches['rows_stored'].sum()):,} "
            f"incidents (version {opened.version()})"
        )
        if roads_path is not None:
            _store_streets(opened, roads_path)
        if keep_results and len(batches):
            _precompute(opened, crime_types)


def _precompute(opened, crime_types: tuple[str, ...]) -> None:
    """Every period's default result, and its map as ``serve --store`` draws it by default,
    computed in worker processes and kept in the store."""
    import time

    from hotspots.cli.web import serve_config
    from hotspots.precompute import precompute
    from webapp import create_app, mapframe

    config = serve_config(data=(), wards=None, areas=None, population=None, host="127.0.0.1",
                          tiles_url=None, tiles_attribution=None, eps_m=None, min_samples=None,
                          users_db=None, store=opened.target, crime_types=crime_types)  # fmt: skip
    app = create_app({**config, "HOTSPOTS_COMPUTE": "inline", "SECRET_KEY": "unused"})
    serving = app.extensions["hotspots_store"]  # as serve would make it: the same keys
    start = time.perf_counter()
    try:
        done = precompute(serving.spec, settings=serving.default_settings(),
                          task=mapframe.warm_period, options=serving.map_options,
                          population=None)  # fmt: skip
    except Exception as exc:  # the data is stored: the app computes the results instead
        click.echo(f"results not computed ({exc}); serve computes them when it starts", err=True)
        return
    ready = len(done.computed) + len(done.stored)
    click.echo(f"results: {ready} period(s) ready in the store, with their maps "
               f"({len(done.computed)} computed in worker processes, "
               f"{time.perf_counter() - start:.1f} s)")  # fmt: skip
    for line in done.failed:
        click.echo(f"  not computed: {line}", err=True)


def _store_streets(opened, roads_path: Path) -> None:
    """Read a street file for the store's wards (plus a margin) and keep it in the store."""
    from hotspots.loader import STREETS_MARGIN_M
    from hotspots.read.roads import read_roads, roads_attribution

    wards = opened.wards()
    if wards is None:
        raise click.UsageError(
            "the store has no wards yet: ingest incident files with --wards WARDS first (the "
            "streets kept are those near the wards)"
        )
    x0, y0, x1, y1 = wards.total_bounds
    m = STREETS_MARGIN_M
    roads = read_roads(roads_path, bbox=(x0 - m, y0 - m, x1 + m, y1 + m))
    if roads.empty:
        raise click.UsageError(
            f"{roads_path} has no streets near the store's wards: is it the right area?"
        )
    opened.keep_streets(roads, source=roads_path.name)
    named = int((roads["name"] != "").sum())
    credit = roads_attribution(roads)
    click.echo(f"stored {len(roads):,} street lines ({named:,} named) from {roads_path.name}"
               + (f" ({credit})" if credit else ""))  # fmt: skip


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
    """Download police.uk ASB, ONS ward boundaries and OpenStreetMap streets (network; cached).

    Requests are spaced (--pause-s), retried with back-off, and answers cached,
    so running a fetch again costs the services nothing. Without a network
    connection you get a one-line error saying so; "fetch streets
    --from-police FILES" then makes approximate streets from police.uk's map
    points instead.
    """


@fetch.command("police-uk")
@click.option("--force", required=True, help="police.uk force id, e.g. west-mercia.")
@click.option("--from", "first", required=True, metavar="YYYY-MM", help="First month.")
@click.option("--to", "last", required=True, metavar="YYYY-MM", help="Last month.")
@click.option(
    "--wards",
    "wards_path",
    type=click.Path(exists=True, path_type=Path),
    help="Ward boundaries whose outline is the area asked for [default with --ingest "
    "and no --poly: the store's wards].",
)
@click.option("--poly", help="The area as lat,lon:lat,lon:... (police.uk's poly parameter).")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("police-uk"),
    show_default=True,
    help="Folder for the CSVs (<month>-<force>-street.csv).",
)
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
            raise click.BadParameter(
                "give lat,lon:lat,lon:... (at least 3 points)", param_hint="--poly"
            ) from None
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
        with _writing(store) as opened:
            has_wards = opened.wards() is not None
            for result in opened.ingest(files, wards_path=None if has_wards else wards_path):
                click.echo(result.line())


@fetch.command("boundaries")
@click.option(
    "--lad", required=True, help="Local authority district code, e.g. E07000236 (Redditch)."
)
@click.option(
    "--year",
    required=True,
    type=click.IntRange(2015, 2100),
    help="Boundary year (December release), e.g. 2023.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="GeoPackage to write [default: wards-<LAD>-<year>.gpkg].",
)
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


@fetch.command("streets")
@click.argument("police_files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--from-police",
    "from_police",
    is_flag=True,
    help="Offline: make approximate streets from the map points of police.uk street-level "
    "CSVs (FILES, or folders of them) instead of asking OpenStreetMap (see the text above).",
)
@click.option(
    "--wards",
    "wards_path",
    type=click.Path(exists=True, path_type=Path),
    help="Ward boundaries whose outline (plus --margin-m) is the area asked for "
    "[default with --store: the store's wards].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="GeoPackage to write (give it to --roads) [default without --store: streets.gpkg].",
)
@store_option(read=False)
@click.option(
    "--margin-m",
    type=click.FloatRange(0, 5000),
    default=300.0,
    show_default=True,
    help="Streets this far outside the wards are fetched too.",
)
@click.option(
    "--overpass-url",
    envvar="HOTSPOTS_OVERPASS_URL",
    metavar="URL",
    default="https://overpass-api.de/api",
    show_default=True,
    help="The Overpass API root (a mirror, or a local test server). Also read from "
    "HOTSPOTS_OVERPASS_URL.",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Where answers are cached [default: ~/.cache/hotspots/fetch/overpass].",
)
@click.option("--refresh", is_flag=True, help="Ask again even for a cached answer.")
def fetch_streets(police_files: tuple[Path, ...], from_police: bool, wards_path: Path | None,
                  output: Path | None, store: str | None, margin_m: float, overpass_url: str,
                  cache_dir: Path | None, refresh: bool) -> None:  # fmt: skip
    """Named streets of the study area from OpenStreetMap (Overpass, through osmnx).

    Asks OpenStreetMap's Overpass API once for the streets, roads and named
    paths inside the wards' outline plus a margin, and keeps those with a name
    or a road number. Written as a GeoPackage for --roads (-o), or kept in the
    store with its boundaries (--store), so that serve, map, tasking, export
    and report draw them with no option. Every map that draws them shows
    "© OpenStreetMap contributors" (the ODbL licence). The answer is cached:
    asking again costs the service nothing.

    Offline? Give the streets from a file instead: --roads FILE takes an
    OpenStreetMap extract (.osm.pbf, as published per English county) or OS
    Open Roads (GeoPackage or shapefile), on any map command or on ingest.

    No street file either? --from-police FILES... makes approximate streets
    from police.uk's own map points: every row of a police.uk street-level CSV
    (all crime types; more months give more points) sits on an anonymous map
    point "On or near <street>". The points of one name, within 300 m of one
    another, are joined by straight lines; a street with one point (most
    closes have one) or joins under 80 m is a name placed at its points, with
    no line. These are NOT the streets' true courses: they place street names
    for an officer where no better source can be had. Places that are not
    streets ("Parking Area", "Supermarket", ...) are left out. Maps say
    "Streets: approximate, from police.uk map points" after police.uk's
    licence line (Open Government Licence v3.0).

    \b
    Examples:
      hotspots fetch streets --wards ../shared/data/wards/redditch.geojson -o streets.gpkg
      hotspots fetch streets --store              # the store's wards; kept in the store
      hotspots fetch streets --from-police ../shared/data/police-uk/west-mercia --store
    """
    from hotspots.io import write_layer

    if police_files and not from_police:
        raise click.UsageError(
            "FILES are police.uk CSVs for --from-police: add --from-police, or leave them out "
            "to ask OpenStreetMap"
        )
    if output is None and not store:
        output = Path("streets.gpkg")
    wards = wards_path
    if wards is None and store:
        with _open(store, create=False) as opened:
            wards = opened.wards()
        if wards is None:
            raise click.UsageError("the store has no wards yet: give --wards FILE")
    if from_police:
        streets, what, credit = _police_streets(police_files, wards, margin_m=margin_m)
        source = f"police.uk map points ({len(police_files)} path(s))"
    else:
        from hotspots.read.fetch import OSM_ATTRIBUTION, default_cache_dir, fetch_streets

        if wards is None:
            raise click.UsageError(
                "give --wards FILE (its outline is the area asked for) or --store"
            )
        streets = fetch_streets(wards, overpass_url=overpass_url, margin_m=margin_m,
                                cache_dir=cache_dir or default_cache_dir() / "overpass",
                                refresh=refresh)  # fmt: skip
        named = int((streets["name"] != "").sum())
        source = f"OpenStreetMap (Overpass at {overpass_url})"
        credit = OSM_ATTRIBUTION
        what = f"{len(streets):,} street lines ({named:,} named) from OpenStreetMap"
    if output is not None:
        write_layer(streets, output, layer_name="streets")
        click.echo(f"wrote {output}: {what}; give it to --roads ({credit})")
    if store:
        from hotspots.read.roads import as_roads

        with _open(store) as opened:
            opened.keep_streets(as_roads(streets), source=source)
        click.echo(f"stored {what} with the store's boundaries ({credit})")


def _police_streets(paths: tuple[Path, ...], wards, *, margin_m: float):
    """Streets from police.uk map points near ``wards`` (all when None): (streets, what, credit)."""
    from hotspots.read.police_streets import (
        JOINED,
        POLICE_STREETS_ATTRIBUTION,
        read_map_points,
        streets_from_map_points,
    )

    files = sorted({f for p in paths for f in (sorted(p.glob("*.csv")) if p.is_dir() else [p])})
    if not files:
        raise click.UsageError(
            "give the police.uk street-level CSVs (or their folder) after --from-police, e.g. "
            "hotspots fetch streets --from-police police-uk/*.csv --store"
        )
    streets = streets_from_map_points(read_map_points(files))
    if wards is not None:
        from boundaries import load_wards

        frame = load_wards(wards) if isinstance(wards, (str, Path)) else wards
        x0, y0, x1, y1 = frame.to_crs(27700).total_bounds
        streets = streets.cx[x0 - margin_m : x1 + margin_m, y0 - margin_m : y1 + margin_m]
    if streets.empty:
        raise click.UsageError(
            f"no named street in the {len(files)} police.uk file(s)"
            + (" near the wards: are they the right force and area?" if wards is not None else "")
        )
    lines = int((streets["shape"] == JOINED).sum())
    what = (f"{len(streets):,} approximate streets from {int(streets['map_points'].sum()):,} "
            f"police.uk map points in {len(files)} file(s) ({lines:,} lines, "
            f"{len(streets) - lines:,} names only)")  # fmt: skip
    return streets.reset_index(drop=True), what, POLICE_STREETS_ATTRIBUTION
