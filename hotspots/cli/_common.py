"""What every command shares: the input and selection options, and the one way to load.

Each command module imports this one (never another command module). Only
click and the standard library are imported at module level, so that
``hotspots --help`` answers at once; the library is imported inside functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    import pandas as pd

    from hotspots.analysis.cluster import ClusterParams
    from hotspots.analysis.prepare import Prepared
    from hotspots.loader import DataSpec

log = logging.getLogger("hotspots")

#: The seasons (hotspots.analysis.seasons.SEASONS; a test checks they agree) and "all".
SEASON_NAMES = ("winter", "spring", "summer", "autumn")
SEASON_CHOICE = click.Choice([*SEASON_NAMES, "all"], case_sensitive=False)
#: police.uk's crime type for anti-social behaviour (hotspots.read._rows.ASB).
ASB = "Anti-social behaviour"
#: Roles of council export columns that --column may name (hotspots.read.council.CouncilColumns).
COLUMN_ROLES = ("date", "category", "longitude", "latitude", "easting", "northing", "postcode",
                "address", "location", "incident_id")  # fmt: skip


def _apply(func: Callable, options: list[Callable]) -> Callable:
    for option in reversed(options):
        func = option(func)
    return func


#: The reading options that ``ingest`` shares with every command that reads files (defined once).
crime_type_option = click.option(
    "--crime-type", "crime_types", multiple=True, default=[ASB], show_default=True,
    help="police.uk Crime type to keep (repeat for several; 'all' keeps every type).",
)  # fmt: skip
postcodes_option = click.option(
    "--postcodes", "postcodes_path", type=click.Path(path_type=Path),
    help="Postcode directory (OS Code-Point Open or ONS Postcode Directory CSV) for council "
         "rows that have a postcode but no coordinates.",
)  # fmt: skip
column_option = click.option(
    "--column", "column_map", multiple=True, metavar="ROLE=NAME",
    help="Name a council export's column when detection gets it wrong. ROLE is one of "
         f"{', '.join(COLUMN_ROLES)}. Example: --column date='Date Reported' --column postcode=PCODE",
)  # fmt: skip
date_format_option = click.option(
    "--date-format", metavar="FORMAT",
    help="Force the council date format: iso, dmy (dd/mm/yyyy), mdy (mm/dd/yyyy) or strftime "
         "codes, e.g. '%d/%m/%Y %H:%M'. Default: one format detected per column (ISO is "
         "year-month-day; slash dates day first unless the column can only be month first).",
)  # fmt: skip


def input_options(func: Callable) -> Callable:
    """The options every command that reads incidents takes (collected by :class:`Inputs`)."""
    return _apply(func, [
        click.argument("inputs", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--wards", "wards_path", type=click.Path(path_type=Path),
                     help="Ward boundaries (GeoJSON, shapefile or GeoPackage; ONS WDyyCD/WDyyNM "
                          "columns are detected). They define the study area. Default with no "
                          "INPUT: the demo wards."),
        click.option("--areas", "areas_path", type=click.Path(path_type=Path),
                     help="Focus areas (town centre, district centres) as TOML or polygons; "
                          "see boundaries/redditch_focus_areas.toml."),
        crime_type_option,
        click.option("--rejects", "rejects_path", type=click.Path(path_type=Path),
                     help="Where rows that cannot be used are written, with file, line and reason "
                          "[default: beside the output, <output>.rejects.csv]."),
        postcodes_option,
        click.option("--online-geocoder", is_flag=True,
                     help="Geocode address-only rows with OpenStreetMap Nominatim (needs the "
                          "network; 1 request/s; answers cached). Off by default."),
        click.option("--geocoder-cache", type=click.Path(path_type=Path),
                     default=Path("geocode-cache.sqlite"), show_default=True,
                     help="Cache file for the online geocoder."),
        column_option,
        date_format_option,
        click.option("--tolerance-m", type=float, default=100.0, show_default=True,
                     help="Incidents just outside every ward take the nearest ward within this "
                          "many metres; further away they are outside the study area."),
        store_option(read=True),
        click.option("--keep-addresses", is_flag=True,
                     help="Keep full place text (house numbers, flats, business names) in the "
                          "outputs. Default: street level only ('6 Unicorn Hill, Redditch' -> "
                          "'Unicorn Hill'); the rejects file keeps rows as read."),
    ])  # fmt: skip


#: What ``--store`` given with no value stands for: the default store.
DEFAULT_STORE = "default"


#: ``--scheduler ADDRESS`` for ``--engine dask`` (ingest and clusters).
scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS", envvar="HOTSPOTS_DASK_SCHEDULER",
    help="With --engine dask: a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
         "[default: $HOTSPOTS_DASK_SCHEDULER, else a local cluster].",
)  # fmt: skip


def store_option(*, read: bool) -> Callable:
    """``--store PATH|URL``: a store made by ``hotspots ingest`` (GeoPackage file or PostGIS URL)."""
    what = (
        "Read prepared incidents from this store (made by 'hotspots ingest') instead of INPUT "
        "files: no files are read or geocoded. Its wards and focus areas are used unless "
        "--wards/--areas are given."
        if read
        else "The store to write to."
    )
    return click.option(
        "--store", "store", metavar="PATH|URL", is_flag=False, flag_value=DEFAULT_STORE,
        help=f"{what} A .gpkg file, or postgresql://user@host/db for PostGIS. --store alone: "
             "the default store ($HOTSPOTS_STORE, else $HOTSPOTS_DATABASE_URL, else store.gpkg "
             "in the user data folder).",
    )  # fmt: skip


def resolve_store(store: str | None) -> str | None:
    """``--store``'s value with the default store filled in."""
    if store == DEFAULT_STORE:
        from hotspots.store.address import default_store

        return default_store()
    return store


@dataclass(frozen=True)
class Inputs:
    """What :func:`input_options` collected."""

    inputs: tuple[Path, ...] = ()
    wards_path: Path | None = None
    areas_path: Path | None = None
    crime_types: tuple[str, ...] = (ASB,)
    rejects_path: Path | None = None
    postcodes_path: Path | None = None
    online_geocoder: bool = False
    geocoder_cache: Path = Path("geocode-cache.sqlite")
    column_map: tuple[str, ...] = ()
    date_format: str | None = None
    tolerance_m: float = 100.0
    store: str | None = None
    keep_addresses: bool = False

    @classmethod
    def pop(cls, kwargs: dict) -> Inputs:
        """Take this class's fields out of a command's keyword arguments."""
        return cls(**{name: kwargs.pop(name) for name in cls.__dataclass_fields__})

    def spec(self) -> DataSpec:
        """The library's description of the data to load."""
        from hotspots.loader import DataSpec
        from hotspots.read.council import CouncilColumns

        crime_types = None if "all" in self.crime_types else tuple(self.crime_types)
        return DataSpec(
            inputs=tuple(self.inputs),
            wards=self.wards_path,
            areas=self.areas_path,
            crime_types=crime_types,
            columns=CouncilColumns.from_pairs(self.column_map),
            postcodes=self.postcodes_path,
            online_geocoder=self.online_geocoder,
            geocoder_cache=self.geocoder_cache,
            date_format=self.date_format,
            tolerance_m=self.tolerance_m,
            store=resolve_store(self.store),
        )


def progress_bar(items: list) -> list:
    """A progress bar over files when there is more than one."""
    from tqdm import tqdm

    return tqdm(items, desc="reading", unit="file", disable=None if len(items) > 1 else True)


#: Young objects allocated between two runs of the garbage collector in a batch command.
BATCH_GC_THRESHOLD = 100_000


def batch_collector(*, libraries_loaded: bool = False) -> None:
    """Tune Python's garbage collector for a command that reads, analyses and exits.

    Python walks its young objects every 700 allocations, and now and then
    every object: the libraries' hundreds of thousands again and again, and
    every list of a column's values made meanwhile, for an eighth of the CPU
    time of ``clusters`` at 2x10^5 incidents. When a command starts (not
    ``serve``), young objects are collected every ten :data:`BATCH_GC_THRESHOLD`
    allocations, so that importing the libraries is not walked; once they are
    loaded (``libraries_loaded``, :func:`load_prepared`) they are frozen (never
    walked again) and the collector runs every :data:`BATCH_GC_THRESHOLD`.
    Reference counting frees everything else as before; the answers do not
    change. (mypy tunes its collector the same way.)
    """
    import gc

    if libraries_loaded:
        gc.freeze()
    else:
        batch_allocator()
    threshold = BATCH_GC_THRESHOLD if libraries_loaded else 10 * BATCH_GC_THRESHOLD
    gc.set_threshold(threshold, *gc.get_threshold()[1:])


#: Arrays up to this size (bytes) come from the C heap in a batch command, not from their own
#: memory map; freed memory up to :data:`BATCH_HEAP_KEPT` stays with the process for reuse.
BATCH_MMAP_BYTES = 256 * 2**20
BATCH_HEAP_KEPT = 512 * 2**20


def batch_allocator() -> bool:
    """Let a batch command reuse the memory it frees (glibc's ``mallopt``); False where not glibc.

    glibc gives every allocation over 128 KiB-32 MiB (NumPy's columns and
    temporaries) a memory map of its own and returns it when freed, so the
    next array of that size page-faults its memory in again. With a higher
    map threshold (:data:`BATCH_MMAP_BYTES`) and trim threshold
    (:data:`BATCH_HEAP_KEPT`) freed memory is reused: ``clusters --min-samples
    15`` at 2x10^5 incidents spent 0.20 s of system CPU time against 0.27 s
    (mean of 6 runs each), at the same peak memory (329 MB); at 10^6, 0.5-0.7 s
    against 1.4-1.7 s (985 MB either way). ``serve`` is not
    tuned (a long-running process should give memory back).
    """
    import ctypes  # NumPy loads it too
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own symbols: libc's
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, BATCH_MMAP_BYTES)) and bool(
        mallopt(m_trim_threshold, BATCH_HEAP_KEPT)
    )


def load_prepared(
    opts: Inputs, *, output: Path | None = None, shows_places: bool = True
) -> Prepared:
    """Load the inputs with the library loader; print the summary line; write the rejects.

    With no INPUT the embedded demo is used (its wards and focus areas too,
    unless others are given). Rejected rows go to ``--rejects``, else beside
    ``output`` (``<output>.rejects.csv``), else ``rejects.csv``. Place text is
    street level (:func:`hotspots.privacy.redact_places`) unless ``--keep-addresses``;
    a command whose output shows no place text (``shows_places=False``: ``wards``, ``tune``,
    ``evaluate``) skips that step.
    """
    from hotspots.io import write_table
    from hotspots.loader import load

    batch_collector(libraries_loaded=True)
    spec = opts.spec()
    if spec.is_demo:
        click.echo("No INPUT given: using the embedded demo borough.", err=True)
    prepared = load(spec, progress=progress_bar)
    rejects_path = opts.rejects_path or (
        output.with_name(output.stem + ".rejects.csv") if output else Path("rejects.csv")
    )
    line = prepared.summary()
    if prepared.load.rejected:
        write_table(prepared.load.rejects, rejects_path)
        line += f"\nrejected rows written to {rejects_path}"
    click.echo(line)
    if shows_places and not opts.keep_addresses:
        from dataclasses import replace

        from hotspots.privacy import redact_places

        prepared = replace(prepared, incidents=redact_places(prepared.incidents, withheld=""))
    return prepared


def dbscan_options(
    *,
    eps_default: float | None = 100.0,
    min_samples_from: str = "the data",
    hull_buffer: bool = True,
    params: bool = True,
    params_dest: str = "params_path",
) -> Callable:
    """``--eps-m``, ``--min-samples``, ``--hull-buffer-m`` and ``--params``, defined once.

    Every command that clusters takes these (read with :func:`cluster_params`);
    ``eps_default=None`` leaves ``--eps-m`` unset unless given (``serve``: the
    ``--params`` file's radius, else 100 m); ``min_samples_from`` says what the
    automatic ``min_samples`` is chosen from.
    """
    options = [
        click.option(
            "--eps-m",
            type=float,
            default=eps_default,
            show_default=eps_default is not None,
            help="DBSCAN neighbourhood radius in metres"
            + ("." if eps_default is not None else " [default: 100, or --params]."),
        ),
        click.option(
            "--min-samples",
            type=int,
            default=None,
            help="Incidents within --eps-m that make a hotspot core [default: chosen "
            f"from {min_samples_from}: at least 5, 1% of the incidents, and 3x the "
            "even-spread background].",
        ),
    ]
    if hull_buffer:
        options.append(
            click.option(
                "--hull-buffer-m",
                type=float,
                default=25.0,
                show_default=True,
                help="Widen each hotspot's outline by this many metres.",
            )
        )
    if params:
        options.append(
            click.option(
                "--params",
                params_dest,
                type=click.Path(path_type=Path),
                help="DBSCAN parameters from `hotspots tune -o FILE` (TOML); "
                "--eps-m, --min-samples or --hull-buffer-m given as "
                "well win over it.",
            )
        )
    return lambda func: _apply(func, options)


def cluster_options(func: Callable) -> Callable:
    """Selection and DBSCAN options (read with :func:`cluster_params`)."""
    func = dbscan_options()(func)
    return _apply(func, [
        click.option("--season", type=SEASON_CHOICE, default="all", show_default=True,
                     help="Meteorological season (winter = Dec-Feb, labelled by January's year)."),
        click.option("--fy", "financial_year", metavar="YYYY-YY",
                     help="Financial year April-March, e.g. 2018-19 [default: all years]."),
        click.option("--area", help="Only this focus area (a name from --areas)."),
        click.option("--ward", help="Only this ward (its name in the boundary file)."),
    ])  # fmt: skip


def cluster_params(kwargs: dict) -> ClusterParams:
    """The DBSCAN settings from :func:`cluster_options`' values.

    With ``--params FILE`` the file's settings are used, except those given
    on the command line; the result's ``source`` names the file.
    """
    import dataclasses

    from hotspots.analysis.cluster import ClusterParams

    given = {k: kwargs[k] for k in ("eps_m", "min_samples", "hull_buffer_m")}
    path = kwargs.get("params_path")
    if not path:
        return ClusterParams(**given)
    from hotspots.analysis.tune import read_params

    ctx = click.get_current_context(silent=True)
    typed = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    explicit = {k: v for k, v in given.items() if ctx and ctx.get_parameter_source(k) in typed}
    params = dataclasses.replace(read_params(path), **explicit)
    ms = params.min_samples if params.min_samples is not None else "from the data"
    line = f"DBSCAN parameters from {path}: eps {params.eps_m:g} m, min_samples {ms}"
    if explicit:
        names = ", ".join("--" + k.replace("_", "-") for k in explicit)
        line += f" ({names} from the command line)"
    click.echo(line, err=True)
    return params


def echo_table(frame: pd.DataFrame) -> None:
    """Print a table to the terminal (wide columns cut at 60 characters)."""
    import pandas as pd

    with pd.option_context("display.max_colwidth", 60, "display.width", 160):
        click.echo(frame.to_string(index=False))
