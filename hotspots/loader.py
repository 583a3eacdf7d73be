"""The one loader: what every command and the web app read, described once and read one way.

A :class:`DataSpec` names the data (incident files or a store, ward boundaries,
focus areas) and how to read it (crime types, council columns, postcode
directory, date format, boundary tolerance). :func:`load` turns it into the
:class:`~hotspots.analysis.prepare.Prepared` table that every analysis starts from.
The CLI builds a spec from its shared options, the web app from its config,
so ``hotspots clusters`` and the map page can never disagree on what "the
incidents" are.

With neither incident files nor a store, the spec is the embedded demo
borough (its wards and focus areas unless others are given).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from boundaries import get_path, load_wards
from hotspots._errors import ConfigError
from hotspots.analysis.prepare import Prepared, prepare
from hotspots.read._rows import ASB
from hotspots.read.council import CouncilColumns
from hotspots.read.incidents import read_incidents
from hotspots.read.places import read_focus_areas

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataSpec:
    """What to analyse and how to read it.

    Attributes
    ----------
    inputs : tuple of Path
        police.uk CSVs, folders, zips and council exports. Empty (and no
        ``store``): the embedded demo.
    wards : Path, optional
        Ward boundaries: they define the study area. Required with ``inputs``.
    areas : Path, optional
        Focus areas (town and district centres), TOML or polygons.
    population : Path, optional
        Ward population CSV, for rates per 1,000 residents.
    crime_types : tuple of str or None
        police.uk crime types to keep; None keeps every type.
    columns : CouncilColumns
        Council export columns named by the user (the rest are detected).
    postcodes : Path, optional
        Postcode directory (Code-Point Open or ONS Postcode Directory CSV).
    online_geocoder : bool
        Geocode address-only rows with Nominatim (network; off by default).
    geocoder_cache : Path
        The online geocoder's answer cache.
    date_format : str, optional
        The council date format forced: ``iso``, ``dmy``, ``mdy`` or strftime
        codes (detected per column when None; see :mod:`hotspots.read.dates`).
    tolerance_m : float
        Incidents this close outside every ward take the nearest ward.
    store : str, optional
        A store path or database URL to read prepared incidents from instead of
        files.

    Examples
    --------
    >>> spec = DataSpec()
    >>> spec.is_demo, spec.resolved().wards.name
    (True, 'wards.geojson')
    """

    inputs: tuple[Path, ...] = ()
    wards: Path | None = None
    areas: Path | None = None
    population: Path | None = None
    crime_types: tuple[str, ...] | None = (ASB,)
    columns: CouncilColumns = field(default_factory=CouncilColumns)
    postcodes: Path | None = None
    online_geocoder: bool = False
    geocoder_cache: Path = Path("geocode-cache.sqlite")
    date_format: str | None = None
    tolerance_m: float = 100.0
    store: str | None = None

    @property
    def is_demo(self) -> bool:
        """True when neither incident files nor a store are named."""
        return not self.inputs and not self.store

    def resolved(self) -> DataSpec:
        """The spec with the demo's files filled in where the demo is meant.

        Raises
        ------
        ConfigError
            Incident files without ward boundaries.
        """
        if self.is_demo:
            return replace(
                self,
                inputs=(get_path("demo-incidents"),),
                wards=self.wards or get_path("demo-wards"),
                areas=self.areas or get_path("demo-focus-areas"),
                population=self.population or get_path("demo-population"),
            )
        if self.wards is None and not self.store:
            raise ConfigError(
                "--wards FILE is required with incident files (HOTSPOTS_WARDS for the web "
                "app): the ward boundaries define the study area, for example "
                "../shared/data/wards/redditch.geojson"
            )
        return self

    def files(self) -> list[Path]:
        """Every file read, in a fixed order (after :meth:`resolved`)."""
        spec = self.resolved()
        named = (spec.wards, spec.areas, spec.population, spec.postcodes)
        return [*spec.inputs, *(Path(p) for p in named if p)]

    def version(self) -> str:
        """A short hash of the files' paths, sizes and modification times.

        Changes when any file read changes on disk, so a long-running app knows
        to load again. With a store, its version counter (raised by every
        ingest) takes the place of the incident files.
        """
        digest = hashlib.sha1()
        if self.store:
            from hotspots.store.store import open_store

            with open_store(self.store, create=False) as store:
                digest.update(f"store|{self.store}|{store.version()}\n".encode())
        for path in self.files():
            try:
                st = path.stat()
                digest.update(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
            except OSError:
                digest.update(f"{path}|missing\n".encode())
        return digest.hexdigest()[:12]


def _geocoders(spec: DataSpec):
    from hotspots.read.geocode import OnlineGeocoder, PostcodeDirectory

    postcodes = PostcodeDirectory.from_csv(spec.postcodes) if spec.postcodes else None
    online = None
    if spec.online_geocoder:
        from geopy.geocoders import Nominatim

        from hotspots import __version__

        online = OnlineGeocoder(
            Nominatim(user_agent=f"hotspots/{__version__}"), cache_path=spec.geocoder_cache
        )
    return postcodes, online


def load(
    spec: DataSpec,
    *,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> Prepared:
    """Read, validate, geocode and join the data a spec names.

    Parameters
    ----------
    spec : DataSpec
        What to read (see :class:`DataSpec`).
    progress : callable, optional
        Wraps the list of files being read (the CLI passes a progress bar).

    Returns
    -------
    Prepared
        Incidents in the study area with wards, focus areas and season columns;
        ``load`` holds the read / kept / rejected counts and the rejected rows.

    Examples
    --------
    >>> prepared = load(DataSpec())
    >>> len(prepared.incidents), prepared.load.rejected
    (6671, 4)
    """
    from hotspots.catchment_files import catchment_files

    spec = spec.resolved()
    if spec.store:
        return replace(_load_store(spec), catchments=catchment_files())
    postcodes, online = _geocoders(spec)
    incidents = read_incidents(
        spec.inputs,
        crime_types=spec.crime_types,
        columns=spec.columns,
        geocoder=postcodes,
        address_geocoder=online,
        progress=progress,
        date_format=spec.date_format,
    )
    wards = load_wards(spec.wards)
    areas = read_focus_areas(spec.areas) if spec.areas else None
    prepared = prepare(incidents, wards, areas=areas, tolerance_m=spec.tolerance_m)
    log.info("%s", prepared.summary())
    return replace(prepared, catchments=catchment_files())


def _load_store(spec: DataSpec) -> Prepared:
    """The prepared incidents of a store (no files read, no geocoding)."""
    from hotspots._secrets import redact_address as describe
    from hotspots.store.store import open_store

    if spec.inputs:
        raise ConfigError(
            f"give INPUT files or a store ({describe(spec.store)}), not both; to add files to "
            "the store run 'hotspots ingest FILE... --store STORE'"
        )
    with open_store(spec.store, create=False) as store:
        prepared = store.prepared(
            crime_types=spec.crime_types,
            wards_path=spec.wards,
            areas_path=spec.areas,
            tolerance_m=spec.tolerance_m,
        )
    log.info("%s (from the store %s)", prepared.summary(), describe(spec.store))
    return prepared


#: Streets this far outside the wards are kept (labels near the edge of a map).
STREETS_MARGIN_M = 300.0


def load_streets(spec: DataSpec, roads: str | Path | None = None):
    """The streets every map draws: ``roads``, else the store's, else the demo's own.

    Parameters
    ----------
    spec : DataSpec
        The data (its store's streets; the demo's made-up streets on the demo).
    roads : str or Path, optional
        A street file (``--roads`` / ``HOTSPOTS_ROADS``: OS Open Roads, an
        ``.osm.pbf`` extract, ``hotspots fetch streets`` output), read for the
        study area plus a margin; ``"none"`` draws no streets.

    Returns
    -------
    geopandas.GeoDataFrame or None
        ``name``, ``kind``, ``attribution`` lines (EPSG:27700), or None when no
        street source is known (every map then says how to add them:
        :data:`hotspots.read.roads.NO_STREETS_NOTE`).

    Examples
    --------
    >>> len(load_streets(DataSpec())) > 0, load_streets(DataSpec(), "none")
    (True, None)
    """
    from hotspots.read.roads import read_roads

    if roads is not None and str(roads).strip().lower() == "none":
        return None
    spec = spec.resolved()
    if roads:
        wards = None
        if spec.wards is not None:
            wards = load_wards(spec.wards)
        elif spec.store:
            from hotspots.store.store import open_store

            with open_store(spec.store, create=False) as store:
                wards = store.wards()
        bbox = None
        if wards is not None:
            x0, y0, x1, y1 = wards.to_crs(27700).total_bounds
            m = STREETS_MARGIN_M
            bbox = (x0 - m, y0 - m, x1 + m, y1 + m)
        return read_roads(roads, bbox=bbox)
    if spec.store:
        from hotspots.store.store import open_store

        with open_store(spec.store, create=False) as store:
            return store.streets()
    if spec.inputs == (get_path("demo-incidents"),):
        return read_roads(get_path("demo-roads"))
    return None
