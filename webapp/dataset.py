"""The app's data as the web app sees it: which data (its config), one loaded version, and
the states an answer can be in.

:func:`spec_from_config` describes the data as the library's
:class:`~hotspots.loader.DataSpec` (the embedded demo by default); :func:`load_version`
reads one version of it with :func:`hotspots.loader.load` (memoised), as :class:`Loaded`.
:class:`MapOptions` says how maps are drawn. The errors say why an answer is not served:
:class:`DataLoadError` (the data cannot be read, 503), :class:`StoreBusy` (too many waiting,
503), :class:`NotReady` (being computed in a worker, 202), :class:`ComputeFailed` (a worker
failed, 500). :class:`webapp.data.DataStore` uses them all.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

import hotspots.results as period_results
from hotspots import precompute
from hotspots._errors import HotspotsError
from hotspots.analysis.prepare import Prepared
from hotspots.draw.basemap import Basemap
from hotspots.loader import DataSpec, load, load_streets
from hotspots.results import PeriodResult
from hotspots.store.address import StoreEmpty
from webapp import results
from webapp.selection import Choices, NoData

log = logging.getLogger(__name__)


class DataLoadError(RuntimeError):
    """The configured data cannot be read (the app answers 503 with the reason)."""


class StoreBusy(RuntimeError):
    """Too many uncached answers are waiting to be computed (the app answers 503, Retry-After)."""


class NotReady(RuntimeError):
    """An answer is being computed in a worker process (the page says "computing…", 202).

    Attributes
    ----------
    what : str
        What is being computed, in words ("autumn, 2018-19, whole borough").
    since : float
        When the computation was asked for (``time.monotonic()``).
    answer : str
        Which answer of it ("the hotspots", "the ward table", "the panel deck").
    """

    def __init__(self, what: str, since: float, answer: str = "the hotspots") -> None:
        self.what = what
        self.since = since
        self.answer = answer
        super().__init__(f"{answer} of {what}: being computed")


class ComputeFailed(RuntimeError):
    """A worker process could not compute an answer: it failed, or it stopped (killed, out of
    memory). Raised once for the requests waiting for it; the next request tries again."""


def spec_from_config(config) -> DataSpec:
    """The data the app analyses, from its config (the same :class:`DataSpec` the CLI builds).

    Reads ``HOTSPOTS_INPUTS``, ``HOTSPOTS_WARDS``, ``HOTSPOTS_AREAS``,
    ``HOTSPOTS_POPULATION``, ``HOTSPOTS_POSTCODES``, ``HOTSPOTS_CRIME_TYPES``,
    ``HOTSPOTS_COLUMNS`` (``ROLE=NAME`` strings), ``HOTSPOTS_DATE_FORMAT`` and
    ``HOTSPOTS_STORE``. With no inputs and no store: the embedded demo.

    Examples
    --------
    >>> spec_from_config({}).is_demo
    True
    >>> spec_from_config({"HOTSPOTS_INPUTS": ["a.csv"], "HOTSPOTS_WARDS": "w.geojson",
    ...                   "HOTSPOTS_COLUMNS": ["date=Reported"]}).columns.date
    'Reported'
    """
    from hotspots.read._rows import ASB
    from hotspots.read.council import CouncilColumns

    def path(key: str) -> Path | None:
        value = config.get(key)
        return Path(value) if value else None

    crime_types = tuple(config.get("HOTSPOTS_CRIME_TYPES") or (ASB,))
    spec = DataSpec(
        inputs=tuple(Path(p) for p in (config.get("HOTSPOTS_INPUTS") or ())),
        wards=path("HOTSPOTS_WARDS"),
        areas=path("HOTSPOTS_AREAS"),
        population=path("HOTSPOTS_POPULATION"),
        crime_types=None if "all" in crime_types else crime_types,
        columns=CouncilColumns.from_pairs(config.get("HOTSPOTS_COLUMNS") or ()),
        postcodes=path("HOTSPOTS_POSTCODES"),
        date_format=config.get("HOTSPOTS_DATE_FORMAT") or None,
        store=config.get("HOTSPOTS_STORE") or None,
    )
    spec.resolved()  # a ConfigError now, not at the first request, when wards are missing
    return spec


@dataclass(frozen=True)
class Loaded:
    """One version of the data, ready for every selection."""

    version: str
    prepared: Prepared
    population: pd.Series | None
    choices: Choices
    #: The store's streets (None: no store, or it keeps none).
    streets: gpd.GeoDataFrame | None = None
    #: The store's version counter the data was read at (None: files, or it moved meanwhile).
    store_version: int | None = None


@functools.lru_cache(maxsize=4)
def load_version(spec: DataSpec, version: str) -> Loaded:
    """Load and prepare the data with the library loader (memoised per version)."""
    log.info("loading the data, dataset version %s", version)
    try:
        before = precompute.store_version(spec)
        prepared = load(spec)
        store_version = before if precompute.store_version(spec) == before else None
        pop_path = spec.resolved().population  # the demo ships its own (made-up) figures
        population = results.read_population(pop_path, prepared.wards) if pop_path else None
        streets = load_streets(spec) if spec.store else None
    except StoreEmpty as exc:  # nothing ingested yet: every page says so (not a 503)
        raise NoData from exc
    except (HotspotsError, OSError) as exc:
        raise DataLoadError(str(exc)) from exc
    log.info("%s", prepared.summary())
    return Loaded(
        version, prepared, population, results.choices_for(prepared), streets, store_version
    )


@dataclass(frozen=True)
class Ready:
    """A period's answer from a worker: the result and the borough's accuracy sentence."""

    result: PeriodResult
    #: The borough's sentence ({}: none; None: not worked out with this answer).
    accuracy: dict | None


def ready(answer: precompute.Answer, data: Loaded) -> Ready:
    """A worker's (or the store's) answer decoded on this process's copy of the data."""
    return Ready(period_results.decode_result(answer.result, data.prepared), answer.accuracy)


@dataclass(frozen=True)
class MapOptions:
    """How maps are drawn (from the config): basemap, street layer, marker cap.

    ``roads`` is a street file (``HOTSPOTS_ROADS``); without one the store's
    streets are drawn; ``streets_off`` (``HOTSPOTS_ROADS=none``) draws none.
    """

    basemap: Basemap | None = None
    roads: Path | None = None
    streets_off: bool = False
    max_points: int = 2000
    tiles_url: str | None = None
    tiles_attribution: str | None = None


@functools.lru_cache(maxsize=4)
def load_roads(spec: DataSpec, path: Path, version: str) -> gpd.GeoDataFrame:
    """The street layer near the study area, read once per file version."""
    try:
        return load_streets(spec, path)
    except (HotspotsError, OSError) as exc:
        raise DataLoadError(str(exc)) from exc
