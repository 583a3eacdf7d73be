"""Incident rows: the loaded table, its checks of points and dates, and rejects."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._validate import ANALYSIS_CRS, in_bng, in_gb_lonlat
from hotspots.read._csv import _Table, _text_and_numbers
from hotspots.read.geocode import lonlat_to_bng

log = logging.getLogger(__name__)


ASB = "Anti-social behaviour"


INCIDENT_COLUMNS = [
    "incident_id",
    "source",
    "line",
    "date",
    "date_precision",
    "month",
    "category",
    "location",
    "lsoa_code",
    "lsoa_name",
    "geometry",
]


REJECT_COLUMNS = ["source", "line", "reason"]


@dataclass(frozen=True)
class IncidentLoad:
    """What a reader found: usable incidents, rejected rows and the counts.

    Attributes
    ----------
    incidents : geopandas.GeoDataFrame
        Usable incidents, EPSG:27700, with the module's schema.
    rejects : pandas.DataFrame
        Unusable rows: ``source``, ``line``, ``reason``, then the row's own columns.
    rows_read : int
        Data rows read from the files (all crime types).
    selected : int
        Rows of the chosen crime types or categories (``kept + rejected``).
    files : tuple of str
        The files read.
    geocoded : dict
        For each kind of look-up ("postcode", "address"): (found, asked).
    notes : tuple of str
        Warnings and notes about the input, each naming its file: an empty
        result, dates read month first, times converted from other zones.
        They are logged as warnings too; the CLI prints them.
    """

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows_read: int
    selected: int
    files: tuple[str, ...] = field(default_factory=tuple)
    geocoded: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def kept(self) -> int:
        """The number of usable incidents."""
        return len(self.incidents)

    @property
    def rejected(self) -> int:
        """The number of rows rejected."""
        return len(self.rejects)

    def summary(self) -> str:
        """A one-line summary: files, rows read, selected, kept and rejected."""
        line = (
            f"read {self.rows_read:,} rows from {len(self.files)} file(s); "
            f"{self.selected:,} selected; kept {self.kept:,}; rejected {self.rejected:,}"
        )
        for what, (found, asked) in sorted(self.geocoded.items()):
            line += f"; geocoded {found:,} of {asked:,} by {what} ({100 * found / asked:.1f}%)"
        return line


def empty_incidents() -> gpd.GeoDataFrame:
    """Return an empty incident table with the module's schema."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in INCIDENT_COLUMNS[:-1]})
    frame["line"] = frame["line"].astype("int64")
    frame["date"] = pd.to_datetime(frame["date"])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=ANALYSIS_CRS), crs=ANALYSIS_CRS)


def combine_loads(loads: Iterable[IncidentLoad]) -> IncidentLoad:
    """Join several loads into one (incidents, rejects and counts added up).

    Examples
    --------
    >>> combine_loads([]).kept
    0
    """
    loads = list(loads)
    if not loads:
        return IncidentLoad(empty_incidents(), pd.DataFrame(columns=REJECT_COLUMNS), 0, 0, ())
    parts = [ld.incidents for ld in loads if len(ld.incidents)]
    incidents = (
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=ANALYSIS_CRS)
        if parts
        else empty_incidents()
    )
    rejects = [ld.rejects for ld in loads if len(ld.rejects)]
    return IncidentLoad(
        incidents=incidents,
        rejects=(
            pd.concat(rejects, ignore_index=True)
            if rejects
            else pd.DataFrame(columns=REJECT_COLUMNS)
        ),
        rows_read=sum(ld.rows_read for ld in loads),
        selected=sum(ld.selected for ld in loads),
        files=tuple(f for ld in loads for f in ld.files),
        geocoded=_add_counts(ld.geocoded for ld in loads),
        notes=tuple(n for ld in loads for n in ld.notes),
    )


def _add_counts(parts: Iterable[dict[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
    total: dict[str, tuple[int, int]] = {}
    for part in parts:
        for what, (found, asked) in part.items():
            old = total.get(what, (0, 0))
            total[what] = (old[0] + found, old[1] + asked)
    return total


def _checked_points(
    a_raw: pd.Series,
    b_raw: pd.Series,
    *,
    names: tuple[str, str],
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a pair of coordinate columns; return numbers and a reason ('' when fine).

    ``valid`` says which pairs lie in Great Britain; a pair that is valid only
    when swapped is reported as swapped.
    """
    first, second = names
    (a_raw, a), (b_raw, b) = _text_and_numbers(a_raw), _text_and_numbers(b_raw)
    reason = np.full(len(a), "", dtype=object)
    empty = np.zeros(len(a), dtype=bool)  # empty text is among the values that are not numbers
    nan = np.flatnonzero(np.isnan(a) | np.isnan(b))
    empty[nan] = (a_raw[nan] == "") | (b_raw[nan] == "")
    bad = ~empty & ~(np.isfinite(a) & np.isfinite(b))
    zero = ~empty & ~bad & (a == 0) & (b == 0)
    inside = valid(a, b)
    swapped = ~empty & ~bad & ~zero & ~inside & valid(b, a)
    outside = ~empty & ~bad & ~zero & ~swapped & ~inside
    reason[empty] = f"missing coordinates (no {first}/{second})"
    for i in np.flatnonzero(bad):
        reason[i] = f"unparseable coordinates: {first} {a_raw[i]!r}, {second} {b_raw[i]!r}"
    reason[zero] = "point at (0, 0): a placeholder, not a location"
    for i in np.flatnonzero(swapped):
        reason[i] = (
            f"{second} and {first} look swapped ({first} {a[i]}, {second} {b[i]}); "
            "fix the columns and re-run"
        )
    for i in np.flatnonzero(outside):
        reason[i] = f"outside Great Britain ({first} {a[i]}, {second} {b[i]})"
    return a, b, reason


def _lonlat_points(lon_raw: pd.Series, lat_raw: pd.Series) -> tuple[np.ndarray, ...]:
    """Validate longitude/latitude text; return BNG x, y and a reason ('' when fine)."""
    lon, lat, reason = _checked_points(
        lon_raw, lat_raw, names=("longitude", "latitude"), valid=in_gb_lonlat
    )
    ok = reason == ""
    x = np.full(len(lon), np.nan)
    y = np.full(len(lon), np.nan)
    if ok.any():  # each distinct map point projected once
        codes, pairs = pd.factorize(lon[ok] + 1j * lat[ok])
        px, py = lonlat_to_bng(pairs.real, pairs.imag)
        x[ok], y[ok] = px[codes], py[codes]
    return x, y, reason


def _bng_points(x_raw: pd.Series, y_raw: pd.Series) -> tuple[np.ndarray, ...]:
    """Validate easting/northing text; return x, y and a reason ('' when fine)."""
    return _checked_points(x_raw, y_raw, names=("easting", "northing"), valid=in_bng)


def _build(
    table: _Table,
    source: str,
    *,
    ids: pd.Series,
    dates: pd.Series,
    precision: pd.Series,
    category: pd.Series,
    location: pd.Series,
    lsoa_code: pd.Series,
    lsoa_name: pd.Series,
    x: np.ndarray,
    y: np.ndarray,
    reason: np.ndarray,
    rows_read: int,
    notes: Sequence[str] = (),
    month: np.ndarray | None = None,
    points: bool = True,
) -> IncidentLoad:
    """Split validated rows into incidents and rejects (the table's faults among them).

    ``month`` gives each row's ``"YYYY-MM"`` when the caller has it (else it
    comes from the dates). With ``points=False`` the incidents are a plain
    frame with ``_x`` and ``_y`` columns, made into points later, once for all
    files (:func:`_with_points`).
    """
    lines = table.lines
    ok = reason == ""
    label = Path(source.split(":", 1)[-1] if ".zip:" in source else source).name
    kept_lines = lines[ok].astype("int64")
    incident_id = ids.to_numpy(dtype=object)[ok]
    no_id = incident_id == ""
    if no_id.any():  # "<file>:<line>", made in C
        incident_id[no_id] = np.char.add(f"{label}:", kept_lines[no_id].astype(str)).astype(object)
    when = pd.DatetimeIndex(dates.to_numpy()[ok])
    frame = pd.DataFrame(
        {
            "incident_id": incident_id,
            "source": source,
            "line": kept_lines,
            "date": when,
            "date_precision": precision.to_numpy(dtype=object)[ok],
            "month": _month_text(when) if month is None else month[ok],
            "category": category.to_numpy(dtype=object)[ok],
            "location": location.to_numpy(dtype=object)[ok],
            "lsoa_code": lsoa_code.to_numpy(dtype=object)[ok],
            "lsoa_name": lsoa_name.to_numpy(dtype=object)[ok],
            "_x": x[ok],
            "_y": y[ok],
        }
    )
    incidents = _with_points(frame) if points else frame
    rejects = _as_text(table.frame.loc[~ok])
    rejects.insert(0, "reason", reason[~ok])
    rejects.insert(0, "line", lines[~ok])
    rejects.insert(0, "source", source)
    if table.n_faults:
        rejects = pd.concat([rejects, table.faults], ignore_index=True)
        rejects = rejects.sort_values("line", kind="stable")
    rejects = rejects.reset_index(drop=True)
    load = IncidentLoad(
        incidents,
        rejects,
        rows_read,
        len(table.frame) + table.n_faults,
        (source,),
        notes=tuple(notes),
    )
    if load.kept == 0 and load.selected:
        load = replace(load, notes=(*load.notes, (
            f"{source}: none of its {load.selected:,} selected row(s) could be used; "
            "the rejects file says why"
        )))  # fmt: skip
    for note in load.notes:
        log.warning("%s", note)
    return load


def _as_text(rows: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows with their text columns as ``str`` (read as object for speed)."""
    text = [c for c, dtype in rows.dtypes.items() if dtype == np.dtype(object)]
    if not text or len(rows.columns) != len(set(rows.columns)):
        return rows.copy()
    return rows.astype(dict.fromkeys(text, "str"))


def _with_points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A frame with ``_x``/``_y`` (EPSG:27700) as incidents with points.

    police.uk snaps incidents to shared map points: each distinct point is
    made once and shared by its incidents (shapely geometries are immutable),
    which is quicker and smaller than a point per row.
    """
    import shapely
    from geopandas.array import GeometryArray

    x, y = frame["_x"].to_numpy(dtype=float), frame["_y"].to_numpy(dtype=float)
    codes, distinct = pd.factorize(x + 1j * y)
    geoms = (
        shapely.points(distinct.real, distinct.imag)[codes] if len(codes) else np.empty(0, object)
    )
    return gpd.GeoDataFrame(
        frame.drop(columns=["_x", "_y"]),
        geometry=gpd.GeoSeries(GeometryArray(geoms, crs=ANALYSIS_CRS), index=frame.index),
        crs=ANALYSIS_CRS,
        copy=False,  # the columns are the frame's own (copy-on-write keeps the frame as it was)
    )


def _month_text(when: pd.DatetimeIndex) -> np.ndarray:
    """``"YYYY-MM"`` for each date, formatting each distinct month once."""
    codes, months = pd.factorize(when.to_period("M"))
    return (
        np.asarray(months.strftime("%Y-%m"), dtype=object)[codes]
        if len(when)
        else np.array([], dtype=object)
    )


def _blank(n: int, index: pd.Index) -> pd.Series:
    return pd.Series([""] * n, index=index, dtype=object)


def _file_label(source: str) -> str:
    """A source's file name (a zip member's own name), for ``"<file>:<line>"`` ids."""
    return Path(source.split(":", 1)[-1] if ".zip:" in source else source).name


def _line_ids(names: np.ndarray, files: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """``"<file>:<line>"`` ids, for rows that have no id of their own.

    Parameters
    ----------
    names : numpy.ndarray of str
        The sources (file names, or ``archive.zip:member``).
    files, lines : numpy.ndarray of int
        Each row's source (an index into ``names``) and line number.

    Returns
    -------
    numpy.ndarray of str (object)
        The ids, made with numpy's object addition: each file's label and each
        distinct line number's text is made once (Python's own strings: numpy's
        fixed-width text of long paths is slower to make and to turn into objects).

    Examples
    --------
    >>> _line_ids(np.array(["a/x.csv", "b.zip:y.csv"]), np.array([0, 1, 0]), np.array([2, 2, 3]))
    array(['x.csv:2', 'y.csv:2', 'x.csv:3'], dtype=object)
    """
    labels = np.array([_file_label(str(n)) + ":" for n in names], dtype=object)
    codes, distinct = pd.factorize(np.asarray(lines, dtype=np.int64))
    text = np.array([str(line) for line in distinct.tolist()], dtype=object)
    return labels[files] + text[codes]
