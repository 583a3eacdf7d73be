"""The ``hotspots`` command: a thin layer over the library.

The CLI owns the terminal: progress bars, summary lines and tables. Every
command reads its inputs the same way (:func:`input_options` and
:func:`load_prepared`), so ``clusters``, ``wards`` and the report commands
agree on what "the incidents" are.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
import pandas as pd
from tqdm import tqdm

from boundaries import get_path, load_wards
from hotspots import __version__
from hotspots._errors import HotspotsError
from hotspots.cluster import ClusterParams, background_count, default_min_samples, suggest_eps
from hotspots.geocode import OnlineGeocoder, PostcodeDirectory
from hotspots.incidents import ASB, CouncilColumns, read_incidents
from hotspots.io import write_layer, write_table
from hotspots.pipeline import Prepared, hotspots_for, prepare, select_incidents
from hotspots.places import read_focus_areas
from hotspots.seasons import SEASONS
from hotspots.wards import ward_table

log = logging.getLogger("hotspots")

SEASON_CHOICE = click.Choice([*SEASONS, "all"], case_sensitive=False)


class _Group(click.Group):
    """A group that turns the project's user errors into one-line messages."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except HotspotsError as exc:
            raise click.ClickException(str(exc)) from None
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            raise click.ClickException(f"{exc.strerror}: {exc.filename}") from None


@click.group(
    cls=_Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="hotspots")
@click.option("-v", "--verbose", count=True, help="Say more (-v: steps, -vv: debug).")
def main(verbose: int) -> None:
    """Anti-social behaviour hotspots from police.uk and council incident data.

    \b
    Typical use, one borough and one season:
      hotspots clusters data/2018-*-west-mercia-street.csv \\
          --wards wards.geojson --season autumn --fy 2018-19 -o clusters.geojson
      hotspots wards data/*.csv --wards wards.geojson -o ward_table.csv
      hotspots demo            # the whole pipeline on the embedded demo borough

    With no INPUT files, commands run on the embedded demo borough (approximate
    boundaries, incidents made by the project). Distances are worked out on
    British National Grid (EPSG:27700, metres); GeoJSON is written in EPSG:4326.
    """
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


# --------------------------------------------------------------------------- shared options


def input_options(func: Callable) -> Callable:
    """The options every command that reads incidents takes."""
    options = [
        click.argument("inputs", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--wards", "wards_path", type=click.Path(path_type=Path),
                     help="Ward boundaries (GeoJSON, shapefile or GeoPackage; ONS WDyyCD/WDyyNM "
                          "columns are detected). They define the study area. Default with no "
                          "INPUT: the demo wards."),
        click.option("--areas", "areas_path", type=click.Path(path_type=Path),
                     help="Focus areas (town centre, district centres) as TOML or polygons; "
                          "see boundaries/redditch_focus_areas.toml."),
        click.option("--crime-type", "crime_types", multiple=True, default=[ASB], show_default=True,
                     help="police.uk Crime type to keep (repeat for several; 'all' keeps every type)."),
        click.option("--rejects", "rejects_path", type=click.Path(path_type=Path),
                     help="Where rows that cannot be used are written, with file, line and reason "
                          "[default: beside the output, <output>.rejects.csv]."),
        click.option("--postcodes", "postcodes_path", type=click.Path(path_type=Path),
                     help="Postcode directory (OS Code-Point Open or ONS Postcode Directory CSV) "
                          "for council rows that have a postcode but no coordinates."),
        click.option("--online-geocoder", is_flag=True,
                     help="Geocode address-only rows with OpenStreetMap Nominatim (needs the "
                          "network; 1 request/s; answers cached). Off by default."),
        click.option("--geocoder-cache", type=click.Path(path_type=Path),
                     default=Path("geocode-cache.sqlite"), show_default=True,
                     help="Cache file for the online geocoder."),
        click.option("--column", "column_map", multiple=True, metavar="ROLE=NAME",
                     help="Name a council export's column when detection gets it wrong. ROLE is "
                          "one of date, category, longitude, latitude, easting, northing, "
                          "postcode, address, location, incident_id. Example: "
                          "--column date='Date Reported' --column postcode=PCODE"),
        click.option("--tolerance-m", type=float, default=100.0, show_default=True,
                     help="Incidents just outside every ward take the nearest ward within this "
                          "many metres; further away they are outside the study area."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True)
class Inputs:
    """What :func:`input_options` collected."""

    inputs: tuple[Path, ...]
    wards_path: Path | None
    areas_path: Path | None
    crime_types: tuple[str, ...]
    rejects_path: Path | None
    postcodes_path: Path | None
    online_geocoder: bool
    geocoder_cache: Path
    column_map: tuple[str, ...]
    tolerance_m: float

    @classmethod
    def pop(cls, kwargs: dict) -> Inputs:
        """Take this class's fields out of a command's keyword arguments."""
        return cls(**{name: kwargs.pop(name) for name in cls.__dataclass_fields__})


def _columns(column_map: tuple[str, ...]) -> CouncilColumns:
    roles = set(CouncilColumns.__dataclass_fields__) - {"default_category"}
    given = {}
    for item in column_map:
        role, sep, name = item.partition("=")
        if not sep or role.strip() not in roles:
            raise HotspotsError(
                f"--column takes ROLE=NAME with ROLE one of {sorted(roles)!r}; got {item!r}"
            )
        given[role.strip()] = name.strip()
    return CouncilColumns(**given)


def _progress(items: list) -> list:
    return tqdm(items, desc="reading", unit="file", disable=None if len(items) > 1 else True)


def load_prepared(opts: Inputs, *, output: Path | None = None) -> Prepared:
    """Read, validate, geocode and join the inputs; print the summary line.

    With no INPUT the embedded demo is used (its wards and focus areas too,
    unless others are given). Rejected rows are written to the rejects file.
    """
    inputs = opts.inputs
    demo = not inputs
    if demo:
        inputs = (get_path("demo-incidents"),)
        click.echo("No INPUT given: using the embedded demo borough.", err=True)
    wards_path = opts.wards_path or (get_path("demo-wards") if demo else None)
    if wards_path is None:
        raise HotspotsError(
            "--wards FILE is required with INPUT files: the ward boundaries define the study "
            "area (for example ../shared/data/wards/redditch.geojson)."
        )
    areas_path = opts.areas_path or (get_path("demo-focus-areas") if demo else None)
    postcodes = PostcodeDirectory.from_csv(opts.postcodes_path) if opts.postcodes_path else None
    online = None
    if opts.online_geocoder:
        from geopy.geocoders import Nominatim

        online = OnlineGeocoder(
            Nominatim(user_agent=f"hotspots/{__version__}"), cache_path=opts.geocoder_cache
        )
    crime_types = None if "all" in opts.crime_types else tuple(opts.crime_types)
    load = read_incidents(
        inputs,
        crime_types=crime_types,
        columns=_columns(opts.column_map),
        geocoder=postcodes,
        address_geocoder=online,
        progress=_progress,
    )
    wards = load_wards(wards_path)
    areas = read_focus_areas(areas_path) if areas_path else None
    prepared = prepare(load, wards, areas=areas, tolerance_m=opts.tolerance_m)
    rejects_path = opts.rejects_path or (
        output.with_name(output.stem + ".rejects.csv") if output else Path("rejects.csv")
    )
    line = prepared.summary()
    if load.rejected:
        write_table(load.rejects, rejects_path)
        line += f"\nrejected rows written to {rejects_path}"
    click.echo(line)
    return prepared


def cluster_options(func: Callable) -> Callable:
    """Selection and DBSCAN options."""
    options = [
        click.option("--season", type=SEASON_CHOICE, default="all", show_default=True,
                     help="Meteorological season (winter = Dec-Feb, labelled by January's year)."),
        click.option("--fy", "financial_year", metavar="YYYY-YY",
                     help="Financial year April-March, e.g. 2018-19 [default: all years]."),
        click.option("--area", help="Only this focus area (a name from --areas)."),
        click.option("--ward", help="Only this ward (its name in the boundary file)."),
        click.option("--eps-m", type=float, default=100.0, show_default=True,
                     help="DBSCAN neighbourhood radius in metres."),
        click.option("--min-samples", type=int, default=None,
                     help="Incidents within --eps-m that make a hotspot core [default: chosen "
                          "from the data: at least 5, 1% of the selection, and 3x the even-spread "
                          "background]."),
        click.option("--hull-buffer-m", type=float, default=25.0, show_default=True,
                     help="Widen each cluster's outline by this many metres."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _echo_table(frame: pd.DataFrame) -> None:
    with pd.option_context("display.max_colwidth", 60, "display.width", 160):
        click.echo(frame.to_string(index=False))


# --------------------------------------------------------------------------- commands


@main.command()
@input_options
@cluster_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("clusters.geojson"),
              show_default=True, help="Output file: .geojson (EPSG:4326), .gpkg (EPSG:27700) or .csv.")  # fmt: skip
def clusters(output: Path, **kwargs) -> None:
    """Find ASB hotspots with DBSCAN and write one outline per cluster.

    INPUT is any mix of police.uk street-level CSVs, folders or zips, and council
    exports. Clusters are sorted largest first; each has cluster_id, incidents,
    share (of the selection), ward, area (focus area), top_locations,
    top_categories and months.

    \b
    Example (Redditch, autumn 2018):
      hotspots clusters ../shared/data/police-uk/west-mercia/2018-1*.csv \\
        --wards ../shared/data/wards/redditch.geojson \\
        --areas boundaries/redditch_focus_areas.toml --season autumn -o autumn.geojson
    """
    opts = Inputs.pop(kwargs)
    params = ClusterParams(
        eps_m=kwargs["eps_m"], min_samples=kwargs["min_samples"], hull_buffer_m=kwargs["hull_buffer_m"]
    )
    prepared = load_prepared(opts, output=output)
    found = hotspots_for(
        prepared,
        season=kwargs["season"],
        financial_year=kwargs["financial_year"],
        area=kwargs["area"],
        ward=kwargs["ward"],
        params=params,
    )
    write_layer(found, output)
    click.echo(
        f"{len(found)} cluster(s) from {found.attrs['selected']:,} incidents "
        f"(eps {params.eps_m:g} m, min_samples {found.attrs['min_samples']}) written to {output}"
    )
    if len(found):
        _echo_table(found[["cluster_id", "incidents", "ward", "area", "top_locations"]].head(10))


@main.command()
@input_options
@click.option("-o", "--output", type=click.Path(path_type=Path), default=Path("ward_table.csv"),
              show_default=True, help="The ward table as CSV.")  # fmt: skip
def wards(output: Path, **kwargs) -> None:
    """Count incidents per ward and financial year, in the council's table format.

    Columns: ward, one per financial year (April-March, e.g. 2017-18), then
    difference and percentage (last year against the one before) when there
    are two or more years; the last row is the Grand Total.
    """
    prepared = load_prepared(Inputs.pop(kwargs), output=output)
    table = ward_table(prepared.incidents, prepared.wards)
    write_table(table, output)
    _echo_table(table)
    click.echo(f"written to {output}")


@main.command()
@input_options
@click.option("--season", type=SEASON_CHOICE, default="all", show_default=True)
@click.option("--fy", "financial_year", metavar="YYYY-YY")
@click.option("--eps-m", type=float, default=100.0, show_default=True)
@click.option("--min-samples", type=int, default=None)
def tune(**kwargs) -> None:
    """Suggest DBSCAN settings for a selection: eps from the k-distance curve.

    Prints the incidents selected, the default min_samples, the background
    count expected in an --eps-m circle, and the eps_m at the knee of the
    k-distance curve for that min_samples.
    """
    prepared = load_prepared(Inputs.pop(kwargs))
    chosen = select_incidents(
        prepared.incidents, season=kwargs["season"], financial_year=kwargs["financial_year"]
    )
    area = prepared.study_area_m2
    ms = kwargs["min_samples"] or default_min_samples(len(chosen), area, kwargs["eps_m"])
    click.echo(f"incidents selected: {len(chosen):,}; study area {area / 1e6:.1f} km2")
    click.echo(
        f"background in a {kwargs['eps_m']:g} m circle: "
        f"{background_count(len(chosen), area, kwargs['eps_m']):.2f}"
    )
    click.echo(f"min_samples: {ms}; suggested eps_m: {suggest_eps(chosen, min_samples=ms):g}")


@main.command()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out/demo"),
              show_default=True, help="Folder for the outputs.")  # fmt: skip
@click.option("--rebuild", is_flag=True, help="Rebuild data/demo/ from data/build_demo.py first.")
def demo(out_dir: Path, rebuild: bool) -> None:
    """Run the whole pipeline on the embedded demo borough and say where outputs went.

    The demo borough is modelled on Redditch's published ASB figures (12 wards,
    2017-18 and 2018-19); its boundaries are approximate and its incidents made
    by the project (data/build_demo.py). No network is used.
    """
    if rebuild:
        sys.path.insert(0, str(get_path("demo-wards").parent.parent))
        from build_demo import build

        for path in build():
            click.echo(f"rebuilt {path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    opts = Inputs((), None, None, (ASB,), out_dir / "rejects.csv", None, False, Path(), (), 100.0)
    prepared = load_prepared(opts)
    written = [write_table(ward_table(prepared.incidents, prepared.wards), out_dir / "ward_table.csv")]
    for season in SEASONS:
        found = hotspots_for(prepared, season=season, financial_year="2018-19")
        written.append(write_layer(found, out_dir / f"clusters_2018-19_{season}.geojson"))
    found = hotspots_for(prepared, financial_year="2018-19")
    written.append(write_layer(found, out_dir / "clusters_2018-19_all.gpkg"))
    written.append(out_dir / "rejects.csv")
    click.echo("outputs:")
    for path in written:
        click.echo(f"  {path}")


def _register(commands: list[click.Command]) -> None:
    for command in commands:
        main.add_command(command)


@functools.cache
def _plugins() -> None:
    """Add the commands that live beside their subject (web app, reports)."""
    from hotspots import report_cli
    from webapp import cli as web_cli

    _register(report_cli.COMMANDS)
    _register(web_cli.COMMANDS)


_plugins()
