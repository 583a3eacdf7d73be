"""Planning an ingest: read, validate and tag one source file as a batch."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hotspots.read._csv import CUT_SHORT, Source, _read_table, read_header
from hotspots.read._rows import ASB, IncidentLoad
from hotspots.read.council import _council_load
from hotspots.read.incidents import _police_load, is_police_table
from hotspots.store.address import StoreError, describe

log = logging.getLogger(__name__)


_POLICE_NAME_RE = re.compile(r"^(\d{4}-\d{2})-(.+)-street\.csv$", re.IGNORECASE)


_VINTAGE_RE = re.compile(r"^(?:WD|WARD)(\d{2})CD$", re.IGNORECASE)


@dataclass(frozen=True)
class _Planned:
    key: str
    source: str  # "police.uk" or "council"
    force: str | None
    month: str | None
    file: str
    checksum: str
    crime_types: str
    load: IncidentLoad
    tagged: gpd.GeoDataFrame


@dataclass(frozen=True)
class IngestOptions:
    """How an ingest reads its files (the options of :meth:`Store.ingest` past the boundaries)."""

    crime_types: Sequence[str] | None = (ASB,)
    columns: object = None
    geocoder: object = None
    address_geocoder: object = None
    date_format: str | None = None


@dataclass(frozen=True)
class IngestBoundaries:
    """What an ingest tags incidents with; ``new`` are boundaries to store with the first batch."""

    wards: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame | None
    tolerance_m: float
    new: list = field(default_factory=list)


@dataclass(frozen=True)
class SourcePlan:
    """One file, read and tagged, ready to write (:func:`plan_source`); nothing written yet.

    ``planned`` is None when the file equals its stored batch (``unchanged``),
    and may be dropped to send only the summary (the Dask ingest keeps the
    tables on the worker that read them until they are written).
    """

    key: str
    file: str
    unchanged: bool
    counts: tuple[int, int, int]  # rows read (of the crime types), stored, rejected
    planned: _Planned | None = None
    empty: bool = False  # no usable rows: nothing to store
    cut_short: bool = False  # the file ends inside a row: a truncated copy

    def summary(self) -> SourcePlan:
        """The plan without its tables."""
        return SourcePlan(self.key, self.file, self.unchanged, self.counts, empty=self.empty,
                          cut_short=self.cut_short)  # fmt: skip


def _differs(path: str | Path | None, stored: pd.DataFrame, kind: str) -> bool:
    """Whether ``path`` was given and is not the boundary file the store holds as ``kind``."""
    return (
        path is not None and file_checksum(Path(path).read_bytes()) != stored.loc[kind, "checksum"]
    )


def ingest_boundaries(
    store,
    *,
    wards_path: str | Path | None = None,
    areas_path: str | Path | None = None,
    tolerance_m: float | None = None,
    wards_vintage: str | None = None,
) -> IngestBoundaries:
    """The wards, focus areas and tolerance an ingest tags with (stored, else the given ones).

    The first step of :meth:`Store.ingest` (and of the Dask ingest,
    :func:`hotspots.distributed.ingest_dask`): given boundaries that differ
    from the stored ones are refused; boundaries given for the first time are
    returned in ``new``, to be written with the first batch.

    Parameters
    ----------
    store : hotspots.store.store.Store
        The open store (its stored boundaries, if any).
    wards_path, areas_path : path, optional
        Ward boundaries and focus areas given to the ingest.
    tolerance_m : float, optional
        Ward tolerance (100 m by default; fixed when the wards are stored).
    wards_vintage : str, optional
        The boundaries' vintage (default: from an ONS ``WDyyCD`` column).

    Returns
    -------
    IngestBoundaries

    Raises
    ------
    StoreError
        If the boundaries differ from the stored ones, or none are stored or given.
    """
    from boundaries import load_wards
    from hotspots.read.places import read_focus_areas

    info = store.boundaries().set_index("kind")
    new_boundaries = []
    if "wards" in info.index:
        if _differs(wards_path, info, "wards"):
            raise StoreError(
                f"the store {describe(store.target)} was built with the wards of "
                f"{info.loc['wards', 'file_name']!r}; {str(wards_path)!r} differs. A store "
                "holds one set of boundaries: leave out --wards, or use a new --store"
            )
        if tolerance_m is not None and float(tolerance_m) != float(
            info.loc["wards", "tolerance_m"]
        ):
            raise StoreError(
                f"the store tags wards with --tolerance-m {info.loc['wards', 'tolerance_m']:g}; "
                "leave out --tolerance-m or use a new --store"
            )
        wards = store.wards()
        tol = float(info.loc["wards", "tolerance_m"])
    else:
        if wards_path is None:
            raise StoreError(
                f"the store {describe(store.target)} has no ward boundaries yet: give --wards "
                "FILE the first time (for example ../shared/data/wards/redditch.geojson)"
            )
        wards = load_wards(wards_path)
        tol = 100.0 if tolerance_m is None else float(tolerance_m)
        found = wards.attrs.get("vintage")
        vintage = wards_vintage or (str(found) if found else ward_vintage(wards_path))
        new_boundaries.append(("wards", wards_path, vintage, tol, wards))
    if "areas" in info.index:
        if _differs(areas_path, info, "areas"):
            raise StoreError(
                f"the store was built with the focus areas of {info.loc['areas', 'file_name']!r}"
                f"; {str(areas_path)!r} differs. Leave out --areas, or use a new --store"
            )
        areas = store.focus_areas()
    elif areas_path is not None and "wards" in info.index and len(store.batches()):
        raise StoreError(
            "the store already holds incidents tagged without focus areas; use a new --store "
            "to add --areas"
        )
    else:
        areas = read_focus_areas(areas_path) if areas_path is not None else None
        if areas is not None:
            new_boundaries.append(("areas", areas_path, None, None, areas))
    return IngestBoundaries(wards, areas, tol, new_boundaries)


def plan_source(
    src: Source,
    *,
    existing: dict[str, tuple[int, str, str]],
    options: IngestOptions,
    boundaries: IngestBoundaries,
) -> list[SourcePlan]:
    """Read, check and tag one file for the store: its batches, unless equal to the stored ones.

    A police.uk file is one batch per force and month: a file of several
    months without a police.uk name (a year's download, files joined by hand)
    becomes one batch per month, so that a month stored from its monthly file
    is replaced by, never added to, the same month of a year file (and the
    other way round). Its month batches' checksums are the file's and the month's.

    What :meth:`Store.ingest` does for each file before it writes anything; a
    pure function of the file and its arguments, so the Dask ingest runs it on
    the workers (:func:`hotspots.distributed.ingest_dask`).

    Parameters
    ----------
    src : Source
        One file (or zip member), from :func:`hotspots.read._csv.expand_sources`.
    existing : dict
        The store's batches (:meth:`Store.existing_batches`).
    options : IngestOptions
        Crime types and how council exports are read.
    boundaries : IngestBoundaries
        What to tag with (:meth:`Store.ingest_boundaries`).

    Returns
    -------
    list of SourcePlan
        One per batch (one for a council export or a police.uk file of one month).

    Raises
    ------
    hotspots._errors.HotspotsError
        If the file is not what it claims to be (as the readers raise it).

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> bounds = IngestBoundaries(load_wards(get_path("demo-wards")), None, 100.0)
    >>> from hotspots.read._csv import expand_sources
    >>> src = expand_sources([get_path("demo-incidents")])[0]
    >>> (plan,) = plan_source(src, existing={}, options=IngestOptions(), boundaries=bounds)
    >>> plan.key, plan.unchanged, plan.counts
    ('council/incidents.csv', False, (6676, 6672, 4))
    """
    crime_types = options.crime_types
    data = src.read_bytes()
    checksum = file_checksum(data)
    header = read_header(data)  # the readers' own header: any delimiter, UTF-16, quotes
    police = is_police_table(header)
    named = not police or _POLICE_NAME_RE.match(Path(src.member or src.name).name)
    load = table = None
    if not named:  # the batch is named by the file's contents: read them first
        table = _read_table(src)
        load = _police_load(src, table, crime_types=crime_types)
    months = load.incidents["month"].unique().tolist() if load is not None else []
    falls = _falls_within(table) if table is not None else []
    if len(months) > 1:  # several months, no police.uk name: one batch per month
        return _month_plans(src, table, load, checksum, falls, existing=existing, options=options,
                            boundaries=boundaries)  # fmt: skip
    key, kind, force, month = batch_identity(src, header, months, falls)
    old = existing.get(key)
    types_label = _types_label(crime_types)
    unchanged = bool(old) and old[1] == checksum and (old[2] == types_label or kind == "council")
    if unchanged:
        return [SourcePlan(key, src.name, True, (0, 0, 0))]
    if load is None:
        table = _read_table(src)
        if police:
            load = _police_load(src, table, crime_types=crime_types)
        else:
            load = _council_load(
                src, table, columns=options.columns, geocoder=options.geocoder,
                address_geocoder=options.address_geocoder, date_format=options.date_format,
            )  # fmt: skip
    if load.kept == 0:  # header only, no rows of the crime types, or none usable: no batch
        return [SourcePlan("" if not named else key, src.name, False,
                           (load.selected, 0, load.rejected), None, empty=True)]  # fmt: skip
    log.info("%s (%s): %s", src.name, key, load.summary())
    tagged = tag_incidents(load.incidents, boundaries.wards, areas=boundaries.areas,
                           tolerance_m=boundaries.tolerance_m)  # fmt: skip
    planned = _Planned(key, kind, force, month, src.name, checksum,
                       types_label if police else ALL_TYPES, load, tagged)  # fmt: skip
    return [SourcePlan(key, src.name, False, (load.selected, load.kept, load.rejected), planned,
                       cut_short=_cut_short(load))]  # fmt: skip


def _cut_short(load: IncidentLoad) -> bool:
    """True when the file ends inside a row (the reader rejected its last row as cut short)."""
    return bool(len(load.rejects)) and bool(
        load.rejects["reason"].astype(str).str.startswith(CUT_SHORT).any()
    )


def _month_plans(src: Source, table, load: IncidentLoad, checksum: str, falls: list[str], *,
                 existing: dict, options: IngestOptions,
                 boundaries: IngestBoundaries) -> list[SourcePlan]:  # fmt: skip
    """One plan per month of a police.uk file of several months (see :func:`plan_source`).

    Each month's batch holds its incidents and the rejects of its ``Month``;
    rejects of no such month, the file's faults and its notes go with the first.
    """
    months = sorted(load.incidents["month"].unique().tolist())
    types_label = _types_label(options.crime_types)
    in_file = (
        table.frame["Month"].astype(str).str.strip() if "Month" in table.frame.columns else None
    )
    reject_month = (load.rejects["Month"].astype(str).str.strip() if "Month" in load.rejects.columns
                    else pd.Series("", index=load.rejects.index))  # fmt: skip
    leftover = ~reject_month.isin(months)
    plans = []
    for k, month in enumerate(months):
        key, kind, force, _ = batch_identity(src, list(table.frame.columns), [month], falls)
        month_checksum = file_checksum(f"{checksum}|{month}".encode())
        old = existing.get(key)
        if old and old[1] == month_checksum and old[2] == types_label:
            plans.append(SourcePlan(key, src.name, True, (0, 0, 0)))
            continue
        incidents = load.incidents.loc[load.incidents["month"] == month].reset_index(drop=True)
        rejects = load.rejects.loc[(reject_month == month) | (leftover & (k == 0))]
        rows = int((in_file == month).sum()) if in_file is not None else 0
        if k == 0:
            rows += load.rows_read - (int(in_file.isin(months).sum()) if in_file is not None else 0)
        part = IncidentLoad(incidents, rejects.reset_index(drop=True), rows,
                            len(incidents) + len(rejects), load.files,
                            notes=load.notes if k == 0 else ())  # fmt: skip
        tagged = tag_incidents(incidents, boundaries.wards, areas=boundaries.areas,
                               tolerance_m=boundaries.tolerance_m)  # fmt: skip
        planned = _Planned(key, kind, force, month, src.name, month_checksum, types_label, part,
                           tagged)  # fmt: skip
        plans.append(SourcePlan(key, src.name, False, (part.selected, part.kept, part.rejected),
                                planned, cut_short=_cut_short(load)))  # fmt: skip
    log.info("%s: %d months, one batch each", src.name, len(months))
    return plans


def file_checksum(data: bytes) -> str:
    """SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


def batch_identity(source: Source, header: Sequence[str], table_months: Sequence[str],
                   falls_within: Sequence[str]) -> tuple[str, str, str | None, str | None]:  # fmt: skip
    """The batch key, source kind, force and month of one file.

    A police.uk file is named by its force and month (from the police.uk file
    name ``YYYY-MM-force-street.csv``, else from its ``Month`` and ``Falls
    within`` columns); anything else is a council export named by its file name.

    Examples
    --------
    >>> from pathlib import Path
    >>> batch_identity(Source("x/2018-10-west-mercia-street.csv", Path("x")),
    ...                ["Month", "Longitude", "Latitude", "Crime type"], [], [])
    ('police.uk/west-mercia/2018-10', 'police.uk', 'west-mercia', '2018-10')
    >>> batch_identity(Source("asb_cases.csv", Path("asb_cases.csv")), ["Date"], [], [])
    ('council/asb_cases.csv', 'council', None, None)
    """
    name = Path(source.member or source.name).name
    if not is_police_table(header):
        return f"council/{name}", "council", None, None
    match = _POLICE_NAME_RE.match(name)
    if match:
        month, force = match.group(1), match.group(2).lower()
    else:
        months = sorted({m for m in table_months if m})
        month = (
            months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}" if months else "unknown"
        )
        forces = pd.Series([f for f in falls_within if f]).value_counts()
        force = _slug(forces.index[0]) if len(forces) else "unknown-force"
    return f"police.uk/{force}/{month}", "police.uk", force, month


def _slug(text: str) -> str:
    text = re.sub(r"\s+police$", "", str(text).strip(), flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown-force"


def ward_vintage(path: str | Path) -> str | None:
    """The ONS vintage of a ward boundary file, from its ``WDyyCD`` column (e.g. "2013").

    Examples
    --------
    >>> from boundaries import get_path
    >>> ward_vintage(get_path("demo-wards")) is None or True
    True
    """
    import pyogrio

    try:
        fields = [str(f) for f in pyogrio.read_info(str(path))["fields"]]
    except Exception:  # unreadable files are reported by the boundary loader
        return None
    years = sorted(m.group(1) for f in fields if (m := _VINTAGE_RE.match(f)))
    return f"20{years[-1]}" if years else None


def tag_incidents(
    incidents: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame | None = None,
    tolerance_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Every incident with its ward, season columns and focus area (outside ones too).

    The same steps as :func:`hotspots.analysis.prepare.prepare`, but incidents outside the
    study area are kept (``ward_match == "outside"``), so the store holds every
    usable row of a file and the study area can be taken later.
    """
    from hotspots.analysis.seasons import add_season_columns
    from hotspots.analysis.wards import assign_wards
    from hotspots.read.places import tag_focus_areas

    joined = assign_wards(incidents, wards, tolerance_m=tolerance_m)
    tagged = add_season_columns(joined.reset_index(drop=True))
    tagged["area"] = tag_focus_areas(tagged.geometry, areas)
    return tagged


def _types_label(crime_types: Sequence[str] | None) -> str:
    return ALL_TYPES if crime_types is None else "|".join(sorted(crime_types))


ALL_TYPES = "all"


def _falls_within(table) -> list[str]:
    """The ``Falls within`` column of a police.uk table as read (empty when it has none)."""
    frame = table.frame
    return frame["Falls within"].tolist() if "Falls within" in frame.columns else []
