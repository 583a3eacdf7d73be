"""Read and validate incident tables: police.uk street-level CSVs and council exports.

Every reader returns an :class:`IncidentLoad`: the usable incidents as a
GeoDataFrame in British National Grid (EPSG:27700) with the schema below, and
the rows that could not be used, each with its source file, line number and
reason, so that nothing is lost.

Incident schema
---------------
==================  ==========================================================
``incident_id``     police.uk Crime ID, the council's reference, or
                    ``"<file>:<line>"`` when the source has none
``source``          the file (or ``archive.zip:member``) the row came from
``line``            the row's line number in that file (the header is line 1)
``date``            datetime64; the first of the month when only a month is known
``date_precision``  ``"month"`` (police.uk), ``"day"`` or ``"datetime"``
``month``           ``"YYYY-MM"``
``category``        police.uk Crime type, or the council's category
``location``        place text, e.g. ``"On or near Unicorn Hill"`` (may be empty)
``lsoa_code``       LSOA 2011 code where the source gives it (may be empty)
``lsoa_name``       LSOA name where the source gives it (may be empty)
``geometry``        Point, EPSG:27700 (metres)
==================  ==========================================================
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError, InputFileError
from hotspots._validate import ANALYSIS_CRS, in_bng, in_gb_lonlat
from hotspots.geocode import Geocoder, geocode_queries, lonlat_to_bng

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
POLICE_COLUMNS = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
# The police.uk columns a reader cannot do without.
_POLICE_REQUIRED = ("Month", "Longitude", "Latitude", "Crime type")
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
    """

    incidents: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows_read: int
    selected: int
    files: tuple[str, ...] = field(default_factory=tuple)
    geocoded: dict[str, tuple[int, int]] = field(default_factory=dict)

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
    )


def _add_counts(parts: Iterable[dict[str, tuple[int, int]]]) -> dict[str, tuple[int, int]]:
    total: dict[str, tuple[int, int]] = {}
    for part in parts:
        for what, (found, asked) in part.items():
            old = total.get(what, (0, 0))
            total[what] = (old[0] + found, old[1] + asked)
    return total


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """One CSV to read: a file on disk or a member of a zip archive."""

    name: str
    path: Path
    member: str | None = None

    def read_bytes(self) -> bytes:
        """Return the file's bytes."""
        if self.member is None:
            return self.path.read_bytes()
        with zipfile.ZipFile(self.path) as archive:
            return archive.read(self.member)


_STREET_RE = re.compile(r"-street\.csv$", re.IGNORECASE)


def expand_sources(paths: Iterable[str | Path]) -> list[Source]:
    """List the CSV files behind the inputs: files, folders and police.uk zips.

    A folder is searched recursively for police.uk ``*-street.csv`` files (or any
    ``*.csv`` when it has none); from a zip the ``*-street.csv`` members are
    taken (police.uk's outcomes and stop-and-search files are skipped).

    Raises
    ------
    InputFileError
        If an input does not exist, or a folder or zip holds no CSV.
    """
    sources: list[Source] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputFileError(path, "does not exist", "a police.uk CSV, folder or zip")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if _STREET_RE.search(p.name))
            found = found or sorted(path.rglob("*.csv"))
            if not found:
                raise InputFileError(path, "is a folder with no CSV files", "*-street.csv files")
            sources += [Source(str(p), p) for p in found]
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = sorted(n for n in archive.namelist() if _STREET_RE.search(n))
                names = names or sorted(n for n in archive.namelist() if n.endswith(".csv"))
            if not names:
                raise InputFileError(path, "is a zip with no CSV files", "police.uk's zip")
            sources += [Source(f"{path}:{n}", path, n) for n in names]
        else:
            sources.append(Source(str(path), path))
    return sources


def _read_table(source: Source) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV as text columns; return it and each row's line number."""
    data = source.read_bytes()
    if not data.strip():
        raise InputFileError(source.name, "is empty", "a CSV file with a header row")
    if b"\x00" in data[:65536]:
        raise InputFileError(source.name, "is not a CSV text file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # council exports from Excel
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise InputFileError(source.name, f"is not a valid CSV ({detail})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    # Keep line numbers exact even where a quoted field holds a newline.
    newlines = np.zeros(len(frame), dtype=np.int64)
    for col in frame.columns:
        newlines += frame[col].str.count("\n").to_numpy(dtype=np.int64)
    lines = 2 + np.arange(len(frame)) + np.concatenate([[0], np.cumsum(newlines)[:-1]])
    blank = (frame == "").all(axis=1).to_numpy()  # blank lines at the end of exports
    return frame.loc[~blank].reset_index(drop=True), lines[~blank]


def is_police_table(columns: Sequence[str]) -> bool:
    """Return True if a header looks like a police.uk street-level CSV."""
    return all(c in columns for c in _POLICE_REQUIRED)


# --------------------------------------------------------------------------- checks


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
    a = pd.to_numeric(a_raw.str.strip(), errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(b_raw.str.strip(), errors="coerce").to_numpy(dtype=float)
    reason = np.full(len(a), "", dtype=object)
    empty = ((a_raw.str.strip() == "") | (b_raw.str.strip() == "")).to_numpy()
    bad = ~empty & ~(np.isfinite(a) & np.isfinite(b))
    zero = ~empty & ~bad & (a == 0) & (b == 0)
    inside = valid(a, b)
    swapped = ~empty & ~bad & ~zero & ~inside & valid(b, a)
    outside = ~empty & ~bad & ~zero & ~swapped & ~inside
    reason[empty] = f"missing coordinates (no {first}/{second})"
    for i in np.flatnonzero(bad):
        reason[i] = (
            f"unparseable coordinates: {first} {a_raw.iat[i]!r}, {second} {b_raw.iat[i]!r}"
        )
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
    if ok.any():
        x[ok], y[ok] = lonlat_to_bng(lon[ok], lat[ok])
    return x, y, reason


def _bng_points(x_raw: pd.Series, y_raw: pd.Series) -> tuple[np.ndarray, ...]:
    """Validate easting/northing text; return x, y and a reason ('' when fine)."""
    return _checked_points(x_raw, y_raw, names=("easting", "northing"), valid=in_bng)


def _build(
    table: pd.DataFrame,
    lines: np.ndarray,
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
) -> IncidentLoad:
    """Split validated rows into incidents and rejects."""
    ok = reason == ""
    label = Path(source.split(":", 1)[-1] if ".zip:" in source else source).name
    ids = ids.where(ids.str.strip() != "", pd.Series([f"{label}:{n}" for n in lines], ids.index))
    frame = pd.DataFrame(
        {
            "incident_id": ids.to_numpy()[ok],
            "source": source,
            "line": lines[ok].astype("int64"),
            "date": pd.DatetimeIndex(dates.to_numpy()[ok]),
            "date_precision": precision.to_numpy()[ok],
            "month": pd.DatetimeIndex(dates.to_numpy()[ok]).strftime("%Y-%m"),
            "category": category.to_numpy()[ok],
            "location": location.to_numpy()[ok],
            "lsoa_code": lsoa_code.to_numpy()[ok],
            "lsoa_name": lsoa_name.to_numpy()[ok],
        }
    )
    incidents = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(x[ok], y[ok]), crs=ANALYSIS_CRS
    )
    rejects = table.loc[~ok].copy()
    rejects.insert(0, "reason", reason[~ok])
    rejects.insert(0, "line", lines[~ok])
    rejects.insert(0, "source", source)
    return IncidentLoad(incidents, rejects.reset_index(drop=True), rows_read, len(table), (source,))


def _blank(n: int, index: pd.Index) -> pd.Series:
    return pd.Series([""] * n, index=index, dtype=object)


# --------------------------------------------------------------------------- police.uk


def read_police_csv(
    source: str | Path | Source, *, crime_types: Sequence[str] | None = (ASB,)
) -> IncidentLoad:
    """Read one police.uk street-level crime CSV.

    Parameters
    ----------
    source : str, Path or Source
        The CSV file (or a :class:`Source` for a zip member).
    crime_types : sequence of str or None, default ("Anti-social behaviour",)
        The ``Crime type`` values to keep; None keeps every type.

    Returns
    -------
    IncidentLoad
        Incidents in EPSG:27700 and the rejected rows with their reasons.

    Raises
    ------
    InputFileError
        If the file is empty, not CSV, or lacks the police.uk columns.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "2018-10-test-street.csv")
    >>> _ = Path(p).write_text(
    ...     "Crime ID,Month,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type\\n"
    ...     ",2018-10,-1.94,52.306,On or near Unicorn Hill,E01,Redditch 001,Anti-social behaviour\\n"
    ...     ",2018-10,,,No Location,,,Anti-social behaviour\\n"
    ... )
    >>> load = read_police_csv(p)
    >>> load.kept, load.rejected, load.rejects["line"].tolist(), load.incidents.crs.to_epsg()
    (1, 1, [3], 27700)
    """
    src = source if isinstance(source, Source) else Source(str(source), Path(source))
    table, lines = _read_table(src)
    if not is_police_table(table.columns):
        missing = [c for c in _POLICE_REQUIRED if c not in table.columns]
        raise InputFileError(
            src.name,
            f"is missing police.uk column(s) {missing!r} (it has {list(table.columns)[:8]!r})",
            "a police.uk street-level CSV with columns " + ", ".join(POLICE_COLUMNS),
        )
    rows_read = len(table)
    if crime_types is not None:
        keep = table["Crime type"].str.strip().isin(list(crime_types)).to_numpy()
        table, lines = table.loc[keep].reset_index(drop=True), lines[keep]
    for col in POLICE_COLUMNS:
        if col not in table.columns:
            table[col] = ""
    x, y, reason = _lonlat_points(table["Longitude"], table["Latitude"])
    month_text = table["Month"].str.strip()
    dates = pd.to_datetime(month_text, format="%Y-%m", errors="coerce")
    for i in np.flatnonzero(dates.isna().to_numpy() & (reason == "")):
        text = month_text.iat[i]
        reason[i] = (
            "missing Month" if not text else f"unparseable Month {text!r} (expected YYYY-MM)"
        )
    return _build(
        table,
        lines,
        src.name,
        ids=table["Crime ID"].str.strip(),
        dates=dates,
        precision=pd.Series("month", index=table.index),
        category=table["Crime type"].str.strip(),
        location=table["Location"].str.strip(),
        lsoa_code=table["LSOA code"].str.strip(),
        lsoa_name=table["LSOA name"].str.strip(),
        x=x,
        y=y,
        reason=reason,
        rows_read=rows_read,
    )


# --------------------------------------------------------------------------- council


@dataclass(frozen=True)
class CouncilColumns:
    """Which columns of a council export hold what; None means detect it.

    Attributes
    ----------
    date : str, optional
        Date or date-time of the incident (UK day-first dates are understood).
    category : str, optional
        The incident category; when the export has none, every row is
        ``default_category``.
    longitude, latitude : str, optional
        WGS84 coordinates.
    easting, northing : str, optional
        British National Grid coordinates (metres).
    postcode : str, optional
        Postcode, geocoded with a postcode directory when a row has no coordinates.
    address : str, optional
        Address text, geocoded online (only if enabled) when a row has neither.
    location : str, optional
        Place text shown in hotspot descriptions (defaults to the address).
    incident_id : str, optional
        The council's case reference.
    default_category : str
        The category of rows when there is no category column.
    """

    date: str | None = None
    category: str | None = None
    longitude: str | None = None
    latitude: str | None = None
    easting: str | None = None
    northing: str | None = None
    postcode: str | None = None
    address: str | None = None
    location: str | None = None
    incident_id: str | None = None
    default_category: str = ASB


# Names we recognise, compared lower-case with spaces, dots, dashes and underscores removed.
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "date": (
        "date", "datetime", "reportedat", "reported", "reporteddate", "datereported",
        "incidentdate", "dateofincident", "occurred", "occurredat", "createddate",
        "created", "received", "datereceived", "date_time", "timestamp",
    ),
    "category": (
        "category", "type", "incidenttype", "asbtype", "crimetype", "classification",
        "nature", "problemtype", "casetype", "subcategory",
    ),
    "longitude": ("longitude", "lon", "lng", "long", "xwgs84"),
    "latitude": ("latitude", "lat", "ywgs84"),
    "easting": ("easting", "eastings", "x", "east", "gridx", "xcoord", "xcoordinate"),
    "northing": ("northing", "northings", "y", "north", "gridy", "ycoord", "ycoordinate"),
    "postcode": ("postcode", "postalcode", "pcode", "pc", "postcodes"),
    "address": ("address", "fulladdress", "streetaddress", "address1", "addressline1"),
    "location": ("location", "locationdescription", "place", "street", "streetname"),
    "incident_id": (
        "incidentid", "id", "ref", "reference", "caseref", "casereference", "caseid",
        "casenumber", "incidentref", "incidentreference", "crimeid",
    ),
}  # fmt: skip


def _key(name: str) -> str:
    return re.sub(r"[\s._\-/]+", "", name.strip().lower())


def detect_council_columns(columns: Sequence[str], given: CouncilColumns) -> CouncilColumns:
    """Fill in the columns the user did not name from a header's column names.

    Examples
    --------
    >>> detect_council_columns(["Case Ref", "Date Reported", "Post Code"], CouncilColumns())
    CouncilColumns(date='Date Reported', category=None, longitude=None, latitude=None, \
easting=None, northing=None, postcode='Post Code', address=None, location=None, \
incident_id='Case Ref', default_category='Anti-social behaviour')
    """
    by_key = {_key(c): c for c in columns}
    found = {}
    for attr, names in _CANDIDATES.items():
        chosen = getattr(given, attr)
        if chosen is not None:
            if chosen not in columns:
                raise HotspotsError(
                    f"the {attr} column {chosen!r} is not in the file; it has {list(columns)!r}"
                )
            found[attr] = chosen
            continue
        found[attr] = next((by_key[n] for n in names if n in by_key), None)
    return replace(given, **found)


def read_council_csv(
    source: str | Path | Source,
    *,
    columns: CouncilColumns | None = None,
    geocoder: Geocoder | None = None,
    address_geocoder: Geocoder | None = None,
) -> IncidentLoad:
    """Read a council case-system export: dates, categories and places.

    Each row needs a date and a place. The place is taken, in order, from
    longitude/latitude, easting/northing, a postcode (looked up with
    ``geocoder``, typically a :class:`~hotspots.geocode.PostcodeDirectory`), or
    an address (looked up with ``address_geocoder``, an online geocoder, only
    when one is given).

    Parameters
    ----------
    source : str, Path or Source
        The CSV export.
    columns : CouncilColumns, optional
        Column names; any left as None are detected from the header.
    geocoder : Geocoder, optional
        Postcode look-up for rows with a postcode but no coordinates.
    address_geocoder : Geocoder, optional
        Address look-up for rows with only an address. Off unless given.

    Returns
    -------
    IncidentLoad

    Raises
    ------
    InputFileError
        If the file is empty, not CSV, or has no date column or no place columns.
    GeocodingError
        If rows need a postcode look-up and no ``geocoder`` was given.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "council.csv")
    >>> _ = Path(p).write_text(
    ...     "Ref,Date,Type,Easting,Northing\\nA1,31/10/2018 21:15,Youths,404100,267500\\n"
    ...     "A2,not a date,Youths,404100,267500\\n"
    ... )
    >>> load = read_council_csv(p)
    >>> load.incidents[["incident_id", "date_precision", "month"]].values.tolist()
    [['A1', 'datetime', '2018-10']]
    >>> load.rejects["reason"].tolist()
    ["unparseable date 'not a date'"]
    """
    src = source if isinstance(source, Source) else Source(str(source), Path(source))
    table, lines = _read_table(src)
    cols = detect_council_columns(list(table.columns), columns or CouncilColumns())
    has_lonlat = cols.longitude is not None and cols.latitude is not None
    has_bng = cols.easting is not None and cols.northing is not None
    if cols.date is None or not (has_lonlat or has_bng or cols.postcode or cols.address):
        need = [] if cols.date else ["a date"]
        if not (has_lonlat or has_bng or cols.postcode or cols.address):
            need.append("a place (longitude/latitude, easting/northing, postcode or address)")
        raise InputFileError(
            src.name,
            f"has no column for {' or '.join(need)} (it has {list(table.columns)!r})",
            "a police.uk street-level CSV, or a council export with a date column and "
            "coordinates or a postcode; name the columns with --date-col, --postcode-col, ...",
        )

    def col(name: str | None) -> pd.Series:
        return table[name].astype(str).str.strip() if name else _blank(len(table), table.index)

    n = len(table)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    pending = np.ones(n, dtype=bool)  # rows still without a place
    geocoded: dict[str, tuple[int, int]] = {}
    for present, (a, b), check in (
        (has_lonlat, (cols.longitude, cols.latitude), _lonlat_points),
        (has_bng, (cols.easting, cols.northing), _bng_points),
    ):
        if not present:
            continue
        ax, bx = col(a), col(b)
        given = pending & ((ax != "") | (bx != "")).to_numpy()
        px, py, why = check(ax, bx)
        x[given], y[given], reason[given] = px[given], py[given], why[given]
        pending &= ~given
    for attr, coder in (("postcode", geocoder), ("address", address_geocoder)):
        name = getattr(cols, attr)
        if name is None:
            continue
        text = col(name)
        todo = pending & (text != "").to_numpy()
        if not todo.any():
            continue
        if attr == "address" and coder is None:
            reason[todo] = "address only: no coordinates or postcode (online geocoding is off)"
            pending &= ~todo
            continue
        hits = geocode_queries(text[todo], coder, what=attr)
        geocoded[attr] = (int(hits["matched"].sum()), len(hits))
        idx = np.flatnonzero(todo)
        x[idx], y[idx] = hits["x"].to_numpy(), hits["y"].to_numpy()
        for i, ok in zip(idx, hits["matched"]):
            if not ok:
                reason[i] = f"{attr} {text.iat[i]!r} not found by the {coder.name}"  # type: ignore[union-attr]
        pending &= ~todo
    reason[pending & (reason == "")] = "missing place: no coordinates, postcode or address"

    date_text = col(cols.date)
    dates = pd.to_datetime(date_text, dayfirst=True, format="mixed", errors="coerce")
    for i in np.flatnonzero(dates.isna().to_numpy() & (reason == "")):
        reason[i] = "missing date" if not date_text.iat[i] else f"unparseable date {date_text.iat[i]!r}"
    has_time = date_text.str.contains(r"\d:\d", regex=True)
    precision = pd.Series(np.where(has_time, "datetime", "day"), index=table.index)
    category = col(cols.category) if cols.category else pd.Series(cols.default_category, index=table.index)
    category = category.where(category != "", cols.default_category)
    location = col(cols.location or cols.address)
    load = _build(
        table,
        lines,
        src.name,
        ids=col(cols.incident_id),
        dates=dates,
        precision=precision,
        category=category,
        location=location,
        lsoa_code=_blank(n, table.index),
        lsoa_name=_blank(n, table.index),
        x=x,
        y=y,
        reason=reason,
        rows_read=n,
    )
    return replace(load, geocoded=geocoded)


# --------------------------------------------------------------------------- many files


def read_incidents(
    paths: Iterable[str | Path],
    *,
    crime_types: Sequence[str] | None = (ASB,),
    columns: CouncilColumns | None = None,
    geocoder: Geocoder | None = None,
    address_geocoder: Geocoder | None = None,
    progress: Callable[[Iterable[Source]], Iterable[Source]] | None = None,
) -> IncidentLoad:
    """Read police.uk CSVs, folders, zips and council exports into one load.

    Each file's kind is told from its header: police.uk street-level CSVs by
    their ``Month``/``Longitude``/``Latitude``/``Crime type`` columns, anything
    else as a council export.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders or police.uk zips.
    crime_types : sequence of str or None, default ("Anti-social behaviour",)
        police.uk crime types to keep; None keeps all.
    columns, geocoder, address_geocoder
        For council exports; see :func:`read_council_csv`.
    progress : callable, optional
        Wraps the list of files (the CLI passes a progress bar).

    Returns
    -------
    IncidentLoad
    """
    sources = expand_sources(paths)
    loads = []
    for src in progress(sources) if progress else sources:
        head = src.read_bytes()[:4096].decode("utf-8-sig", errors="replace").splitlines()
        header = [c.strip().strip('"') for c in head[0].split(",")] if head else []
        if is_police_table(header):
            loads.append(read_police_csv(src, crime_types=crime_types))
        else:
            loads.append(
                read_council_csv(
                    src, columns=columns, geocoder=geocoder, address_geocoder=address_geocoder
                )
            )
        log.info("%s: %s", src.name, loads[-1].summary())
    return combine_loads(loads)
