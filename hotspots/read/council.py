"""Council case-system exports: columns detected or named, geocoded by postcode."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError, InputFileError
from hotspots.read._csv import Source, _read_table, _stripped, _Table, quote_header
from hotspots.read._rows import ASB, IncidentLoad, _blank, _bng_points, _build, _lonlat_points
from hotspots.read.dates import parse_dates
from hotspots.read.geocode import Geocoder, geocode_queries

log = logging.getLogger(__name__)


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

    @classmethod
    def from_pairs(cls, pairs: Iterable[str]) -> CouncilColumns:
        """Columns named as ``ROLE=NAME`` strings (``--column``, ``HOTSPOTS_COLUMNS``).

        Examples
        --------
        >>> CouncilColumns.from_pairs(["date=Date Reported"]).date
        'Date Reported'
        """
        roles = [f for f in cls.__dataclass_fields__ if f != "default_category"]
        given = {}
        for item in pairs:
            role, sep, name = item.partition("=")
            if not sep or role.strip() not in roles:
                raise HotspotsError(
                    f"--column takes ROLE=NAME with ROLE one of {roles!r}; got {item!r}"
                )
            given[role.strip()] = name.strip()
        return cls(**given)


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
                    f"the {attr} column {chosen!r} is not in the file; it has "
                    f"{quote_header(columns)}. Name a column with --column {attr}='NAME'"
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
    date_format: str | None = None,
) -> IncidentLoad:
    """Read a council case-system export: dates, categories and places.

    Each row needs a date and a place. The place is taken, in order, from
    longitude/latitude, easting/northing, a postcode (looked up with
    ``geocoder``, typically a :class:`~hotspots.read.geocode.PostcodeDirectory`), or
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
    date_format : str, optional
        Force the date format (``"iso"``, ``"dmy"``, ``"mdy"`` or a strftime
        pattern); detected from the whole column when None. See
        :mod:`hotspots.read.dates`.

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
    ["date 'not a date' does not fit the column's format (dd/mm/yyyy)"]
    """
    src = source if isinstance(source, Source) else Source(str(source), Path(source))
    return _council_load(
        src, _read_table(src), columns=columns, geocoder=geocoder,
        address_geocoder=address_geocoder, date_format=date_format,
    )  # fmt: skip


def _council_load(
    src: Source,
    read: _Table,
    *,
    columns: CouncilColumns | None,
    geocoder: Geocoder | None,
    address_geocoder: Geocoder | None,
    date_format: str | None,
    points: bool = True,
) -> IncidentLoad:
    table = read.frame
    cols = detect_council_columns(list(table.columns), columns or CouncilColumns())
    has_lonlat = cols.longitude is not None and cols.latitude is not None
    has_bng = cols.easting is not None and cols.northing is not None
    if cols.date is None or not (has_lonlat or has_bng or cols.postcode or cols.address):
        need = [] if cols.date else ["a date"]
        if not (has_lonlat or has_bng or cols.postcode or cols.address):
            need.append("a place (longitude/latitude, easting/northing, postcode or address)")
        raise InputFileError(
            src.name,
            f"has no column for {' or '.join(need)} (it has {quote_header(table.columns)})",
            "a police.uk street-level CSV, or a council export with a date column and "
            "coordinates or a postcode; name its columns with --column, e.g. "
            "--column date='Date Reported' --column postcode='Post Code'",
        )

    def col(name: str | None) -> pd.Series:
        return _stripped(table[name]) if name else _blank(len(table), table.index)

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

    parsed = parse_dates(col(cols.date), date_format=date_format, column=cols.date or "date")
    usable = reason == ""
    reason[usable] = parsed.reason[usable]
    notes = [*read.notes, *(f"{src.name}: {note}" for note in parsed.notes)]
    if n + read.n_faults == 0:
        notes.append(f"{src.name}: holds a header and no data rows")
    category = (
        col(cols.category) if cols.category else pd.Series(cols.default_category, index=table.index)
    )
    category = category.where(category != "", cols.default_category)
    location = col(cols.location or cols.address)
    load = _build(
        read,
        src.name,
        ids=col(cols.incident_id),
        dates=parsed.dates,
        precision=parsed.precision,
        category=category,
        location=location,
        lsoa_code=_blank(n, table.index),
        lsoa_name=_blank(n, table.index),
        x=x,
        y=y,
        reason=reason,
        rows_read=n + read.n_faults,
        notes=notes,
        points=points,
    )
    return replace(load, geocoded=geocoded)
