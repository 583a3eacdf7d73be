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

import csv
import functools
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
from hotspots.dates import check_date_format, parse_dates
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


@dataclass(frozen=True)
class _Table:
    """A CSV read as text: the good rows, their line numbers, and the rows that are faults."""

    frame: pd.DataFrame
    lines: np.ndarray
    faults: pd.DataFrame  # source, line, reason, then the row's fields under the header's names

    @property
    def n_faults(self) -> int:
        return len(self.faults)


_BOMS = ((b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"), (b"\xef\xbb\xbf", "utf-8-sig"))
_DELIMITERS = (",", ";", "\t", "|")
_HEADER_QUOTE_CHARS = 200


def quote_header(columns: Sequence[str], limit: int = _HEADER_QUOTE_CHARS) -> str:
    """Quote a header for a message, cut to about ``limit`` characters.

    Examples
    --------
    >>> quote_header(["Date", "Postcode"])
    "['Date', 'Postcode']"
    >>> len(quote_header(["x" * 5000])) < 260
    True
    """
    text = repr(list(columns))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(columns):,} column(s), {len(text):,} characters)"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Return a file's text and the encoding used (UTF-16 and UTF-8 by their BOM)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                break
            if "\x00" not in text[:65536]:
                return text, encoding
            break
    if b"\x00" in data[:65536]:
        raise InputFileError(
            name,
            "is not a CSV text file (it holds binary data)",
            "a CSV file; a UTF-16 export needs its byte-order mark (or save it as UTF-8 CSV)",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"  # council exports from Excel


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: the most common of , ; tab | outside quotes."""
    bare = re.sub(r'"[^"]*"', "", first_line)
    counts = {d: bare.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _first_line(text: str) -> str:
    return next((ln for ln in text.split("\n", 50)[:50] if ln.strip()), "")


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for raw in header:
        name, k = raw.strip(), 0
        while name in names:
            k += 1
            name = f"{raw.strip()}.{k}"
        names.append(name)
    return names


def _read_table(source: Source) -> _Table:
    """Read a CSV as text columns, with each row's line number.

    Rows with too many or too few fields, and repeated header rows, are not
    errors of the whole file: they come back in ``faults`` with a reason.
    """
    data = source.read_bytes()
    if not data or data.isspace():
        raise InputFileError(source.name, "is empty", "a CSV file with a header row")
    text, encoding = _decode(data, source.name)
    if not text or text.isspace():
        raise InputFileError(source.name, "is empty", "a CSV file with a header row")
    delimiter = _sniff_delimiter(_first_line(text))
    table = None
    if '"' not in text:
        table = _read_plain(data if encoding in ("utf-8", "cp1252") else text.encode("utf-8"),
                            "cp1252" if encoding == "cp1252" else "utf-8", delimiter)  # fmt: skip
    if table is None:
        table = _read_quoted(text, delimiter, source.name)
    frame, lines, faults = table
    frame, lines, repeated = _drop_repeated_headers(frame, lines)
    faults = pd.concat([f for f in (faults, repeated) if len(f)] or [faults], ignore_index=True)
    faults.insert(0, "source", np.full(len(faults), source.name, dtype=object), allow_duplicates=True)
    if len(faults) > 1:
        faults = faults.sort_values("line", kind="stable", ignore_index=True)
    return _Table(frame, lines, faults)


def _fault_frame(
    columns: list[str], records: list[tuple[int, list[str], str]], delimiter: str = ","
) -> pd.DataFrame:
    """Rejected records as rows: line, reason, then their fields under the header's names.

    Extra fields are joined (with the file's delimiter) onto the last column, so
    nothing of the row is lost.
    """
    n = len(columns)
    if not records:  # the usual case: a copy of one made once per header
        return _no_faults(tuple(columns)).copy(deep=False)
    rows = []
    for line, fields, reason in records:
        cells = fields[:n] + [""] * (n - len(fields))
        if len(fields) > n:
            cells[-1] = delimiter.join(fields[n - 1 :])
        rows.append([line, reason, *cells])
    return pd.DataFrame(rows, columns=["line", "reason", *columns]).astype(
        {"line": "int64", **dict.fromkeys(columns, object)}
    )


@functools.lru_cache(maxsize=32)
def _no_faults(columns: tuple[str, ...]) -> pd.DataFrame:
    empty = pd.DataFrame(np.empty((0, len(columns) + 2), dtype=object),
                         columns=["line", "reason", *columns])  # fmt: skip
    empty.isetitem(0, np.empty(0, dtype=np.int64))
    return empty


def _read_plain(raw: bytes, encoding: str, delimiter: str) -> tuple | None:
    """Fast path for a file with no quotes: field counts per line from the bytes.

    Returns None when some line has the wrong number of fields (the careful
    reader then handles the file).
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    arr = np.frombuffer(raw, dtype=np.uint8)
    breaks = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(arr)]])
    found = np.flatnonzero(arr == ord(delimiter))
    fields = np.searchsorted(found, ends) - np.searchsorted(found, starts) + 1
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == 13))
    numbers = np.flatnonzero(~blank) + 1
    if len(numbers) == 0:
        return None
    n = fields[numbers[0] - 1]
    if (fields[numbers - 1] != n).any():
        return None
    frame = pd.read_csv(  # object, not str: the checks work on object arrays, without a copy
        io.BytesIO(raw), sep=delimiter, encoding=encoding, dtype=object,
        na_filter=False, index_col=False, skip_blank_lines=True, quoting=csv.QUOTE_NONE,
    )  # fmt: skip
    frame.columns = _unique_names([str(c) for c in frame.columns])
    lines = numbers[1:].astype(np.int64)
    if len(lines) != len(frame):
        return None
    blank_rows = _blank_rows(frame)
    columns = list(frame.columns)
    return frame.loc[~blank_rows].reset_index(drop=True), lines[~blank_rows], _fault_frame(columns, [])


def _stripped(values: pd.Series) -> pd.Series:
    """``values`` as stripped text (object dtype), stripping each distinct value once."""
    return pd.Series(_stripped_array(values.to_numpy(dtype=object)), index=values.index, dtype=object)


def _stripped_array(values: np.ndarray) -> np.ndarray:
    """Text values stripped (object array), each distinct value once."""
    codes, uniques = pd.factorize(values)
    clean = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return clean[codes]


def _text_and_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Text and its floats (NaN where not a number), parsed in C; text stripped where not a number.

    Only the values that do not parse as they stand (empty, padded or bad
    ones: a few per file) are stripped and parsed again in Python.
    """
    text = np.asarray(values, dtype=object)
    numbers = np.full(len(text), np.nan)
    given = text != ""
    try:  # the usual case: every given value is a plain number
        numbers[given] = text[given].astype(float)
    except (TypeError, ValueError):
        numbers = np.asarray(pd.to_numeric(text, errors="coerce"), dtype=float)
    failed = np.flatnonzero(np.isnan(numbers))
    if len(failed):
        text = text.copy()
        text[failed] = [str(v).strip() for v in text[failed]]
        numbers[failed] = pd.to_numeric(text[failed], errors="coerce")
    return text, numbers


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every field is empty (trailing ',,,,' lines in exports)."""
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        blank &= frame[col].to_numpy(dtype=object) == ""
        if not blank.any():
            break
    return blank


def _read_quoted(text: str, delimiter: str, name: str) -> tuple:
    """The careful reader: the csv module, record by record, faults kept as rejects."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    good: list[list[str]] = []
    good_lines: list[int] = []
    bad: list[tuple[int, list[str], str]] = []
    try:
        header = next(reader, [])
        while header is not None and not any(c.strip() for c in header):
            header = next(reader, None)
        if not header:
            raise InputFileError(name, "is empty", "a CSV file with a header row")
        columns = _unique_names(header)
        n = len(columns)
        end = reader.line_num
        for record in reader:
            start, end = end + 1, reader.line_num
            if len(record) == n:
                good.append(record)
                good_lines.append(start)
            elif any(f.strip() for f in record):
                bad.append((start, record, f"{len(record)} fields where the header has {n}"))
    except csv.Error as exc:
        raise InputFileError(name, f"is not a valid CSV ({exc}, near line {reader.line_num})") from None
    last_line = text.count("\n") + (0 if text.endswith("\n") else 1)
    if bad and (not good_lines or bad[-1][0] > good_lines[-1]):  # the last row is a fault
        start, record, why = bad[-1]
        if "\n".join(text.split("\n")[start - 1 : last_line]).count('"') % 2:
            why = (f"a quote opened on line {start} is never closed: lines {start}-{last_line} "
                   "were read as one row")  # fmt: skip
        elif len(record) < n and not text.endswith(("\n", "\r")):
            why = f"the last row is cut short ({len(record)} of {n} fields; a truncated file?)"
        bad[-1] = (start, record, why)
    for i, (start, record, why) in enumerate(bad):
        if why.startswith(f"{len(record)} fields") and len(record) > n:
            name = _DELIMITER_NAMES.get(delimiter, repr(delimiter))
            bad[i] = (start, record, f"{why}: an unquoted {name} in a value?")
    frame = pd.DataFrame(good, columns=columns, dtype=object) if good else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in columns}
    )
    frame = frame.astype(str) if len(frame) else frame
    lines = np.asarray(good_lines, dtype=np.int64)
    blank = _blank_rows(frame)
    return (frame.loc[~blank].reset_index(drop=True), lines[~blank],
            _fault_frame(columns, bad, delimiter))  # fmt: skip


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}


def _drop_repeated_headers(frame: pd.DataFrame, lines: np.ndarray) -> tuple:
    """Take rows that repeat the header (files joined by hand) out as faults."""
    columns = list(frame.columns)
    if not len(frame) or not columns:
        return frame, lines, _fault_frame(columns, [])
    same = frame[columns[0]].to_numpy(dtype=object) == columns[0]  # exact: cheap on big files
    for col in columns[1:]:
        if not same.any():
            break
        same = same & (_stripped(frame[col]) == col).to_numpy()
    if not same.any():
        return frame, lines, _fault_frame(columns, [])
    records = [(int(ln), list(row), "a repeated header row") for ln, row in
               zip(lines[same], frame.loc[same].itertuples(index=False))]  # fmt: skip
    return frame.loc[~same].reset_index(drop=True), lines[~same], _fault_frame(columns, records)


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
    (a_raw, a), (b_raw, b) = _text_and_numbers(a_raw), _text_and_numbers(b_raw)
    reason = np.full(len(a), "", dtype=object)
    empty = (a_raw == "") | (b_raw == "")
    bad = ~empty & ~(np.isfinite(a) & np.isfinite(b))
    zero = ~empty & ~bad & (a == 0) & (b == 0)
    inside = valid(a, b)
    swapped = ~empty & ~bad & ~zero & ~inside & valid(b, a)
    outside = ~empty & ~bad & ~zero & ~swapped & ~inside
    reason[empty] = f"missing coordinates (no {first}/{second})"
    for i in np.flatnonzero(bad):
        reason[i] = (
            f"unparseable coordinates: {first} {a_raw[i]!r}, {second} {b_raw[i]!r}"
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
    geoms = shapely.points(distinct.real, distinct.imag)[codes] if len(codes) else np.empty(0, object)
    return gpd.GeoDataFrame(
        frame.drop(columns=["_x", "_y"]),
        geometry=gpd.GeoSeries(GeometryArray(geoms, crs=ANALYSIS_CRS), index=frame.index),
        crs=ANALYSIS_CRS,
    )


def _month_text(when: pd.DatetimeIndex) -> np.ndarray:
    """``"YYYY-MM"`` for each date, formatting each distinct month once."""
    codes, months = pd.factorize(when.to_period("M"))
    return np.asarray(months.strftime("%Y-%m"), dtype=object)[codes] if len(when) else np.array(
        [], dtype=object
    )


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
    return _police_load(src, _read_table(src), crime_types=crime_types)


def _police_load(
    src: Source, read: _Table, *, crime_types: Sequence[str] | None, points: bool = True
) -> IncidentLoad:
    return _police_batch([(src, read)], crime_types=crime_types, points=points)


def _police_batch(
    items: Sequence[tuple[Source, _Table]],
    *,
    crime_types: Sequence[str] | None,
    points: bool = True,
) -> IncidentLoad:
    """Validate police.uk tables with one header together: every check runs once on all rows.

    The result is what reading each file on its own and combining the loads
    gives: incidents in file and line order, each file's rejects by line, each
    file's notes.
    """
    for src, read in items:
        if not is_police_table(read.frame.columns):
            missing = [c for c in _POLICE_REQUIRED if c not in read.frame.columns]
            raise InputFileError(
                src.name,
                f"is missing police.uk column(s) {missing!r} (it has "
                f"{quote_header(read.frame.columns)})",
                "a police.uk street-level CSV with columns " + ", ".join(POLICE_COLUMNS),
            )
    k = len(items)
    names = np.array([src.name for src, _ in items], dtype=object)
    frames = [read.frame for _, read in items]
    sizes = np.array([len(f) for f in frames], dtype=np.int64)
    n_faults = np.array([read.n_faults for _, read in items], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    lines = np.concatenate([read.lines for _, read in items]).astype(np.int64)
    file = np.repeat(np.arange(k), sizes)  # each row's file
    row = np.arange(len(file))  # each row's place in the files' frames, end to end

    def column(name: str) -> np.ndarray:  # one column of every file, as text
        if name not in frames[0].columns:
            return np.full(len(file), "", dtype=object)
        parts = [f[name].to_numpy(dtype=object) for f in frames]
        return (np.concatenate(parts) if k > 1 else parts[0])[row]

    rows_read = sizes + n_faults
    notes: list[list[str]] = [[] for _ in range(k)]
    types = _stripped_array(column("Crime type"))
    if crime_types is not None:
        keep = np.isin(types, list(crime_types))
        held_any = np.bincount(file[keep], minlength=k)
        for i in np.flatnonzero((sizes > 0) & (held_any == 0)):  # files, not rows
            counts = pd.Series(types[file == i], dtype=object).value_counts().head(6)
            held = ", ".join(f"{t} {v:,}" for t, v in counts.items())
            notes[i].append(
                f"{names[i]}: no rows of crime type {', '.join(map(repr, crime_types))} "
                f"among its {sizes[i]:,} rows (it holds: {held}); choose with --crime-type"
            )
        if not keep.all():
            lines, file, row, types = lines[keep], file[keep], row[keep], types[keep]
    for i in np.flatnonzero(rows_read == 0):
        notes[i].append(f"{names[i]}: holds a header and no data rows")
    x, y, reason = _lonlat_points(column("Longitude"), column("Latitude"))
    month_text = _stripped_array(column("Month"))
    codes, months = pd.factorize(month_text)
    parsed = pd.to_datetime(pd.Series(months, dtype=object), format="%Y-%m", errors="coerce")
    bad_month = parsed.isna().to_numpy()[codes] if len(codes) else np.zeros(0, dtype=bool)
    for i in np.flatnonzero(bad_month & (reason == "")):
        text = month_text[i]
        reason[i] = (
            "missing Month" if not text else f"unparseable Month {text!r} (expected YYYY-MM)"
        )
    ok = reason == ""
    rows = file[ok]
    kept_lines = lines[ok]
    incident_id = _stripped_array(column("Crime ID")[ok])
    no_id = incident_id == ""
    if no_id.any():  # "<file>:<line>", made in C
        labels = np.array([_file_label(str(n)) + ":" for n in names], dtype=str)
        incident_id[no_id] = np.char.add(labels[rows[no_id]], kept_lines[no_id].astype(str)).astype(object)
    month_codes = codes[ok]
    frame = pd.DataFrame(
        {
            "incident_id": incident_id,
            "source": pd.array(names[rows], dtype="str"),
            "line": kept_lines,
            "date": pd.DatetimeIndex(parsed.to_numpy()[month_codes]),
            "date_precision": np.full(len(rows), "month", dtype=object),
            "month": parsed.dt.strftime("%Y-%m").to_numpy(dtype=object)[month_codes],
            "category": types[ok],
            "location": _stripped_array(column("Location")[ok]),
            "lsoa_code": _stripped_array(column("LSOA code")[ok]),
            "lsoa_name": _stripped_array(column("LSOA name")[ok]),
            "_x": x[ok],
            "_y": y[ok],
        }
    )
    bad = row[~ok]  # the rejected rows, taken from their files' frames
    with_bad = np.unique(file[~ok])
    rejects = _as_text(pd.concat(
        [frames[i].iloc[bad[file[~ok] == i] - starts[i]] for i in with_bad] or [frames[0].iloc[:0]],
        ignore_index=True,
    ))  # fmt: skip
    for col in POLICE_COLUMNS:
        if col not in rejects.columns:
            rejects[col] = ""
    rejects.insert(0, "reason", reason[~ok])
    rejects.insert(0, "line", lines[~ok])
    rejects.insert(0, "source", pd.array(names[file[~ok]], dtype="str"))
    reject_file = file[~ok]
    if n_faults.sum():
        faults = [read.faults for _, read in items if read.n_faults]
        rejects = pd.concat([rejects, *faults], ignore_index=True)
        reject_file = np.concatenate([reject_file, np.repeat(np.arange(k), n_faults)])
    if len(rejects) > 1:
        order = np.lexsort((rejects["line"].to_numpy(), reject_file))  # stable
        rejects = rejects.iloc[order]
    selected = np.bincount(file, minlength=k) + n_faults
    kept = np.bincount(rows, minlength=k)
    for i in np.flatnonzero((kept == 0) & (selected > 0)):
        notes[i].append(
            f"{names[i]}: none of its {selected[i]:,} selected row(s) could be used; "
            "the rejects file says why"
        )
    flat = tuple(note for file_notes in notes for note in file_notes)
    for note in flat:
        log.warning("%s", note)
    return IncidentLoad(
        _with_points(frame) if points else frame,
        rejects.reset_index(drop=True),
        int(rows_read.sum()),
        int(selected.sum()),
        tuple(str(n) for n in names),
        notes=flat,
    )


def _file_label(source: str) -> str:
    """A source's file name (a zip member's own name), for ``"<file>:<line>"`` ids."""
    return Path(source.split(":", 1)[-1] if ".zip:" in source else source).name


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
    date_format : str, optional
        Force the date format (``"iso"``, ``"dmy"``, ``"mdy"`` or a strftime
        pattern); detected from the whole column when None. See
        :mod:`hotspots.dates`.

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
    notes = [f"{src.name}: {note}" for note in parsed.notes]
    if n + read.n_faults == 0:
        notes.append(f"{src.name}: holds a header and no data rows")
    category = col(cols.category) if cols.category else pd.Series(cols.default_category, index=table.index)
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


# --------------------------------------------------------------------------- many files


#: police.uk rows validated together at most (bounds the memory of the text read at once).
_BATCH_ROWS = 100_000


def read_incidents(
    paths: Iterable[str | Path],
    *,
    crime_types: Sequence[str] | None = (ASB,),
    columns: CouncilColumns | None = None,
    geocoder: Geocoder | None = None,
    address_geocoder: Geocoder | None = None,
    date_format: str | None = None,
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
    columns, geocoder, address_geocoder, date_format
        For council exports; see :func:`read_council_csv`.
    progress : callable, optional
        Wraps the list of files (the CLI passes a progress bar).

    Returns
    -------
    IncidentLoad
    """
    check_date_format(date_format)
    sources = expand_sources(paths)
    loads = []
    police: list[tuple[Source, _Table]] = []  # files of one header, validated together

    def flush() -> None:
        if police:
            loads.append(_police_batch(police, crime_types=crime_types, points=False))
            log.info("%d police.uk file(s): %s", len(police), loads[-1].summary())
            police.clear()

    for src in progress(sources) if progress else sources:
        read = _read_table(src)
        if is_police_table(read.frame.columns):
            if police and list(police[0][1].frame.columns) != list(read.frame.columns):
                flush()
            police.append((src, read))
            if sum(len(r.frame) for _, r in police) >= _BATCH_ROWS:
                flush()
            continue
        flush()
        loads.append(
            _council_load(
                src, read, columns=columns, geocoder=geocoder,
                address_geocoder=address_geocoder, date_format=date_format, points=False,
            )
        )
        log.info("%s: %s", src.name, loads[-1].summary())
    flush()
    # every file's points made at once, so that incidents at one map point share one point
    parts = [ld.incidents for ld in loads if len(ld.incidents)]
    empty = empty_incidents()
    combined = combine_loads(replace(ld, incidents=empty) for ld in loads)
    if not parts:
        return combined
    return replace(combined, incidents=_with_points(pd.concat(parts, ignore_index=True)))
